// Policy regexes run on RE2 (the pure-JS port `re2js`): linear time in the
// subject, whatever the pattern, so a request cannot make a rule backtrack.
// RE2 has no lookaround and no backreferences; such patterns (and JS-only
// syntax like `[^]` or `\u0041`) are refused at load with the file and line.
//
// re2js is loaded on the first regex compiled (its CommonJS build, so that
// compiling stays synchronous): it is the largest module execgate has, and
// most policies, the built-in one included, have no regex at all.
import { createRequire } from 'node:module';
import type { RE2JS } from 're2js';
import { MAX_REGEX_PROGRAM, MAX_REGEX_SUBJECT } from '../protocol/limits.js';
import { shellQuote } from './shell-quote.js';
import type { Decision } from './types.js';

export class RegexError extends Error {
  override name = 'RegexError';
}

export interface PolicyRegex {
  /** The pattern as written in the policy (UTF-8 text). */
  source: string;
  test(subject: string): boolean;
}

let re2: typeof RE2JS | null = null;

function re2js(): typeof RE2JS {
  return (re2 ??= (createRequire(import.meta.url)('re2js') as { RE2JS: typeof RE2JS }).RE2JS);
}

/** Compiles a policy regex (its bytes as latin1, like the subjects). */
export function compileRegex(source: string): PolicyRegex {
  let re: RE2JS;
  try {
    re = re2js().compile(Buffer.from(source, 'utf8').toString('latin1'));
  } catch (err) {
    const why = (err as Error).message.replace(/^error parsing regexp: /, '');
    const hint = /\(\?[=!<]|\\[1-9]/.test(source) ? ' (RE2 syntax: no lookaround, no backreferences)' : '';
    throw new RegexError(`${why}${hint}`);
  }
  if (re.programSize() > MAX_REGEX_PROGRAM) {
    throw new RegexError(`too complex (${re.programSize()} RE2 instructions, at most ${MAX_REGEX_PROGRAM}): every request would pay for it`);
  }
  return { source, test: (subject) => re.test(subject) };
}

/** The shell-quoted command line `name arg...`, or null when it would be
 * longer than MAX_REGEX_SUBJECT (computed only that far). */
export function regexSubject(words: string[]): string | null {
  let raw = 0;
  for (const w of words) {
    raw += w.length + 1;
    if (raw > MAX_REGEX_SUBJECT + 1) return null;
  }
  let out = '';
  for (const w of words) {
    out += (out === '' ? '' : ' ') + shellQuote(w);
    if (out.length > MAX_REGEX_SUBJECT) return null;
  }
  return out;
}

/** How a rule's regex answers a subject too long to read: a rule that holds
 * things back still applies, a rule that lets things through does not. */
export function matchesUnread(decision: Decision): boolean {
  return decision === 'deny' || decision === 'prompt';
}
