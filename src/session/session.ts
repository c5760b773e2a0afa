// A session: one sandboxed shell and everything it may use to reach the
// broker. The shell holds one end of a seqpacket socketpair (fd 87); the
// session directory holds `sock`, a listening socket for clients that lost
// fd 87 (execgate.proto, "Transport"). Both carry the same datagrams:
// "EXG1" + a connection fd (one exec), "EXR1" + a record of a run the
// wrapper did by itself; and once, first on fd 87 from the sandbox's init,
// "EXN1" + the seccomp backstop's listener (or why there is none). The
// session is known by which socket was reached.
//
// The session owns its sockets, its connections and the host commands they
// started, and ends them all when it ends: when its owner closes it (the
// shell `execgate shell` started exited) or when the process it was bound
// to exits (endWith: the launcher that became the shell). Not when fd 87
// is closed: agent harnesses close it in the shells they start, and those
// reach the session by its path.
import { mkdtempSync } from 'node:fs';
import { join } from 'node:path';
import { publishFile } from '../runtime/publish-file.js';
import { removeDir } from '../runtime/remove-dir.js';
import { loadAddon, type Addon } from '../native/addon.js';
import { Fd } from '../native/fd.js';
import { ByteBudget, FramedSocket } from '../native/framed-socket.js';
import { FdWatcher } from '../native/watcher.js';
import { HELLO_CONNECTION, HELLO_RECORD, HELLO_SECCOMP, RUN_TABLE_NAME, SESSION_SOCKET_NAME } from '../protocol/constants.js';
import {
  FRAME_DEADLINE_MS,
  MAX_BACKSTOP_REASON,
  MAX_CONNECTIONS_PER_SESSION,
  MAX_ENDPOINTS_PER_SESSION,
  MAX_FDS_PER_MESSAGE,
  MAX_FRAME_TO_BROKER,
  MAX_RUN_RECORD,
  MAX_SESSION_BUFFERED_BYTES,
} from '../protocol/limits.js';
import { ProtocolError, decodeRunRecord, type Request } from '../protocol/messages.js';
import { PathMap } from '../sandbox/path-map.js';
import { handleExec } from './exec-handler.js';
import type { Confinement } from './plan.js';
import type { HostCommand, SessionContext } from './session-context.js';

export interface SessionOptions {
  label: string;
  /** Sandbox paths to host paths; also given later by confine(). Until
   * then nothing maps, so nothing can be escalated. */
  pathMap?: PathMap;
}

/** What a session needs from its broker, beyond one exec's context. */
export interface SessionHost {
  context(session: Session): SessionContext;
  /** A run the wrapper did by itself (the run table allowed it). */
  record(session: Session, req: Request): void;
  /** The seccomp backstop's listener from the sandbox's init (the host now
   * owns it), or, with null, why there is none. */
  backstop(session: Session, listener: Fd | null, why: string): void;
  protocolError(session: Session, why: string): void;
  /** An error that is a bug, not the peer's doing: logged, never fatal. */
  internalError(session: Session, err: unknown): void;
}

/** One datagram socket of the session: the shell's (fd 87) or one
 * accepted on the session path. */
interface Endpoint {
  fd: Fd;
  watcher: FdWatcher;
}

/** What mediates the sandbox's execs beyond its shell (launch.ts says so
 * before the shell starts): the program shims bound inside, and whether the
 * shell starts through the init that hands over the seccomp backstop. */
export interface Mediation {
  /** Canonical host paths of the programs shimmed inside. */
  shims: ReadonlySet<string>;
  /** Canonical host paths execgate binds something else over inside. */
  replaced: ReadonlySet<string>;
  backstop: boolean;
}

/** A run record is the biggest datagram (its hello included). */
const MAX_DATAGRAM = MAX_RUN_RECORD;

