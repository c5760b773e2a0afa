// A session: one sandboxed shell's socket. The shell holds one end (as fd
// $EXECGATE_SOCKET); every exec sends us, on it, the hello and one fd: its
// end of a fresh connection. Anything else that arrives is dropped (fds
// closed) and audited; the session carries on.
import { randomBytes } from 'node:crypto';
import type { Addon, Watcher } from '../native/addon.js';
import { MAX_CONNECTIONS_PER_SESSION, MAX_FDS_PER_MESSAGE, SESSION_HELLO } from '../protocol/limits.js';
import type { PathMap } from '../sandbox/path-map.js';
import { Connection } from './connection.js';
import type { SessionContext } from './session-context.js';

export interface SessionOptions {
  label: string;
  pathMap: PathMap;
}

export class Session {
  readonly id = randomBytes(4).toString('hex');
  readonly label: string;
  readonly pathMap: PathMap;
  private brokerFd: number;
  private shellFd: number;
  private readonly watcher: Watcher;
  private readonly connections = new Set<Connection>();
  private requestCount = 0;
  private closed = false;
  private readonly closedCallbacks: (() => void)[] = [];
  private readonly ctx: SessionContext;

  constructor(
    private readonly addon: Addon,
    makeContext: (session: Session) => SessionContext,
    opts: SessionOptions,
    private readonly onProtocolError: (session: Session, why: string) => void,
  ) {
    this.label = opts.label;
    this.pathMap = opts.pathMap;
    this.ctx = makeContext(this);
    [this.brokerFd, this.shellFd] = addon.socketpair('seqpacket');
    addon.setNonBlocking(this.brokerFd, true);
    this.watcher = new addon.Watcher(this.brokerFd, (ev) => {
      this.onEvent(ev.hangup);
      // A pending socket error stops the watcher; reading cleared it, so
      // keep listening unless the session ended.
      if (!this.closed && !this.watcher.active) this.watcher.start(true, false);
    });
    this.watcher.start(true, false);
  }

  /** Hands the shell's end to the caller, who now owns it (passes it to the
   * shell, then closes it, so that the shell's exit is our end of file). */
  takeShellEnd(): number {
    if (this.shellFd < 0) throw new Error('the shell end was already taken');
    const fd = this.shellFd;
    this.shellFd = -1;
    return fd;
  }

  nextRequestId(): string {
    this.requestCount += 1;
    return `${this.id}.${this.requestCount}`;
  }

  onClose(cb: () => void): void {
    this.closedCallbacks.push(cb);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Ends the session: every connection, and every escalated command. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher.close();
    for (const c of [...this.connections]) c.close();
    this.addon.close(this.brokerFd);
    this.brokerFd = -1;
    if (this.shellFd >= 0) this.addon.close(this.shellFd);
    this.shellFd = -1;
    for (const cb of this.closedCallbacks) cb();
  }

  private onEvent(hangup: boolean): void {
    // Drain: several execs may have queued their connections.
    while (!this.closed) {
      let r;
      try {
        r = this.addon.recv(this.brokerFd, SESSION_HELLO.length + 1, MAX_FDS_PER_MESSAGE);
      } catch (err) {
        this.onProtocolError(this, `session socket: ${(err as Error).message}`);
        return this.close();
      }
      if (r === null) return;
      if (r.data.length === 0 && r.fds.length === 0) {
        // Every copy of the shell's end is closed: the sandbox is gone.
        if (hangup || this.shellFd < 0) return this.close();
        return;
      }
      const [fd, ...extra] = r.fds;
      const why =
        r.excess > 0 || extra.length > 0 ? `hello with ${r.fds.length + r.excess} fds`
        : fd === undefined ? 'hello without a connection fd'
        : r.truncated || !r.data.equals(SESSION_HELLO) ? 'malformed hello'
        : this.addon.socketType(fd) !== 'stream' ? 'connection fd is not a stream socket'
        : this.connections.size >= MAX_CONNECTIONS_PER_SESSION ? 'too many connections at once'
        : null;
      if (why !== null) {
        for (const f of r.fds) this.addon.close(f);
        this.onProtocolError(this, why);
        continue;
      }
      const conn = new Connection(fd!, this.addon, this.ctx, (c) => this.connections.delete(c));
      this.connections.add(conn);
      conn.start();
    }
  }
}
