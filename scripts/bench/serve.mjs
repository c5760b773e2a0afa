// A running `execgate serve` for the bench: its control socket, its stats
// ({"op":"stats"}) and its memory (/proc/PID/status) while it works.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { paths, root } from './common.mjs';

/** Starts `execgate serve` with `policy` (TOML text, or null: the built-in
 * policy) and `flags`, its XDG_RUNTIME_DIR (where its private directory and
 * the session directories go) a fresh directory under `runtimeBase`;
 * resolves once its control socket is listening. */
export async function startServe({ policy = null, flags = [], runtimeBase = tmpdir() } = {}) {
  const dir = mkdtempSync(join(runtimeBase, 'eg-bench-serve-'));
  const sockFile = join(dir, 'socket-path');
  // Through bin/execgate, as a user starts it: the front gives serve its
  // V8 flag (a smaller young generation: native/launch/main.c).
  const args = ['serve', '--no-prompt', '--write-socket-path-to', sockFile, ...flags];
  if (policy !== null) {
    writeFileSync(join(dir, 'policy.toml'), policy);
    args.push('--policy', join(dir, 'policy.toml'));
  }
  const proc = spawn(paths.bin, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, XDG_RUNTIME_DIR: dir } });
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  let gone = false;
  exited.then(() => (gone = true));
  // The path is written once the socket listens; whole when it ends in a newline.
  const written = () => existsSync(sockFile) && readFileSync(sockFile, 'utf8').endsWith('\n');
  for (let i = 0; !written(); i++) {
    if (gone || i > 2000) throw new Error(`execgate serve did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  const socket = readFileSync(sockFile, 'utf8').trim();
  const { ControlConnection } = await import(join(root, 'dist/control/client.js'));
  return {
    socket,
    pid: proc.pid,
    stderr: () => err,
    /** The broker's own stats (src/session/stats.ts). */
    async stats() {
      const conn = await ControlConnection.open(socket);
      try {
        return (await conn.request({ op: 'stats' }, 'stats')).message;
      } finally {
        conn.close();
      }
    },
    /** Resident memory now and at its peak, in KiB. */
    memory() {
      const status = readFileSync(`/proc/${proc.pid}/status`, 'utf8');
      const kib = (field) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
      return { rss: kib('VmRSS'), peak: kib('VmHWM') };
    },
    async stop() {
      if (!gone) proc.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
