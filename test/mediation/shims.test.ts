// Which programs get shims, where, and what a shim's request names
// (src/sandbox/shims.ts), against the host's real files.
import { chmodSync, mkdirSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parsePolicy } from '../../src/policy/load.js';
import { bwrapLaunch } from '../../src/sandbox/bwrap.js';
import { PathMap } from '../../src/sandbox/path-map.js';
import { Kind, type Request } from '../../src/protocol/messages.js';
import { missingShims, placeShims, programBehindShim, shimBindArgs, shimNamedPath, shimTargets, throughShims } from '../../src/sandbox/shims.js';
import { tempDir } from '../helpers/execgate.js';

const policy = (text: string) => parsePolicy(text, 'test.toml');
const rules = (...r: [string, string, string][]) => policy(r.map(([id, program, decision]) => `[[rule]]\nid = "${id}"\nprogram = "${program}"\ndecision = "${decision}"\n`).join('\n'));
const hostMap = new PathMap([
  { sandbox: '/usr', host: '/usr', writable: false },
  { sandbox: '/etc', host: '/etc', writable: false },
]);

describe('shimTargets', () => {
  it('names the canonical file of every escalate, prompt and deny rule, not run rules', () => {
    const p = rules(['a', 'printenv', 'escalate'], ['b', 'id', 'deny'], ['c', '/usr/bin/env', 'prompt'], ['d', 'ls', 'run'], ['e', 'no-such-program-here', 'deny']);
    expect([...shimTargets(p, [])]).toEqual([
      [realpathSync('/usr/bin/printenv'), ['a']],
      [realpathSync('/usr/bin/id'), ['b']],
      [realpathSync('/usr/bin/env'), ['c']],
    ]);
  });

  it('resolves bare names as the policy does for the session: never on a PATH entry the sandbox can write', () => {
    const dir = tempDir('eg-shim-path-');
    writeFileSync(join(dir, 'mytool'), '#!/bin/sh\n');
    chmodSync(join(dir, 'mytool'), 0o755);
    const p = policy(`trusted_path = ["${dir}"]\n[[rule]]\nid = "t"\nprogram = "mytool"\ndecision = "deny"\n`);
    expect([...shimTargets(p, []).keys()]).toEqual([join(realpathSync(dir), 'mytool')]);
    expect([...shimTargets(p, [dir]).keys()]).toEqual([]);
  });

  it('follows symlinks to the file that runs, and groups the rules naming it', () => {
    const dir = tempDir('eg-shim-link-');
    symlinkSync('/usr/bin/id', join(dir, 'ident'));
    const p = rules(['a', 'id', 'deny'], ['b', join(dir, 'ident'), 'escalate']);
    expect([...shimTargets(p, [])]).toEqual([[realpathSync('/usr/bin/id'), ['a', 'b']]]);
  });
});

describe('placeShims', () => {
  const targets = new Map([
    ['/usr/bin/id', ['a']],
    ['/work/tool', ['b']],
    ['/data/x', ['c']],
    ['/opt/y', ['d']],
  ]);
  const map = new PathMap([
    { sandbox: '/usr', host: '/usr', writable: false },
    { sandbox: '/work', host: '/work', writable: true },
    { sandbox: '/data', host: '/srv', writable: false },
  ]);

  it('shims only what the sandbox sees at its own path, read-only: not the project, not a path bound elsewhere, not what is not there', () => {
    expect(placeShims(targets, map, new Set())).toEqual([{ program: '/usr/bin/id', real: '/.execgate/real/usr/bin/id', rules: ['a'] }]);
  });

  it('never shims a file execgate already replaces (a shell, a bwrap stub)', () => {
    expect(placeShims(targets, map, new Set(['/usr/bin/id']))).toEqual([]);
  });

  it('a read-only bind inside the writable project counts as read-only', () => {
    const inner = new PathMap([...map.roots(), { sandbox: '/work/.git', host: '/work/.git', writable: false }]);
    expect(placeShims(new Map([['/work/.git/hooks/x', ['h']]]), inner, new Set()).map((s) => s.program)).toEqual(['/work/.git/hooks/x']);
  });

  it('binds the real file beside, then the wrapper over it', () => {
    expect(shimBindArgs(placeShims(targets, map, new Set()), '/p/wrapper')).toEqual(['--ro-bind', '/usr/bin/id', '/.execgate/real/usr/bin/id', '--ro-bind', '/p/wrapper', '/usr/bin/id']);
  });
});

