// Shims are bound when a sandbox starts. A reload that names a new program
// gives new sessions its shim; a running session is told, once, that it has
// none (broker stderr and an audit line), and there the backstop still
// applies the new rule (it decides by the policy in force), without a shim.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { execgateShell, rule, tempDir } from '../helpers/execgate.js';
import { serve, type Served } from '../helpers/serve.js';
import { waitFor } from '../helpers/wait.js';

let served: Served | null = null;
afterEach(async () => {
  await served?.stop();
  served = null;
});

const staleLines = (s: Served) => s.stderr().split('\n').filter((l) => l.includes('has no shim for it'));

describe('a reload that names a new program', () => {
  it('shims it in new sessions, and says once that a running session has no shim for it', async () => {
    const before = rule('no-id', 'id', 'deny');
    const s = (served = await serve(before));
    const project = tempDir('eg-reload-');
    // Session A waits (on a FIFO) for the reload before it runs whoami.
    const fifo = join(project, 'go');
    const mk = spawn('mkfifo', [fifo]);
    await new Promise((r) => mk.once('exit', r));
    const sessionA = execgateShell(
      `read line < ${fifo}; python3 -c 'import subprocess
try:
    subprocess.run(["whoami"])
except PermissionError as e:
    print("refused", e.errno)'`,
      { flags: ['--broker', s.socket, '--label', 'early', '--sandbox', 'bwrap', '--project', project], cwd: project, timeoutMs: 60_000 },
    );
    await waitFor(() => s.records().some((r) => r.event === 'backstop' && r.label === 'early'), { what: 'session A to start' });

    writeFileSync(s.policyFile, before + rule('no-whoami', 'whoami', 'deny', 'reason = "who asks?"'));
    await waitFor(() => staleLines(s).length > 0, { what: 'the broker to say session A has no whoami shim' });
    expect(staleLines(s)).toEqual([
      expect.stringMatching(/^execgate: session \w+ \(early\): rule no-whoami names \/usr\/bin\/whoami, but this session's sandbox started before and has no shim for it: .*new sessions have the shim$/),
    ]);
    // The audit log is written behind the broker's stderr (in batches).
    await waitFor(() => s.records().some((r) => r.event === 'shims-stale'), { what: 'the shims-stale audit line' });
    const stale = s.records().filter((r) => r.event === 'shims-stale');
    expect(stale.map((r) => [r.label, r.program, r.rules])).toEqual([['early', '/usr/bin/whoami', ['no-whoami']]]);

    // Said once per session and program: another reload says nothing new.
    writeFileSync(s.policyFile, `# edited again\n${before}${rule('no-whoami', 'whoami', 'deny', 'reason = "who asks?"')}`);
    await waitFor(() => s.stderr().split('policy reloaded').length > 2, { what: 'the second reload' });
    expect(staleLines(s)).toHaveLength(1);

    // A new session has the shim: whoami from Python is asked about, and denied with the wrapper's message.
    const late = await execgateShell(`python3 -c 'import subprocess, sys; sys.exit(subprocess.run(["whoami"]).returncode)'; echo "st=$?"`, {
      flags: ['--broker', s.socket, '--label', 'late', '--sandbox', 'bwrap', '--project', project],
      cwd: project,
    });
    expect(late.stdout.toString()).toBe('st=126\n');
    expect(late.stderr).toContain('execgate: denied: whoami: who asks?\n');
    await waitFor(() => s.records().some((r) => r.event === 'decision' && r.label === 'late' && r.via === 'shim'), { what: "the late session's shim decision in the audit log" });
    expect(s.records().filter((r) => r.event === 'decision' && r.label === 'late' && r.via === 'shim').map((r) => [r.program, r.decision])).toEqual([['/usr/bin/whoami', 'deny']]);
    expect(staleLines(s)).toHaveLength(1);

    // Session A: no shim, but the backstop decides by the new policy.
    writeFileSync(fifo, 'go\n');
    const early = await sessionA;
    expect(early.stdout.toString()).toBe('refused 13\n');
    await waitFor(() => s.records().some((r) => r.event === 'decision' && r.label === 'early' && r.program === '/usr/bin/whoami'), {
      what: "session A's backstop decision in the audit log (written in batches)",
    });
    expect(s.records().filter((r) => r.event === 'decision' && r.label === 'early' && r.program === '/usr/bin/whoami').map((r) => [r.via, r.decision])).toEqual([['seccomp', 'deny']]);
  });
});

