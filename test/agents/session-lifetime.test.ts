// A harness that closes every fd it inherited, started as the shell's last
// command (so exec'd in place, as `execgate shell -c CMD` and `bash -c CMD`
// do), closes the last copy of fd 87 while the sandbox and everything in it
// still run. Its children must still reach the broker through the session
// path: the session lives as long as the sandbox, not as long as fd 87.
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { fixturesDir } from '../helpers/agents.js';
import { execgateShell, rule, tempDir } from '../helpers/execgate.js';

it('a last command that closes every inherited fd does not end the session under it', async () => {
  const project = tempDir('eg-lifetime-');
  const r = await execgateShell(`/usr/bin/python3 ${join(fixturesDir, 'closefds-exec.py')} bash -c '/usr/bin/echo after-closefrom'`, {
    flags: ['--sandbox', 'bwrap', '--project', project, '--ro-bind', fixturesDir],
    cwd: project,
    policy: rule('lifetime-probe', 'echo', 'run'),
  });
  expect(r.stderr).not.toContain('execgate:');
  expect(r.stdout.toString()).toBe('after-closefrom\n');
  expect(r.audit.some((a) => a.event === 'decision' && a.decided_by === 'rule:lifetime-probe')).toBe(true);
});
