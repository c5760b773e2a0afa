// The broker: the policy, the audit log, the approval channels and the
// host-side spawning, shared by every session it serves. Sessions and their
// execs ask it; it decides.
import { decisionRecord, completionEvent, completionRecord, protocolErrorRecord, type CompletionEvent, type CompletionInfo } from '../audit/records.js';
import type { Audit, AuditRecord } from '../audit/audit-log.js';
import { grantKey } from '../approval/grant-key.js';
import { redactArgv } from '../audit/redact.js';
import type { Approver, PendingRequest, RuleTarget } from '../approval/types.js';
import { hostEnv } from '../exec/host-env.js';
import { Spawner } from '../exec/spawner.js';
import { displayBytes, displayText, utf8OrNull } from '../protocol/bytes.js';
import { MAX_AUDIT_BACKLOG_BYTES, MAX_PENDING_PROMPTS_PER_SESSION, REQUEST_DEADLINE_MS, STDIO_DEADLINE_MS } from '../protocol/limits.js';
import type { Request } from '../protocol/messages.js';
import type { Fd } from '../native/fd.js';
import { mentionsProgram } from '../policy/evaluate.js';
import { findTrusted } from '../policy/trusted-path.js';
import type { Policy } from '../policy/types.js';
import { missingShims, throughShims } from '../sandbox/shims.js';
import { makePlan, programName, type Plan } from './plan.js';
import { runTableFor } from './run-table.js';
import { isSeccompListener, SeccompBackstop } from './seccomp.js';
import { DecisionStats } from './stats.js';
import { Session, type SessionHost, type SessionOptions } from './session.js';
import type { HostCommand, SessionContext, Verdict } from './session-context.js';

export type { CompletionEvent } from '../audit/records.js';

/** A decision other than run, as it is made: what `execgate mcp` reports
 * per tool call (argv display-escaped and redacted, as in CompletionEvent). */
export interface DecisionEvent {
  id: string;
  hostProgram: string | null;
  argv: string[];
  decision: 'escalate' | 'prompt' | 'deny';
  decidedBy: string;
  ruleId: string | null;
  reason: string;
  time: number;
}

/** One session's decisions and completions, as they happen. */
export interface SessionWatcher {
  decision?(event: DecisionEvent): void;
  completion?(event: CompletionEvent): void;
}

export interface BrokerOptions {
  /** The policy in force now (it may be reloaded between requests). */
  policy: () => Policy;
  audit: Audit;
  approver: Approver;
  /** The broker's private directory (0700): session directories go here. */
  dir: string;
  /** `execgate notify EVENT` from a sandbox. */
  onNotify?: (session: Session, event: string) => void;
  /** Where messages for the human go (the broker's stderr). */
  log?: (line: string) => void;
  /** Why a sandbox with these writable roots must not be served (the policy
   * file or the "always" target lies where it could write); empty: fine. */
  confinementProblems?: (writableRoots: readonly string[]) => string[];
  /** Keep one session made ahead (its directory, sockets and run table),
   * handed to the next openSession: `serve`, where a harness attaches a
   * shell per tool call and waits for each. */
  spareSession?: boolean;
}

export class Broker implements SessionHost {
  private readonly sessions = new Set<Session>();
  /** A session made ahead (opts.spareSession), not yet anybody's. */
  private spare: Session | null = null;
  private closing = false;
  /** Sessions that ended but whose host commands may still be ending. */
  private readonly draining = new Set<Promise<void>>();
  private readonly completionListeners = new Set<(e: CompletionEvent) => void>();
  private readonly closeListeners = new Set<(s: Session) => void>();
  private readonly watchers = new Map<Session, Set<SessionWatcher>>();
  /** Prompts waiting for a human, per session. */
  private readonly prompts = new Map<Session, number>();
  /** Fast-path records dropped since the last line saying so. */
  private droppedRecords = 0;
  /** The run table for the policy in force, made once per policy. */
  private table: { policy: Policy; bytes: Buffer; generation: number } | null = null;
  /** Starts every escalated command, and knows when they have all ended. */
  readonly spawner = new Spawner();
  /** The seccomp backstop of each session that has one. */
  private readonly backstops = new Map<Session, SeccompBackstop>();
  /** Per session, the programs already said to have no shim there. */
  private readonly staleShims = new WeakMap<Session, Set<string>>();
  /** How long replies take, per reply ({"op":"stats"} on the control socket). */
  readonly stats = new DecisionStats();

  constructor(private readonly opts: BrokerOptions) {}

  get policy(): Policy {
    return this.opts.policy();
  }

  /** Every escalation or prompt that ended (denied, or exited on the host). */
  onCompletion(listener: (e: CompletionEvent) => void): () => void {
    this.completionListeners.add(listener);
    return () => this.completionListeners.delete(listener);
  }

