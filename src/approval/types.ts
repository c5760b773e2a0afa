// What a human is asked, and what they can answer. Channels (tmux, web,
// terminal) show a PendingRequest and return an Answer; the approval core
// decides which answer counts.

/** Every string here is for display, escaped (displayBytes/displayText):
 * never the raw bytes, and never compared to decide anything. What counts is
 * `grantKey`, made from the bytes. */
export interface PendingRequest {
  id: string;
  sessionId: string;
  label: string;
  /** Host program that would run (absolute, canonical), escaped. */
  hostProgram: string;
  /** argv, escaped. */
  argv: string[];
  cwd: string;
  hostCwd: string;
  /** Variables that would cross from the sandbox, values escaped. */
  env: Record<string, string>;
  /** What a "this session" answer covers: grantKey() of the exact bytes
   * (program, argv, host cwd, crossing environment). Opaque. */
  grantKey: string;
  ruleId: string | null;
  /** The host program runs code from files the agent can write (git hooks,
   * npm scripts...): why, for a note on the prompt; null otherwise. */
  projectCode: string | null;
  reason: string;
  explicit: boolean;
  /** Epoch ms at which the request times out, or null for never. */
  deadline: number | null;
}

export type Scope = 'once' | 'session' | 'always';

/** What a human said, from any channel (parsed by answer.ts). */
export type HumanAnswer = { approve: true; scope: Scope } | { approve: false; reason?: string };

export type Answer =
  | { approve: true; scope: Scope; by: string }
  | { approve: false; reason?: string; by: string };

/** What an "always" answer writes a rule for: the program the human was
 * shown (canonical), the host path as the request named it, and the
 * arguments as text (null when they are not valid UTF-8: no rule can name
 * them). Carried with the question, so answering needs nothing back from
 * the broker. */
export interface RuleTarget {
  program: string;
  named: string;
  args: string[] | null;
  /** The asking session's writable roots: no rule may name a program there. */
  writableRoots: readonly string[];
}

export interface Approver {
  /** Resolves with the answer; rejects never. `signal` aborts when the
   * requester went away (the wrapper died, the session closed). */
  ask(request: PendingRequest, signal: AbortSignal, target: RuleTarget): Promise<Answer>;
}

/** --dangerously-approve-all: every prompt is approved, and audited as such. */
export const approveAll: Approver = {
  ask: async () => ({ approve: true, scope: 'once', by: 'flag:dangerously-approve-all' }),
};
