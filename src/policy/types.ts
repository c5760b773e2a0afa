export type Decision = 'run' | 'escalate' | 'prompt' | 'deny';
export const DECISIONS: readonly Decision[] = ['run', 'escalate', 'prompt', 'deny'];

/** Precedence among matching rules (docs/policy.md): deny always wins;
 * then a rule naming the exact argument list beats one with globs; then the
 * rule asking for the most attention (prompt > escalate > run); then the
 * first in the file. */
export const PRECEDENCE: Record<Decision, number> = { deny: 3, prompt: 2, escalate: 1, run: 0 };

import type { PolicyRegex } from './regex.js';

export interface Rule {
  id: string;
  /** As written: a bare name (resolved on the host PATH) or an absolute path. */
  program: string;
  /** Token globs for argv[1..]; undefined = any arguments. */
  args?: string[];
  /** What a `**` in args may stand for: each such argument must match one
   * of these globs. Undefined = anything. */
  starArgs?: string[];
  /** On the shell-quoted command line; RE2 syntax, linear time. */
  regex?: PolicyRegex;
  decision: Decision;
  reason?: string;
  /** Examples checked at load: argument lists that must / must not match. */
  match?: string[][];
  notMatch?: string[][];
  /** Line of the rule's [[rule]] header, for messages. */
  line: number;
}

export interface Policy {
  /** Where it was loaded from, or '(built-in)'. */
  source: string;
  default: Decision;
  /** Default for `execgate run` requests no rule matches (never 'run'). */
  explicitDefault: Decision;
  rules: Rule[];
  /** Extra environment names (or NAME* prefixes) allowed to cross to the host. */
  envAllow: string[];
  /** Where bare program names are looked up on the host, in order: the
   * policy's `trusted_path` entries, then DEFAULT_TRUSTED_PATH. Never the
   * broker's inherited PATH, which may reach into the project. */
  trustedPath: string[];
  approvalTimeoutMs: number | null;
  timeoutDecision: 'deny' | 'escalate';
  /** Lines of top-level settings, for messages (absent when built in). */
  settingLines?: Partial<Record<'trusted_path' | 'env_allow', number>>;
}

/** What a request looks like to the policy: bytes from the sandbox, resolved. */
export interface PolicyInput {
  /** The host file the request resolves to (absolute), or null if none. */
  hostProgram: string | null;
  /** hostProgram's canonical path, when the caller has it already (one
   * realpath fewer per rule). */
  hostReal?: string;
  /** argv[1..] as latin1 strings: one char per byte, so matching is byte-exact. */
  args: string[];
  explicit: boolean;
  /** Canonical host directories the requesting sandbox can write; trusted
   * PATH entries under them are skipped. Default none. */
  writableRoots?: readonly string[];
}

export interface Evaluation {
  decision: Decision;
  /** The winning rule, or null when the default decided. */
  rule: Rule | null;
  /** Every rule that matched, in file order. */
  matched: Rule[];
  reason: string;
}