describe('a bwrap launch', () => {
  const launch = (p: ReturnType<typeof policy>, more = {}) =>
    bwrapLaunch({
      project: '/work',
      binds: [],
      roBinds: [],
      network: true,
      patchedBash: '/p/bash',
      wrapper: '/p/wrapper',
      sandboxBin: '/p/bin',
      sessionFd: 87,
      sessionDir: '/run/eg/session-1',
      bashArgs: ['-c', 'x'],
      cwd: '/work',
      env: { PATH: '/usr/bin:/bin' },
      passEnv: {},
      hide: [],
      sandboxUid: null,
      writableGit: false,
      caller: { uid: 1234, gid: 1234, name: 'alice' },
      shimPolicy: p,
      backstop: true,
      ...more,
    });

  it('shims the programs rules name, after the host binds, and starts the shell through the init', () => {
    const l = launch(rules(['a', 'id', 'deny']));
    const id = realpathSync('/usr/bin/id');
    expect(l.shims.map((s) => s.program)).toEqual([id]);
    const s = l.args.join(' ');
    expect(s).toContain(`--ro-bind ${id} /.execgate/real${id} --ro-bind /p/wrapper ${id}`);
    expect(s.indexOf(`--ro-bind /p/wrapper ${id}`)).toBeGreaterThan(s.indexOf('--ro-bind /usr /usr'));
    expect(l.args.slice(l.args.indexOf('--') + 1)).toEqual(['/.execgate/execgate-wrapper', '--execgate-init', '/bin/bash', '-c', 'x']);
    expect(l.backstop).toBe(true);
  });

  it('never shims the shells it replaces with the patched bash', () => {
    const l = launch(rules(['a', 'bash', 'deny'], ['b', 'sh', 'deny']));
    expect(l.shims).toEqual([]);
    expect(l.replaced).toContain(realpathSync('/usr/bin/sh'));
  });

  it('without a shim policy or the backstop: no shims, bash through the plain init (which only closes fds)', () => {
    const l = launch(rules(['a', 'id', 'deny']), { shimPolicy: undefined, backstop: false });
    expect(l.shims).toEqual([]);
    expect(l.args.slice(l.args.indexOf('--') + 1)).toEqual(['/.execgate/execgate-wrapper', '--execgate-init-plain', '/bin/bash', '-c', 'x']);
    expect(l.backstop).toBe(false);
  });
});

describe('missingShims', () => {
  it('says which programs a new policy would shim that a session has no shim for', () => {
    const id = realpathSync('/usr/bin/id');
    const printenv = realpathSync('/usr/bin/printenv');
    const p = rules(['a', 'id', 'deny'], ['b', 'printenv', 'escalate']);
    expect(missingShims(p, hostMap, [], new Set(), new Set([id])).map((s) => [s.program, s.rules])).toEqual([[printenv, ['b']]]);
    expect(missingShims(p, hostMap, [], new Set(), new Set([id, printenv]))).toEqual([]);
  });
});

