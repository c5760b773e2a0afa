// Codex runs every command as `SHELL -lc CMD`, and Claude Code makes its
// shell snapshot in a login shell: /etc/profile then resets PATH (Debian's
// sets it outright), dropping /.execgate/bin. `execgate run CMD` (an
// explicit request for the host) must still be found there.
import { expect, it } from 'vitest';
import { execgateShell, rule, tempDir } from '../helpers/execgate.js';

it('execgate run is found in a login shell inside --sandbox bwrap (bash -lc, as Codex runs commands)', async () => {
  const project = tempDir('eg-login-');
  const r = await execgateShell(`bash -lc 'execgate run /usr/bin/echo via-login-shell'`, {
    flags: ['--sandbox', 'bwrap', '--project', project],
    cwd: project,
    policy: rule('login-run', 'echo', 'escalate', 'args = ["via-login-shell"]'),
  });
  expect(r.stderr).not.toContain('command not found');
  expect(r.stdout.toString()).toBe('via-login-shell\n');
  expect(r.audit.find((a) => a.event === 'decision' && a.explicit === true)).toMatchObject({ decision: 'escalate', decided_by: 'rule:login-run' });
});