export class Session {
  /** The random part of the directory's name (below). */
  readonly id: string;
  /** Set once more when a session made ahead is handed out (Broker). */
  label: string;
  private where: Confinement;
  /** Host path of the session directory (sock, table). */
  readonly dir: string;
  /** Bytes held by this session's connections together. */
  readonly budget = new ByteBudget(MAX_SESSION_BUFFERED_BYTES, 'this session');
  private readonly addon: Addon = loadAddon();
  private readonly ctx: SessionContext;
  private readonly endpoints = new Set<Endpoint>();
  private readonly listener: { fd: Fd; watcher: FdWatcher };
  private readonly connections = new Set<FramedSocket>();
  private readonly commands = new Set<HostCommand>();
  private readonly commandListeners = new Set<(cmd: HostCommand) => void>();
  private shellEnd: Fd | null;
  /** The shell's own socket (fd 87's peer): the init speaks first on it. */
  private readonly shellEndpoint: Endpoint;
  private heardFromShell = false;
  private mediated: Mediation | null = null;
  private requestCount = 0;
  private closed = false;
  private dirGone: Promise<void> | null = null;
  /** Reading what is queued before closing: records count, execs do not start. */
  private closing = false;
  private readonly closedCallbacks: (() => void)[] = [];

  /** `parentDir`: the broker's private directory; the session's own is made in it. */
  constructor(
    private readonly host: SessionHost,
    opts: SessionOptions,
    parentDir: string,
  ) {
    this.label = opts.label;
    this.where = { pathMap: new PathMap([]), writableRoots: [], project: null, readOnly: [] };
    if (opts.pathMap) this.confine(opts.pathMap);
    this.ctx = host.context(this);
    // mkdtemp picks the id (6 random characters) and picks again on a
    // clash: no generator of ours, whose node:crypto would cost every
    // start-up about 3 ms to load. Mode 0700.
    this.dir = mkdtempSync(join(parentDir, 'session-'));
    this.id = this.dir.slice(this.dir.length - 6);
    const [mine, shells] = this.addon.socketpair('seqpacket');
    this.shellEnd = new Fd(shells);
    this.shellEndpoint = this.addEndpoint(new Fd(mine));
    const listenFd = new Fd(this.addon.listen(join(this.dir, SESSION_SOCKET_NAME), 'seqpacket', 64));
    this.listener = { fd: listenFd, watcher: new FdWatcher(listenFd, () => this.acceptAll()) };
    this.listener.watcher.start(true, false);
  }

  /** Hands the shell's end to the caller, who now owns it (passes it to the
   * shell, then closes it, so that the shell's exit is our end of file). */
  takeShellEnd(): Fd {
    if (!this.shellEnd) throw new Error('the shell end was already taken');
    const fd = this.shellEnd;
    this.shellEnd = null;
    return fd;
  }

  /** Replaces the run table the wrapper reads (write, then rename: a
   * wrapper reads the old table or the new one, never half of one). */
  publishRunTable(table: Buffer): void {
    if (this.closed) return;
    publishFile(join(this.dir, RUN_TABLE_NAME), table, 0o644);
  }

  /** The sandbox this session's shell runs in: its path map (sandbox paths
   * to host paths, and which of them the sandbox can write) and its project.
   * Set once the launch is known, before the shell starts. */
  confine(pathMap: PathMap, project: string | null = null): void {
    const roots = pathMap.writableRoots();
    // Writable from the root down: nothing is contained (--sandbox none).
    const writableRoots = roots.includes('/') ? [] : roots;
    const readOnly = pathMap
      .roots()
      .filter((m) => !m.writable && writableRoots.some((r) => m.host === r || m.host.startsWith(`${r}/`)))
      .map((m) => m.host);
    this.where = { pathMap, writableRoots, project, readOnly };
  }

  /** Set once, before the shell starts (bwrap launches only). */
  mediate(m: Mediation): void {
    this.mediated = m;
  }

  /** The shims and the backstop of this sandbox, or null (no bwrap). */
  get mediation(): Mediation | null {
    return this.mediated;
  }

