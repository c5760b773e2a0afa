// The bubblewrap sandbox: the host's file system read-only, the project
// writable at the same path (its git metadata read-only), a fresh empty HOME,
// private /proc, /dev, /tmp and /run, a cleared environment, the patched bash
// over /bin/bash and /bin/sh, the wrapper as a shim over every program a
// rule names (shims.ts), and no privilege: a user namespace of its own, no
// capabilities, no further user namespaces, whoever starts it. The shell is
// started by the wrapper's init, which installs the seccomp backstop and
// closes every fd but the stdio and the session first.
// Returns the bwrap argv and the path map that goes with it: every path
// bound from the host maps to itself (or to its source), nothing else.
import { existsSync, lstatSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { isAbsolute, join, posix, resolve } from 'node:path';
import { DEFAULT_ENV_ALLOW, nameAllowed } from '../exec/host-env.js';
import type { Policy } from '../policy/types.js';
import { ENV_EXEC_WRAPPER, ENV_SESSION_DIR, ENV_SESSION_FD, INIT_ARG, INIT_PLAIN_ARG, SANDBOX_SESSION_DIR } from '../protocol/constants.js';
import { gitMetadata } from './git-metadata.js';
import { currentCaller, sandboxIdentity, type Caller } from './identity.js';
import { NESTED_BWRAP_STUB } from './nested-sandbox.js';
import { PathMap, type PathMapping } from './path-map.js';
import { placeShims, shimBindArgs, shimTargets, type Shim } from './shims.js';

export interface Bind {
  src: string;
  dest: string;
}

export interface BwrapConfig {
  project: string;
  /** --bind: writable. */
  binds: Bind[];
  /** --ro-bind: read-only. */
  roBinds: Bind[];
  network: boolean;
  patchedBash: string;
  wrapper: string;
  sandboxBin: string;
  sessionFd: number;
  /** The session's directory on the host (its socket, its run table, and
   * the files below), bound read-only at SANDBOX_SESSION_DIR. */
  sessionDir: string;
  /** argv for bash inside (after the bash path). */
  bashArgs: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Variables the human passes in (--pass-env), already checked. */
  passEnv: Record<string, string>;
  /** Directories to hide even if they lie in a bound tree (control sockets). */
  hide: string[];
  /** --sandbox-uid: the uid inside, or null for the default (identity.ts). */
  sandboxUid: number | null;
  /** --writable-git: leave the git metadata of writable trees writable. */
  writableGit: boolean;
  /** Who starts the sandbox; the current process unless a test says. */
  caller?: Caller;
  /** The policy whose escalate, prompt and deny programs get shims; none:
   * no shims. */
  shimPolicy?: Policy;
  /** The wrapper's init, which starts the shell either way, installs the
   * seccomp backstop and hands its listener to the session
   * (`--execgate-init`); false: not (`--execgate-init-plain`). */
  backstop?: boolean;
}

/** A file the sandbox sees at `dest`, made by whoever opens the session:
 * written into the session directory as `name` (mode `mode`) before bwrap
 * starts, and bound read-only from there. So the launch needs no pipes and
 * works the same from `execgate shell` and from the native launcher. */
export interface SessionFile {
  name: string;
  data: string;
  mode: number;
}

export interface BwrapLaunch {
  file: string;
  args: string[];
  pathMap: PathMapping[];
  /** Host paths the sandbox can write (the project, --bind sources). */
  writableRoots: string[];
  /** To write into the session directory before bwrap starts. */
  files: SessionFile[];
  /** The uid and user name inside. */
  uid: number;
  user: string;
  /** The program shims bound inside. */
  shims: Shim[];
  /** Canonical host files execgate binds something else over (the shells,
   * the bwrap stubs): never shimmed. */
  replaced: string[];
  /** Whether the init installs the seccomp backstop. */
  backstop: boolean;
}

/** A sandbox asked for that must not be made (the launcher says why). */
export class SandboxConfigError extends Error {
  override name = 'SandboxConfigError';
}

/** Inside the sandbox, execgate's own parts live here (a tmpfs root entry). */
export const SANDBOX_EXECGATE_DIR = '/.execgate';
/** The wrapper, as the sandbox sees it. */
export const SANDBOX_WRAPPER = join(SANDBOX_EXECGATE_DIR, 'execgate-wrapper');

/** Top-level entries never bound from the host: replaced or private. */
const REPLACED = new Set(['proc', 'dev', 'tmp', 'home', 'root', 'run', 'lost+found']);

/** What takes every privilege away, whoever starts bwrap: a user namespace
 * with only the given ids mapped (both stand for the caller's own), no
 * capability in it, no user namespace below it (bubblewrap 0.8.0), and
 * namespaces of its own for pids, IPC, hostname and cgroups. */
export function isolationArgs(uid: number, gid: number): string[] {
  return ['--unshare-user', '--uid', String(uid), '--gid', String(gid), '--disable-userns', '--cap-drop', 'ALL', '--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try'];
}

/** Parses SRC[:DEST] (DEST defaults to SRC), both made absolute. */
export function parseBind(spec: string): Bind {
  const i = spec.indexOf(':');
  const src = resolve(i < 0 ? spec : spec.slice(0, i));
  const dest = i < 0 ? src : spec.slice(i + 1);
  if (!isAbsolute(dest)) throw new Error(`bind destination must be absolute: ${spec}`);
  if (!existsSync(src)) throw new Error(`bind source does not exist: ${src}`);
  return { src: realpathSync(src), dest: resolve(dest) };
}

/** Kernels that still allow TIOCSTI let a process push input into its
 * terminal; then the sandbox must not share the human's terminal session. */
export function terminalInjectionPossible(): boolean {
  try {
    return readFileSync('/proc/sys/dev/tty/legacy_tiocsti', 'utf8').trim() !== '0';
  } catch {
    return true;
  }
}

const under = (path: string, root: string) => path === root || path.startsWith(root === '/' ? '/' : `${root}/`);
const depth = (path: string) => path.split('/').filter(Boolean).length;

/** Where host path `host` is seen inside through `m`, or null. */
function placeIn(m: PathMapping, host: string): string | null {
  return under(host, m.host) ? posix.join(m.sandbox, host.slice(m.host.length)) : null;
}

export function bwrapLaunch(c: BwrapConfig): BwrapLaunch {
  const home = homedir();
  const caller = c.caller ?? currentCaller();
  const who = sandboxIdentity(caller, c.sandboxUid, home);
  const args: string[] = ['--tmpfs', '/'];
  const pathMap: PathMapping[] = [];
  const files: SessionFile[] = [];
  const file = (name: string, data: string, mode: number): string => {
    files.push({ name, data, mode });
    return join(c.sessionDir, name);
  };

  for (const name of readdirSync('/')) {
    if (REPLACED.has(name)) continue;
    const path = `/${name}`;
    const st = lstatSync(path);
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else args.push('--ro-bind', path, path);
    pathMap.push({ sandbox: path, host: path, writable: false });
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/run', '--tmpfs', '/home', '--dir', '/root');
  // /etc/resolv.conf often points into /run: keep name resolution working.
  try {
    const resolv = realpathSync('/etc/resolv.conf');
    if (resolv.startsWith('/run/')) args.push('--ro-bind', resolv, resolv);
  } catch {
    // no resolv.conf: nothing to keep
  }

  for (const h of c.hide) {
    for (const b of [...c.binds, ...c.roBinds]) {
      if (under(b.src, h)) throw new SandboxConfigError(`refusing to bind ${b.src}: it lies in ${h}, the broker's private directory`);
    }
  }

  // HOME, the project and the binds, parents before children, so that a
  // bind under HOME lands on HOME's tmpfs and a read-only bind inside a
  // writable one stays read-only (at one depth, read-only last: it wins).
  type Layer = { kind: 'home' } | { kind: 'bind'; src: string; dest: string; writable: boolean };
  const layers: Layer[] = [
    { kind: 'home' },
    { kind: 'bind', src: c.project, dest: c.project, writable: true },
    ...c.binds.map((b) => ({ kind: 'bind' as const, ...b, writable: true })),
    ...c.roBinds.map((b) => ({ kind: 'bind' as const, ...b, writable: false })),
  ];
  const dest = (l: Layer) => (l.kind === 'home' ? home : l.dest);
  layers.sort((a, b) => depth(dest(a)) - depth(dest(b)));
  for (const l of layers) {
    if (l.kind === 'home') {
      args.push('--tmpfs', home);
      continue;
    }
    args.push(l.writable ? '--bind' : '--ro-bind', l.src, l.dest);
    pathMap.push({ sandbox: l.dest, host: l.src, writable: l.writable });
  }

  // Git metadata in every writable tree, read-only wherever it shows.
  const writable = pathMap.filter((m) => m.writable);
  if (!c.writableGit) {
    const protectedPaths = new Set(writable.flatMap((m) => gitMetadata(m.host)));
    for (const host of protectedPaths) {
      for (const m of writable) {
        const place = placeIn(m, host);
        if (place === null) continue;
        args.push('--ro-bind', host, place);
        pathMap.push({ sandbox: place, host, writable: false });
      }
    }
  }

  // The broker's private directories stay hidden wherever a bind shows them.
  for (const h of c.hide) {
    if (!existsSync(h)) continue;
    for (const m of pathMap) {
      const place = placeIn(m, h);
      if (place !== null) args.push('--tmpfs', place);
    }
  }

  // execgate's own parts, the session directory, and the patched shell
  // wherever a shell is looked for. Sources are the host's paths, so the
  // session directory binds even though its parent is hidden above.
  const wrapperInside = SANDBOX_WRAPPER;
  args.push('--dir', SANDBOX_EXECGATE_DIR, '--ro-bind', c.wrapper, wrapperInside, '--ro-bind', c.sandboxBin, join(SANDBOX_EXECGATE_DIR, 'bin'));
  args.push('--ro-bind', c.sessionDir, SANDBOX_SESSION_DIR);
  // Host files replaced inside (bwrap binds over a symlink's target).
  const replaced = new Set<string>();
  const replace = (path: string) => {
    const real = realpathOrSelf(path);
    replaced.add(real);
    return path;
  };
  for (const shell of ['/usr/bin/bash', '/usr/bin/sh', '/bin/bash', '/bin/sh']) {
    if (existsSync(shell) && !(lstatSync('/bin').isSymbolicLink() && shell.startsWith('/bin/'))) args.push('--ro-bind', c.patchedBash, replace(shell));
  }
  const stubs = bwrapsOnPath(c.env.PATH, pathMap);
  if (stubs.length > 0) {
    const stub = file('nested-bwrap', NESTED_BWRAP_STUB, 0o555);
    for (const bwrap of stubs) args.push('--ro-bind', stub, replace(bwrap));
  }
  // Login shells (`bash -l`, as Codex runs every command) read /etc/profile,
  // which sets PATH afresh: the same file, then execgate's client put back
  // first, so `execgate run` works there too.
  if (existsSync('/etc/profile')) {
    const profile = `${readFileSync('/etc/profile', 'utf8')}\n# execgate: its in-sandbox client first on PATH, as the shell started with.\nPATH="${join(SANDBOX_EXECGATE_DIR, 'bin')}:$PATH"\nexport PATH\n`;
    args.push('--ro-bind', file('profile', profile, 0o444), '/etc/profile');
  }
  if (who.passwd !== null && existsSync('/etc/passwd')) args.push('--ro-bind', file('passwd', who.passwd, 0o444), '/etc/passwd');
  if (who.group !== null && existsSync('/etc/group')) args.push('--ro-bind', file('group', who.group, 0o444), '/etc/group');
  // The programs rules name: the wrapper over each, the real one beside.
  const writableRoots = [...new Set(writable.map((m) => m.host))];
  const shims = c.shimPolicy ? placeShims(shimTargets(c.shimPolicy, writableRoots), new PathMap(pathMap), replaced) : [];
  args.push(...shimBindArgs(shims, c.wrapper));

  args.push(...isolationArgs(who.uid, who.gid));
  if (!c.network) args.push('--unshare-net');
  args.push('--die-with-parent');
  if (terminalInjectionPossible()) args.push('--new-session');

  args.push('--clearenv');
  const env = sandboxEnv({ host: c.env, home, user: who.name, wrapper: wrapperInside, sessionFd: c.sessionFd, sessionDir: SANDBOX_SESSION_DIR, pass: c.passEnv });
  for (const [k, v] of Object.entries(env)) args.push('--setenv', k, v);
  const backstop = c.backstop ?? false;
  // Through the init either way: it also closes every fd but the stdio and
  // the session, which bwrap would pass on.
  args.push('--chdir', c.cwd, '--', wrapperInside, backstop ? INIT_ARG : INIT_PLAIN_ARG, '/bin/bash', ...c.bashArgs);
  return { file: 'bwrap', args, pathMap, writableRoots, files, uid: who.uid, user: who.name, shims, replaced: [...replaced], backstop };
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
}

/** Canonical paths of the bwrap programs the sandbox's PATH (and /usr/bin)
 * would find, where the sandbox sees them (bound from the host). */
function bwrapsOnPath(pathVar: string | undefined, pathMap: PathMapping[]): string[] {
  const found = new Set<string>();
  for (const dir of [...(pathVar ?? '').split(':'), '/usr/bin']) {
    if (!isAbsolute(dir)) continue;
    try {
      const real = realpathSync(join(dir, 'bwrap'));
      if (statSync(real).isFile() && pathMap.some((m) => !m.writable && m.sandbox === m.host && under(real, m.host))) found.add(real);
    } catch {
      // no bwrap there
    }
  }
  return [...found];
}

export interface SandboxEnvOptions {
  host: NodeJS.ProcessEnv;
  home: string;
  /** USER and LOGNAME. */
  user: string;
  /** The wrapper's path inside. */
  wrapper: string;
  sessionFd: number;
  /** The session directory's path inside, or null. */
  sessionDir: string | null;
  /** --pass-env values (checked by pass-env.ts). */
  pass: Record<string, string>;
}

/** The sandbox's environment: nothing from the host but the harmless
 * allowlist (no tokens, no credentials) and what the human passed by name,
 * plus what execgate needs. */
export function sandboxEnv(o: SandboxEnvOptions): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(o.host)) if (v !== undefined && nameAllowed(k, DEFAULT_ENV_ALLOW)) env[k] = v;
  const hidden = ['/home', '/root', '/tmp', '/run', o.home];
  const path = (o.host.PATH ?? '/usr/local/bin:/usr/bin:/bin')
    .split(':')
    .filter((d) => isAbsolute(d) && !hidden.some((h) => d === h || d.startsWith(`${h}/`)));
  return {
    ...env,
    ...o.pass,
    HOME: o.home,
    USER: o.user,
    LOGNAME: o.user,
    SHELL: '/bin/bash',
    PATH: [join(SANDBOX_EXECGATE_DIR, 'bin'), ...path].join(':'),
    [ENV_EXEC_WRAPPER]: o.wrapper,
    [ENV_SESSION_FD]: String(o.sessionFd),
    ...(o.sessionDir === null ? {} : { [ENV_SESSION_DIR]: o.sessionDir }),
  };
}
