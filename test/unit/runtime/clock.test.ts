import { describe, expect, it } from 'vitest';
import { monotonicMs } from '../../../src/runtime/clock.js';

describe('monotonicMs', () => {
  it('runs on the clock performance.now() reads: an interval inside another is no longer than it', () => {
    const outerStart = performance.now();
    const a = monotonicMs();
    const innerStart = performance.now();
    while (performance.now() < innerStart + 5);
    const b = monotonicMs();
    const outerEnd = performance.now();
    // [innerStart, innerStart + 5] lies within [a, b], which lies within
    // [outerStart, outerEnd], all on one monotonic clock.
    expect(b - a).toBeGreaterThanOrEqual(5);
    expect(b - a).toBeLessThanOrEqual(outerEnd - outerStart);
  });
});
