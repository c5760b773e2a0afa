// --sandbox bwrap with real bubblewrap: what the agent can and cannot see,
// and that every way a shell starts programs stays intercepted inside.
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync, existsSync, chmodSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startRuntime } from '../../src/runtime/runtime.js';
import { launchShell } from '../../src/runtime/launch.js';
import { SESSION_FD } from '../../src/protocol/constants.js';
import { buildProbe, removeUserDirs } from '../adversarial/sandbox-users.js';
import { pgrep, waitFor } from '../helpers/wait.js';
import { cliPath, execgateShell, removeVarTmpDirs, rule, tempDir, varTmpDir as varTmp } from '../helpers/execgate.js';

afterAll(() => {
  removeVarTmpDirs();
  removeUserDirs();
});

/** A host HOME with credentials in it, outside /tmp (which the sandbox replaces anyway). */
function fakeHome(): string {
  const home = varTmp('eg-home-');
  mkdirSync(join(home, '.ssh'));
  writeFileSync(join(home, '.ssh', 'id_ed25519'), 'PRIVATE KEY\n');
  writeFileSync(join(home, '.gitconfig'), '[credential]\n\thelper = store\n[user]\n\tname = Host User\n');
  writeFileSync(join(home, '.git-credentials'), 'https://u:token@example.com\n');
  return home;
}

const bwrap = (project: string, ...more: string[]) => ['--sandbox', 'bwrap', '--project', project, ...more];

