// What the broker decided during one tool call: the execs it denied, ran on
// the host, or asked a human about, and how each ended; from the broker's
// own record (Broker.watchSession in process; serve's approval events when
// attached), never from the command's output, which the sandbox writes.
import type { CompletionEvent } from '../audit/records.js';
import type { DecisionEvent } from '../session/broker.js';

export interface HostRequest {
  id: string;
  argv: string[];
  hostProgram: string | null;
  decision: 'escalate' | 'prompt' | 'deny';
  ruleId: string | null;
  /** The rule's reason (deny), or why it was asked. */
  reason: string;
  decidedBy: string;
  /** Set once it ended: ran on the host, or was refused (by a human, a
   * time-out, an error). */
  outcome?: { kind: 'exited'; exitCode: number | null; signal: string | null; by: string } | { kind: 'denied'; by: string; reason: string };
  /** Who approved it, when only the queue told (attached to serve). */
  approvedBy?: string;
  /** What the approval dialog said about it (answered elsewhere first...). */
  notes: string[];
}

/** The requests of the call now running, in order. Calls run one at a time;
 * a request of no call (a background job's, between calls) is dropped. */
export class CallRecord {
  private current: Map<string, HostRequest> | null = null;
  private readonly listeners = new Set<(req: HostRequest, what: 'asked' | 'ended') => void>();

  begin(): void {
    this.current = new Map();
  }

  /** Ends the call's record and returns it. */
  end(): HostRequest[] {
    const list = [...(this.current?.values() ?? [])];
    this.current = null;
    return list;
  }

  /** Told when a request of the running call waits for a human, or ends. */
  onChange(listener: (req: HostRequest, what: 'asked' | 'ended') => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  decision(e: DecisionEvent): void {
    const req = this.entry(e.id, e.argv, e.hostProgram);
    if (!req) return;
    Object.assign(req, { decision: e.decision, ruleId: e.ruleId, reason: e.reason, decidedBy: e.decidedBy });
    if (e.decision === 'prompt') this.listeners.forEach((l) => l(req, 'asked'));
  }

  completion(e: CompletionEvent): void {
    const req = this.entry(e.id, e.argv, e.hostProgram);
    if (!req) return;
    req.outcome = e.outcome === 'exited' ? { kind: 'exited', exitCode: e.exitCode, signal: e.signal, by: e.decidedBy } : { kind: 'denied', by: e.decidedBy, reason: e.reason ?? 'denied' };
    this.listeners.forEach((l) => l(req, 'ended'));
  }

  /** A prompt seen on the approval queue (attached to serve, where no
   * decision events come): recorded as asked, if no decision was. */
  asked(id: string, argv: string[], hostProgram: string, ruleId: string | null, reason: string): void {
    const known = this.current?.has(id);
    const req = this.entry(id, argv, hostProgram);
    if (!req || known) return;
    Object.assign(req, { decision: 'prompt', ruleId, reason });
    this.listeners.forEach((l) => l(req, 'asked'));
  }

  /** How a prompt was answered, from the queue (attached to serve). */
  answered(id: string, outcome: 'approved' | 'denied' | 'timed-out' | 'cancelled', by: string, reason?: string): void {
    const req = this.current?.get(id);
    if (!req || req.outcome) return;
    if (outcome !== 'approved') req.outcome = { kind: 'denied', by, reason: reason ?? outcome };
    else req.approvedBy = by;
  }

  note(id: string, text: string): void {
    this.current?.get(id)?.notes.push(text);
  }

  private entry(id: string, argv: string[], hostProgram: string | null): HostRequest | null {
    if (!this.current) return null;
    let req = this.current.get(id);
    if (!req) {
      req = { id, argv, hostProgram, decision: 'escalate', ruleId: null, reason: '', decidedBy: '', notes: [] };
      this.current.set(id, req);
    }
    return req;
  }
}
