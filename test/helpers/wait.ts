// Waiting for a condition, never for a time: tests poll the state itself
// (a file, an audit line, a process) and fail with what they waited for.
import { execFileSync } from 'node:child_process';

export async function waitFor(cond: () => boolean | Promise<boolean>, opts: { what: string; timeoutMs?: number; everyMs?: number }): Promise<void> {
  const until = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    if (await cond()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${opts.what}`);
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 20));
  }
}

/** The same for tests that drive a terminal synchronously (tmux). */
export function waitUntil(cond: () => boolean, what: string, timeoutMs = 15_000): void {
  const until = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > until) throw new Error(`timed out waiting for ${what}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  }
}

/** Pids of the processes whose command line matches (pgrep -f). */
export function pgrep(pattern: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean).map(Number);
  } catch {
    return [];
  }
}
