// One exec: one connection from a wrapper, handled by one function that
// reads top to bottom (execgate.proto, "Sequence"):
//
//   Request -> plan -> audit -> Decision{RUN | DENY}                    done
//   Request -> plan -> audit -> SendStdio -> Stdio (+3 fds)
//           -> authorize (a human, for prompts) -> spawn on the host
//           -> (started) Decision{ESCALATE} -> forward Signal / Resize,
//              report Stop -> Exit -> audit                            done
//
// A Request with stdio_follows has its Stdio right behind it: no SendStdio
// is sent, and on Run or Deny the Stdio is dropped unread with the socket.
//
// Anything out of order, malformed, oversize or late ends this connection
// (with an audit line), never the session or the broker. The socket owns
// every fd that arrives; fds taken from a frame are closed here on every
// path; the `finally` is the one way out.
import { constants } from 'node:os';
import { crossingEnv, DEFAULT_ENV_ALLOW } from '../exec/host-env.js';
import { DeadlineError, FrameError, type FramedSocket, type OwnedFrame } from '../native/framed-socket.js';
import type { Fd } from '../native/fd.js';
import { displayBytes } from '../protocol/bytes.js';
import { STDIO_FD_COUNT } from '../protocol/limits.js';
import { Action, Kind, ProtocolError, decodeToBroker, encodeToWrapper, type ToBroker, type ToWrapper } from '../protocol/messages.js';
import { monotonicMs } from '../runtime/clock.js';
import { closePlan, type Plan } from './plan.js';
import type { ExitStatus } from '../exec/host-process.js';
import type { HostCommand, SessionContext } from './session-context.js';
import type { Reply } from './stats.js';

/** Signals a wrapper may forward to its host command. */
const FORWARDABLE = new Set(
  ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT', 'SIGTSTP', 'SIGCONT', 'SIGWINCH', 'SIGUSR1', 'SIGUSR2'].map(
    (n) => (constants.signals as Record<string, number>)[n]!,
  ),
);

/** Decision{RUN}, encoded once: it is the reply to most execs. */
const RUN = encodeToWrapper({ type: 'decision', action: Action.RUN, reason: '' });

/** Decision{ESCALATE}: the command started on the host. */
const ESCALATED = encodeToWrapper({ type: 'decision', action: Action.ESCALATE, reason: '' });

const deny = (reason: string) => encodeToWrapper({ type: 'decision', action: Action.DENY, reason });

// abort()'s reason: without one, every escalation's end (the wrapper
// closing its connection) built a DOMException, stack trace and all.
const WRAPPER_GONE = Object.freeze(new Error('the wrapper went away'));

/** authorize's signal when no human is asked: nothing cancels an answer
 * given at once. */
const NO_HUMAN = new AbortController().signal;

