import { describe, expect, it } from 'vitest';
import { FOLD_AT, foldArg, isFolded, MAX_SHOWN_ARGS } from '../../../src/approval/fold.js';
import { countdown, renderFull, renderSummary } from '../../../src/approval/render.js';
import type { PendingRequest } from '../../../src/approval/types.js';

const req = (over: Partial<PendingRequest> = {}): PendingRequest => ({
  id: '1', sessionId: 's', label: 'agent', hostProgram: '/usr/bin/git', argv: ['git', 'commit', '-m', 'two words'], cwd: '/w', hostCwd: '/home/me/w',
  env: { TERM: 'xterm' }, grantKey: 'k', ruleId: 'git', projectCode: null, reason: 'needs a human', explicit: false, deadline: null, ...over,
});

describe('render', () => {
  it('folds long arguments keeping both ends', () => {
    const long = `a${'x'.repeat(100_000)}z`;
    const folded = foldArg(long);
    expect(folded.length).toBeLessThan(200);
    expect(folded.startsWith('ax')).toBe(true);
    expect(folded.endsWith('xz')).toBe(true);
    expect(folded).toContain('more chars');
    expect(foldArg('short')).toBe('short');
  });

  it('counts down', () => {
    expect(countdown(1_000_000 + 125_000, 1_000_000)).toBe('times out in 2:05');
    expect(countdown(null)).toBe('no time-out');
    expect(countdown(1, 5)).toBe('times out in 0:00');
  });

  it('summary: shows what crosses and quotes arguments with the shell quoter', () => {
    const { lines, folded } = renderSummary(req({ argv: ['git', 'commit', '-m', 'two words', '', "it's"] }));
    const text = lines.join('\n');
    expect(text).toContain(`argv     git commit -m 'two words' '' 'it'\\''s'`);
    expect(text).toContain('(host: /home/me/w)');
    expect(text).toContain('TERM=xterm');
    expect(text).toContain('git: needs a human');
    expect(folded).toBe(false);
  });

  it('summary: says when it folds, and a request is folded exactly when an argument or value is long or there are too many', () => {
    expect(isFolded(req({ argv: ['x', 'a'.repeat(FOLD_AT)] }))).toBe(false);
    expect(isFolded(req({ argv: ['x', 'a'.repeat(FOLD_AT + 1)] }))).toBe(true);
    expect(isFolded(req({ env: { LANG: 'a'.repeat(FOLD_AT + 1) } }))).toBe(true);
    expect(isFolded(req({ argv: Array(MAX_SHOWN_ARGS).fill('x') }))).toBe(false);
    expect(isFolded(req({ argv: Array(MAX_SHOWN_ARGS + 1).fill('x') }))).toBe(true);
    const s = renderSummary(req({ argv: ['sh', '-c', `A${'x'.repeat(500)}PAYLOAD${'x'.repeat(500)}Z`] }));
    expect(s.folded).toBe(true);
    expect(s.lines.join('\n')).not.toContain('PAYLOAD');
    const many = renderSummary(req({ argv: Array.from({ length: 250 }, (_, i) => String(i)) }));
    expect(many.lines[many.argvLine]).toContain('…[50 more arguments]');
  });

  it('full: every argument and variable on a line of its own, nothing folded', () => {
    const arg = `A${'x'.repeat(5000)}PAYLOAD${'x'.repeat(5000)}Z`;
    const lines = renderFull(req({ argv: ['sh', '-c', arg, ...Array.from({ length: 250 }, (_, i) => String(i))], env: { TERM: 'xterm', LANG: 'C' } }));
    expect(lines).toContain(`  argv[2]  ${arg}`);
    expect(lines).toContain('  argv[251] 248');
    expect(lines).toContain('  env      TERM=xterm');
    expect(lines).toContain('  env      LANG=C');
    expect(lines.join('\n')).not.toContain('more');
  });
});
