// The broker's spawn server: one `execgate-spawn` per Spawner (per broker),
// started at the first escalation and again at the next one after it died,
// and every command started through it, until close() has seen them all end.
// spawn-protocol.ts describes what goes over the sockets.
import { closeSync, openSync } from 'node:fs';
import { isSystemError, loadAddon, type Addon } from '../native/addon.js';
import { Fd } from '../native/fd.js';
import { spawnHelperPath } from '../native/paths.js';
import { FdWatcher } from '../native/watcher.js';
import { Child } from './child.js';
import { HostProcess } from './host-process.js';
import { COMMAND_MESSAGE, SPARE_MESSAGE } from './spawn-protocol.js';
import { encodeSpawnSpec, type HostCommand } from './spawn-spec.js';

export interface SpawnerOptions {
  /** The server binary (default: the build's execgate-spawn). */
  helperPath?: string;
  addon?: Addon;
}

/** send errors that mean the server is gone (the message did not arrive). */
const SERVER_GONE = new Set(['EPIPE', 'ECONNRESET', 'ECONNREFUSED', 'ENOTCONN']);

interface Server {
  child: Child;
  /** Our end of the server socket. */
  sock: Fd;
  /** Takes the server's offers as they come, and waits for room while
   * messages are queued. Unref'd: an idle server keeps nobody alive. */
  watcher: FdWatcher;
  gone: Promise<void>;
}

export class Spawner {
  readonly #helperPath: string;
  readonly #addon: Addon;
  #server: Server | null = null;
  /** Commands started and not yet ended. */
  readonly #live = new Set<HostProcess>();
  /** Supervisor ends of control channels the server socket had no room for,
   * in order (owned here until sent). */
  readonly #queue: Fd[] = [];
  /** The channel of the spare the server offered, taken off the socket as
   * soon as it came: a unix socket left in flight (queued in a socket,
   * unreceived) makes the kernel queue its fd garbage collector on every
   * close of any unix socket, a kworker wake-up each (1.5 of them per
   * escalation here, of 3). Watched from then on: its end means the spare
   * died, and the watcher, made while nothing waits, is the command's once
   * a spec goes on the channel. */
  #spare: { fd: Fd; watcher: FdWatcher } | null = null;
  #closed = false;

  constructor(opts: SpawnerOptions = {}) {
    this.#helperPath = opts.helperPath ?? spawnHelperPath;
    this.#addon = opts.addon ?? loadAddon();
  }

  /** Whether the channel of a spare is held here, received off the server
   * socket (for tests and diagnostics). */
  get spareHeld(): boolean {
    return this.#spare !== null;
  }

  /** The server's pid, if one is running (for tests and diagnostics). */
  get serverPid(): number | null {
    return this.#server?.child.pid ?? null;
  }