  /** What plans need to know of the sandbox (plan.ts). */
  get confinement(): Confinement {
    return this.where;
  }

  get pathMap(): PathMap {
    return this.where.pathMap;
  }

  /** Host directories the sandbox can write (none when nothing is contained). */
  get writableRoots(): readonly string[] {
    return this.where.writableRoots;
  }

  nextRequestId(): string {
    this.requestCount += 1;
    return `${this.id}.${this.requestCount}`;
  }

  /** A host command started for this session: ended with it. */
  own(cmd: HostCommand): void {
    this.commands.add(cmd);
    for (const l of this.commandListeners) l(cmd);
    cmd.exited.then(
      () => this.commands.delete(cmd),
      () => this.commands.delete(cmd),
    );
  }

  /** Every host command started for this session from now on, as it
   * starts (`execgate mcp` ends the ones a timed-out tool call started,
   * not those of earlier calls still running). Returns the unsubscribe. */
  onHostCommand(listener: (cmd: HostCommand) => void): () => void {
    this.commandListeners.add(listener);
    return () => this.commandListeners.delete(listener);
  }

  /** Resolves when every host command of this session has ended. */
  async settled(): Promise<void> {
    await Promise.all([...this.commands].map((c) => c.exited.catch(() => undefined)));
  }

  /** Ends the session when the process behind `pidfd` exits (the session
   * owns the pidfd from now on). */
  endWith(pidfd: Fd): void {
    if (this.closed) return pidfd.close();
    const watcher = new FdWatcher(pidfd, () => this.close());
    watcher.start(true, false);
    this.onClose(() => pidfd.close());
  }

