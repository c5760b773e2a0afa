// No escalated process outlives its caller: a wrapper killed (even by
// SIGKILL), its connection lost, or its session closed ends the host
// command's whole process group (SIGTERM, then SIGKILL). Signals the wrapper
// gets reach the host group, and the shell sees the status it would have.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { execgateShell, plainBash, rule } from '../helpers/execgate.js';

const escalate = ['sh', 'sleep'].map((p) => rule(`${p}-host`, p, 'escalate')).join('');
const unique = () => `${41}${Math.floor(Math.random() * 1e6)}`;
/** A bash function: wait until a process matching $1 runs (pgrep -f), so a
 * script signals its job only once the host command really started. */
const waitproc = 'waitproc() { until pgrep -f "$1" >/dev/null; do read -t 0.02 </dev/zero || :; done; };';

function running(pattern: string): string[] {
  try {
    return execFileSync('pgrep', ['-f', pattern], { encoding: 'utf8' }).trim().split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

async function gone(pattern: string, ms = 4000): Promise<boolean> {
  for (const until = Date.now() + ms; Date.now() < until; await new Promise((r) => setTimeout(r, 50))) {
    if (running(pattern).length === 0) return true;
  }
  return false;
}

describe('lifetime of escalated commands', () => {
  it('a wrapper killed with SIGKILL takes the whole host process group with it', async () => {
    const n = unique();
    // The host command starts a child of its own in the same group.
    const r = await execgateShell(`${waitproc} sh -c 'sleep ${n}1 & sleep ${n}2' & w=$!; waitproc '^sleep ${n}2$'; kill -KILL $w; wait $w; echo "status $?"`, { policy: escalate });
    expect(r.stdout.toString()).toBe('status 137\n');
    expect(await gone(`sleep ${n}`)).toBe(true);
  });

  it('a host command that ignores SIGTERM is killed after the grace period', async () => {
    const n = unique();
    const started = Date.now();
    const r = await execgateShell(`${waitproc} sh -c 'trap "" TERM; sleep ${n}' & w=$!; waitproc '^sleep ${n}$'; kill -KILL $w; wait $w; echo done`, { policy: escalate });
    expect(r.stdout.toString()).toBe('done\n');
    // The broker waited out the grace period and killed it before exiting.
    expect(running(`sleep ${n}`)).toEqual([]);
    expect(Date.now() - started).toBeGreaterThan(2000);
  });

  it('ends escalated commands when the session closes (shell exits)', async () => {
    const n = unique();
    await execgateShell(`${waitproc} sleep ${n} & waitproc '^sleep ${n}$'`, { policy: escalate });
    expect(await gone(`sleep ${n}`)).toBe(true);
  });

  // set -m: with job control, background jobs do not ignore SIGINT/SIGQUIT.
  it.each([
    ['INT', 130],
    ['TERM', 143],
    ['HUP', 129],
    ['QUIT', 131],
  ])('forwards SIG%s to the host group; the shell sees %i', async (sig, status) => {
    const n = unique();
    const script = `${waitproc} set -m; sleep ${n} & w=$!; waitproc '^sleep ${n}$'; kill -${sig} $w; wait $w; echo "status $?"`;
    const [esc, plain] = await Promise.all([execgateShell(script, { policy: escalate }), plainBash(script)]);
    expect(esc.stdout.toString()).toBe(`status ${status}\n`);
    expect(esc.stdout.toString()).toBe(plain.stdout.toString());
    expect(await gone(`sleep ${n}`)).toBe(true);
  });

  it('leaves SIGINT ignored for a background job of a non-interactive shell, as bash does', async () => {
    const script = (n: string) => `${waitproc} sleep 1.${n} & w=$!; waitproc '^sleep 1.${n}$'; kill -INT $w; wait $w; echo "status $?"`;
    const [esc, plain] = await Promise.all([execgateShell(script(unique()), { policy: escalate }), plainBash(script(unique()))]);
    expect(esc.stdout.toString()).toBe(plain.stdout.toString());
    expect(esc.stdout.toString()).toBe('status 0\n');
  });
});
