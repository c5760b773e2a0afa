// The native addon (native/addon/*.cc, built to build/native/execgate.node):
// only the syscalls Node lacks, on plain fd numbers. Everything else, fd
// ownership included (src/native/fd.ts), is TypeScript.
//
// Conventions of every function below:
//  * Never blocks: send and recv always pass MSG_DONTWAIT, whatever the fd's
//    O_NONBLOCK flag; nothing runs on the libuv threadpool.
//  * System errors look like Node's own: an Error with code ('EAGAIN'), errno
//    (negative, as libuv: -11), syscall ('recvmsg') and the message
//    'EAGAIN: resource temporarily unavailable, recvmsg' (see SystemError).
//  * Bad arguments throw a TypeError with code ERR_INVALID_ARG_TYPE or
//    ERR_INVALID_ARG_VALUE.
//  * Every fd handed out (socketpair ends, received fds) is close-on-exec and
//    has exactly one owner: the caller.
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { addonPath, packageRoot } from './paths.js';

/** The most fds one send may carry, and recv may keep (fdpass.h EG_MAX_FDS). */
export const MAX_FDS = 8;
/** recv's maxBytes cap. The protocol's largest frame is 4 MiB. */
export const MAX_RECV_BYTES = 8 * 1024 * 1024;

export type SocketPairType = 'seqpacket' | 'stream';
export type SocketType = 'stream' | 'seqpacket' | 'dgram' | 'other' | 'not-a-socket';

/** What the addon's system errors carry (the shape of Node's own). */
export interface SystemError extends Error {
  code: string;
  /** Negative, as libuv and Node: -11 for EAGAIN. */
  errno: number;
  syscall: string;
}

export function isSystemError(err: unknown, code?: string): err is SystemError {
  return (
    err instanceof Error &&
    typeof (err as Partial<SystemError>).code === 'string' &&
    typeof (err as Partial<SystemError>).errno === 'number' &&
    typeof (err as Partial<SystemError>).syscall === 'string' &&
    (code === undefined || (err as SystemError).code === code)
  );
}

export interface RecvResult {
  /** What arrived; length 0 means EOF (or an empty seqpacket message). */
  data: Buffer;
  /** Received fds, close-on-exec, now owned by the caller (at most maxFds). */
  fds: number[];
  /** fds closed on arrival: those beyond maxFds, or all of them when the
   * kernel truncated the control data (then excess is one more than it closed,
   * so it is > 0 even if none arrived). Treat > 0 as a protocol error. */
  excess: number;
  /** A seqpacket/datagram message was longer than maxBytes; its tail is lost
   * (MSG_TRUNC). Never set on a stream. Treat as a protocol error. */
  truncated: boolean;
}

export interface WatchEvent {
  /** Something to recv: data, EOF, or a pending error. Only if asked for. */
  readable: boolean;
  /** Room to send. Only if asked for. */
  writable: boolean;
  /** The peer closed or shut down its writing side. Permanent: once true,
   * true in every later event; reported even by start(false, false). */
  hangup: boolean;
  /** 0, or a negative errno: the socket's pending error (e.g. ECONNRESET:
   * the peer closed with data unread; reading it clears it), EBADF if the fd
   * went away. The watcher has stopped itself; start() resumes. */
  error: number;
}

export type WatchCallback = (this: Watcher, event: WatchEvent) => void;

/** Readiness of one fd on Node's event loop (an entry in one epoll set per
 * loop, which libuv polls). At most one open watcher per fd (a second one
 * throws EEXIST). The watcher never closes the
 * fd and leaves its O_NONBLOCK flag alone, but the fd must stay open while the
 * watcher is: close the watcher first (FdWatcher in watcher.ts does). */
export interface Watcher {
  /** (Re)arms for the given interests; start(false, false) watches for
   * hangup only (and, once hangup was reported, has nothing left to watch:
   * the watcher stays inactive). Level-triggered: readable fires until recv
   * drains to EAGAIN or EOF, writable while there is room. Costs nothing
   * when it asks for what is already being watched. Throws EBADF if the fd
   * was closed, ERR_INVALID_STATE if the watcher is closed or the fd number
   * now names another file. */
  start(readable: boolean, writable: boolean): void;
  /** Stops polling; start() resumes. Idempotent. */
  stop(): void;
  /** Takes the fd out of the set; never closes the fd. Idempotent, safe inside
   * the callback; a closed watcher never keeps the process alive. */
  close(): void;
  /** From now on, polling does not keep the process alive: the loop may end
   * while it polls. Idempotent. */
  unref(): void;
  /** Undoes unref(): polling keeps the process alive again. Idempotent. */
  ref(): void;
  // A started watcher keeps the process alive until it is stopped or closed
  // (or unref() was called).
  readonly fd: number;
  /** Started and not stopped (by stop(), an error, or hangup with nothing
   * else to watch). */
  readonly active: boolean;
  readonly closed: boolean;
}