  onClose(cb: () => void): void {
    this.closedCallbacks.push(cb);
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Ends the session: its sockets, every connection, every host command.
   * Run records still queued are read first: the audit stays complete. */
  close(): void {
    if (this.closed) return;
    this.closing = true;
    this.acceptAll();
    for (const e of [...this.endpoints]) this.drain(e, false);
    this.closed = true;
    this.listener.fd.close();
    for (const e of this.endpoints) e.fd.close();
    this.endpoints.clear();
    for (const c of this.connections) c.close();
    for (const cmd of this.commands) cmd.terminate();
    this.shellEnd?.close();
    this.shellEnd = null;
    this.dirGone = removeDir(this.dir);
    for (const cb of this.closedCallbacks) cb();
  }

  /** Resolves once the session's directory is gone (close() removes it). */
  removed(): Promise<void> {
    return this.dirGone ?? Promise.resolve();
  }

  private addEndpoint(fd: Fd): Endpoint {
    const endpoint: Endpoint = {
      fd,
      watcher: new FdWatcher(fd, (ev) => {
        this.drain(endpoint, ev.hangup);
        // A pending socket error stops the watcher; reading cleared it.
        if (!endpoint.fd.closed && !endpoint.watcher.active && !ev.hangup) endpoint.watcher.start(true, false);
      }),
    };
    this.endpoints.add(endpoint);
    endpoint.watcher.start(true, false);
    return endpoint;
  }

  private acceptAll(): void {
    for (;;) {
      let n: number | null;
      try {
        n = this.addon.accept(this.listener.fd.fd);
      } catch (err) {
        this.host.protocolError(this, `session path: ${(err as Error).message}`);
        return;
      }
      if (n === null) return;
      const fd = new Fd(n);
      if (this.endpoints.size >= MAX_ENDPOINTS_PER_SESSION) {
        fd.close();
        this.host.protocolError(this, 'too many clients on the session path at once');
        continue;
      }
      this.addEndpoint(fd);
    }
  }

  /** Reads every datagram queued on one endpoint. */
  private drain(endpoint: Endpoint, hangup: boolean): void {
    while (!this.closed && !endpoint.fd.closed) {
      let r;
      try {
        r = this.addon.recv(endpoint.fd.fd, MAX_DATAGRAM, MAX_FDS_PER_MESSAGE);
      } catch (err) {
        this.host.protocolError(this, `session socket: ${(err as Error).message}`);
        return this.endEndpoint(endpoint);
      }
      if (r === null) return;
      const fds = r.fds.map((n) => new Fd(n));
      if (r.data.length === 0 && fds.length === 0) {
        // The end of file and an empty datagram read the same: only a
        // hang-up is an end (asked afresh: the peer may have gone while we
        // read). An empty datagram is dropped and audited.
        if (hangup || this.addon.hangup(endpoint.fd.fd)) return this.endEndpoint(endpoint);
        this.host.protocolError(this, 'empty message on the session socket');
        continue;
      }
      try {
        const first = endpoint === this.shellEndpoint && !this.heardFromShell;
        if (endpoint === this.shellEndpoint) this.heardFromShell = true;
        this.onDatagram(r.data, fds, r.excess, r.truncated, first);
      } catch (err) {
        fds.forEach((f) => f.close());
        if (err instanceof ProtocolError) this.host.protocolError(this, err.message);
        else this.host.internalError(this, err);
      }
    }
  }

  private endEndpoint(endpoint: Endpoint): void {
    endpoint.fd.close();
    this.endpoints.delete(endpoint);
  }

  /** One datagram. Throws ProtocolError (its fds are then closed by the
   * caller) for anything that is not exactly a hello or a record. `first`:
   * the first datagram on the shell's own socket. */
  private onDatagram(data: Buffer, fds: Fd[], excess: number, truncated: boolean, first: boolean): void {
    if (excess > 0 || fds.length > 1) throw new ProtocolError(`hello with ${fds.length + excess} fds`);
    if (truncated) throw new ProtocolError('malformed hello');
    const hello = data.subarray(0, 4);
    // The init speaks first, before anything of the agent runs: a listener
    // from anyone later (or from a sandbox without an init) is refused.
    const init = first && this.mediated?.backstop === true;
    if (hello.equals(HELLO_SECCOMP)) {
      if (!init) throw new ProtocolError('seccomp listener from something other than the sandbox\'s init');
      const [fd] = fds;
      if (fd !== undefined && data.length !== 4) throw new ProtocolError('malformed hello');
      if (fd !== undefined) return this.host.backstop(this, fd, '');
      return this.host.backstop(this, null, data.subarray(4, 4 + MAX_BACKSTOP_REASON).toString('utf8') || 'no reason given');
    }
    if (init) this.host.backstop(this, null, 'the sandbox\'s init did not hand over a listener');
    if (hello.equals(HELLO_CONNECTION)) {
      const [fd] = fds;
      if (fd === undefined) throw new ProtocolError('hello without a connection fd');
      if (data.length !== 4) throw new ProtocolError('malformed hello');
      if (this.addon.socketType(fd.fd) !== 'stream') throw new ProtocolError('connection fd is not a stream socket');
      if (this.connections.size >= MAX_CONNECTIONS_PER_SESSION) throw new ProtocolError('too many connections at once');
      // Too late to start an exec: its wrapper sees the end and fails closed.
      if (this.closing) return fd.close();
      return this.startExec(fd);
    }
    if (hello.equals(HELLO_RECORD)) {
      if (fds.length > 0) throw new ProtocolError('run record with an fd');
      return this.host.record(this, decodeRunRecord(data.subarray(4)));
    }
    throw new ProtocolError(fds.length === 0 ? 'hello without a connection fd' : 'malformed hello');
  }

  private startExec(fd: Fd): void {
    const sock = new FramedSocket(fd, { maxFrame: MAX_FRAME_TO_BROKER, budget: this.budget, frameDeadlineMs: FRAME_DEADLINE_MS });
    this.connections.add(sock);
    handleExec(sock, this.ctx)
      .catch((err: unknown) => this.host.internalError(this, err))
      .finally(() => this.connections.delete(sock));
  }
}
