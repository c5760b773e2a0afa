// The ways agent harnesses start their shells, without any agent: each
// closes every fd it inherited (fd 87, the session socket, included) before
// the shell runs, or starts it from a daemon that did. Inside --sandbox bwrap
// every one of them must still reach the broker. With --sandbox none only the
// shells the patched bash stands in for are intercepted: the table below says
// exactly which.
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { patchedBashPath } from '../../src/native/paths.js';
import { fixturesDir } from '../helpers/agents.js';
import { execgateShell, rule, tempDir, type RunResult } from '../helpers/execgate.js';

const harnessPy = join(fixturesDir, 'harness.py');
const harnessMjs = join(fixturesDir, 'harness.mjs');
const closefds = join(fixturesDir, 'closefds-exec.py');

interface Spawner {
  name: string;
  /** The harness command line (python3 is /usr/bin/python3: the sandbox
   * hides HOME, where pyenv and the like live). */
  harness: string;
  /** Which shell runs the command, and so whether --sandbox none sees it. */
  shell: '/bin/sh' | 'bash on PATH' | '$SHELL' | 'the passwd shell';
}

const SPAWNERS: Spawner[] = [
  { name: 'python-shell', harness: `/usr/bin/python3 ${harnessPy} --spawn shell`, shell: '/bin/sh' },
  { name: 'python-argv', harness: `/usr/bin/python3 ${harnessPy} --spawn argv`, shell: 'bash on PATH' },
  { name: 'python-user-shell', harness: `/usr/bin/python3 ${harnessPy} --spawn user-shell`, shell: '$SHELL' },
  { name: 'python-login', harness: `/usr/bin/python3 ${harnessPy} --spawn login`, shell: 'the passwd shell' },
  { name: 'python-daemon', harness: `/usr/bin/python3 ${harnessPy} --spawn daemon`, shell: 'bash on PATH' },
  { name: 'tmux', harness: `/usr/bin/python3 ${harnessPy} --spawn tmux`, shell: '$SHELL' },
  // `; exit $?` keeps the outer shell (and its fd 87) alive: as the last
  // command it would be exec'd in place, and closefds-exec.py would then
  // close the session's last fd (session-lifetime.test.ts).
  { name: 'node-exec', harness: `/usr/bin/python3 ${closefds} node ${harnessMjs} --spawn exec; exit $?`, shell: '/bin/sh' },
  { name: 'node-spawn', harness: `/usr/bin/python3 ${closefds} node ${harnessMjs} --spawn spawn; exit $?`, shell: 'bash on PATH' },
];

/** A program the policy names, so the broker (never a local shortcut)
 * decides each exec of it. */
const policy = rule('spawn-probe', 'echo', 'run');
const probe = (s: Spawner) => `/usr/bin/echo spawned-by-${s.name}`;

interface HarnessLine {
  command: string;
  exit: number;
  stdout: string;
  stderr: string;
}

function harnessOutput(r: RunResult): HarnessLine[] {
  return r.stdout
    .toString()
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as HarnessLine);
}

function brokerDecided(r: RunResult, s: Spawner): boolean {
  return r.audit.some((a) => a.event === 'decision' && a.decided_by === 'rule:spawn-probe' && JSON.stringify(a.argv) === JSON.stringify(['/usr/bin/echo', `spawned-by-${s.name}`]));
}

describe('agent spawning patterns inside --sandbox bwrap, every inherited fd closed', () => {
  it.each(SPAWNERS)('$name ($shell) reaches the broker', async (s) => {
    const project = tempDir('eg-spawn-');
    const r = await execgateShell(s.harness, { flags: ['--sandbox', 'bwrap', '--project', project, '--ro-bind', fixturesDir], cwd: project, policy, input: `${probe(s)}\n`, timeoutMs: 90_000 });
    const [line] = harnessOutput(r);
    expect(line, `harness output\n${r.stdout}\n${r.stderr}`).toBeDefined();
    expect(line, r.stderr).toMatchObject({ exit: 0, stdout: `spawned-by-${s.name}\n`, stderr: '' });
    expect(brokerDecided(r, s)).toBe(true);
  });
});

describe('agent spawning patterns with --sandbox none, SHELL and PATH at the patched bash', () => {
  it('intercepts exactly the spawners whose shell is the patched bash: bash on PATH and $SHELL, not /bin/sh nor the passwd shell', async () => {
    const project = tempDir('eg-spawn-none-');
    const env = { SHELL: patchedBashPath, PATH: `${dirname(patchedBashPath)}:${process.env.PATH ?? '/usr/bin:/bin'}`, TMUX: undefined };
    const intercepted: string[] = [];
    const ran: string[] = [];
    const failures: string[] = [];
    for (const s of SPAWNERS) {
      const r = await execgateShell(s.harness, { cwd: project, env, policy, input: `${probe(s)}\n`, timeoutMs: 90_000 });
      const [line] = harnessOutput(r);
      if (line?.exit === 0 && line.stdout === `spawned-by-${s.name}\n`) ran.push(s.name);
      else failures.push(`${s.name}: ${JSON.stringify(line)} ${r.stderr.replace(/^execgate: no sandbox.*\n/m, '').slice(-500)}`);
      if (brokerDecided(r, s)) intercepted.push(s.name);
    }
    expect(failures).toEqual([]);
    expect(ran).toEqual(SPAWNERS.map((s) => s.name));
    // /bin/sh is dash and the passwd shell is /bin/bash: the host's own
    // shells, which --sandbox none does not replace.
    expect(intercepted).toEqual(SPAWNERS.filter((s) => s.shell === 'bash on PATH' || s.shell === '$SHELL').map((s) => s.name));
  }, 180_000);
});