  /** The decisions (other than run: the Run path pays nothing for this)
   * and completions of one session, as they happen: a tool call of
   * `execgate mcp` reports what it escalated and what was denied. Returns
   * the unsubscribe; a session's watchers go when it ends. */
  watchSession(session: Session, watcher: SessionWatcher): () => void {
    let set = this.watchers.get(session);
    if (!set) this.watchers.set(session, (set = new Set()));
    set.add(watcher);
    return () => {
      set.delete(watcher);
      if (set.size === 0 && this.watchers.get(session) === set) this.watchers.delete(session);
    };
  }

  /** A session of this broker that has not ended, by its id. */
  sessionById(id: string): Session | undefined {
    for (const s of this.sessions) if (s.id === id) return s;
    return undefined;
  }

  /** Called when a session ends (the approval core forgets its grants). */
  onSessionClosed(listener: (s: Session) => void): void {
    this.closeListeners.add(listener);
  }

  openSession(opts: SessionOptions): Session {
    const session = this.takeSpare(opts) ?? this.makeSession(opts);
    this.sessions.add(session);
    this.opts.audit.write({ event: 'session-start', session: session.id, label: session.label });
    session.onClose(() => {
      // Its backstop's last records go in before the session's end does.
      this.backstops.get(session)?.close();
      this.backstops.delete(session);
      this.sessions.delete(session);
      // Its host commands gone, and its directory (removed off the event loop).
      const settled: Promise<void> = Promise.all([session.settled(), session.removed()])
        .then(() => {})
        .finally(() => this.draining.delete(settled));
      this.draining.add(settled);
      this.prompts.delete(session);
      this.watchers.delete(session);
      this.closeListeners.forEach((l) => l(session));
      this.flushDropped();
      this.opts.audit.write({ event: 'session-end', session: session.id, label: session.label });
    });
    if (this.opts.spareSession) setImmediate(() => this.makeSpare());
    return session;
  }

  private makeSession(opts: SessionOptions): Session {
    const session = new Session(this, opts, this.opts.dir);
    this.publish(session);
    return session;
  }

  /** The session made ahead, now `opts.label`'s: nothing of it was seen
   * (no shell has its socket, the audit has not named it), so it is as new. */
  private takeSpare(opts: SessionOptions): Session | null {
    const spare = this.spare;
    if (!spare || opts.pathMap) return null;
    this.spare = null;
    spare.label = opts.label;
    return spare;
  }

  private makeSpare(): void {
    if (this.spare || this.closing) return;
    try {
      this.spare = this.makeSession({ label: '' });
    } catch (err) {
      // Without one, the next launch makes its own, as without spares.
      this.opts.log?.(`execgate: could not prepare a session: ${(err as Error).message}`);
    }
  }

  /** Ends every session and waits for their host commands to be gone (a
   * broker that exits first would take the pending SIGKILL with it). */
  async close(): Promise<void> {
    this.closing = true;
    this.spare?.close();
    const spareGone = this.spare?.removed();
    this.spare = null;
    for (const s of [...this.sessions]) s.close();
    await Promise.all([...this.draining, spareGone]);
    await this.spawner.close();
    await this.opts.audit.close();
  }

  /** Why `session`'s sandbox must not be served (launch.ts refuses it). */
  confinementProblems(session: Session): string[] {
    return this.opts.confinementProblems?.(session.writableRoots) ?? [];
  }

  /** Every live session's writable roots together. */
  writableRoots(): string[] {
    return [...new Set([...this.sessions].flatMap((s) => [...s.writableRoots]))];
  }

  /** The policy changed (a reload): every session's run table follows it
   * before the next exec. */
  policyChanged(): void {
    for (const s of this.sessions) {
      this.publish(s);
      this.checkShims(s);
    }
    if (this.spare) this.publish(this.spare);
  }

  /** Shims are bound when a sandbox starts: a reload that names a new
   * program leaves running sandboxes without its shim (new sessions get
   * it). Said once per session and program, on stderr and in the audit. */
  private checkShims(session: Session): void {
    const m = session.mediation;
    if (m === null) return;
    let said = this.staleShims.get(session);
    if (!said) this.staleShims.set(session, (said = new Set()));
    for (const shim of missingShims(this.policy, session.pathMap, session.writableRoots, m.replaced, m.shims)) {
      if (said.has(shim.program)) continue;
      said.add(shim.program);
      const why = `rule ${shim.rules.join(', ')} names ${shim.program}, but this session's sandbox started before and has no shim for it: started there other than from the shell, it is not asked about by a shim and cannot be escalated (the seccomp backstop, where there is one, only lets it run or refuses it); new sessions have the shim`;
      this.opts.log?.(`execgate: session ${session.id} (${session.label}): ${why}`);
      this.opts.audit.write({ event: 'shims-stale', session: session.id, label: session.label, program: shim.program, rules: shim.rules, what: why });
    }
  }