export interface WatcherConstructor {
  /** onEvent runs in a callback scope whose async resource is the watcher
   * (microtasks and nextTicks run after it; AsyncLocalStorage sees the store
   * where the watcher was made; a throw goes to 'uncaughtException'), with
   * `this` = the watcher. */
  new (fd: number, onEvent: WatchCallback): Watcher;
}

/** One exec the seccomp backstop holds (SeccompListener.take). Everything
 * in it was read from the sandbox, from a process whose other threads may
 * rewrite it meanwhile: untrusted and racy (a Run or Deny on it is a
 * convenience). */
export interface SeccompNotification {
  /** For respond. */
  id: bigint;
  /** The process, in the broker's pid namespace. */
  pid: number;
  /** A number for anything the filter should never have sent (another
   * system call or architecture): refuse it. */
  syscall: 'execve' | 'execveat' | number;
  /** The program path as the caller passed it, or null (pathError says why:
   * 'EFAULT' unreadable, 'ENAMETOOLONG'; the kernel would fail the same). */
  path: Buffer | null;
  pathError: string | null;
  /** The directory a relative path starts from (the caller's cwd, or
   * execveat's dirfd), as /proc shows it inside the sandbox; with emptyPath,
   * the file itself (fexecve). null when path is absolute or it is unknown. */
  base: Buffer | null;
  /** execveat(fd, "", ..., AT_EMPTY_PATH): the program is base. */
  emptyPath: boolean;
  /** Where argv is in the process, for readContext. */
  argvAddress: bigint;
}

/** argv (bounded) and the working directory of an exec, racy as the rest. */
export interface SeccompContext {
  argv: Buffer[];
  /** false when cut at the bounds or unreadable. */
  argvComplete: boolean;
  /** As /proc shows it inside the sandbox, or null. */
  cwd: Buffer | null;
}

/** A run the listener's thread let through by itself (the run table allowed
 * it), with what the audit line needs. */
export type SeccompRecord = SeccompNotification & SeccompContext;

/** A seccomp backstop's listener (native/addon/seccomp.cc): a thread of its
 * own receives every notified exec and reads what it names; those the run
 * table lets run it continues at once (queuing a record when the table says
 * RECORD); the rest wait for take() and respond(). onReady runs on the event
 * loop (coalesced) when there is something to take, or when the thread
 * ended (the sandbox is gone, or failure says why). Never closes fd: close()
 * the listener before the fd (Fd.attach does). */
export interface SeccompListener {
  /** The run table's bytes (execgate.proto, "Run table"); false if they do
   * not parse (then nothing runs without JS). */
  setTable(table: Buffer): boolean;
  take(): SeccompNotification | null;
  takeRecord(): SeccompRecord | null;
  /** Records dropped (the queue was full) since the last call. */
  takeDropped(): number;
  /** For a taken exec: argv within maxBytes (counted as execve counts:
   * bytes + 9 each, <= 4 MiB) and maxCount strings, and the cwd. null when
   * the process no longer waits. */
  readContext(n: SeccompNotification, maxBytes: number, maxCount: number): SeccompContext | null;
  /** Answers a taken exec: errno 0 lets it continue, 1..4095 makes it fail
   * with that errno. false when the process no longer waits (killed, or
   * answered already). */
  respond(id: bigint, errno: number): boolean;
  /** Stops the thread (joined); idempotent. */
  close(): void;
  readonly ended: boolean;
  /** The system error that stopped the thread, or null. */
  readonly failure: SystemError | null;
  readonly closed: boolean;
}

/** A SeccompListener's bounds (src/protocol/limits.ts says why). */
export interface SeccompListenerLimits {
  /** argv read for a record: bytes as execve counts them (<= 4 MiB), and strings. */
  maxArgvBytes: number;
  maxArgvCount: number;
  /** Execs waiting for JS at once (1..65536); beyond, the thread stops
   * receiving until JS takes some (the rest wait in the kernel). */
  maxPending: number;
  /** Records waiting for JS (0..65536); beyond, dropped and counted. */
  maxRecords: number;
}

export interface SeccompListenerConstructor {
  /** `table`: the run table the thread starts with (setTable replaces it). */
  new (fd: number, table: Buffer, onReady: () => void, limits: SeccompListenerLimits): SeccompListener;
}

