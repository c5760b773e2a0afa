// "Always" answers become a rule in the user's policy file: the exact host
// program and the exact arguments (globs escaped), decision escalate. The
// rule's text is returned so every channel can show what was written.
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { PendingRequest } from './types.js';

/** A TOML basic string. */
function tomlString(s: string): string {
  return JSON.stringify(s).replace(/\u007f/g, '\\u007f');
}

/** A literal token: glob characters escaped so the rule matches only this. */
function literalGlob(arg: string): string {
  return arg === '**' ? '\\*\\*' : arg.replace(/[\\*?[]/g, '\\$&');
}

/** `program` is a bare name or the absolute path as named on the host. */
export function alwaysRuleText(program: string, rawArgs: string[], req: PendingRequest, now = new Date()): string {
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