  /** Starts cmd with the caller's stdio in the pinned directory cwd. Checks
   * the whole command first and throws (a SpawnSpecError, or the system
   * error that stopped it) before anything is started. The fds stay the
   * caller's: the command got its own copies. */
  spawn(cmd: HostCommand, stdio: [Fd, Fd, Fd], cwd: Fd): HostProcess {
    if (this.#closed) throw Object.assign(new Error('the spawner is closed'), { code: 'ERR_INVALID_STATE' });
    const spec = encodeSpawnSpec(cmd);
    // Throws if any of them is closed already.
    const fds = [cwd.fd, stdio[0].fd, stdio[1].fd, stdio[2].fd];
    this.#ensureServer();
    let channel: { mine: Fd; sent: number; watcher?: FdWatcher } | null = this.#toSpare(spec, fds);
    if (!channel) {
      const [mine, theirs] = this.#addon.socketpair('stream').map((n) => new Fd(n)) as [Fd, Fd];
      try {
        // A fresh socket: the fds and the spec's first bytes always fit.
        channel = { mine, sent: this.#addon.send(mine.fd, spec, fds) };
        this.#deliver(theirs);
      } catch (err) {
        mine.close();
        theirs.close();
        throw err;
      }
    }
    const { mine, sent, watcher } = channel;
    const proc = new HostProcess(this.#addon, mine, cmd.tty !== null, spec.subarray(sent), watcher);
    this.#live.add(proc);
    void proc.exited.then(() => this.#live.delete(proc));
    return proc;
  }

  /** Waits until every command started here has ended, then ends the
   * server. spawn() refuses from now on. */
  async close(): Promise<void> {
    this.#closed = true;
    while (this.#live.size > 0) await Promise.all([...this.#live].map((p) => p.exited));
    this.#spare?.fd.close();
    this.#spare = null;
    const server = this.#server;
    if (server) {
      this.#drop(server);
      // Ours to wait for now (it exits at once: its socket is closed).
      server.child.ref();
      await server.gone;
    }
  }

  /** Sends the spec to the spare the server offered, if one is waiting and
   * alive: its channel and how much of the spec went; null otherwise (a
   * dead spare's channel is closed and a newer offer tried). */
  #toSpare(spec: Buffer, fds: number[]): { mine: Fd; sent: number; watcher: FdWatcher } | null {
    // An offer the watcher has not seen yet is as good (while one is held,
    // the server makes no other).
    if (!this.#spare) this.#takeOffers();
    for (;;) {
      const spare = this.#spare;
      if (!spare) return null;
      this.#spare = null;
      const { fd: mine, watcher } = spare;
      try {
        // A channel nobody wrote to yet: the fds and the spec's first bytes fit.
        return { mine, sent: this.#addon.send(mine.fd, spec, fds), watcher };
      } catch (err) {
        mine.close();
        // Killed while it waited: a newer offer, or a fresh supervisor.
        if (isSystemError(err) && SERVER_GONE.has(err.code)) {
          this.#takeOffers();
          continue;
        }
        throw err;
      }
    }
  }

  /** Receives every offer queued on the server socket (one non-blocking
   * recv each); the last good one is the spare. false once the server's
   * end is closed. */
  #takeOffers(): boolean {
    const server = this.#server;
    if (!server) return false;
    for (;;) {
      let offer;
      try {
        offer = this.#addon.recv(server.sock.fd, SPARE_MESSAGE.length, 1);
      } catch {
        return false; // the server is gone: its exit drops it
      }
      if (offer === null) return true;
      if (offer.data.length === 0) return false;
      const got = offer.fds.map((n) => new Fd(n));
      if (!offer.data.equals(SPARE_MESSAGE) || got.length !== 1 || offer.excess > 0) {
        got.forEach((f) => f.close());
        continue;
      }
      this.#spare?.fd.close();
      this.#spare = this.#watchSpare(got[0]!);
    }
  }

  /** A spare's channel, armed as its command's will be (readable): a spare
   * says nothing before its spec, so any event while it waits is its end
   * (killed), and the channel goes. Unref'd: a waiting spare keeps nobody
   * alive. Null (the channel closed: the spare exits) if it cannot be
   * watched; a command then gets a supervisor of its own. */
  #watchSpare(fd: Fd): { fd: Fd; watcher: FdWatcher } | null {
    try {
      const spare = {
        fd,
        watcher: new FdWatcher(fd, () => {
          if (this.#spare === spare) this.#spare = null;
          fd.close();
        }),
      };
      spare.watcher.unref();
      spare.watcher.start(true, false);
      return spare;
    } catch {
      fd.close();
      return null;
    }
  }

  #ensureServer(): Server {
    if (this.#server) return this.#server;
    // Started by the addon, not node:child_process: loading that (net and
    // stream come with it) was a third of the first escalation's 15 ms. A
    // session of its own, so that a terminal's ^C never reaches it; it
    // throws at once when the binary cannot run (ENOENT, EACCES).
    const devNull = openSync('/dev/null', 'r+');
    let mine: Fd;
    let child: Child;
    try {
      const pair = this.#addon.socketpair('seqpacket').map((n) => new Fd(n)) as [Fd, Fd];
      mine = pair[0];
      try {
        child = new Child(this.#helperPath, [this.#helperPath], { env: {}, fds: [devNull, devNull, 2, pair[1].fd], newSession: true });
      } catch (err) {
        mine.close();
        throw err;
      } finally {
        pair[1].close();
      }
    } finally {
      closeSync(devNull);
    }
    // Running commands keep the broker alive, an idle server does not.
    child.unref();
    const server: Server = {
      child,
      sock: mine,
      watcher: new FdWatcher(mine, (ev) => {
        // The end of file: the server is gone (its exit drops it).
        if (ev.readable && !this.#takeOffers()) return server.watcher.stop();
        if (ev.writable) this.#flush();
      }),
      gone: child.exited.then(() => {}),
    };
    server.watcher.unref();
    this.#server = server;
    this.#arm();
    void server.gone.then(() => {
      this.#drop(server);
      // Messages it never took go to the next one.
      if (this.#queue.length > 0 && !this.#closed) this.#flush();
    });
    return server;
  }

  /** Forgets a server; closing our end tells it to exit. */
  #drop(server: Server): void {
    if (this.#server === server) this.#server = null;
    server.sock.close();
  }

  /** Hands a control channel's supervisor end to the server, or queues it
   * behind those waiting. Throws (theirs still ours to close) only when no
   * server can take it. */
  #deliver(theirs: Fd): void {
    if (this.#queue.length === 0 && this.#sendOne(theirs)) return;
    this.#queue.push(theirs);
    this.#arm();
  }

  /** true: sent (and closed); false: no room now. */
  #sendOne(theirs: Fd): boolean {
    for (let attempt = 0; ; attempt++) {
      const server = this.#ensureServer();
      try {
        this.#addon.send(server.sock.fd, COMMAND_MESSAGE, [theirs.fd]);
        theirs.close();
        return true;
      } catch (err) {
        if (isSystemError(err, 'EAGAIN')) return false;
        // Died since its last message: this one never arrived, so the next
        // server can have it.
        if (isSystemError(err) && SERVER_GONE.has(err.code) && attempt === 0) {
          this.#drop(server);
          continue;
        }
        throw err;
      }
    }
  }

  #flush(): void {
    while (this.#queue.length > 0) {
      let sent;
      try {
        sent = this.#sendOne(this.#queue[0]!);
      } catch {
        // No server will start: the commands waiting end as lost (their
        // HostProcesses see their channels close).
        for (const fd of this.#queue.splice(0)) fd.close();
        return;
      }
      if (!sent) break;
      this.#queue.shift();
    }
    this.#arm();
  }

  /** Offers are always taken; room is waited for while messages queue. */
  #arm(): void {
    const server = this.#server;
    if (!server || server.sock.closed) return;
    server.watcher.start(true, this.#queue.length > 0);
  }
}