export interface Addon {
  /** AF_UNIX socketpair; both ends close-on-exec and blocking. */
  socketpair(type: SocketPairType): [number, number];
  /** close(2); throws EBADF etc. like Node (EINTR counts as closed). */
  close(fd: number): void;
  /** One sendmsg (MSG_NOSIGNAL | MSG_DONTWAIT), fds on the first byte (at
   * most MAX_FDS, and only with data). Returns the bytes sent: on a stream
   * possibly fewer than data.length (send the rest without the fds). Throws
   * EAGAIN when nothing could be sent, EPIPE when the peer is gone, EMSGSIZE
   * for a seqpacket message over the socket's send buffer (~208 KiB). */
  send(fd: number, data: Uint8Array, fds?: number[]): number;
  /** One recvmsg (MSG_CMSG_CLOEXEC | MSG_DONTWAIT). null on EAGAIN.
   * 1 <= maxBytes <= MAX_RECV_BYTES, 0 <= maxFds <= MAX_FDS. */
  recv(fd: number, maxBytes: number, maxFds: number): RecvResult | null;
  /** What the fd is (SO_TYPE alone); throws EBADF for a closed fd. */
  socketType(fd: number): SocketType;
  /** An AF_UNIX socket bound at path and listening (close-on-exec,
   * non-blocking). A path too long for sun_path is ENAMETOOLONG, never
   * truncated; EADDRINUSE if something is there. 1 <= backlog <= 4096. */
  listen(path: string, type: SocketPairType, backlog: number): number;
  /** One accept4 (close-on-exec, blocking: send and recv never wait anyway);
   * null when nobody is waiting (or the peer already gave up). */
  accept(fd: number): number | null;
  /** A connected AF_UNIX socket (close-on-exec, blocking). Never waits: a
   * listener with a full backlog is EAGAIN, none is ECONNREFUSED/ENOENT. */
  connect(path: string, type: SocketPairType): number;
  /** Has the peer closed (or shut down its writing side)? One poll(2), no
   * wait: on a seqpacket socket it tells an empty message from the end. */
  hangup(fd: number): boolean;
  /** Who is on the other end of a unix socket (SO_PEERCRED): the process
   * that connected, in our pid namespace. */
  peerCredentials(fd: number): { pid: number; uid: number; gid: number };
  /** A pidfd for pid (close-on-exec): readable once that process exited.
   * ESRCH if it is gone already. */
  pidfdOpen(pid: number): number;
  /** vfork and execve of `file` (absolute, no PATH search) with `argv`
   * (argv[0] first) and `env` ("NAME=value"): the child's fd i is our
   * fds[i], or closed for -1; it has no fd from fds.length up (each is
   * closed before the exec, inherited ones included). Every
   * signal (1-64) at its default and none blocked in the child. Returns its
   * pid; throws when it could not start (syscall "execve": ENOENT,
   * EACCES...; "vfork"), with nothing left to reap.
   * newSession: the child leads a session of its own (setsid, as
   * child_process's `detached`): no terminal's signals reach it.
   * The caller reaps it (waitPid). */
  spawn(file: string, argv: string[], env: string[], fds: number[], options?: { newSession?: boolean }): number;
  /** One waitpid(WNOHANG): null while `pid` runs, else how it ended (it is
   * reaped): an exit code, or the number of the signal that killed it. */
  waitPid(pid: number): { code: number; signal: null } | { code: null; signal: number } | null;
  SeccompListener: SeccompListenerConstructor;
  Watcher: WatcherConstructor;
  readonly MAX_FDS: number;
  readonly MAX_RECV_BYTES: number;
}

const FUNCTIONS = ['socketpair', 'close', 'send', 'recv', 'socketType', 'listen', 'accept', 'connect', 'hangup', 'peerCredentials', 'pidfdOpen', 'spawn', 'waitPid', 'SeccompListener', 'Watcher'];

let loaded: { path: string; addon: Addon } | undefined;

/** Loads the addon (once per path). Throws a clear error when it is not built
 * or does not match this source. */
export function loadAddon(path: string = addonPath): Addon {
  if (loaded?.path === path) return loaded.addon;
  if (!existsSync(path)) {
    throw new Error(
      `execgate's native addon is not built: ${path} is missing.\n` +
        `Run \`npm install\` (or \`npm run build:native\`) in ${packageRoot}; ` +
        'it needs cmake, a C/C++ compiler and the Node headers.',
    );
  }
  let mod: unknown;
  try {
    mod = createRequire(import.meta.url)(path);
  } catch (cause) {
    throw new Error(
      `execgate's native addon ${path} failed to load: ${(cause as Error).message}\n` +
        'Rebuild it with `npm run build:native` (it must be built for this Node and platform).',
      { cause },
    );
  }
  const m = mod as Record<string, unknown>;
  const missing = FUNCTIONS.filter((name) => typeof m[name] !== 'function');
  if (missing.length > 0 || m.MAX_FDS !== MAX_FDS || m.MAX_RECV_BYTES !== MAX_RECV_BYTES) {
    throw new Error(
      `execgate's native addon ${path} does not match this source` +
        (missing.length > 0 ? ` (missing: ${missing.join(', ')})` : ' (limits differ)') +
        '; rebuild it with `npm run build:native`.',
    );
  }
  const addon = mod as Addon;
  loaded = { path, addon };
  return addon;
}
