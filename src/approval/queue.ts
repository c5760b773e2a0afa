// The approval core: requests waiting for a human, from any number of
// sessions. Channels (tmux, terminal, web) register and are shown every
// request; the first answer from any channel wins and every channel is told.
// Time-outs, session grants and "always" rules are decided here, once.
import type { Approver, Answer, HumanAnswer, PendingRequest, RuleTarget, Scope } from './types.js';

export type Outcome = 'approved' | 'denied' | 'timed-out' | 'cancelled';

export interface Resolution {
  id: string;
  outcome: Outcome;
  scope?: Scope;
  /** Who decided: human:<channel>, timeout, cancelled. */
  by: string;
  reason?: string;
  /** For "always": the rule text that was written. */
  ruleText?: string;
}

export interface Channel {
  readonly name: string;
  onRequest(req: PendingRequest): void;
  onResolved(res: Resolution): void;
}

export interface QueueOptions {
  /** What a time-out decides (the policy's timeout_decision). */
  timeoutDecision: () => 'deny' | 'escalate';
  /** Writes an "always" rule; returns its text. Throws if it cannot. */
  writeAlways: (req: PendingRequest, target: RuleTarget) => string;
}

interface Entry {
  req: PendingRequest;
  target: RuleTarget;
  finish: (answer: Answer) => void;
  timer: NodeJS.Timeout | null;
}

export class ApprovalQueue implements Approver {
  private readonly channels = new Set<Channel>();
  private readonly pending = new Map<string, Entry>();
  /** sessionId -> grant keys (exact program, argv, cwd, environment)
   * approved for the session. */
  private readonly grants = new Map<string, Set<string>>();

  constructor(private readonly opts: QueueOptions) {}

  register(channel: Channel): () => void {
    this.channels.add(channel);
    for (const { req } of this.pending.values()) channel.onRequest(req);
    return () => this.channels.delete(channel);
  }

  get channelNames(): string[] {
    return [...this.channels].map((c) => c.name);
  }

  list(): PendingRequest[] {
    return [...this.pending.values()].map((e) => e.req);
  }

  forgetSession(sessionId: string): void {
    this.grants.delete(sessionId);
  }

  ask(req: PendingRequest, signal: AbortSignal, target: RuleTarget): Promise<Answer> {
    if (this.grants.get(req.sessionId)?.has(req.grantKey)) {
      return Promise.resolve({ approve: true, scope: 'session', by: 'session-grant' });
    }
    if (signal.aborted) return Promise.resolve({ approve: false, reason: 'the requester went away', by: 'cancelled' });
    return new Promise<Answer>((resolve) => {
      const entry: Entry = { req, target, finish: resolve, timer: null };
      if (req.deadline !== null) {
        entry.timer = setTimeout(() => this.timeOut(req.id), Math.max(0, req.deadline - Date.now()));
      }
      signal.addEventListener('abort', () => this.resolve(req.id, { approve: false, reason: 'the requester went away', by: 'cancelled' }, 'cancelled'), { once: true });
      this.pending.set(req.id, entry);
      for (const c of this.channels) safe(() => c.onRequest(req));
    });
  }

  /** A human's answer from a channel. False if the request is no longer
   * pending (answered elsewhere, timed out, or unknown). */
  answer(id: string, answer: HumanAnswer, channel: string): { ok: true; ruleText?: string } | { ok: false; error: string } {
    const entry = this.pending.get(id);
    if (!entry) return { ok: false, error: `no pending request ${id} (answered elsewhere, timed out, or unknown)` };
    const by = `human:${channel}`;
    if (!answer.approve) {
      this.resolve(id, { approve: false, reason: answer.reason || 'denied by a human', by }, 'denied');
      return { ok: true };
    }
    let ruleText: string | undefined;
    if (answer.scope === 'always') {
      try {
        ruleText = this.opts.writeAlways(entry.req, entry.target);
      } catch (err) {
        return { ok: false, error: `could not write the rule: ${(err as Error).message}` };
      }
    }
    if (answer.scope === 'session') {
      const set = this.grants.get(entry.req.sessionId) ?? new Set<string>();
      set.add(entry.req.grantKey);
      this.grants.set(entry.req.sessionId, set);
    }
    this.resolve(id, { approve: true, scope: answer.scope, by }, 'approved', ruleText);
    return { ok: true, ruleText };
  }

  private timeOut(id: string): void {
    const approve = this.opts.timeoutDecision() === 'escalate';
    this.resolve(id, approve ? { approve: true, scope: 'once', by: 'timeout' } : { approve: false, reason: 'no answer before the time-out', by: 'timeout' }, 'timed-out');
  }

  private resolve(id: string, answer: Answer, outcome: Outcome, ruleText?: string): void {
    const entry = this.pending.get(id);
    if (!entry) return;
    this.pending.delete(id);
    if (entry.timer) clearTimeout(entry.timer);
    entry.finish(answer);
    const res: Resolution = {
      id,
      outcome,
      by: answer.by,
      ...(answer.approve ? { scope: answer.scope } : { reason: answer.reason }),
      ...(ruleText ? { ruleText } : {}),
    };
    for (const c of this.channels) safe(() => c.onResolved(res));
  }
}

/** A channel that throws must not stop the others, nor the broker. */
function safe(fn: () => void): void {
  try {
    fn();
  } catch (err) {
    process.emitWarning(`execgate: approval channel failed: ${(err as Error).message}`);
  }
}
