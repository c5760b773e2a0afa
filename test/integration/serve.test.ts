// One `execgate serve` for many sandboxes: shells attach with --broker, get
// their labels in audit lines, and fail closed (fast) when the broker dies.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execgateShell, rule, tempDir } from '../helpers/execgate.js';
import { serve } from '../helpers/serve.js';
import { waitFor } from '../helpers/wait.js';


describe('execgate serve', () => {
  it('serves two sandboxes with their own labels', async () => {
    const s = await serve(rule('sh-host', 'sh', 'escalate'), { env: { EG_TEST_HOSTONLY: 'from-serve' } });
    const p1 = tempDir();
    const p2 = tempDir();
    const [a, b] = await Promise.all([
      execgateShell(`sh -c 'echo "alpha sees \${EG_TEST_HOSTONLY-unset}"'`, { flags: ['--broker', s.socket, '--label', 'alpha', '--sandbox', 'bwrap', '--project', p1], cwd: p1 }),
      execgateShell(`sh -c 'echo "beta sees \${EG_TEST_HOSTONLY-unset}"'`, { flags: ['--broker', s.socket, '--label', 'beta', '--sandbox', 'bwrap', '--project', p2], cwd: p2 }),
    ]);
    expect(a.stdout.toString()).toBe('alpha sees from-serve\n');
    expect(b.stdout.toString()).toBe('beta sees from-serve\n');
    await s.stop();
    const completions = s.records().filter((x) => x.event === 'completion');
    expect(completions.map((c) => c.label).sort()).toEqual(['alpha', 'beta']);
    expect(s.records().filter((x) => x.event === 'session-end')).toHaveLength(2);
  });

  it('says its warnings about an attached shell after the shell has its session', async () => {
    const s = await serve('');
    const r = await execgateShell('echo ran', { flags: ['--broker', s.socket, '--label', 'warned'], env: { PATH: `relative-bin:${process.env.PATH}` } });
    expect(r.stdout.toString()).toBe('ran\n');
    // Serve's reply goes first; what is only for the human follows it.
    await waitFor(() => s.stderr().includes('your PATH includes the relative entry "relative-bin"'), { what: "serve's warning about the shell's PATH" });
    await waitFor(() => /session \S+ \("warned"\) attached/.test(s.stderr()), { what: "serve's line about the attach" });
    await s.stop();
  });

  it('says each warning once however many shells attach, and every attach', async () => {
    const s = await serve('');
    const env = { PATH: `relative-bin:${process.env.PATH}` };
    for (const n of ['first', 'second', 'third']) {
      const r = await execgateShell('echo ran', { flags: ['--broker', s.socket, '--label', n], env });
      expect(r.stdout.toString()).toBe('ran\n');
    }
    // Each session's lines come in order, its warnings before its "attached".
    await waitFor(() => /session \S+ \("third"\) attached/.test(s.stderr()), { what: "serve's line about the third attach" });
    const count = (text: string) => s.stderr().split('\n').filter((l) => l.includes(text)).length;
    expect(count('no sandbox (--sandbox none)')).toBe(1);
    expect(count('your PATH includes the relative entry "relative-bin"')).toBe(1);
    expect(count('attached')).toBe(3);
    await s.stop();
  });

  it('refuses broker options on an attached shell', async () => {
    const r = await execgateShell('true', { flags: ['--broker', '/nonexistent.sock', '--policy', 'x.toml'] });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--policy belongs to the broker');
  });

  it('a killed broker makes the next command in each shell fail closed within a second; a new broker works', async () => {
    const runtimeDir = tempDir('eg-xdg-');
    const s = await serve('', { runtimeDir });
    const dir = tempDir();
    const script = (n: string) => `touch ${dir}/ready-${n}; while [ ! -e ${dir}/go ]; do sleep 0.02; done;
      s=\${EPOCHREALTIME/./}; /usr/bin/true; st=$?; e=\${EPOCHREALTIME/./}; echo "status $st us $((e - s))"`;
    // These loops use bash builtins only until /usr/bin/true: no exec while waiting.
    const shells = ['one', 'two'].map((n) =>
      execgateShell(script(n).replace('sleep 0.02', 'read -t 0.02 < /dev/zero || :'), { flags: ['--broker', s.socket, '--label', n] }),
    );
    await waitFor(() => ['one', 'two'].every((n) => existsSync(join(dir, `ready-${n}`))), { what: 'both shells to be ready' });
    s.proc.kill('SIGKILL');
    await new Promise((r) => s.proc.once('exit', r));
    writeFileSync(join(dir, 'go'), '');
    const results = await Promise.all(shells);
    for (const r of results) {
      const [, us] = /^status 126 us (\d+)$/m.exec(r.stdout.toString()) ?? [];
      // Fail closed, and at once: a shell must never hang on a dead broker.
      expect(Number(us)).toBeLessThan(1_000_000);
      expect(r.stderr).toMatch(/execgate: .*(broker|connection)/);
    }
    const s2 = await serve('', { runtimeDir });
    const again = await execgateShell('/usr/bin/echo attached again', { flags: ['--broker', s2.socket] });
    expect(again.stdout.toString()).toBe('attached again\n');
    await s2.stop();
  });
});
