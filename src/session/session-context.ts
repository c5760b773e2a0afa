// What one exec's handler (exec-handler.ts) needs from its session and
// broker, as an interface: the handler is tested on its own over a real
// socketpair with a scripted context (test/unit/session/exec-handler.test.ts).
import type { CompletionInfo } from '../audit/records.js';
import type { ExitStatus } from '../exec/host-process.js';
import type { Fd } from '../native/fd.js';
import type { Request, Stdio } from '../protocol/messages.js';
import type { Plan } from './plan.js';
import type { Reply } from './stats.js';

export type { CompletionInfo } from '../audit/records.js';

export type Verdict = { approve: true; by: string } | { approve: false; reason: string; by: string };

/** An approved command running on the host, as the handler drives it. */
export interface HostCommand {
  /** The command's pid, once known (null before it started, or if it never did). */
  readonly pid: number | null;
  /** Settles once the command is about to exec (with its pid), or has
   * ended without (null); never rejects. */
  readonly started: Promise<number | null>;
  readonly exited: Promise<ExitStatus>;
  /** A signal the wrapper received, for the command's process group. */
  forward(signo: number): void;
  resize(rows: number, cols: number): void;
  /** SIGTERM now, SIGKILL after the grace period. */
  terminate(): void;
  /** Set by the handler: the command stopped by itself. */
  onStop: (signal: number) => void;
}

export interface Deadlines {
  /** From the connection's arrival to its Request. */
  requestMs: number;
  /** From SendStdio to the Stdio frame. */
  stdioMs: number;
}

export interface SessionContext {
  readonly deadlines: Deadlines;
  /** What the request would do: host program, cwd, rule, decision. */
  plan(req: Request): Plan;
  /** The variable names (or NAME* prefixes) that may cross to the host. */
  envAllow(): readonly string[];
  /** Escalate: yes at once; prompt: ask a human (the answer is "cancelled"
   * once `signal` aborts: the wrapper went away). */
  authorize(plan: Plan, crossing: Map<string, Buffer>, signal: AbortSignal): Promise<Verdict>;
  /** Starts the approved command with the wrapper's stdio (the fds stay the
   * caller's). Throws when it cannot be started; the session owns it. */
  spawn(plan: Plan, crossing: Map<string, Buffer>, stdio: Stdio, fds: readonly Fd[]): HostCommand;
  notify(event: string): void;
  auditDecision(plan: Plan): void;
  auditCompletion(plan: Plan, info: CompletionInfo): void;
  auditProtocolError(why: string, plan: Plan | null): void;
  /** The reply that lets the wrapper go on was sent, `ms` after the
   * connection arrived (stats.ts). */
  replied?(reply: Reply, ms: number): void;
}