export async function handleExec(sock: FramedSocket, ctx: SessionContext): Promise<void> {
  let plan: Plan | null = null;
  let proc: HostCommand | null = null;
  /** Audits the started command's end, once (null: nothing to audit, or done). */
  let auditExit: ((status: ExitStatus) => void) | null = null;
  const startedAt = Date.now();
  // The connection arrived just now (the session starts its handler at once).
  const arrived = monotonicMs();
  const reply = (frame: Buffer, what: Reply) => {
    sock.send(frame);
    ctx.replied?.(what, monotonicMs() - arrived);
  };
  try {
    // The wrapper writes its request before handing us the connection:
    // usually it is all here, and the Run path never waits or watches.
    const request = expect(await read(sock, ctx.deadlines.requestMs, 'a request'), 'request');
    if (request === null) return; // the wrapper went away before asking
    const req = request.request;
    if (req.kind === Kind.NOTIFY) {
      ctx.notify(req.argc > 1 ? displayBytes(req.argv[1]!) : '');
      return reply(RUN, 'notify');
    }

    plan = ctx.plan(req);
    ctx.auditDecision(plan);
    if (plan.decision === 'run') return reply(RUN, 'run');
    if (plan.decision === 'deny') return reply(deny(plan.reason), 'deny');

    // Escalate or prompt: the stdio and the environment come first, so that
    // a human is shown exactly what would cross, and what runs is what was shown.
    const allow = [...DEFAULT_ENV_ALLOW, ...ctx.envAllow()];
    if (!req.stdioFollows) send(sock, { type: 'sendStdio', envAllow: allow });
    const stdioFrame = await read(sock, ctx.deadlines.stdioMs, 'the stdio');
    if (stdioFrame === null) return; // gone before sending its stdio
    const { stdio, fds } = takeStdio(stdioFrame);
    // The wrapper's next frame, watched for from the question on (or, with
    // no human to ask, from the spawn on: nothing stands before the command
    // but this function, and a watcher set up first would delay it).
    let next: Promise<OwnedFrame | null> | null = null;
    /** A Deny to answer with, once the caller's fds are closed: a wrapper
     * that hears it finds nothing of its request still held here. */
    let refused: string | null = null;
    try {
      const crossing = crossingEnv(stdio.env, allow);

      // While a human thinks, nothing may arrive: a frame, or the end of the
      // stream (the wrapper was killed), cancels the question. Escalate asks
      // nobody (SessionContext.authorize answers at once).
      let gone: AbortController | null = null;
      if (plan.decision === 'prompt') {
        const g = (gone = new AbortController());
        next = sock.next();
        next.then(() => g.abort(WRAPPER_GONE), () => g.abort(WRAPPER_GONE));
      }
      const verdict = await ctx.authorize(plan, crossing, gone?.signal ?? NO_HUMAN);
      if (gone?.signal.aborted) {
        const early = await next;
        early?.fds.forEach((f) => f.close());
        if (early) throw new ProtocolError(`${decodeToBroker(early.payload).type} while waiting for approval`);
        return ctx.auditCompletion(plan, { decidedBy: 'cancelled', outcome: 'denied', reason: 'the wrapper went away' });
      }
      if (!verdict.approve) {
        ctx.auditCompletion(plan, { decidedBy: verdict.by, outcome: 'denied', reason: verdict.reason });
        refused = verdict.reason;
      } else {
        try {
          proc = ctx.spawn(plan, crossing, stdio, fds);
          const spawned = proc;
          // Whatever happens to the connection from here, the command is
          // audited once; the wrapper, waiting for its Exit, hears it first.
          auditExit = (status) => {
            auditExit = null;
            ctx.auditCompletion(plan!, { decidedBy: verdict.by, outcome: 'exited', status, durationMs: Date.now() - startedAt, pid: spawned.pid ?? undefined });
          };
        } catch (err) {
          refused = `could not start on the host: ${(err as Error).message}`;
          ctx.auditCompletion(plan, { decidedBy: verdict.by, outcome: 'denied', reason: refused });
        }
      }
    } finally {
      // Never started: ours go now (a started command's, once it has them).
      if (proc === null) fds.forEach((f) => f.close());
    }
    // Not started: `refused` says why (the human's answer, or the spawn's error).
    if (proc === null) return reply(deny(refused!), 'deny');
    // Decided and handed to the host: what the broker's latency figures
    // count for an escalation (the command's own start is not the broker's).
    ctx.replied?.('escalate', monotonicMs() - arrived);

    // The command has its spec, and nothing here stands before its start:
    // the rest waits for its supervisor's word that it is about to exec
    // (or has ended), which comes while it execs. The wrapper then learns
    // that it started (before any Stop: one may come with that word), and
    // its connection is watched.
    let escalated = false;
    const tellStarted = () => {
      if (escalated) return;
      escalated = true;
      sock.send(ESCALATED);
    };
    proc.onStop = (signal) => {
      tellStarted();
      send(sock, { type: 'stop', signal });
    };
    try {
      await proc.started;
    } finally {
      // The command has its own copies now: ours go.
      fds.forEach((f) => f.close());
    }
    tellStarted();
    next ??= sock.next();

    // Forward what the wrapper receives until the command ends; if the
    // wrapper goes first, so does the command (the finally).
    for (;;) {
      const event = await Promise.race([next.then((frame) => ({ frame })), proc.exited.then((status) => ({ status }))]);
      if ('status' in event) {
        send(sock, { type: 'exit', code: event.status.code & 0xff, signal: event.status.signal });
        auditExit?.(event.status);
        return;
      }
      if (event.frame === null) return;
      const msg = expect(event.frame, 'signal', 'resize');
      if (msg?.type === 'signal' && FORWARDABLE.has(msg.signo)) proc.forward(msg.signo);
      if (msg?.type === 'resize') proc.resize(msg.winsize.rows, msg.winsize.cols);
      next = sock.next();
    }
  } catch (err) {
    if (!(err instanceof ProtocolError || err instanceof FrameError || err instanceof DeadlineError)) throw err;
    ctx.auditProtocolError(err.message, plan);
  } finally {
    if (proc) {
      const audit = auditExit;
      if (audit) proc.exited.then(audit, () => {});
      proc.terminate();
    }
    closePlan(plan);
    sock.close();
  }
}

/** The next frame, waiting at most `ms` for it: a frame already here costs
 * no timer and no watcher. */
async function read(sock: FramedSocket, ms: number, what: string): Promise<OwnedFrame | null> {
  const now = sock.take();
  if (now === 'eof') return null;
  if (now) return now;
  try {
    return await sock.next(ms);
  } catch (err) {
    if (err instanceof DeadlineError) throw new DeadlineError(`no ${what.replace(/^(a|the) /, '')} within ${ms} ms`);
    throw err;
  }
}

/** Decodes a frame that must be one of `types` and carry no fds. */
function expect<T extends ToBroker['type']>(frame: OwnedFrame | null, ...types: T[]): Extract<ToBroker, { type: T }> | null {
  if (frame === null) return null;
  try {
    if (frame.fds.length > 0) throw new ProtocolError(`${peek(frame)} carried ${frame.fds.length} fds, expected 0`);
    const msg = decodeToBroker(frame.payload);
    if (!(types as string[]).includes(msg.type)) throw new ProtocolError(`unexpected ${msg.type}, expected ${types.join(' or ')}`);
    return msg as Extract<ToBroker, { type: T }>;
  } finally {
    frame.fds.forEach((f) => f.close());
  }
}

/** The Stdio frame and its exactly three fds (closed here if it is not one). */
function takeStdio(frame: OwnedFrame): { stdio: Extract<ToBroker, { type: 'stdio' }>['stdio']; fds: Fd[] } {
  try {
    const msg = decodeToBroker(frame.payload);
    if (msg.type !== 'stdio') throw new ProtocolError(`unexpected ${msg.type}, expected stdio`);
    if (frame.fds.length !== STDIO_FD_COUNT) throw new ProtocolError(`stdio carried ${frame.fds.length} fds, expected ${STDIO_FD_COUNT}`);
    return { stdio: msg.stdio, fds: frame.fds };
  } catch (err) {
    frame.fds.forEach((f) => f.close());
    throw err;
  }
}

/** A message's name for an error, if it decodes at all. */
function peek(frame: OwnedFrame): string {
  try {
    return decodeToBroker(frame.payload).type;
  } catch {
    return 'an undecodable message';
  }
}

function send(sock: FramedSocket, m: ToWrapper): void {
  sock.send(encodeToWrapper(m));
}
