// The audit log's records, built from what the broker knows about one exec.
// One place decides what each line says (docs/audit.md); the broker
// only says when.
import type { ExitStatus } from '../exec/host-process.js';
import { Kind } from '../protocol/messages.js';
import { signalName } from '../runtime/signal-names.js';
import type { Plan } from '../session/plan.js';
import type { AuditRecord } from './audit-log.js';
import { redactArgv } from './redact.js';

/** Whose exec: the session's id and label. */
export interface Who {
  id: string;
  label: string;
}

/** How an escalation or a prompt ended. */
export interface CompletionInfo {
  decidedBy: string;
  outcome: 'denied' | 'exited';
  reason?: string;
  status?: ExitStatus;
  durationMs?: number;
  pid?: number;
}

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

function common(who: Who, plan: Plan) {
  return { session: who.id, label: who.label, request: plan.id, pid: plan.request.pid };
}

export function decisionRecord(who: Who, plan: Plan): AuditRecord {
  return {
    event: 'decision',
    ...common(who, plan),
    // A program shim asked (README, "Mediation beyond the shell").
    ...(plan.request.kind === Kind.SHIM ? { via: 'shim' } : {}),
    explicit: plan.explicit,
    program: plan.file,
    host_program: plan.host?.program ?? null,
    argv: redactArgv(plan.argv),
    cwd: plan.cwd,
    host_cwd: plan.host?.cwd ?? null,
    decision: plan.decision,
    decided_by: plan.decidedBy,
    reason: plan.reason,
  };
}

export function completionEvent(who: Who, plan: Plan, info: CompletionInfo, now = Date.now()): CompletionEvent {
  const status = info.status;
  const signal = status?.signal ? (signalName(status.signal) ?? String(status.signal)) : null;
  return {
    id: plan.id,
    sessionId: who.id,
    label: who.label,
    hostProgram: plan.host?.program ?? null,
    argv: redactArgv(plan.argv),
    decidedBy: info.decidedBy,
    outcome: info.outcome,
    reason: info.reason,
    exitCode: status && !status.signal ? status.code : null,
    signal,
    durationMs: info.durationMs,
    time: now,
  };
}

export function completionRecord(who: Who, plan: Plan, info: CompletionInfo, event: CompletionEvent): AuditRecord {
  return {
    event: 'completion',
    ...common(who, plan),
    host_program: event.hostProgram,
    decided_by: info.decidedBy,
    outcome: info.outcome,
    reason: info.reason,
    host_pid: info.pid,
    exit_code: event.exitCode,
    signal: event.signal,
    duration_ms: info.durationMs,
  };
}

export function protocolErrorRecord(who: Who, why: string, plan: Plan | null): AuditRecord {
  return { event: 'protocol-error', session: who.id, label: who.label, request: plan?.id ?? null, what: why };
}
