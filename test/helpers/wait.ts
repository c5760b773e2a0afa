// Waiting for a condition, never for a time: tests poll the state itself
// (a file, an audit line, a process) and fail with what they waited for.

export async function waitFor(cond: () => boolean | Promise<boolean>, opts: { what: string; timeoutMs?: number; everyMs?: number }): Promise<void> {
  const until = Date.now() + (opts.timeoutMs ?? 20_000);
  for (;;) {
    if (await cond()) return;
    if (Date.now() > until) throw new Error(`timed out waiting for ${opts.what}`);
    await new Promise((r) => setTimeout(r, opts.everyMs ?? 20));
  }
}
