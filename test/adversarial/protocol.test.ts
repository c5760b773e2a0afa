// Red team, the session socket: each test is one finding of the adversarial
// review, replayed by a forged wrapper from inside a real execgate shell
// (test/adversarial/fixtures/forge.py). Each failed on the broker before
// its fix; each must keep passing.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/native/paths.js';
import { cliPath, execgateShell, rule, tempDir } from '../helpers/execgate.js';
import { serve, type Served } from '../helpers/serve.js';
import { waitFor } from '../helpers/wait.js';

const forge = join(packageRoot, 'test', 'adversarial', 'fixtures', 'forge.py');
const fuzzer = join(packageRoot, 'test', 'adversarial', 'fuzz', 'forged-wrapper.py');
const errors = (audit: Record<string, unknown>[]) => audit.filter((a) => a.event === 'protocol-error').map((a) => String(a.what));

const served: Served[] = [];
afterAll(async () => {
  await Promise.all(served.map((s) => s.stop()));
});

describe('red team: the session socket', () => {
  it('finding 13: an empty datagram on fd 87 does not end the session', async () => {
    const r = await execgateShell(`python3 ${forge} empty-datagram && /bin/echo still here && sh -c 'echo escalated'`, { policy: rule('sh', 'sh', 'escalate') });
    expect(r.stdout.toString()).toBe('sent an empty datagram\nstill here\nescalated\n');
    expect(r.code).toBe(0);
    expect(errors(r.audit)).toContain('empty message on the session socket');
  });

  it('finding 12: fds riding on frames that fail to decode are closed, not leaked', async () => {
    const r = await execgateShell(`python3 ${forge} undecodable-with-fds 300 $PPID`, { policy: rule('sh', 'sh', 'escalate') });
    const [, before, after] = /broker fds before=(\d+) after=(\d+)/.exec(r.stdout.toString()) ?? [];
    // 300 connections, 3 fds each: a leak shows as hundreds.
    expect(Number(after)).toBeLessThanOrEqual(Number(before) + 2);
    expect(errors(r.audit).filter((e) => /undecodable message/.test(e))).toHaveLength(300);
  });

  it('finding 15: ten requests of two million empty arguments are refused before anything is made of them; the broker lives on', async () => {
    const r = await execgateShell(`python3 ${forge} huge-argv 10 /bin/sh && /bin/echo alive && sh -c 'echo escalated'`, { policy: rule('sh', 'sh', 'escalate'), timeoutMs: 120_000 });
    expect(r.stdout.toString()).toBe('huge requests refused=10\nalive\nescalated\n');
    expect(errors(r.audit).filter((e) => /larger than execve accepts/.test(e))).toHaveLength(10);
  });

  it('finding 16: a deny reason quoting a huge name still fits the reply frame', async () => {
    const r = await execgateShell(`execgate run "$(head -c 100000 /dev/zero | tr '\\0' x)"; echo "status $?"`);
    expect(r.stdout.toString()).toBe('status 126\n');
    expect(r.stderr).toMatch(/^execgate: denied: x{100000}: x+…\n/m);
    expect(r.stderr).not.toContain('protocol error');
  });

  it('finding 11: a session flooding prompts is capped, and another session is served as usual', async () => {
    const s = await serve(`approval_timeout = "never"\n${rule('env', 'env', 'prompt')}`);
    served.push(s);
    const flood = spawn(process.execPath, [cliPath, 'shell', '--broker', s.socket, '--label', 'flood', '-c', `python3 ${forge} prompt-flood 40 /usr/bin/env`], { stdio: ['pipe', 'pipe', 'pipe'] });
    let floodOut = '';
    flood.stdout!.on('data', (d: Buffer) => (floodOut += d.toString()));
    await waitFor(() => floodOut.includes('prompts sent=40'), { what: 'the flood to be sent' });
    const limited = () => s.records().filter((a) => a.event === 'completion' && a.decided_by === 'limit');
    await waitFor(() => limited().length === 24, { what: '24 prompts over the cap to be denied' });

    const calm = execgateShell('env CALM=1 true; echo "status $?"', { flags: ['--broker', s.socket, '--label', 'calm'] });
    const list = () =>
      new Promise<{ id: string; label: string }[]>((res) => {
        const p = spawn(process.execPath, [cliPath, 'approve', '--socket', s.socket, '--list', '--json'], { stdio: ['ignore', 'pipe', 'inherit'] });
        let out = '';
        p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
        p.on('close', () => res(JSON.parse(out) as { id: string; label: string }[]));
      });
    let pending: { id: string; label: string }[] = [];
    await waitFor(async () => (pending = await list()).some((p) => p.label === 'calm'), { what: "the calm session's prompt" });
    expect(pending.filter((p) => p.label === 'flood')).toHaveLength(16);
    const mine = pending.find((p) => p.label === 'calm')!;
    await new Promise((res) => spawn(process.execPath, [cliPath, 'approve', '--socket', s.socket, '--answer', mine.id, 'once'], { stdio: 'inherit' }).on('close', res));
    expect((await calm).stdout.toString()).toBe('status 0\n');
    flood.stdin!.end();
    await new Promise((res) => flood.on('close', res));
  });

  it('fuzz: hostile interactions from two seeds leave the broker alive, its fds settled, its memory bounded, and nothing unapproved ran', async () => {
    const cases = Number(process.env.EXECGATE_FUZZ_CASES ?? 1500);
    for (const seed of [1, 2]) {
      const marker = join(tempDir('eg-fuzz-'), 'unapproved-escalation');
      const policy = `approval_timeout = "2s"\n${rule('touch', 'touch', 'prompt')}${rule('rm', 'rm', 'deny')}`;
      const r = await execgateShell(`python3 ${fuzzer} --seed ${seed} --cases ${cases} --broker-pid $PPID --marker ${marker} && /bin/echo alive`, { policy, timeoutMs: 300_000 });
      const summary = JSON.parse(r.stdout.toString().split('\n')[0]!) as { broker_alive: boolean; fds: { baseline: number; peak: number; settled: number }; rss_kb: { start: number; peak: number }; marker_exists: boolean };
      expect(r.stdout.toString()).toContain('\nalive\n');
      expect(summary.broker_alive).toBe(true);
      expect(summary.fds.settled).toBeLessThanOrEqual(summary.fds.baseline + 2);
      // Bounded: the session budget is 24 MiB; the broker's own heap and
      // code are most of the rest.
      expect(summary.rss_kb.peak - summary.rss_kb.start).toBeLessThan(300 * 1024);
      expect(summary.marker_exists).toBe(false);
      expect(existsSync(marker)).toBe(false);
      // Nobody approved anything: nothing exited on the host.
      expect(r.audit.filter((a) => a.event === 'completion' && a.outcome === 'exited')).toEqual([]);
    }
  });
});
