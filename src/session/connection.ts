// One exec: one connection from a wrapper. A small state machine:
//   request -> (run | deny)                                  done
//   request -> send-stdio -> stdio(+3 fds) -> [human] -> running -> exit
// Anything out of order, malformed or oversize ends this connection (with an
// audit line), never the session or the broker. Every fd received is owned
// here until it is handed to the host process and closed.
import { constants } from 'node:os';
import type { Addon, Watcher } from '../native/addon.js';
import { FrameError, FrameReader, encodeFrame } from '../protocol/frame.js';
import { MAX_FRAME_TO_BROKER, READ_CHUNK, REQUEST_DEADLINE_MS, STDIO_FD_COUNT, MAX_FDS_PER_MESSAGE } from '../protocol/limits.js';
import { Action, Kind, ProtocolError, decodeToBroker, encodeToWrapper, type Request, type Stdio, type ToWrapper } from '../protocol/messages.js';
import { displayBytes } from '../protocol/bytes.js';
import { crossingEnv, hostEnv, DEFAULT_ENV_ALLOW } from '../exec/host-env.js';
import type { HostProcess, ExitStatus } from '../exec/host-process.js';
import { pinDirectory, programIdentity } from '../exec/pin.js';
import type { FileIdentity } from '../exec/spawn-spec.js';
import { Fd } from '../native/fd.js';
import type { Plan } from './plan.js';
import type { SessionContext } from './session-context.js';

/** Signals a wrapper may forward to its host command. */
const FORWARDABLE = new Set(
  ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGTSTP', 'SIGCONT', 'SIGWINCH', 'SIGUSR1', 'SIGUSR2'].map(
    (n) => (constants.signals as Record<string, number>)[n]!,
  ),
);

type State = 'request' | 'stdio' | 'approving' | 'running' | 'closed';

/** Decision{RUN}, framed once: it is the reply to nearly every exec. */
const RUN_FRAME = encodeFrame(encodeToWrapper({ type: 'decision', action: Action.RUN, reason: '' }));

export class Connection {
  private state: State = 'request';
  private readonly reader = new FrameReader(MAX_FRAME_TO_BROKER);
  private watcher: Watcher | null = null;
  private plan: Plan | null = null;
  private proc: HostProcess | null = null;
  /** What an escalation runs in and runs, fixed at decision time. */
  private pinned: { cwd: Fd; program: FileIdentity } | null = null;
  /** Made only when a human may be asked (the Run path never needs one). */
  private abort: AbortController | null = null;
  private deadline: NodeJS.Timeout | null = null;
  private startedAt = 0;

  constructor(
    private fd: number,
    private readonly addon: Addon,
    private readonly ctx: SessionContext,
    private readonly onClosed: (c: Connection) => void,
  ) {}

  /** The wrapper usually wrote its Request before we got the fd: try to
   * read it now, and only watch the fd if it is not all there yet. */
  start(): void {
    // No O_NONBLOCK needed: the addon's recv and send never block.
    this.pump();
    if (this.state === 'closed') return;
    this.watcher = new this.addon.Watcher(this.fd, (ev) => {
      if (ev.readable || ev.hangup || ev.error) this.pump();
    });
    this.watcher.start(true, false);
    if (this.state === 'request') {
      this.deadline = setTimeout(() => this.end('no request within the deadline'), REQUEST_DEADLINE_MS);
    }
  }

  /** Ends this connection; an escalated command still running is ended too. */
  close(): void {
    if (this.state === 'closed') return;
    this.state = 'closed';
    this.abort?.abort();
    if (this.deadline) clearTimeout(this.deadline);
    this.watcher?.close();
    this.watcher = null;
    for (const fd of this.reader.takeFds()) this.closeFd(fd);
    this.pinned?.cwd.close();
    this.proc?.terminate();
    this.closeFd(this.fd);
    this.fd = -1;
    this.onClosed(this);
  }

  // A method, not a field test: handlers change the state behind TS's back.
  private isClosed(): boolean {
    return this.state === 'closed';
  }

  private pump(): void {
    while (this.state !== 'closed') {
      let r;
      try {
        r = this.addon.recv(this.fd, Math.min(Math.max(this.reader.wanted(), READ_CHUNK), MAX_FRAME_TO_BROKER + 4), MAX_FDS_PER_MESSAGE);
      } catch (err) {
        return this.end(`read failed: ${(err as Error).message}`);
      }
      if (r === null) return;
      if (r.excess > 0) {
        for (const fd of r.fds) this.closeFd(fd);
        return this.end(`too many fds in one message (${r.fds.length + r.excess})`);
      }
      if (r.data.length === 0) {
        for (const fd of r.fds) this.closeFd(fd);
        return this.end(this.reader.hasPartial() ? 'connection closed mid-frame' : null);
      }
      try {
        this.reader.push(r.data, r.fds);
        for (let f = this.reader.next(); f && !this.isClosed(); f = this.reader.next()) {
          this.onFrame(f.payload, f.fds);
        }
      } catch (err) {
        if (err instanceof FrameError || err instanceof ProtocolError) return this.end(err.message);
        throw err;
      }
    }
  }

