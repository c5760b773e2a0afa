// An fd open in whatever started execgate (a harness's pipe, a terminal
// emulator's, a file the agent's harness opened), left without
// close-on-exec, must not cross: not to an escalated command on the host,
// which gets the stdio it was approved with, and not into the sandbox, which
// gets its stdio and the session socket. bwrap passes every fd it inherits
// on, and Node marks only its lowest fds close-on-exec at start. So before:
// the spawn server passed its fds to every escalated command; `execgate
// shell` placed fds 0-2 and 87 and left everything above 87 open; `execgate
// mcp` and a shell of `execgate serve` (the shim) passed all of theirs
// into the sandbox.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterEach, describe, expect, it } from 'vitest';
import { shimDir } from '../../src/native/paths.js';
import { cliPath, rule, tempDir } from '../helpers/execgate.js';
import { serve, type Served } from '../helpers/serve.js';

/** A shell command printing which of its fds 0-1023 are open, by stat (a
 * directory listing would see its own fd). */
const OPEN_FDS = `i=0; while [ $i -lt 1024 ]; do [ -e /proc/$$/fd/$i ] && printf "%s " $i; i=$((i+1)); done; echo`;

/** bash's argv that runs `argv` with fds 50 and 300 open on dir/secret. */
function withStrayFds(dir: string, argv: string[]): string[] {
  writeFileSync(join(dir, 'secret'), 'the harness\'s\n');
  return ['-c', 'exec 50<secret 300<secret; exec "$@"', 'bash', ...argv];
}

/** Runs bash with withStrayFds(dir, argv) in dir; its stdout. */
async function run(dir: string, argv: string[], env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const child = spawn('bash', withStrayFds(dir, argv), { cwd: dir, env, stdio: ['pipe', 'pipe', 'pipe'] });
  child.stdin.end();
  let out = '';
  let err = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
  expect(code, err).toBe(0);
  return out;
}

const fds = (out: string) => out.trim().split(' ').map(Number);

let served: Served | null = null;
afterEach(async () => {
  await served?.stop();
  served = null;
});

describe('an fd inherited by whatever started execgate', () => {
  it('does not reach an escalated command: it has its stdio only', async () => {
    const dir = tempDir('eg-adv-fds-');
    writeFileSync(join(dir, 'policy.toml'), rule('host-sh', 'sh', 'escalate'));
    const out = await run(dir, [process.execPath, cliPath, 'shell', '--policy', join(dir, 'policy.toml'), '-c', `sh -c '${OPEN_FDS}'`]);
    expect(fds(out)).toEqual([0, 1, 2]);
  });

  it('does not reach the sandbox of `execgate shell`: its shell has its stdio and the session socket', async () => {
    const dir = tempDir('eg-adv-fds-');
    const out = await run(dir, [process.execPath, cliPath, 'shell', '--sandbox', 'bwrap', '--project', dir, '-c', OPEN_FDS]);
    expect(fds(out)).toEqual([0, 1, 2, 87]);
  });

  it('does not reach the sandbox of a shell of `execgate serve`, started by a harness through the shim', async () => {
    const dir = tempDir('eg-adv-fds-');
    served = await serve('', { flags: ['--sandbox', 'bwrap', '--project', dir] });
    const out = await run(dir, [join(shimDir, 'bash'), '-c', OPEN_FDS], { ...process.env, EXECGATE_BROKER: served.socket });
    expect(fds(out)).toEqual([0, 1, 2, 87]);
  });

  it('does not reach the sandbox of `execgate mcp`, with or without the seccomp backstop', async () => {
    for (const backstop of ['on', 'off']) {
      const dir = tempDir('eg-adv-fds-');
      const transport = new StdioClientTransport({
        command: 'bash',
        args: withStrayFds(dir, [process.execPath, cliPath, 'mcp', '--sandbox', 'bwrap']),
        cwd: dir,
        env: { ...(process.env as Record<string, string>), EXECGATE_BACKSTOP: backstop },
        stderr: 'ignore',
      });
      const client = new Client({ name: 'execgate-test', version: '1.0.0' }, { capabilities: {} });
      await client.connect(transport);
      try {
        const r = await client.callTool({ name: 'shell', arguments: { command: OPEN_FDS } });
        const text = (r.content as { text: string }[]).map((c) => c.text).join('');
        expect(text.slice(text.indexOf('--- stdout\n') + 11).trim(), backstop).toBe('0 1 2 87');
      } finally {
        await client.close();
      }
    }
  });
});
