// A running `execgate serve` for tests: its control socket, audit log and
// stderr, started with its own XDG_RUNTIME_DIR.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { cliPath, tempDir } from './execgate.js';
import { waitFor } from './wait.js';

export interface Served {
  socket: string;
  audit: string;
  policyFile: string;
  proc: ChildProcess;
  runtimeDir: string;
  stderr: () => string;
  /** The audit log's records so far. */
  records: () => Record<string, unknown>[];
  /** SIGTERM, then the exit. */
  stop: () => Promise<void>;
}

export async function serve(policy: string, opts: { runtimeDir?: string; env?: Record<string, string>; flags?: string[] } = {}): Promise<Served> {
  const runtimeDir = opts.runtimeDir ?? tempDir('eg-xdg-');
  const dir = tempDir('eg-serve-');
  const policyFile = join(dir, 'policy.toml');
  writeFileSync(policyFile, policy);
  const audit = join(dir, 'audit.jsonl');
  const sockFile = join(dir, 'socket-path');
  const proc = spawn(process.execPath, [cliPath, 'serve', '--policy', policyFile, '--audit', audit, '--write-socket-path-to', sockFile, ...(opts.flags ?? [])], {
    env: { ...process.env, XDG_RUNTIME_DIR: runtimeDir, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  let exited = false;
  proc.once('exit', () => (exited = true));
  await waitFor(() => exited || existsSync(sockFile), { what: `serve to write ${sockFile}`, timeoutMs: 20_000 });
  if (exited) throw new Error(`execgate serve exited at start: ${err}`);
  const socket = readFileSync(sockFile, 'utf8').trim();
  const records = () => (existsSync(audit) ? readFileSync(audit, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : []);
  const stop = async () => {
    if (exited) return;
    proc.kill('SIGTERM');
    await new Promise((r) => proc.once('exit', r));
  };
  return { socket, audit, policyFile, proc, runtimeDir, stderr: () => err, records, stop };
}
