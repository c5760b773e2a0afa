// The package's programmatic surface: exports only.
export { Broker, type BrokerOptions, type CompletionEvent } from './session/broker.js';
export { Session, type SessionOptions } from './session/session.js';
export { PathMap, type PathMapping } from './sandbox/path-map.js';
export { parsePolicy, loadPolicyFile, builtinPolicy, PolicyError } from './policy/load.js';
export { evaluate } from './policy/evaluate.js';
export type { Policy, Rule, Decision, Evaluation } from './policy/types.js';
export { ApprovalQueue, type Channel, type Resolution } from './approval/queue.js';
export type { Approver, Answer, PendingRequest, Scope } from './approval/types.js';
export { AuditLog, noAudit, type Audit, type AuditRecord } from './audit/audit-log.js';
export { startRuntime, type Runtime, type RuntimeOptions } from './runtime/runtime.js';
export { loadAddon } from './native/addon.js';
