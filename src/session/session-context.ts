// What a connection needs from its session and broker: kept as an interface
// so the connection's state machine can be tested on its own.
import type { ExitStatus } from '../exec/host-process.js';
import type { Spawner } from '../exec/spawner.js';
import type { Request } from '../protocol/messages.js';
import type { Plan } from './plan.js';

export type Verdict = { approve: true; by: string } | { approve: false; reason: string; by: string };

export interface CompletionInfo {
  decidedBy: string;
  outcome: 'denied' | 'exited';
  reason?: string;
  status?: ExitStatus;
  durationMs?: number;
  pid?: number;
}

export interface SessionContext {
  plan(req: Request): Plan;
  /** Extra variable names the policy lets cross (beyond the defaults). */
  envAllow(): string[];
  /** Escalate: yes at once; prompt: ask a human (aborted if the wrapper goes). */
  authorize(plan: Plan, crossing: Map<string, Buffer>, signal: AbortSignal): Promise<Verdict>;
  notify(event: string): void;
  auditDecision(plan: Plan): void;
  auditCompletion(plan: Plan, info: CompletionInfo): void;
  auditProtocolError(why: string, plan: Plan | null): void;
  /** The broker's: starts approved commands on the host. */
  spawner: Spawner;
}
