// The broker's reply-latency histograms: percentiles to within a bucket
// (12.5%), exact counts, min and max, fixed memory whatever the values.
import { describe, expect, it } from 'vitest';
import { DecisionStats, LatencyHistogram } from '../../../src/session/stats.js';

const within = (got: number, want: number) => expect(Math.abs(got - want) / want).toBeLessThanOrEqual(0.125);

describe('LatencyHistogram', () => {
  it('reads percentiles of a known spread to within 12.5%', () => {
    const h = new LatencyHistogram();
    for (let us = 1; us <= 10_000; us++) h.record(us);
    within(h.quantile(0.5), 5_000);
    within(h.quantile(0.9), 9_000);
    within(h.quantile(0.99), 9_900);
    const s = h.summary();
    expect(s).toMatchObject({ count: 10_000, minUs: 1, maxUs: 10_000, meanUs: 5_000.5 });
    expect(s.histogram.reduce((n, [, , c]) => n + c, 0)).toBe(10_000);
  });

  it('keeps small values exact and buckets contiguous, each value inside its bucket', () => {
    const h = new LatencyHistogram();
    const values = [0, 0.4, 1, 7.9, 8, 15.99, 16, 100, 1_000, 123_456, 5e6];
    values.forEach((v) => h.record(v));
    const { histogram } = h.summary();
    for (const v of values) expect(histogram.some(([lo, hi]) => v >= lo && v < hi)).toBe(true);
    for (const [lo, hi] of histogram) expect(hi).toBeGreaterThan(lo);
    expect(histogram.slice(0, 2)).toEqual([[0, 1, 2], [1, 2, 1]]);
  });

  it('a tail moves p99 and max, not p50', () => {
    const h = new LatencyHistogram();
    for (let i = 0; i < 990; i++) h.record(50);
    for (let i = 0; i < 10; i++) h.record(20_000);
    within(h.quantile(0.5), 50);
    within(h.quantile(0.99), 50);
    h.record(20_000);
    within(h.quantile(0.99), 20_000);
    expect(h.summary().maxUs).toBe(20_000);
  });

  it('counts a value beyond its range in the last bucket and keeps it as the exact max', () => {
    const h = new LatencyHistogram();
    h.record(1e13);
    const s = h.summary();
    expect(s.count).toBe(1);
    expect(s.maxUs).toBe(1e13);
    expect(s.p50Us).toBe(1e13);
    expect(s.histogram).toHaveLength(1);
  });

  it('is all zeros when empty', () => {
    expect(new LatencyHistogram().summary()).toEqual({ count: 0, p50Us: 0, p90Us: 0, p99Us: 0, minUs: 0, maxUs: 0, meanUs: 0, histogram: [] });
  });
});

describe('DecisionStats', () => {
  it('keeps one histogram per reply, in microseconds, and counts fast-path records', () => {
    const s = new DecisionStats();
    s.replied('run', 0.05);
    s.replied('run', 0.07);
    s.replied('escalate', 3);
    s.recorded();
    const snap = s.snapshot();
    expect(snap.replies.run).toMatchObject({ count: 2, minUs: 50, maxUs: 70 });
    expect(snap.replies.escalate).toMatchObject({ count: 1, p50Us: 3000 });
    expect(snap.replies.deny.count).toBe(0);
    expect(snap.records).toBe(1);
    expect(Number.isNaN(Date.parse(snap.since))).toBe(false);
  });
});
