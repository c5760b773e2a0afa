// The seccomp backstop, the broker's half (execgate.proto, "Seccomp
// backstop"): the sandbox's init hands over a listener that holds every exec
// made without the wrapper or a shim (the exec cookie marks theirs); each
// waits until we answer. The same policy decides:
//
//   a program no rule names, default run     continue, by the listener's own
//                                            thread from the run table, with
//                                            no trip through the event loop
//                                            (recorded when auditing)
//   a program shimmed in this sandbox        continue: its shim asks
//   the real program behind a shim, by its   as the program itself (not its
//   own path (/.execgate/real/usr/bin/id)    shim): deny and run apply
//   run                                      continue
//   deny                                     EACCES
//   escalate, prompt                         EACCES: a notification never
//                                            escalates; only the wrapper and
//                                            the shims can (they can run it
//                                            on the host with the caller's
//                                            stdio; a notification cannot)
//
// What a notification names was read from the agent's process and may have
// changed since (another thread can rewrite the path after we read it): a
// continue or an EACCES here is a convenience inside the sandbox, exactly as
// the wrapper's Run and Deny are. The host is safe either way.
import { constants } from 'node:os';
import { lstatSync, readlinkSync } from 'node:fs';
import { posix } from 'node:path';
import type { AuditRecord } from '../audit/audit-log.js';
import { decisionRecord, type Who } from '../audit/records.js';
import { loadAddon, type SeccompContext, type SeccompListener, type SeccompNotification, type SeccompRecord } from '../native/addon.js';
import type { Fd } from '../native/fd.js';
import { MAX_BACKSTOP_ARGV_BYTES, MAX_BACKSTOP_ARGV_COUNT, MAX_BACKSTOP_BATCH, MAX_BACKSTOP_PENDING, MAX_BACKSTOP_RECORDS } from '../protocol/limits.js';
import { Kind, type Request } from '../protocol/messages.js';
import { mentionsProgram } from '../policy/evaluate.js';
import { realpathOrNull } from '../policy/resolve.js';
import type { Policy } from '../policy/types.js';
import { utf8OrNull } from '../protocol/bytes.js';
import { SANDBOX_EXECGATE_DIR } from '../sandbox/bwrap.js';
import { programBehindShim } from '../sandbox/shims.js';
import { makePlan, type Confinement, type Plan } from './plan.js';

const ERRNO = constants.errno as Record<string, number>;

/** What the backstop needs from its session and broker. */
export interface BackstopContext {
  who: Who;
  policy(): Policy;
  confinement(): Confinement;
  /** Canonical host paths of the programs shimmed in this sandbox. */
  shims(): ReadonlySet<string>;
  nextRequestId(): string;
  /** Auditing is on: runs are recorded too, so argv is read for them. */
  auditing(): boolean;
  /** One audit line, written unless the audit log is too far behind (then
   * counted, and the count audited). */
  record(rec: AuditRecord): void;
  /** Records the listener's queue had no room for. */
  dropped(count: number): void;
  /** Something that should never happen (the filter sent another system
   * call, the listener failed): audited, the backstop goes on or stops. */
  problem(why: string): void;
}

/** One notification's answer: 0 continues the exec, else its errno. */
export interface BackstopAnswer {
  errno: number;
  /** The plan behind it, when the policy was asked (for the audit line). */
  plan: Plan | null;
  /** What the policy said, when the answer differs from it (escalate or
   * prompt refused). */
  policyDecision?: string;
  reason?: string;
  /** Why it was let through without the policy (its shim asks). */
  via?: 'shim';
}

/** Is fd a seccomp user-notification listener (and not some other fd a
 * sandbox sent in its place)? */
export function isSeccompListener(fd: Fd): boolean {
  try {
    return readlinkSync(`/proc/self/fd/${fd.fd}`) === 'anon_inode:seccomp notify';
  } catch {
    return false;
  }
}

const SLASH = 0x2f;

/** The file an exec names, as a sandbox path (bytes): absolute as given, a
 * relative one joined to its base, fexecve's descriptor as the file it
 * names; null when that cannot be known. */
function execFile(n: SeccompNotification): Buffer | null {
  if (n.emptyPath) return n.base;
  if (n.path === null) return null;
  if (n.path[0] === SLASH || n.base === null) return n.path;
  const joined = Buffer.concat([n.base, Buffer.from('/'), n.path]);
  // As the path map reads paths (lexically), which a plan does anyway.
  const text = utf8OrNull(joined);
  return text === null ? joined : Buffer.from(posix.normalize(text));
}

