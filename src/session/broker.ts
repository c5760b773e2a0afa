// The broker: the policy, the audit log and the approval channels, shared by
// every session it serves. Sessions and connections ask it; it decides.
import { constants } from 'node:os';
import { Spawner } from '../exec/spawner.js';
import type { Addon } from '../native/addon.js';
import type { Approver, PendingRequest } from '../approval/types.js';
import type { Audit } from '../audit/audit-log.js';
import { redactArgv } from '../audit/redact.js';
import { displayBytes, utf8OrNull } from '../protocol/bytes.js';
import type { Policy } from '../policy/types.js';
import { makePlan, type Plan } from './plan.js';
import { Session, type SessionOptions } from './session.js';
import type { CompletionInfo, SessionContext, Verdict } from './session-context.js';

/** What happened to one host request, for displays of recent decisions. */
export interface CompletionEvent {
  id: string;
  sessionId: string;
  label: string;
  hostProgram: string | null;
  argv: string[];
  decidedBy: string;
  outcome: 'denied' | 'exited';
  reason?: string;
  exitCode: number | null;
  signal: string | null;
  durationMs?: number;
  time: number;
}

export interface BrokerOptions {
  addon: Addon;
  /** The policy in force now (it may be reloaded between requests). */
  policy: () => Policy;
  audit: Audit;
  approver: Approver;
  /** `execgate notify EVENT` from a sandbox. */
  onNotify?: (session: Session, event: string) => void;
}

const signalNames = Object.fromEntries(Object.entries(constants.signals).map(([name, n]) => [n, name]));

export class Broker {
  private readonly sessions = new Set<Session>();
  /** For requests waiting for a human: the program as named on the host and
   * the arguments as text when they are valid UTF-8 (else null), which is
   * what an "always" answer writes into a rule. */
  private readonly waiting = new Map<string, { named: string; args: string[] | null }>();
  /** Starts every escalated command, and knows when they have all ended. */
  readonly spawner: Spawner;

  constructor(private readonly opts: BrokerOptions) {
    this.spawner = new Spawner({ addon: opts.addon });
  }

  get policy(): Policy {
    return this.opts.policy();
  }

  /** What an "always" rule for a pending request must name. */
  alwaysTarget(requestId: string): { named: string; args: string[] | null } | null {
    return this.waiting.get(requestId) ?? null;
  }

  /** Called when a session ends (the approval core forgets its grants). */
  onSessionClosed: (session: Session) => void = () => {};

  private readonly completionListeners = new Set<(e: CompletionEvent) => void>();

  /** Every escalation or prompt that ended (denied, or exited on the host). */
  onCompletion(listener: (e: CompletionEvent) => void): () => void {
    this.completionListeners.add(listener);
    return () => this.completionListeners.delete(listener);
  }

  openSession(opts: SessionOptions): Session {
    const session = new Session(this.opts.addon, (s) => this.contextFor(s), opts, (s, why) => this.auditProtocolError(s, why, null));
    this.sessions.add(session);
    this.opts.audit.write({ event: 'session-start', session: session.id, label: session.label });
    session.onClose(() => {
      this.sessions.delete(session);
      this.onSessionClosed(session);
      this.opts.audit.write({ event: 'session-end', session: session.id, label: session.label });
    });
    return session;
  }

  /** Ends every session and waits for their host commands to be gone. */
  async close(): Promise<void> {
    for (const s of [...this.sessions]) s.close();
    await this.spawner.close();
    await this.opts.audit.close();
  }

  private contextFor(session: Session): SessionContext {
    const audit = this.opts.audit;
    const common = (plan: Plan) => ({
      session: session.id,
      label: session.label,
      request: plan.id,
      pid: plan.request.pid,
    });
    return {
      plan: (req) => makePlan(session.nextRequestId(), req, this.policy, session.pathMap),
      envAllow: () => this.policy.envAllow,
      authorize: (plan, crossing, signal) => this.authorize(session, plan, crossing, signal),
      notify: (event) => {
        audit.write({ event: 'notify', session: session.id, label: session.label, what: event });
        this.opts.onNotify?.(session, event);
      },
      auditDecision: (plan) =>
        audit.enabled &&
        audit.write({
          event: 'decision',
          ...common(plan),
          explicit: plan.explicit,
          program: plan.file,
          host_program: plan.host?.program ?? null,
          argv: redactArgv(plan.argv),
          cwd: plan.cwd,
          host_cwd: plan.host?.cwd ?? null,
          decision: plan.decision,
          decided_by: plan.decidedBy,
          reason: plan.reason,
        }),
      auditCompletion: (plan, info: CompletionInfo) => {
        const exitCode = info.status && !info.status.signal ? info.status.code : null;
        const signal = info.status?.signal ? signalNames[info.status.signal] ?? info.status.signal : null;
        const event: CompletionEvent = {
          id: plan.id,
          sessionId: session.id,
          label: session.label,
          hostProgram: plan.host?.program ?? null,
          argv: redactArgv(plan.argv),
          decidedBy: info.decidedBy,
          outcome: info.outcome,
          reason: info.reason,
          exitCode,
          signal: signal === null ? null : String(signal),
          durationMs: info.durationMs,
          time: Date.now(),
        };
        for (const l of this.completionListeners) l(event);
        audit.write({
          event: 'completion',
          ...common(plan),
          host_program: plan.host?.program ?? null,
          decided_by: info.decidedBy,
          outcome: info.outcome,
          reason: info.reason,
          host_pid: info.pid,
          exit_code: exitCode,
          signal,
          duration_ms: info.durationMs,
        });
      },
      auditProtocolError: (why, plan) => this.auditProtocolError(session, why, plan),
      spawner: this.spawner,
    };
  }

  private auditProtocolError(session: Session, why: string, plan: Plan | null): void {
    this.opts.audit.write({ event: 'protocol-error', session: session.id, label: session.label, request: plan?.id ?? null, what: why });
  }

  private async authorize(session: Session, plan: Plan, crossing: Map<string, Buffer>, signal: AbortSignal): Promise<Verdict> {
    if (plan.decision === 'escalate') return { approve: true, by: plan.decidedBy };
    const pending: PendingRequest = {
      id: plan.id,
      sessionId: session.id,
      label: session.label,
      hostProgram: plan.host!.program,
      argv: plan.argv,
      cwd: plan.cwd,
      hostCwd: plan.host!.cwd,
      env: Object.fromEntries([...crossing].map(([k, v]) => [k, displayBytes(v)])),
      ruleId: plan.rule?.id ?? null,
      reason: plan.reason,
      explicit: plan.explicit,
      deadline: this.policy.approvalTimeoutMs === null ? null : Date.now() + this.policy.approvalTimeoutMs,
    };
    const args = plan.request.argv.slice(1).map(utf8OrNull);
    this.waiting.set(plan.id, { named: plan.host!.named, args: args.every((a) => a !== null) ? (args as string[]) : null });
    let answer;
    try {
      answer = await this.opts.approver.ask(pending, signal);
    } finally {
      this.waiting.delete(plan.id);
    }
    return answer.approve ? { approve: true, by: answer.by } : { approve: false, reason: answer.reason ?? 'denied', by: answer.by };
  }
}