describe('execgate shell --sandbox bwrap', () => {
  it('hides the host HOME and its credentials; writes to HOME stay inside', async () => {
    const home = fakeHome();
    const project = tempDir();
    const r = await execgateShell(`cat ~/.ssh/id_* 2>&1; git config --global --get credential.helper; echo "git $?"; ls -A ~ | wc -l; echo inside > ~/made-inside; echo "home=$HOME"`, {
      flags: bwrap(project),
      cwd: project,
      env: { HOME: home, GITHUB_TOKEN: 'ghp_secret' },
    });
    const out = r.stdout.toString();
    expect(out).toContain('No such file or directory');
    expect(out).not.toContain('PRIVATE KEY');
    expect(out).toContain('git 1\n0\n');
    expect(out).toContain(`home=${home}`);
    expect(existsSync(join(home, 'made-inside'))).toBe(false);
  });

  it('keeps host environment secrets out of the sandbox, but the host command sees them', async () => {
    const home = fakeHome();
    const project = tempDir();
    const r = await execgateShell(`echo "inside: \${GITHUB_TOKEN-unset}"; env | grep -E '^(GITHUB_TOKEN|HOME)='`, {
      flags: bwrap(project),
      cwd: project,
      env: { HOME: home, GITHUB_TOKEN: 'ghp_secret' },
      policy: rule('env-host', 'env', 'escalate'),
    });
    const out = r.stdout.toString();
    expect(out).toContain('inside: unset\n');
    expect(out).toContain('GITHUB_TOKEN=ghp_secret');
    expect(out).toContain(`HOME=${home}`);
  });

  it('writes to the project reach the host; the rest of the system is read-only', async () => {
    const project = tempDir();
    const r = await execgateShell(`echo made > ${project}/f; touch /usr/eg-should-fail 2>&1; echo "ro $?"`, { flags: bwrap(project), cwd: project });
    expect(existsSync(join(project, 'f'))).toBe(true);
    expect(r.stdout.toString()).toMatch(/Read-only file system\nro 1/);
  });

  it('maps the working directory of escalated commands, and refuses one the host cannot see', async () => {
    const project = tempDir();
    mkdirSync(join(project, 'sub'));
    const r = await execgateShell(`cd sub && sh -c pwd; cd /tmp && sh -c pwd; echo "tmp $?"`, {
      flags: bwrap(project),
      cwd: project,
      policy: rule('sh-host', 'sh', 'escalate'),
    });
    expect(r.stdout.toString()).toBe(`${project}/sub\ntmp 126\n`);
    expect(r.stderr).toContain('execgate: denied: sh: working directory /tmp is outside every path shared with the host');
  });

  it('keeps #!/bin/sh scripts, sh -c, make recipes and find -exec intercepted', async () => {
    const project = tempDir();
    writeFileSync(join(project, 'script.sh'), '#!/bin/sh\n/usr/bin/printf "script-inner\\n"\n');
    chmodSync(join(project, 'script.sh'), 0o755);
    writeFileSync(join(project, 'Makefile'), 'all:\n\t/usr/bin/printf "make-inner\\n"; true\n');
    mkdirSync(join(project, 'd'));
    writeFileSync(join(project, 'd', 'x'), '');
    const r = await execgateShell(`./script.sh; sh -c '/usr/bin/printf "sh-inner\\n"'; make -s; find d -type f -exec sh -c '/usr/bin/printf "find-inner\\n"' \\;; bash -c '/usr/bin/printf "bash-inner\\n"'; echo x | xargs sh -c '/usr/bin/printf "xargs-inner\\n"'`, {
      flags: bwrap(project),
      cwd: project,
    });
    const out = r.stdout.toString();
    const decided = r.audit.filter((a) => a.event === 'decision' && a.program === '/usr/bin/printf').map((a) => (a.argv as string[])[1]);
    for (const w of ['script-inner', 'sh-inner', 'make-inner', 'find-inner', 'bash-inner', 'xargs-inner']) {
      expect(out).toContain(`${w}\n`);
      expect(decided).toContain(`${w}\\\\n`); // the argument holds a backslash, shown doubled
    }
  });

  it('shares the network by default and cuts it with --no-network', async () => {
    const server = createServer((s) => s.end('hello from the host\n'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const project = tempDir();
    const script = `cat < /dev/tcp/127.0.0.1/${port} 2>/dev/null; echo "net $?"`;
    const shared = await execgateShell(script, { flags: bwrap(project), cwd: project });
    const cut = await execgateShell(script, { flags: bwrap(project, '--no-network'), cwd: project });
    server.close();
    expect(shared.stdout.toString()).toBe('hello from the host\nnet 0\n');
    expect(cut.stdout.toString()).toBe('net 1\n');
  });

  it('adds extra binds, read-only or writable', async () => {
    const project = tempDir();
    const data = varTmp('eg-data-');
    writeFileSync(join(data, 'in.txt'), 'data\n');
    const r = await execgateShell(`cat /data/in.txt; echo no > /data/new 2>/dev/null; echo "ro $?"; echo yes > /rw/new; echo "rw $?"`, {
      flags: bwrap(project, '--ro-bind', `${data}:/data`, '--bind', `${project}:/rw`),
      cwd: project,
    });
    expect(r.stdout.toString()).toBe('data\nro 1\nrw 0\n');
    expect(existsSync(join(project, 'new'))).toBe(true);
  });

  // bwrap is looked up on the trusted PATH, not the caller's (a planted one
  // would run unsandboxed): hide the real one in a mount namespace of its own.
  it.skipIf(process.getuid?.() !== 0)('explains how to install bubblewrap when it is missing (root: hides it in a mount namespace)', async () => {
    const empty = join(tempDir(), 'not-bwrap');
    writeFileSync(empty, '');
    const hide = ['/usr/bin/bwrap', '/bin/bwrap'].filter((p) => existsSync(p)).map((p) => `mount --bind ${empty} ${p}`).join(' && ');
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync('unshare', ['--mount', 'sh', '-c', `${hide} && PATH=/nonexistent exec "$0" "$@"`, process.execPath, cliPath, 'shell', '--sandbox', 'bwrap', '-c', 'true'], { encoding: 'utf8' });
    expect(r.status).toBe(4);
    expect(r.stderr).toContain('needs bubblewrap, which is not installed: `sudo apt-get install bubblewrap`');
  });

  it('says plainly that --sandbox none contains nothing', async () => {
    const r = await execgateShell('true');
    expect(r.stderr).toContain('no sandbox (--sandbox none)');
    expect(r.stderr).toContain('unconfined');
  });

  it('ends escalated commands still running when the shell exits', async () => {
    const project = tempDir();
    const marker = `31${Math.floor(Math.random() * 1e6)}`;
    // The host command says it started in the shared project directory: the
    // sandbox cannot see host processes; the shell exits once it is running.
    const r = await execgateShell(`sh -c 'touch started; exec /usr/bin/sleep ${marker}' & until [ -e started ]; do read -t 0.02 </dev/zero || :; done`, {
      flags: bwrap(project),
      cwd: project,
      policy: rule('sh-host', 'sh', 'escalate'),
    });
    expect(r.code).toBe(0);
    await waitFor(() => pgrep(`^/usr/bin/sleep ${marker}$`).length === 0, { what: 'the host command to be ended' });
  });
});

describe('execgate run (explicit host requests) from inside the sandbox', () => {
  it('asks a human by default, then runs on the host with the caller\'s stdio and status', async () => {
    const { startShell } = await import('../helpers/execgate.js');
    const home = fakeHome();
    const project = tempDir();
    const live = startShell(`echo from-stdin | execgate run sh -c 'cat; echo "host home $HOME"; exit 3'; echo "status $?"`, {
      flags: ['--sandbox', 'bwrap', '--project', project],
      cwd: project,
      env: { HOME: home },
    });
    const [p] = await live.waitPending(1);
    expect(p!.argv).toEqual(['sh', '-c', 'cat; echo "host home $HOME"; exit 3']);
    await live.approve(['--answer', p!.id, 'once']);
    const r = await live.done;
    expect(r.stdout.toString()).toBe(`from-stdin\nhost home ${home}\nstatus 3\n`);
    expect(r.audit.find((a) => a.event === 'decision' && a.explicit === true)).toMatchObject({ decision: 'prompt', decided_by: 'default' });
  });

  it('never turns into a sandbox run, even when a rule says run', async () => {
    const { startShell } = await import('../helpers/execgate.js');
    const project = tempDir();
    const live = startShell(`execgate run sh -c 'echo hi'; echo "status $?"`, { flags: ['--sandbox', 'bwrap', '--project', project], cwd: project, policy: rule('sh-run', 'sh', 'run') });
    const [p] = await live.waitPending(1);
    await live.approve(['--answer', p!.id, 'deny', '--reason', 'asked for the host']);
    const r = await live.done;
    expect(r.stdout.toString()).toBe('status 126\n');
    expect(r.stderr).toContain('execgate: denied: sh: asked for the host');
  });
});

describe('who the shell is inside the sandbox', () => {
  it.skipIf(process.getuid!() !== 0)('root starts it as uid 1000 ("sandbox"), whose files are root\'s on the host; --sandbox-uid picks another', async () => {
    const home = fakeHome();
    const project = varTmp('eg-proj-');
    writeFileSync(join(project, 'mine'), 'x\n');
    const script = `id -u; id -un; echo "$HOME $USER $LOGNAME"; stat -c %u mine; echo made > made; stat -c %U made; echo more >> mine; echo "append $?"`;
    const r = await execgateShell(script, { flags: bwrap(project), cwd: project, env: { HOME: home } });
    expect(r.stdout.toString()).toBe(`1000\nsandbox\n${home} sandbox sandbox\n1000\nsandbox\nappend 0\n`);
    expect(statSync(join(project, 'made')).uid).toBe(0);
    const asked = await execgateShell('id -u; id -un; grep CapEff /proc/self/status', { flags: bwrap(project, '--sandbox-uid', '0'), cwd: project, env: { HOME: home } });
    expect(asked.stdout.toString()).toBe('0\nroot\nCapEff:\t0000000000000000\n');
    const bad = await execgateShell('true', { flags: bwrap(project, '--sandbox-uid', 'nobody'), cwd: project });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--sandbox-uid must be a uid');
  });

  it('says in one line how to turn the agent\'s own sandbox off when it starts bwrap', async () => {
    const project = tempDir();
    const r = await execgateShell('bwrap --ro-bind / / true; echo "bwrap $?"', { flags: bwrap(project), cwd: project });
    expect(r.stdout.toString()).toBe('bwrap 1\n');
    expect(r.stderr).toContain("execgate: bwrap cannot run inside execgate's sandbox (no user namespaces here): turn off the agent's own sandbox, execgate's contains it (Claude Code: sandbox.enabled false in settings.json; Codex: --sandbox danger-full-access)\n");
  });
});

describe('--pass-env', () => {
  it('passes the named variables in, and warns about one that is not set', async () => {
    const project = tempDir();
    const script = 'echo "key=${EG_TEST_KEY-unset} other=${EG_TEST_OTHER-unset} missing=${EG_TEST_MISSING-unset}"';
    const env = { EG_TEST_KEY: 'sk-secret', EG_TEST_OTHER: 'not asked for', EG_TEST_MISSING: undefined };
    const r = await execgateShell(script, { flags: bwrap(project, '--pass-env', 'EG_TEST_KEY', '--pass-env', 'EG_TEST_MISSING'), cwd: project, env });
    expect(r.stdout.toString()).toBe('key=sk-secret other=unset missing=unset\n');
    expect(r.stderr).toContain('execgate: --pass-env EG_TEST_MISSING: not set in this environment, so not passed\n');
  });

  it('refuses what must never be injected, with the reason, in both modes', async () => {
    const project = tempDir();
    for (const flags of [bwrap(project), []]) {
      const r = await execgateShell('echo ran', { flags: [...flags, '--pass-env', 'LD_PRELOAD'], cwd: project, env: { LD_PRELOAD: '' } });
      expect(r.code).toBe(2);
      expect(r.stdout.toString()).toBe('');
      expect(r.stderr).toContain('execgate: --pass-env LD_PRELOAD: refused: it changes what the dynamic loader puts into every program\n');
    }
  });

  it('is accepted without a sandbox, where the shell has the whole environment anyway', async () => {
    const r = await execgateShell('echo "key=$EG_TEST_KEY"', { flags: ['--pass-env', 'EG_TEST_KEY'], env: { EG_TEST_KEY: 'k' } });
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe('key=k\n');
  });
});

describe('binds under HOME (agent configuration)', () => {
  for (const order of ['directory first', 'file first']) {
    it(`bind a directory and a single file onto the fresh HOME (${order}); writes reach the host; the path map knows them`, async () => {
      const home = fakeHome();
      mkdirSync(join(home, '.claude'));
      writeFileSync(join(home, '.claude', 'settings.json'), '{"a":1}\n');
      writeFileSync(join(home, '.claude.json'), '{"b":1}\n');
      const project = tempDir();
      const dirBind = ['--bind', join(home, '.claude')];
      const fileBind = ['--bind', join(home, '.claude.json')];
      const flags = bwrap(project, ...(order === 'directory first' ? [...dirBind, ...fileBind] : [...fileBind, ...dirBind]));
      const script = `cat ~/.claude/settings.json ~/.claude.json; echo new > ~/.claude/new; echo '{"b":2}' > ~/.claude.json; echo "file $?"; ls -A ~; cd ~/.claude && sh -c pwd`;
      const r = await execgateShell(script, { flags, cwd: project, env: { HOME: home }, policy: rule('sh-host', 'sh', 'escalate') });
      expect(r.stdout.toString()).toBe(`{"a":1}\n{"b":1}\nfile 0\n.claude\n.claude.json\n${home}/.claude\n`);
      expect(readFileSync(join(home, '.claude', 'new'), 'utf8')).toBe('new\n');
      expect(readFileSync(join(home, '.claude.json'), 'utf8')).toBe('{"b":2}\n');
    });
  }
});

describe('the session directory', () => {
  it('is bound read-only at /.execgate/session from inside the hidden broker directory, and its socket connects', async () => {
    const probe = buildProbe();
    const project = varTmp('eg-proj-');
    const policy = join(varTmp('eg-policy-'), 'policy.toml');
    writeFileSync(policy, '');
    const runtime = await startRuntime({ policyFile: policy, log: () => {} });
    const brokerDir = runtime.control.dir;
    const script = [
      `echo "session=$EXECGATE_SESSION"`,
      `${probe} connect /.execgate/session/sock hello-from-inside; echo "connect $?"`,
      'ls -A /.execgate/session',
      'touch /.execgate/session/planted 2>/dev/null; echo "write $?"',
      `echo "hidden: ${brokerDir}/"*`,
    ].join('\n');
    const launch = launchShell(runtime.broker, { label: 'session-dir', sandbox: 'bwrap', binds: [], roBinds: [], network: true, passEnv: [], writableGit: false, cwd: project, env: process.env }, () => {});
    const sessionDir = launch.session.dir;
    const stdio: ('ignore' | 'pipe' | number)[] = ['ignore', 'pipe', 'pipe'];
    while (stdio.length < SESSION_FD) stdio.push('ignore');
    const shellEnd = launch.session.takeShellEnd();
    stdio.push(shellEnd.fd);
    const child = spawn(launch.file, [...launch.argv.slice(1), '-c', script], { stdio, env: {} });
    shellEnd.close();
    let out = '';
    let err = '';
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise((res) => child.once('close', res));
    launch.session.close();
    await runtime.close();
    expect(err).toBe('');
    expect(code).toBe(0);
    // The session's own files: the socket, and (root outside, uid 1000 in)
    // the passwd and group entries for the inside user and the nested-bwrap stub.
    const listed = out.split('\n').slice(2, -3);
    expect(listed).toContain('sock');
    expect(out).toMatch(new RegExp(`^session=/.execgate/session\nconnect 0\n(.*\n)*write 1\nhidden: ${brokerDir}/\\*\n$`));
    expect(existsSync(join(sessionDir, 'planted'))).toBe(false);
  });
});