/** The file name (bytes after the last '/'), latin1, as rules compare names. */
function fileName(file: Buffer): string {
  return file.subarray(file.lastIndexOf(SLASH) + 1).toString('latin1');
}

/** Does `file` (a sandbox path) name a program shimmed in this sandbox? */
function isShim(file: Buffer, ctx: BackstopContext): boolean {
  const shims = ctx.shims();
  if (shims.size === 0) return false;
  const path = utf8OrNull(file);
  const host = path === null ? null : ctx.confinement().pathMap.toHost(path);
  const real = host === null ? null : realpathOrNull(host);
  return real !== null && shims.has(real);
}

/** The shimmed program whose real file `file` names directly
 * (/.execgate/real/usr/bin/id: /usr/bin/id), or null. */
function behindShim(file: Buffer, ctx: BackstopContext): Buffer | null {
  const path = utf8OrNull(file);
  const program = path === null ? null : programBehindShim(path, ctx.shims());
  return program === null ? null : Buffer.from(program);
}

/** Can `file` (a sandbox path) exist inside? False only where we know the
 * sandbox's view: execgate's own directory, and paths bound from the host
 * where the host has nothing. A PATH search tries each directory in turn:
 * the misses are not worth an audit line saying "run". */
function mayExist(file: Buffer, ctx: BackstopContext): boolean {
  const path = utf8OrNull(file);
  if (path === null) return true;
  if (path === SANDBOX_EXECGATE_DIR || path.startsWith(`${SANDBOX_EXECGATE_DIR}/`)) {
    return path === `${SANDBOX_EXECGATE_DIR}/execgate-wrapper` || path === `${SANDBOX_EXECGATE_DIR}/bin/execgate` || behindShim(file, ctx) !== null || path.startsWith(`${SANDBOX_EXECGATE_DIR}/session/`);
  }
  const host = ctx.confinement().pathMap.toHost(path);
  if (host === null) return true;
  try {
    lstatSync(host);
    return true;
  } catch {
    return false;
  }
}

/** Decides one notification. `readContext` reads its argv and cwd (null:
 * the process went away); called only when the answer depends on them or
 * the exec is audited. */
export function decideNotification(n: SeccompNotification, ctx: BackstopContext, readContext: () => SeccompContext | null): BackstopAnswer | null {
  if (typeof n.syscall === 'number') {
    ctx.problem(`the seccomp filter sent system call ${n.syscall}, not an exec`);
    return { errno: ERRNO.ENOSYS!, plan: null };
  }
  if (n.path === null) return { errno: ERRNO[n.pathError ?? 'EFAULT'] ?? ERRNO.EFAULT!, plan: null };
  const exec = execFile(n);
  if (exec === null) return { errno: ERRNO.EACCES!, plan: null, reason: 'the file exec\'d through a descriptor cannot be named' };
  const real = behindShim(exec, ctx);
  const file = real ?? exec;

  const policy = ctx.policy();
  const named = policy.default !== 'run' || mentionsProgram(policy, fileName(file));
  if (named && real === null && isShim(file, ctx)) return { errno: 0, plan: null, via: 'shim' };
  // The common case: nothing to ask, and nothing to read unless audited.
  if (!named && !ctx.auditing()) return { errno: 0, plan: null };

  const read = readContext();
  if (read === null) return null;
  const req: Request = { kind: Kind.EXEC, file, argv: read.argv, argc: read.argv.length, cwd: read.cwd ?? Buffer.alloc(0), pid: n.pid };
  const plan = makePlan(ctx.nextRequestId(), req, policy, ctx.confinement());
  if (named && !read.argvComplete) {
    return { errno: ERRNO.EACCES!, plan, policyDecision: plan.decision, reason: `its argv could not be read whole (over ${MAX_BACKSTOP_ARGV_COUNT} arguments or ${MAX_BACKSTOP_ARGV_BYTES} bytes, or unreadable), and a rule names the program` };
  }
  if (plan.decision === 'run') return { errno: 0, plan: mayExist(exec, ctx) ? plan : null };
  if (plan.decision === 'deny') return { errno: ERRNO.EACCES!, plan };
  return {
    errno: ERRNO.EACCES!,
    plan,
    policyDecision: plan.decision,
    reason: `${plan.reason}: the policy says ${plan.decision}, which only the shell's wrapper or a program shim can carry out; exec'd without either, it is refused (a seccomp notification never escalates)`,
  };
}

