// A human's answer, from any channel (the control socket for `execgate
// approve` and the tmux popup, the web page's POST, serve's own terminal),
// turned into a HumanAnswer by one set of rules: the scope a yes covers, and
// what a deny reason may hold.
import { MAX_DENY_REASON } from '../protocol/limits.js';
import type { HumanAnswer, Scope } from './types.js';

export const SCOPES: readonly Scope[] = ['once', 'session', 'always'];

/** The fields of an answer as any channel sends them (JSON, or built from
 * a key or a command-line word). */
export interface AnswerFields {
  approve?: unknown;
  scope?: unknown;
  reason?: unknown;
}

export type ParsedAnswer = { ok: true; answer: HumanAnswer } | { ok: false; error: string };

/** A deny reason as plain one-line text: controls, format characters (bidi,
 * zero-width) and line breaks become one space each run; trimmed; cut at
 * MAX_DENY_REASON code points (never inside a character); empty is none. */
export function cleanReason(text: string): string | undefined {
  const flat = text.replace(/[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]+/gu, ' ').trim();
  const cut = Array.from(flat).slice(0, MAX_DENY_REASON).join('').trimEnd();
  return cut === '' ? undefined : cut;
}

/** `approve: true` with a scope (once when none is given), or `approve:
 * false` with an optional reason. */
export function parseAnswer(fields: AnswerFields): ParsedAnswer {
  if (fields.approve === true) {
    const scope = fields.scope ?? 'once';
    if (!SCOPES.includes(scope as Scope)) return { ok: false, error: 'scope must be once, session or always' };
    return { ok: true, answer: { approve: true, scope: scope as Scope } };
  }
  if (fields.approve === false) {
    if (fields.reason !== undefined && fields.reason !== null && typeof fields.reason !== 'string') return { ok: false, error: 'reason must be a string' };
    return { ok: true, answer: { approve: false, reason: typeof fields.reason === 'string' ? cleanReason(fields.reason) : undefined } };
  }
  return { ok: false, error: 'approve must be true or false' };
}

/** `execgate approve --answer ID WORD [--reason TEXT]`. */
export function parseAnswerWord(word: string | undefined, reason?: string): ParsedAnswer {
  if (word === 'deny') return parseAnswer({ approve: false, reason });
  if (SCOPES.includes(word as Scope)) return parseAnswer({ approve: true, scope: word });
  return { ok: false, error: '--answer ID needs one of once, session, always, deny' };
}
