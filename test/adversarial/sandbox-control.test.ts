// The broker's private directory (control socket, web URL file) is hidden
// from the sandbox by a tmpfs. It used to be hidden only if it existed when
// the sandbox was laid out; the broker makes it a moment later, so where its
// parent is bound (XDG_RUNTIME_DIR or TMPDIR outside /tmp and /run) the
// agent saw the control socket, and `execgate approve` answers prompts.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rule } from '../helpers/execgate.js';
import { removeUserDirs, sandboxUsers, shellAs, userDir } from './sandbox-users.js';

afterAll(removeUserDirs);

describe.each(sandboxUsers())('the broker directory, started by $label', (user) => {
  it.skipIf(user.skip !== null)(`stays hidden although the broker makes it after the sandbox is laid out (${user.skip ?? 'runs'})`, async () => {
    const project = userDir(user, 'eg-proj-');
    // /var/tmp is bound read-only inside: a runtime directory there shows.
    const xdg = userDir(user, 'eg-xdg-', 0o700);
    const control = join(xdg, `execgate-${user.uid}`);
    const policyDir = userDir(user, 'eg-policy-');
    writeFileSync(join(policyDir, 'policy.toml'), rule('ls-host', 'ls', 'escalate'));
    // Inside: a glob (no exec) over the directory. Then the same directory
    // listed on the host by an escalated ls, to show the broker was there.
    const r = await shellAs(user, `echo inside: ${control}/*; ls -A ${control}`, {
      flags: ['--sandbox', 'bwrap', '--project', project, '--policy', join(policyDir, 'policy.toml')],
      cwd: project,
      env: { XDG_RUNTIME_DIR: xdg },
    });
    expect(r.stderr).not.toContain('internal error');
    expect(r.stdout).toMatch(new RegExp(`^inside: ${control}/\\*\nbroker-\\d+-\\w+\n$`));
  });
});
