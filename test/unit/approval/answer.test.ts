import { describe, expect, it } from 'vitest';
import { cleanReason, parseAnswer, parseAnswerWord } from '../../../src/approval/answer.js';
import { MAX_DENY_REASON } from '../../../src/protocol/limits.js';

describe('one parser for a human answer', () => {
  it('approves with a scope, once when none is given', () => {
    expect(parseAnswer({ approve: true })).toEqual({ ok: true, answer: { approve: true, scope: 'once' } });
    for (const scope of ['once', 'session', 'always']) expect(parseAnswer({ approve: true, scope })).toEqual({ ok: true, answer: { approve: true, scope } });
    expect(parseAnswer({ approve: true, scope: 'forever' })).toEqual({ ok: false, error: 'scope must be once, session or always' });
  });

  it('denies with an optional reason, made one plain line', () => {
    expect(parseAnswer({ approve: false })).toEqual({ ok: true, answer: { approve: false, reason: undefined } });
    expect(parseAnswer({ approve: false, reason: null })).toEqual({ ok: true, answer: { approve: false, reason: undefined } });
    expect(parseAnswer({ approve: false, reason: '  no\x1b[2J\nway\u202e\u200b! \u0085 ' })).toEqual({ ok: true, answer: { approve: false, reason: 'no [2J way !' } });
    expect(parseAnswer({ approve: false, reason: ' \n\t ' })).toEqual({ ok: true, answer: { approve: false, reason: undefined } });
    expect(parseAnswer({ approve: false, reason: 5 })).toEqual({ ok: false, error: 'reason must be a string' });
  });

  it('refuses anything else', () => {
    for (const approve of [undefined, 1, 'yes', null]) expect(parseAnswer({ approve })).toEqual({ ok: false, error: 'approve must be true or false' });
  });

  it('cuts reasons at MAX_DENY_REASON code points, never inside a character', () => {
    expect(cleanReason('x'.repeat(MAX_DENY_REASON * 2))).toBe('x'.repeat(MAX_DENY_REASON));
    const emoji = cleanReason('🤖'.repeat(MAX_DENY_REASON + 3))!;
    expect(Array.from(emoji)).toHaveLength(MAX_DENY_REASON);
    expect(emoji).not.toMatch(/[\ud800-\udfff](?![\udc00-\udfff])/u);
  });

  it('reads the words of `execgate approve --answer ID WORD`', () => {
    expect(parseAnswerWord('session')).toEqual({ ok: true, answer: { approve: true, scope: 'session' } });
    expect(parseAnswerWord('deny', 'not\nnow')).toEqual({ ok: true, answer: { approve: false, reason: 'not now' } });
    expect(parseAnswerWord('yes')).toMatchObject({ ok: false });
    expect(parseAnswerWord(undefined)).toMatchObject({ ok: false });
  });
});
