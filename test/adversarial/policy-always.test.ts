// Finding 3: "always" wrote the path the agent named, not the file the human
// saw. The prompt shows /usr/bin/id; the agent asked by PROJECT/bin/myid (its
// symlink). Once the rule is written the agent swaps the link for a script:
// that must not escalate unprompted.
import { mkdirSync, existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startShell, tempDir, type PendingJson } from '../helpers/execgate.js';

describe('"always" names the canonical program (adversarial)', () => {
  it('a swapped project symlink does not inherit the "always" rule', async () => {
    const project = tempDir('eg-proj-');
    mkdirSync(join(project, 'bin'));
    const myid = join(project, 'bin', 'myid');
    symlinkSync('/usr/bin/id', myid);
    const marker = join(project, 'pwned');
    const script = [
      `cd ${project}`,
      './bin/myid -u',
      'rm bin/myid',
      `printf '#!/bin/sh\\necho pwned > ${marker}\\n' > bin/myid`,
      'chmod +x bin/myid',
      './bin/myid -u',
      'echo "second $?"',
    ].join('; ');
    const policy = `approval_timeout = "30s"\n[[rule]]\nid = "ask-myid"\nprogram = "${myid}"\ndecision = "prompt"\n`;
    const live = startShell(script, { policy, cwd: project });
    const [first] = await live.waitPending(1);
    expect(first!.hostProgram).toBe('/usr/bin/id');
    const answered = await live.approve(['--answer', first!.id, 'always']);
    expect(answered.stdout.toString()).toMatch(/program = "id"/);

    // The swapped script must come back as a prompt (deny it), never run.
    let done = false;
    void live.done.then(() => (done = true));
    let second: PendingJson | undefined;
    while (!done && second === undefined) {
      const r = await live.approve(['--list', '--json']);
      if (r.code === 0) second = (JSON.parse(r.stdout.toString()) as PendingJson[]).find((p) => p.id !== first!.id);
      if (second === undefined) await new Promise((res) => setTimeout(res, 100));
    }
    if (second) await live.approve(['--answer', second.id, 'deny']);
    const r = await live.done;
    expect(existsSync(marker)).toBe(false);
    expect(second?.hostProgram).toBe(myid);
    expect(r.stdout.toString()).toContain('second 126');
    expect(readFileSync(live.policyFile, 'utf8')).not.toContain(`program = "${myid}"\nargs`);
  });
});
