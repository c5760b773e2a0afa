// What a host command is given: the stdio it was approved with, nothing
// else. The broker may have inherited open fds from whatever started it (a
// harness's pipes, a terminal emulator's; Node marks only its lowest fds
// close-on-exec at start): they used to pass through the spawn server to
// every escalated command, which could then read or write them on the host.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliPath, rule, tempDir } from '../helpers/execgate.js';

describe('an escalated command\'s fds', () => {
  it('are its stdio only: an fd the broker inherited does not reach it', async () => {
    const dir = tempDir('eg-adv-fds-');
    const policy = join(dir, 'policy.toml');
    writeFileSync(policy, rule('host-sh', 'sh', 'escalate'));
    writeFileSync(join(dir, 'secret'), 'the harness\'s\n');
    // The host sh says which of its fds 0-1023 are open, by stat (a
    // directory listing would see its own fd).
    const script = `sh -c 'i=0; while [ $i -lt 1024 ]; do [ -e /proc/$$/fd/$i ] && printf "%s " $i; i=$((i+1)); done; echo'`;
    // The broker starts with fd 50 open and not close-on-exec.
    const child = spawn('bash', ['-c', 'exec 50<secret; exec "$@"', 'bash', process.execPath, cliPath, 'shell', '--policy', policy, '-c', script], {
      cwd: dir,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    child.stdin.end();
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(code, err).toBe(0);
    expect(out.trim().split(' ').map(Number)).toEqual([0, 1, 2]);
  });
});