  /** The run table for the policy in force. */
  private tableBytes(): Buffer {
    const policy = this.policy;
    if (this.table?.policy !== policy) {
      const generation = (this.table?.generation ?? 0) + 1;
      this.table = { policy, generation, bytes: runTableFor(policy, generation, this.opts.audit.enabled) };
    }
    return this.table.bytes;
  }

  private publish(session: Session): void {
    const bytes = this.tableBytes();
    // The backstop decides by the same table, in its listener's thread.
    this.backstops.get(session)?.setTable(bytes);
    try {
      session.publishRunTable(bytes);
    } catch (err) {
      // No table only means every exec asks: say so, carry on.
      this.opts.log?.(`execgate: could not write the run table of session ${session.id}: ${(err as Error).message}`);
    }
  }

  // ---- SessionHost -------------------------------------------------------

  context(session: Session): SessionContext {
    const audit = this.opts.audit;
    return {
      deadlines: { requestMs: REQUEST_DEADLINE_MS, stdioMs: STDIO_DEADLINE_MS },
      plan: (req) => {
        const policy = this.policy;
        const shims = session.mediation?.shims;
        const named = shims ? throughShims(req, shims, session.pathMap, (n) => findTrusted(n, policy, session.writableRoots)) : req;
        return makePlan(session.nextRequestId(), named, policy, session.confinement);
      },
      envAllow: () => this.policy.envAllow,
      authorize: (plan, crossing, signal) => this.authorize(session, plan, crossing, signal),
      spawn: (plan, crossing, stdio, fds) => {
        const proc: HostCommand = this.spawner.spawn(
          {
            file: plan.host!.program,
            identity: plan.pin!.identity,
            argv: plan.request.argv,
            env: hostEnv(crossing, { writableRoots: session.writableRoots, set: plan.setEnv ?? undefined }),
            tty: stdio.tty ? { rows: stdio.winsize?.rows || 24, cols: stdio.winsize?.cols || 80 } : null,
            closed: stdio.closed,
          },
          [fds[0]!, fds[1]!, fds[2]!],
          plan.pin!.cwd,
        );
        session.own(proc);
        return proc;
      },
      notify: (event) => {
        audit.write({ event: 'notify', session: session.id, label: session.label, what: event });
        this.opts.onNotify?.(session, event);
      },
      auditDecision: (plan) => {
        if (audit.enabled) audit.write(decisionRecord(session, plan));
        if (plan.decision !== 'run') this.decided(session, plan);
      },
      auditCompletion: (plan, info) => this.completed(session, plan, info),
      auditProtocolError: (why, plan) => audit.write(protocolErrorRecord(session, why, plan)),
      replied: (reply, ms) => this.stats.replied(reply, ms),
    };
  }

  /** A run the wrapper did by itself, as the run table allowed: audited as
   * decided by the fast path. A record for a program the policy names is a
   * forgery (the table names every such program), and audited as one. */
  record(session: Session, req: Request): void {
    this.stats.recorded();
    const audit = this.opts.audit;
    if (!audit.enabled) return;
    if (mentionsProgram(this.policy, programName(req))) {
      return audit.write(protocolErrorRecord(session, `fast-path record for ${displayBytes(req.file)}, which the policy names`, null));
    }
    if (audit.backlogBytes > MAX_AUDIT_BACKLOG_BYTES) {
      this.droppedRecords += 1;
      return;
    }
    this.flushDropped();
    const plan = makePlan(session.nextRequestId(), req, this.policy, session.confinement);
    audit.write(decisionRecord(session, Object.assign(plan, { decidedBy: 'fast-path' })));
  }

  backstop(session: Session, listener: Fd | null, why: string): void {
    if (session.isClosed) return listener?.close();
    if (listener !== null && !isSeccompListener(listener)) {
      listener.close();
      return this.protocolError(session, 'the init sent an fd that is not a seccomp listener');
    }
    if (listener === null) {
      const text = `no seccomp backstop in this sandbox (${displayText(why)}): programs started other than from the shell are asked about only where a rule names them (their shims); the others run unasked`;
      this.opts.log?.(`execgate: session ${session.id} (${session.label}): ${text}`);
      this.opts.audit.write({ event: 'backstop', session: session.id, label: session.label, state: 'off', what: text });
      return;
    }
    const audit = this.opts.audit;
    const backstop = new SeccompBackstop(
      listener,
      {
        who: session,
        policy: () => this.policy,
        confinement: () => session.confinement,
        shims: () => session.mediation?.shims ?? new Set(),
        nextRequestId: () => session.nextRequestId(),
        auditing: () => audit.enabled,
        record: (rec) => this.recordBounded(rec),
        dropped: (count) => {
          this.droppedRecords += count;
        },
        problem: (what) => this.protocolError(session, what),
      },
      this.tableBytes(),
    );
    // Closed with the session (openSession's close handler).
    this.backstops.set(session, backstop);
    audit.write({ event: 'backstop', session: session.id, label: session.label, state: 'on' });
  }

