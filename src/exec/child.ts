// A child of this process started by the addon (vfork and execve:
// native/addon/spawn.cc), for the shell `execgate shell` starts and the
// broker's spawn server:
// node:child_process would cost every start-up a few ms to load (net and
// stream come with it), and forks this whole process per child where vfork
// copies no page tables. The child gets its fds by number and nothing else;
// its end is watched through a pidfd, which keeps the event loop alive until
// it has been reaped.
import { loadAddon } from '../native/addon.js';
import { Fd } from '../native/fd.js';
import { FdWatcher } from '../native/watcher.js';
import { signalName } from '../runtime/signal-names.js';

export interface ChildExit {
  /** The exit status, or null when a signal ended it. */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ChildOptions {
  /** The whole environment (undefined values are left out). */
  env: NodeJS.ProcessEnv;
  /** fds[i]: our fd the child gets as its fd i; -1: none. */
  fds: number[];
  /** A session of its own (setsid): no terminal's signals reach it. */
  newSession?: boolean;
}

export class Child {
  readonly pid: number;
  /** Resolves once the child has ended and been reaped (never rejects). */
  readonly exited: Promise<ChildExit>;
  #reaped = false;
  readonly #watcher: FdWatcher;

  /** Starts `file` (an absolute path) with `argv` (argv[0] first). Throws the
   * system error that stopped it (ENOENT, EACCES...) with nothing started. */
  constructor(file: string, argv: string[], opts: ChildOptions) {
    const addon = loadAddon();
    const env = Object.entries(opts.env).flatMap(([k, v]) => (v === undefined ? [] : [`${k}=${v}`]));
    this.pid = addon.spawn(file, argv, env, opts.fds, { newSession: opts.newSession === true });
    // Ours alone to reap, so the pid names the child until we do: the pidfd
    // cannot name anybody else, even if it exited already.
    const pidfd = new Fd(addon.pidfdOpen(this.pid));
    let resolveExit!: (exit: ChildExit) => void;
    this.exited = new Promise((resolve) => (resolveExit = resolve));
    this.#watcher = new FdWatcher(pidfd, () => {
      const status = addon.waitPid(this.pid);
      if (status === null) return;
      this.#reaped = true;
      pidfd.close();
      resolveExit({ code: status.code, signal: status.signal === null ? null : signalName(status.signal) });
    });
    this.#watcher.start(true, false);
  }

  /** Until it has ended, the child no longer keeps this process alive. */
  unref(): void {
    this.#watcher.unref();
  }

  /** It keeps this process alive again until it has ended. */
  ref(): void {
    this.#watcher.ref();
  }

  /** Sends `signal`, until the child is reaped (then its pid may be
   * someone else's: nothing is sent). */
  kill(signal: NodeJS.Signals): void {
    if (this.#reaped) return;
    try {
      process.kill(this.pid, signal);
    } catch {
      // Exited, not yet reaped: nothing to signal.
    }
  }
}
