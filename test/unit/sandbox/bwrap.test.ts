import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync as mkdtemp, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { bwrapLaunch, parseBind, sandboxEnv, type BwrapConfig } from '../../../src/sandbox/bwrap.js';
import { PathMap } from '../../../src/sandbox/path-map.js';

const made: string[] = [];
const mkdtempSync = (prefix: string) => {
  const d = mkdtemp(prefix);
  made.push(d);
  return d;
};
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

const root = { uid: 0, gid: 0, name: 'root' };
const alice = { uid: 1234, gid: 1235, name: 'alice' };

const launch = (more: Partial<BwrapConfig> = {}) =>
  bwrapLaunch({
    project: '/work',
    binds: [{ src: '/srv', dest: '/data' }],
    roBinds: [],
    network: false,
    patchedBash: '/p/bash',
    wrapper: '/p/wrapper',
    sandboxBin: '/p/bin',
    sessionFd: 87,
    sessionDir: '/run/eg/session-1',
    bashArgs: ['-c', 'x'],
    cwd: '/work',
    env: { PATH: '/root/.cargo/bin:/usr/bin:relative:/bin', GITHUB_TOKEN: 't', TERM: 'xterm', LC_ALL: 'C', LD_PRELOAD: 'x' },
    passEnv: {},
    hide: [],
    sandboxUid: null,
    writableGit: false,
    caller: root,
    ...more,
  });

/** The index of `--flag a b` in args, or -1. */
function at(args: string[], ...seq: string[]): number {
  for (let i = 0; i + seq.length <= args.length; i++) if (seq.every((s, j) => args[i + j] === s)) return i;
  return -1;
}