  private onFrame(payload: Buffer, fds: number[]): void {
    const msg = decodeToBroker(payload);
    const wantFds = msg.type === 'stdio' ? STDIO_FD_COUNT : 0;
    if (fds.length !== wantFds) {
      fds.forEach((fd) => this.closeFd(fd));
      throw new ProtocolError(`${msg.type} carried ${fds.length} fds, expected ${wantFds}`);
    }
    if (msg.type === 'request' && this.state === 'request') return this.onRequest(msg.request);
    if (msg.type === 'stdio' && this.state === 'stdio') return void this.onStdio(msg.stdio, fds as [number, number, number]);
    if (msg.type === 'signal' && this.state === 'running') {
      if (FORWARDABLE.has(msg.signo)) this.proc?.forward(msg.signo);
      return;
    }
    if (msg.type === 'resize' && this.state === 'running') {
      this.proc?.resize(msg.winsize.rows, msg.winsize.cols);
      return;
    }
    fds.forEach((fd) => this.closeFd(fd));
    throw new ProtocolError(`unexpected ${msg.type} while ${this.state}`);
  }

  private onRequest(req: Request): void {
    if (this.deadline) clearTimeout(this.deadline);
    this.startedAt = Date.now();
    if (req.kind === Kind.NOTIFY) {
      this.ctx.notify(req.argv[1] ? displayBytes(req.argv[1]) : '');
      return this.finish({ type: 'decision', action: Action.RUN, reason: '' });
    }
    const plan = this.ctx.plan(req);
    this.plan = plan;
    this.ctx.auditDecision(plan);
    if (plan.decision === 'run') return this.finishWith(RUN_FRAME);
    if (plan.decision === 'deny') return this.finish({ type: 'decision', action: Action.DENY, reason: plan.reason });
    try {
      this.pinned = { cwd: pinDirectory(plan.host!.cwd).fd, program: programIdentity(plan.host!.program) };
    } catch (err) {
      return this.finish({ type: 'decision', action: Action.DENY, reason: `cannot pin the working directory or program: ${(err as Error).message}` });
    }
    this.state = 'stdio';
    this.send({ type: 'sendStdio', envAllow: [...DEFAULT_ENV_ALLOW, ...this.ctx.envAllow()] });
  }

  private async onStdio(stdio: Stdio, fds: [number, number, number]): Promise<void> {
    const plan = this.plan!;
    const allow = [...DEFAULT_ENV_ALLOW, ...this.ctx.envAllow()];
    const crossing = crossingEnv(stdio.env, allow);
    this.state = 'approving';
    this.abort = new AbortController();
    const verdict = await this.ctx.authorize(plan, crossing, this.abort.signal);
    if (this.state !== 'approving') {
      fds.forEach((fd) => this.closeFd(fd));
      return;
    }
    if (!verdict.approve) {
      fds.forEach((fd) => this.closeFd(fd));
      this.ctx.auditCompletion(plan, { decidedBy: verdict.by, outcome: 'denied', reason: verdict.reason });
      return this.finish({ type: 'decision', action: Action.DENY, reason: verdict.reason });
    }
    let proc: HostProcess;
    const stdioFds = fds.map((fd) => new Fd(fd)) as [Fd, Fd, Fd];
    try {
      proc = this.ctx.spawner.spawn(
        {
          file: plan.host!.program,
          identity: this.pinned!.program,
          argv: plan.request.argv,
          env: hostEnv(crossing),
          tty: stdio.tty ? { rows: stdio.winsize?.rows || 24, cols: stdio.winsize?.cols || 80 } : null,
          closed: stdio.closed,
        },
        stdioFds,
        this.pinned!.cwd,
      );
    } catch (err) {
      return this.finish({ type: 'decision', action: Action.DENY, reason: `could not start on the host: ${(err as Error).message}` });
    } finally {
      // The command has its own copies now (or never will): ours go.
      stdioFds.forEach((fd) => fd.close());
      this.pinned!.cwd.close();
    }
    proc.onStop = (signal) => this.send({ type: 'stop', signal });
    this.proc = proc;
    this.state = 'running';
    this.send({ type: 'decision', action: Action.ESCALATE, reason: '' });
    const status = await proc.exited;
    this.ctx.auditCompletion(plan, { decidedBy: verdict.by, outcome: 'exited', status, durationMs: Date.now() - this.startedAt, pid: proc.pid ?? undefined });
    if (this.state === 'running') this.finish({ type: 'exit', code: status.code & 0xff, signal: status.signal });
  }

  private send(m: ToWrapper): void {
    this.sendFrame(encodeFrame(encodeToWrapper(m)));
  }

  private sendFrame(frame: Buffer): void {
    try {
      // Replies are a few bytes on an otherwise idle stream: one send fits.
      if (this.addon.send(this.fd, frame) !== frame.length) this.end('short write to the wrapper');
    } catch (err) {
      this.end(`write failed: ${(err as Error).message}`);
    }
  }

  private finish(m: ToWrapper): void {
    this.finishWith(encodeFrame(encodeToWrapper(m)));
  }

  /** Sends the last reply (the Run path's is always the same bytes) and ends. */
  private finishWith(frame: Buffer): void {
    this.sendFrame(frame);
    this.close();
  }

  /** Ends the connection early: the wrapper went away (why null), or a
   * protocol violation or broken socket (audited). */
  private end(why: string | null): void {
    if (this.state === 'closed') return;
    if (why !== null) this.ctx.auditProtocolError(why, this.plan);
    this.close();
  }

  private closeFd(fd: number): void {
    if (fd < 0) return;
    try {
      this.addon.close(fd);
    } catch {
      // Already closed is a bug elsewhere, but never a reason to crash.
    }
  }
}

export type { ExitStatus };
