// A monotonic clock in milliseconds for the broker's hot paths. Node's
// global `performance` loads perf_hooks on first use: about 1.1 ms here,
// paid by the first exec that reached a broker (and the first escalation);
// process.hrtime is a binding already loaded.
export function monotonicMs(): number {
  const [s, ns] = process.hrtime();
  return s * 1e3 + ns / 1e6;
}
