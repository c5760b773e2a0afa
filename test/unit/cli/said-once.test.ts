import { describe, expect, it } from 'vitest';
import { saidOnce } from '../../../src/cli/said-once.js';

describe('saidOnce', () => {
  it('says each distinct line once', () => {
    const out: string[] = [];
    const say = saidOnce((l) => out.push(l), 100);
    for (const l of ['a', 'b', 'a', 'c', 'b', 'a']) say(l);
    expect(out).toEqual(['a', 'b', 'c']);
  });

  it('remembers no more characters than its cap, and says what did not fit every time', () => {
    const out: string[] = [];
    const say = saidOnce((l) => out.push(l), 6);
    const long = 'x'.repeat(7);
    for (const l of ['aaa', long, 'bbb', long, 'ccc', 'ccc', 'aaa', 'bbb']) say(l);
    expect(out).toEqual(['aaa', long, 'bbb', long, 'ccc', 'ccc']);
  });
});
