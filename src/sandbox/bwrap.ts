// The bubblewrap sandbox: the host's file system read-only, the project
// writable at the same path, a fresh empty HOME, private /proc, /dev, /tmp
// and /run, a cleared environment, and the patched bash over /bin/bash and
// /bin/sh. Returns the bwrap argv and the path map that goes with it: every
// path bound from the host maps to itself (or to its source), nothing else.
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { DEFAULT_ENV_ALLOW, nameAllowed } from '../exec/host-env.js';
import type { PathMapping } from './path-map.js';

export interface Bind {
  src: string;
  dest: string;
}

export interface BwrapConfig {
  project: string;
  binds: Bind[];
  roBinds: Bind[];
  network: boolean;
  patchedBash: string;
  wrapper: string;
  sandboxBin: string;
  sessionFd: number;
  /** argv for bash inside (after the bash path). */
  bashArgs: string[];
  cwd: string;
  env: NodeJS.ProcessEnv;
  /** Directories to hide even if they lie in a bound tree (control sockets). */
  hide: string[];
}

export interface BwrapLaunch {
  file: string;
  args: string[];
  pathMap: PathMapping[];
}

/** Inside the sandbox, execgate's own parts live here (a tmpfs root entry). */
export const SANDBOX_EXECGATE_DIR = '/.execgate';

/** Top-level entries never bound from the host: replaced or private. */
const REPLACED = new Set(['proc', 'dev', 'tmp', 'home', 'root', 'run', 'lost+found']);

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

export function bwrapLaunch(c: BwrapConfig): BwrapLaunch {
  const args: string[] = ['--tmpfs', '/'];
  const pathMap: PathMapping[] = [];
  for (const name of readdirSync('/')) {
    if (REPLACED.has(name)) continue;
    const path = `/${name}`;
    const st = lstatSync(path);
    if (st.isSymbolicLink()) args.push('--symlink', readlinkSync(path), path);
    else args.push('--ro-bind', path, path);
    pathMap.push({ sandbox: path, host: path });
  }
  args.push('--proc', '/proc', '--dev', '/dev', '--tmpfs', '/tmp', '--tmpfs', '/run', '--tmpfs', '/home', '--dir', '/root');
  // /etc/resolv.conf often points into /run: keep name resolution working.
  try {
    const resolv = realpathSync('/etc/resolv.conf');
    if (resolv.startsWith('/run/')) args.push('--ro-bind', resolv, resolv);
  } catch {
    // no resolv.conf: nothing to keep
  }
  const home = homedir();
  args.push('--tmpfs', home);
  for (const dir of c.hide) if (existsSync(dir)) args.push('--tmpfs', dir);

  args.push('--bind', c.project, c.project);
  pathMap.push({ sandbox: c.project, host: c.project });
  for (const b of c.roBinds) {
    args.push('--ro-bind', b.src, b.dest);
    pathMap.push({ sandbox: b.dest, host: b.src });
  }
  for (const b of c.binds) {
    args.push('--bind', b.src, b.dest);
    pathMap.push({ sandbox: b.dest, host: b.src });
  }

  // execgate's own parts, and the patched shell wherever a shell is looked for.
  const wrapperInside = join(SANDBOX_EXECGATE_DIR, 'execgate-wrapper');
  args.push('--dir', SANDBOX_EXECGATE_DIR, '--ro-bind', c.wrapper, wrapperInside, '--ro-bind', c.sandboxBin, join(SANDBOX_EXECGATE_DIR, 'bin'));
  for (const shell of ['/usr/bin/bash', '/usr/bin/sh', '/bin/bash', '/bin/sh']) {
    if (existsSync(shell) && !(lstatSync('/bin').isSymbolicLink() && shell.startsWith('/bin/'))) args.push('--ro-bind', c.patchedBash, shell);
  }

  if (!c.network) args.push('--unshare-net');
  args.push('--unshare-pid', '--unshare-ipc', '--unshare-uts', '--unshare-cgroup-try', '--die-with-parent');
  if (terminalInjectionPossible()) args.push('--new-session');

  args.push('--clearenv');
  const env = sandboxEnv(c.env, home, wrapperInside, c.sessionFd);
  for (const [k, v] of Object.entries(env)) args.push('--setenv', k, v);
  args.push('--chdir', c.cwd, '--', '/bin/bash', ...c.bashArgs);
  return { file: 'bwrap', args, pathMap };
}

/** The sandbox's environment: nothing from the host but the harmless
 * allowlist (no tokens, no credentials), plus what execgate needs. */
export function sandboxEnv(host: NodeJS.ProcessEnv, home: string, wrapper: string, sessionFd: number): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(host)) if (v !== undefined && nameAllowed(k, DEFAULT_ENV_ALLOW)) env[k] = v;
  const user = safeUser();
  const hidden = ['/home', '/root', '/tmp', '/run', home];
  const path = (host.PATH ?? '/usr/local/bin:/usr/bin:/bin')
    .split(':')
    .filter((d) => isAbsolute(d) && !hidden.some((h) => d === h || d.startsWith(`${h}/`)));
  return {
    ...env,
    HOME: home,
    USER: user,
    LOGNAME: user,
    SHELL: '/bin/bash',
    PATH: [join(SANDBOX_EXECGATE_DIR, 'bin'), ...path].join(':'),
    EXEC_WRAPPER: wrapper,
    EXECGATE_SOCKET: String(sessionFd),
  };
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'user';
  }
}
