import { describe, expect, it } from 'vitest';
import { saidOnce } from '../../../src/cli/said-once.js';

describe('saidOnce', () => {
  it('says each distinct line once', () => {
    const out: string[] = [];
    const say = saidOnce((l) => out.push(l), 10);
    for (const l of ['a', 'b', 'a', 'c', 'b', 'a']) say(l);
    expect(out).toEqual(['a', 'b', 'c']);
  });

  it('remembers no more than its cap, and says the rest every time', () => {
    const out: string[] = [];
    const say = saidOnce((l) => out.push(l), 2);
    for (const l of ['a', 'b', 'c', 'c', 'a', 'd', 'b']) say(l);
    expect(out).toEqual(['a', 'b', 'c', 'c', 'd']);
  });
});