describe('bwrap launch', () => {
  it('maps bound host paths to themselves and nothing private', () => {
    const map = new PathMap(launch().pathMap);
    expect(map.toHost('/usr/bin/git')).toBe('/usr/bin/git');
    expect(map.toHost('/work/src')).toBe('/work/src');
    expect(map.toHost('/data/x')).toBe('/srv/x');
    expect(map.toHost('/tmp/x')).toBeNull();
    expect(map.toHost(`${homedir()}/.ssh/id_rsa`)).toBeNull();
    expect(map.toHost('/run/docker.sock')).toBeNull();
  });

  it('says which host paths the sandbox can write: the project and --bind sources only', () => {
    const l = launch({ roBinds: [{ src: '/opt', dest: '/ro' }] });
    expect(l.writableRoots.sort()).toEqual(['/srv', '/work']);
    const byDest = Object.fromEntries(l.pathMap.map((m) => [m.sandbox, m.writable]));
    expect(byDest).toMatchObject({ '/work': true, '/data': true, '/ro': false, '/usr': false });
    expect(new PathMap(l.pathMap).writableRoots().sort()).toEqual(['/srv', '/work']);
  });

  it('replaces /tmp, /run and the homes, cuts the network on request, clears the environment', () => {
    const { args } = launch();
    const s = args.join(' ');
    expect(s).toContain('--tmpfs /tmp');
    expect(s).toContain('--tmpfs /run');
    expect(s).toContain(`--tmpfs ${homedir()}`);
    expect(s).toContain('--unshare-net');
    expect(s).toContain('--unshare-pid');
    expect(s).toContain('--die-with-parent');
    expect(s).toContain('--clearenv');
    expect(s).toContain('--ro-bind /p/bash /usr/bin/bash');
    expect(s).toContain('--setenv EXECGATE_SOCKET 87');
    expect(s).not.toContain('GITHUB_TOKEN');
    expect(s).not.toContain('LD_PRELOAD');
  });

  it('always runs in its own user namespace with no capabilities and no nested user namespaces', () => {
    for (const caller of [root, alice]) {
      const { args } = launch({ caller });
      expect(args).toContain('--unshare-user');
      expect(at(args, '--cap-drop', 'ALL')).toBeGreaterThan(-1);
      expect(args).toContain('--disable-userns');
    }
  });

  it('maps root to uid 1000 inside by default, or to the uid asked for; anyone else to themselves', () => {
    const asRoot = launch();
    expect(at(asRoot.args, '--uid', '1000', '--gid', '1000')).toBeGreaterThan(-1);
    expect(asRoot.user).toBe('sandbox');
    expect(at(asRoot.args, '--setenv', 'USER', 'sandbox')).toBeGreaterThan(-1);
    // /etc/passwd and /etc/group name the inside user, from the session directory
    expect(at(asRoot.args, '--ro-bind', '/run/eg/session-1/passwd', '/etc/passwd')).toBeGreaterThan(-1);
    const passwd = asRoot.files.find((f) => f.name === 'passwd');
    expect(passwd?.data).toContain(`sandbox:x:1000:1000:execgate sandbox:${homedir()}:/bin/bash\n`);
    const uid1000 = passwd!.data.split('\n').filter((l) => l.split(':')[2] === '1000');
    expect(uid1000).toEqual([`sandbox:x:1000:1000:execgate sandbox:${homedir()}:/bin/bash`]);

    const asked = launch({ sandboxUid: 0 });
    expect(at(asked.args, '--uid', '0', '--gid', '0')).toBeGreaterThan(-1);
    expect(asked.user).toBe('root');
    expect(asked.args).not.toContain('/etc/passwd');

    const own = launch({ caller: alice });
    expect(at(own.args, '--uid', '1234', '--gid', '1235')).toBeGreaterThan(-1);
    expect(at(own.args, '--setenv', 'USER', 'alice')).toBeGreaterThan(-1);
    expect(own.args).not.toContain('/etc/passwd');
  });

  it('puts binds under HOME after HOME\'s tmpfs, and read-only binds inside writable ones after them, whatever the order given', () => {
    const home = homedir();
    const claude = mkdtempSync(join(tmpdir(), 'eg-claude-'));
    for (const binds of [
      [{ src: claude, dest: `${home}/.claude` }, { src: '/srv', dest: '/data' }],
      [{ src: '/srv', dest: '/data' }, { src: claude, dest: `${home}/.claude` }],
    ]) {
      const { args, pathMap } = launch({ binds, roBinds: [{ src: '/etc/hostname', dest: '/data/sub/hostname' }] });
      expect(at(args, '--bind', claude, `${home}/.claude`)).toBeGreaterThan(at(args, '--tmpfs', home));
      expect(at(args, '--ro-bind', '/etc/hostname', '/data/sub/hostname')).toBeGreaterThan(at(args, '--bind', '/srv', '/data'));
      expect(new PathMap(pathMap).toHost(`${home}/.claude/settings.json`)).toBe(`${claude}/settings.json`);
    }
  });

  it('binds the session directory read-only at /.execgate/session and names it in the environment', () => {
    const l = launch({ sessionDir: '/run/user/0/execgate-0/broker-1/s1' });
    expect(at(l.args, '--ro-bind', '/run/user/0/execgate-0/broker-1/s1', '/.execgate/session')).toBeGreaterThan(at(l.args, '--dir', '/.execgate'));
    expect(at(l.args, '--setenv', 'EXECGATE_SESSION', '/.execgate/session')).toBeGreaterThan(-1);
    // Always there: every session has its directory.
  });

  it('hides the broker directory wherever a bind shows it, and refuses to bind from inside it', () => {
    const hidden = mkdtempSync('/var/tmp/eg-hide-');
    const l = launch({ hide: [hidden], binds: [{ src: '/var/tmp', dest: '/vt' }] });
    const name = hidden.slice('/var/tmp/'.length);
    expect(at(l.args, '--tmpfs', hidden)).toBeGreaterThan(at(l.args, '--ro-bind', '/var', '/var'));
    expect(at(l.args, '--tmpfs', `/vt/${name}`)).toBeGreaterThan(at(l.args, '--bind', '/var/tmp', '/vt'));
    mkdirSync(join(hidden, 'inner'));
    expect(() => launch({ hide: [hidden], binds: [{ src: join(hidden, 'inner'), dest: '/x' }] })).toThrow(/broker's private directory/);
  });

  it('binds the project\'s .git read-only over itself, unless --writable-git', () => {
    const project = mkdtempSync(join(tmpdir(), 'eg-git-'));
    mkdirSync(join(project, '.git'));
    writeFileSync(join(project, '.git', 'config'), '');
    const l = launch({ project, cwd: project });
    expect(at(l.args, '--ro-bind', `${project}/.git`, `${project}/.git`)).toBeGreaterThan(at(l.args, '--bind', project, project));
    expect(new PathMap(l.pathMap).roots().find((m) => m.sandbox === `${project}/.git`)?.writable).toBe(false);
    expect(at(launch({ project, cwd: project, writableGit: true }).args, '--ro-bind', `${project}/.git`, `${project}/.git`)).toBe(-1);
  });

  it('replaces bwrap inside by a script that says how to turn the agent\'s own sandbox off', () => {
    const l = launch({ env: { PATH: '/usr/bin:/bin' } });
    const i = at(l.args, '--ro-bind', '/run/eg/session-1/nested-bwrap');
    expect(i).toBeGreaterThan(-1);
    expect(l.args[i + 2]).toMatch(/\/bwrap$/);
    const stub = l.files.find((x) => x.name === 'nested-bwrap');
    expect(stub?.mode).toBe(0o555);
    expect(stub?.data).toMatch(/^#!\/bin\/sh\necho "execgate: bwrap cannot run inside execgate's sandbox/);
  });

  it('keeps only harmless variables, the passed ones, and a PATH without hidden directories', () => {
    const env = sandboxEnv({
      host: { PATH: '/root/.cargo/bin:/usr/bin:relative:/tmp/x:/bin', TERM: 'xterm', AWS_SECRET_ACCESS_KEY: 's', ANTHROPIC_API_KEY: 'k' },
      home: '/root',
      user: 'sandbox',
      wrapper: '/.execgate/execgate-wrapper',
      sessionFd: 87,
      sessionDir: null,
      pass: { ANTHROPIC_API_KEY: 'k' },
    });
    expect(env.PATH).toBe('/.execgate/bin:/usr/bin:/bin');
    expect(env.TERM).toBe('xterm');
    expect(env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
    expect(env.ANTHROPIC_API_KEY).toBe('k');
    expect(env.EXEC_WRAPPER).toBe('/.execgate/execgate-wrapper');
    expect(env.EXECGATE_SESSION).toBeUndefined();
  });

  it('parses bind specs', () => {
    expect(parseBind('/usr:/u')).toEqual({ src: '/usr', dest: '/u' });
    expect(() => parseBind('/nonexistent-eg')).toThrow(/does not exist/);
    expect(() => parseBind('/usr:relative')).toThrow(/absolute/);
  });
});
