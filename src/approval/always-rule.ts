// "Always" answers become a rule in the user's policy file: the canonical
// host program that was shown (policy/rule-program.ts) and the exact
// arguments (globs escaped), decision escalate. The rule's text is returned
// so every channel can show what was written; a refusal is thrown, and every
// channel shows its message.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { programForRule } from '../policy/rule-program.js';
import type { Policy } from '../policy/types.js';
import type { PendingRequest } from './types.js';

export class AlwaysRefused extends Error {
  override name = 'AlwaysRefused';
}

export interface AlwaysContext {
  /** The policy in force: its trusted PATH decides whether a bare name fits. */
  policy: Policy;
  /** The requesting session's writable roots (canonical host paths). */
  writableRoots: readonly string[];
  /** The host path the request named (its file name is preferred as the
   * bare name when it resolves to the same canonical file). */
  named?: string;
}

/** A TOML basic string. */
function tomlString(s: string): string {
  return JSON.stringify(s).replace(/\u007f/g, '\\u007f');
}

/** A literal token: glob characters escaped so the rule matches only this. */
function literalGlob(arg: string): string {
  return arg === '**' ? '\\*\\*' : arg.replace(/[\\*?[]/g, '\\$&');
}

/** `canonical` is the host program shown to the human (PendingRequest
 * hostProgram). Throws AlwaysRefused when no rule may name it. */
export function alwaysRuleText(canonical: string, rawArgs: string[], req: PendingRequest, ctx: AlwaysContext, now = new Date()): string {
  const chosen = programForRule(canonical, ctx.policy, ctx.writableRoots, ctx.named);
  if (!chosen.ok) throw new AlwaysRefused(chosen.why);
  const program = chosen.program;
  const stamp = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  const id = `approved-${stamp}-${req.id.replace(/[^A-Za-z0-9]/g, '')}`;
  return [
    '',
    `# Added by execgate when a human answered "always" (${now.toISOString()}).`,
    '[[rule]]',
    `id = ${tomlString(id)}`,
    `program = ${tomlString(program)}`,
    `args = [${rawArgs.map((a) => tomlString(literalGlob(a))).join(', ')}]`,
    'decision = "escalate"',
    '',
  ].join('\n');
}

/** Appends the rule; creates the file (and its directory) if needed. */
export function appendRule(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const needsNewline = existsSync(file) && !readFileSync(file, 'utf8').endsWith('\n');
  appendFileSync(file, (needsNewline ? '\n' : '') + text, { mode: 0o600 });
}
