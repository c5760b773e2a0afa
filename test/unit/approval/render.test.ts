import { describe, expect, it } from 'vitest';
import { countdown, foldArg, renderRequest } from '../../../src/approval/render.js';

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
  it('shows what crosses and quotes arguments', () => {
    const lines = renderRequest({ id: '1', sessionId: 's', label: 'agent', hostProgram: '/usr/bin/git', argv: ['git', 'commit', '-m', 'two words'], cwd: '/w', hostCwd: '/home/me/w', env: { TERM: 'xterm' }, grantKey: 'k', ruleId: 'git', reason: 'needs a human', explicit: false, deadline: null });
    expect(lines.join('\n')).toContain("git commit -m 'two words'");
    expect(lines.join('\n')).toContain('(host: /home/me/w)');
    expect(lines.join('\n')).toContain('TERM=xterm');
    expect(lines.join('\n')).toContain('git: needs a human');
  });
});