/** The audit line for one answer, or null when there is none to write. */
export function backstopRecord(who: Who, n: SeccompNotification, a: BackstopAnswer): AuditRecord | null {
  if (a.plan === null) return null;
  return {
    ...decisionRecord(who, a.plan),
    via: 'seccomp',
    // The notification's pid is in the broker's pid namespace.
    pid: n.pid,
    pid_namespace: 'broker',
    decision: a.errno === 0 ? 'run' : 'deny',
    ...(a.policyDecision !== undefined && a.policyDecision !== (a.errno === 0 ? 'run' : 'deny') ? { policy_decision: a.policyDecision } : {}),
    ...(a.reason !== undefined ? { reason: a.reason } : {}),
  };
}

/** The audit line of a run the listener let through by itself, or null
 * when the program cannot have run (a PATH search's miss). */
export function fastPathRecord(r: SeccompRecord, ctx: BackstopContext): AuditRecord | null {
  const file = execFile(r);
  if (file === null || !mayExist(file, ctx)) return null;
  const req: Request = { kind: Kind.EXEC, file, argv: r.argv, argc: r.argv.length, cwd: r.cwd ?? Buffer.alloc(0), pid: r.pid };
  const plan = makePlan(ctx.nextRequestId(), req, ctx.policy(), ctx.confinement());
  return backstopRecord(ctx.who, r, { errno: 0, plan });
}

/** One sandbox's listener; owns the fd (and closes it with itself). */
export class SeccompBackstop {
  private readonly native: SeccompListener;
  private closed = false;

  constructor(
    private readonly listener: Fd,
    private readonly ctx: BackstopContext,
    table: Buffer,
  ) {
    const { SeccompListener } = loadAddon();
    this.native = new SeccompListener(listener.fd, table, () => this.onReady(), {
      maxArgvBytes: MAX_BACKSTOP_ARGV_BYTES,
      maxArgvCount: MAX_BACKSTOP_ARGV_COUNT,
      maxPending: MAX_BACKSTOP_PENDING,
      maxRecords: MAX_BACKSTOP_RECORDS,
    });
    // Closing the fd stops the thread first.
    listener.attach(this.native);
  }

  /** The run table for the policy in force (published with the wrapper's). */
  setTable(table: Buffer): void {
    if (!this.closed) this.native.setTable(table);
  }

  close(): void {
    if (this.closed) return;
    // Runs the thread let through and queued, but this loop has not taken
    // yet (the session can end in the same turn as the thread's kick): into
    // the audit first, as the session reads its wrapper records first.
    try {
      this.takeRecords();
    } catch (err) {
      this.ctx.problem(`seccomp listener: ${(err as Error).message}`);
    }
    this.closed = true;
    // Execs still waiting fail with ENOSYS, and so does every later one:
    // a sandbox whose broker is gone starts nothing without the shell.
    this.listener.close();
  }

  private onReady(): void {
    if (this.closed) return;
    try {
      this.drain();
    } catch (err) {
      this.ctx.problem(`seccomp listener: ${(err as Error).message}`);
      return this.close();
    }
    if (this.native.ended) {
      const failure = this.native.failure;
      if (failure) this.ctx.problem(`seccomp listener: ${failure.message}`);
      this.close();
    }
  }

  /** The runs the thread decided by itself, and how many it dropped. */
  private takeRecords(): void {
    for (let r = this.native.takeRecord(); r !== null; r = this.native.takeRecord()) {
      const rec = fastPathRecord(r, this.ctx);
      if (rec !== null) this.ctx.record(rec);
    }
    const dropped = this.native.takeDropped();
    if (dropped > 0) this.ctx.dropped(dropped);
  }

  private drain(): void {
    let full = true;
    for (let i = 0; i < MAX_BACKSTOP_BATCH && !this.closed; i++) {
      const n = this.native.take();
      if (n === null) {
        full = false;
        break;
      }
      const answer = decideNotification(n, this.ctx, () => this.native.readContext(n, MAX_BACKSTOP_ARGV_BYTES, MAX_BACKSTOP_ARGV_COUNT));
      if (answer === null) continue; // the process went away while we read
      // false: killed meanwhile; nothing ran, nothing to audit
      if (!this.native.respond(n.id, answer.errno) || !this.ctx.auditing()) continue;
      const rec = backstopRecord(this.ctx.who, n, answer);
      if (rec !== null) this.ctx.record(rec);
    }
    this.takeRecords();
    // A whole batch taken: the rest on the next turn, after the other
    // sessions' sockets had theirs (the thread kicks only for new ones).
    if (full && !this.closed) setImmediate(() => this.onReady());
  }
}