describe('shimNamedPath: what a shim asks about', () => {
  const python = (() => {
    const dir = tempDir('eg-shim-alias-');
    mkdirSync(join(dir, 'bin'));
    writeFileSync(join(dir, 'bin', 'python3.11'), '');
    chmodSync(join(dir, 'bin', 'python3.11'), 0o755);
    symlinkSync('python3.11', join(dir, 'bin', 'python3'));
    return { dir, file: join(realpathSync(dir), 'bin', 'python3.11') };
  })();
  const opts = { cwd: '/', toHost: (p: string) => p, findNamed: () => null };

  it('is its own path when argv[0] names it', () => {
    expect(shimNamedPath('/usr/bin/id', 'id', opts)).toBe('/usr/bin/id');
    expect(shimNamedPath('/usr/bin/id', '/usr/bin/id', opts)).toBe('/usr/bin/id');
    expect(shimNamedPath('/usr/bin/id', null, opts)).toBe('/usr/bin/id');
  });

  it('is the name the caller used when that reaches the same file: a symlink beside it, a path', () => {
    expect(shimNamedPath(python.file, 'python3', opts)).toBe(join(realpathSync(python.dir), 'bin', 'python3'));
    expect(shimNamedPath(python.file, './bin/python3', { ...opts, cwd: python.dir })).toBe(join(python.dir, 'bin', 'python3'));
  });

  it('is its own path when the name reaches another file, or nothing: argv[0] cannot borrow another program\'s rules', () => {
    expect(shimNamedPath('/usr/bin/id', 'printenv', opts)).toBe('/usr/bin/id');
    expect(shimNamedPath('/usr/bin/id', '/usr/bin/printenv', opts)).toBe('/usr/bin/id');
    expect(shimNamedPath('/usr/bin/id', 'nothing-by-this-name', { ...opts, findNamed: () => '/usr/bin/printenv' })).toBe('/usr/bin/id');
    expect(shimNamedPath(python.file, 'python3', { ...opts, toHost: () => null })).toBe(python.file);
  });
});

describe('programBehindShim', () => {
  it('names the shimmed program whose real file is exec\'d directly, and nothing else', () => {
    const shims = new Set(['/usr/bin/id']);
    expect(programBehindShim('/.execgate/real/usr/bin/id', shims)).toBe('/usr/bin/id');
    expect(programBehindShim('/.execgate/real/usr/bin/../bin/id', shims)).toBe('/usr/bin/id');
    expect(programBehindShim('/.execgate/real/usr/bin/printenv', shims)).toBeNull();
    expect(programBehindShim('/usr/bin/id', shims)).toBeNull();
    expect(programBehindShim('/.execgate/realusr/bin/id', shims)).toBeNull();
  });
});

describe('throughShims: what the broker plans', () => {
  const req = (kind: Request['kind'], file: string, argv: string[]): Request => ({ kind, file: Buffer.from(file), argv: argv.map((a) => Buffer.from(a)), argc: argv.length, cwd: Buffer.from('/'), pid: 1 });
  const id = realpathSync('/usr/bin/id');
  const shims = new Set([id]);

  it('an exec of the real file behind a shim is the program; a shim request keeps its own path unless argv[0] reaches it otherwise', () => {
    expect(String(throughShims(req(Kind.EXEC, `/.execgate/real${id}`, ['id']), shims, hostMap, () => null).file)).toBe(id);
    expect(String(throughShims(req(Kind.SHIM, id, ['printenv']), shims, hostMap, () => '/usr/bin/printenv').file)).toBe(id);
    expect(String(throughShims(req(Kind.SHIM, id, []), shims, hostMap, () => null).file)).toBe(id);
  });

  it('changes nothing without shims, for other kinds, or for other files', () => {
    const r = req(Kind.EXEC, `/.execgate/real${id}`, ['id']);
    expect(throughShims(r, new Set(), hostMap, () => null)).toBe(r);
    const run = req(Kind.RUN, `/.execgate/real${id}`, ['id']);
    expect(throughShims(run, shims, hostMap, () => null)).toBe(run);
    const other = req(Kind.EXEC, '/usr/bin/printenv', ['printenv']);
    expect(throughShims(other, shims, hostMap, () => null)).toBe(other);
  });
});