  /** An audit line of a run or refusal done without a connection (run
   * records, the backstop): dropped, and counted, while the audit log is
   * too far behind, so a flood from a sandbox cannot grow our memory. */
  private recordBounded(rec: AuditRecord): void {
    const audit = this.opts.audit;
    if (!audit.enabled) return;
    if (audit.backlogBytes > MAX_AUDIT_BACKLOG_BYTES) {
      this.droppedRecords += 1;
      return;
    }
    this.flushDropped();
    audit.write(rec);
  }

  protocolError(session: Session, why: string): void {
    this.opts.audit.write(protocolErrorRecord(session, why, null));
  }

  internalError(session: Session, err: unknown): void {
    const text = err instanceof Error ? (err.stack ?? err.message) : String(err);
    this.opts.log?.(`execgate: internal error in session ${session.id}: ${text}`);
    this.opts.audit.write(protocolErrorRecord(session, `internal error: ${err instanceof Error ? err.message : String(err)}`, null));
  }

  // ---- internals -----------------------------------------------------------

  private flushDropped(): void {
    if (this.droppedRecords === 0) return;
    this.opts.audit.write({ event: 'records-dropped', count: this.droppedRecords, why: 'the audit log was behind' });
    this.droppedRecords = 0;
  }

  private decided(session: Session, plan: Plan): void {
    const watchers = this.watchers.get(session);
    if (!watchers) return;
    const event: DecisionEvent = {
      id: plan.id,
      hostProgram: plan.host?.program ?? null,
      argv: redactArgv(plan.argv),
      decision: plan.decision as DecisionEvent['decision'],
      decidedBy: plan.decidedBy,
      ruleId: plan.rule?.id ?? null,
      reason: plan.reason,
      time: Date.now(),
    };
    for (const w of watchers) w.decision?.(event);
  }

  private completed(session: Session, plan: Plan, info: CompletionInfo): void {
    const event = completionEvent(session, plan, info);
    for (const l of this.completionListeners) l(event);
    for (const w of this.watchers.get(session) ?? []) w.completion?.(event);
    this.opts.audit.write(completionRecord(session, plan, info, event));
  }

  private async authorize(session: Session, plan: Plan, crossing: Map<string, Buffer>, signal: AbortSignal): Promise<Verdict> {
    if (plan.decision === 'escalate') return { approve: true, by: plan.decidedBy };
    const waiting = this.prompts.get(session) ?? 0;
    if (waiting >= MAX_PENDING_PROMPTS_PER_SESSION) {
      return { approve: false, reason: `${waiting} requests of this session are already waiting for a human`, by: 'limit' };
    }
    const host = plan.host!;
    const pending: PendingRequest = {
      id: plan.id,
      sessionId: session.id,
      label: session.label,
      hostProgram: displayText(host.program),
      argv: plan.argv,
      cwd: plan.cwd,
      hostCwd: displayText(host.cwd),
      env: Object.fromEntries([...crossing].map(([k, v]) => [k, displayBytes(v)])),
      grantKey: grantKey({ hostProgram: plan.host!.program, argv: plan.request.argv, hostCwd: plan.host!.cwd, env: crossing }),
      ruleId: plan.rule?.id ?? null,
      projectCode: plan.projectCode,
      reason: plan.reason,
      explicit: plan.explicit,
      deadline: this.policy.approvalTimeoutMs === null ? null : Date.now() + this.policy.approvalTimeoutMs,
    };
    const args = plan.request.argv.slice(1).map(utf8OrNull);
    const target: RuleTarget = { program: host.program, named: host.named, args: args.every((a) => a !== null) ? (args as string[]) : null, writableRoots: session.writableRoots };
    this.prompts.set(session, waiting + 1);
    try {
      const answer = await this.opts.approver.ask(pending, signal, target);
      return answer.approve ? { approve: true, by: answer.by } : { approve: false, reason: answer.reason ?? 'denied', by: answer.by };
    } finally {
      const now = (this.prompts.get(session) ?? 1) - 1;
      if (now > 0) this.prompts.set(session, now);
      else this.prompts.delete(session);
    }
  }
}
