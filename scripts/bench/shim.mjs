// What the shell shim costs a harness that starts one shell per tool call:
// `shim/bash -c true` attached to a running `execgate serve`, start to
// exit, beside a plain `bash -c true`; for serve's --sandbox none and
// --sandbox bwrap defaults. Under bwrap most of it is bwrap's own start,
// measured apart by running the very bwrap command line serve plans for a
// launch (asked for here over the control socket, as the launcher asks), so
//   attach = shim − the shell it becomes, started directly
// is the launcher, the Launch round trip and serve's session set-up. And the
// launcher's resident memory, read from /proc while it waits for a broker
// that never answers (after that it is the shell). Each loop runs inside one
// bash and times itself ($EPOCHREALTIME): no Node spawn in the figures.
// Printed by `npm run bench`; targets (issue 11): attach <= 30 ms, <= 2 MB.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadAddon } from '../../dist/native/addon.js';
import { cliPath, patchedBashPath, shimDir } from '../../dist/native/paths.js';
import { decodeLaunched, encodeLaunch } from '../../dist/protocol/messages.js';

const addon = loadAddon();
const shim = join(shimDir, 'bash');

/** A running serve with these flags; its control socket's path. */
async function startServe(dir, name, flags) {
  const pathFile = join(dir, `${name}.path`);
  const policy = join(dir, 'policy.toml');
  writeFileSync(policy, '');
  const proc = spawn(process.execPath, [cliPath, 'serve', '--policy', policy, '--audit', join(dir, `${name}.audit`), '--write-socket-path-to', pathFile, '--no-prompt', ...flags], {
    env: { ...process.env, XDG_RUNTIME_DIR: join(dir, `xdg-${name}`) },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let err = '';
  proc.stderr.on('data', (d) => (err += d));
  const exited = new Promise((r) => proc.once('exit', r));
  for (const until = Date.now() + 20_000; !existsSync(pathFile) || !readFileSync(pathFile, 'utf8').endsWith('\n'); ) {
    if (proc.exitCode !== null || Date.now() > until) throw new Error(`serve ${flags.join(' ')} did not start: ${err}`);
    await new Promise((r) => setTimeout(r, 20));
  }
  return { socket: readFileSync(pathFile, 'utf8').trim(), stop: () => (proc.kill('SIGTERM'), exited) };
}

/** One Launch over the control socket, as the launcher sends it; the
 * Launched answer and the session fd that came with it (kept open by the
 * caller, so the session and its files stay). */
function askLaunch(socket, cwd, env) {
  const fd = addon.connect(socket, 'stream');
  const payload = encodeLaunch({ label: 'bench', sandbox: '', cwd: Buffer.from(cwd), project: Buffer.alloc(0), bind: [], roBind: [], noNetwork: false, passEnv: [], env: Object.entries(env).map(([k, v]) => Buffer.from(`${k}=${v}`)) });
  const frame = Buffer.alloc(4 + payload.length);
  frame.writeUInt32BE(payload.length);
  payload.copy(frame, 4);
  if (addon.send(fd, frame) !== frame.length) throw new Error('the Launch frame did not go in one send');
  return new Promise((resolve, reject) => {
    let got = Buffer.alloc(0);
    const fds = [];
    const w = new addon.Watcher(fd, function () {
      for (let r = addon.recv(fd, 1 << 20, 4); r; r = addon.recv(fd, 1 << 20, 4)) {
        fds.push(...r.fds);
        if (r.data.length === 0) {
          this.close();
          addon.close(fd);
          reject(new Error('serve closed the control connection without an answer'));
          return;
        }
        got = Buffer.concat([got, r.data]);
        if (got.length >= 4 && got.length >= 4 + got.readUInt32BE(0)) {
          this.close();
          addon.close(fd);
          const launched = decodeLaunched(got.subarray(4, 4 + got.readUInt32BE(0)));
          if (launched.error) reject(new Error(`serve refused the launch: ${launched.error}`));
          else resolve({ launched, fds });
          return;
        }
      }
    });
    w.start(true, false);
  });
}

/** Seconds for n runs of `CMD... -c true`, timed inside one bash. */
function loopSeconds(argv, n, env) {
  const loop = `s=$EPOCHREALTIME; for ((i=0;i<${n};i++)); do "$@" -c true || exit 1; done; e=$EPOCHREALTIME; echo "$s $e"`;
  const r = spawnSync('/bin/bash', ['-c', loop, 'bench', ...argv], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${argv.join(' ')} -c true failed (${r.status}): ${r.stderr.slice(-500)}`);
  const [s, e] = r.stdout.trim().split(/\s+/).map(Number);
  return e - s;
}

/** The launcher's memory while it waits for its broker's answer. */
async function launcherMemory(dir, env) {
  const sock = join(dir, 'silent.sock');
  let frameSeen;
  const seen = new Promise((r) => (frameSeen = r));
  const held = [];
  const server = createServer((c) => {
    held.push(c);
    let n = 0;
    c.on('data', (d) => {
      n += d.length;
      if (n >= 4) frameSeen();
    });
  });
  await new Promise((r) => server.listen(sock, r));
  const child = spawn(shim, ['-c', 'true'], { env: { ...env, EXECGATE_BROKER: sock }, stdio: 'ignore' });
  await seen;
  const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
  const kib = (name) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  const mem = { rss: kib('VmRSS'), hwm: kib('VmHWM') };
  child.kill('SIGKILL');
  await new Promise((r) => child.once('exit', r));
  for (const c of held) c.destroy();
  server.close();
  return mem;
}

export async function benchShim({ n = Number(process.env.BENCH_SHIM_N ?? 100), rounds = Number(process.env.BENCH_SHIM_ROUNDS ?? 5) } = {}) {
  if (!existsSync(shim)) {
    console.log(`shell shim: ${shim} is missing (npm run build:native): skipped`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'eg-bench-shim-'));
  const project = mkdtempSync(join(tmpdir(), 'eg-bench-shim-project-'));
  const env = { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/root', LANG: 'C' };
  const none = await startServe(dir, 'none', ['--sandbox', 'none']);
  const bwrap = await startServe(dir, 'bwrap', ['--sandbox', 'bwrap', '--project', project]);
  try {
    const planned = await askLaunch(bwrap.socket, project, env);
    const bwrapArgv = planned.launched.argv.map((a) => a.toString());
    const ways = {
      'bash -c true (/bin/bash)': [['/bin/bash'], env],
      'patched bash -c true': [[patchedBashPath], env],
      'shim, serve --sandbox none': [[shim], { ...env, EXECGATE_BROKER: none.socket }],
      'bwrap alone (serve\'s plan)': [bwrapArgv, env],
      'shim, serve --sandbox bwrap': [[shim], { ...env, EXECGATE_BROKER: bwrap.socket }],
    };
    const times = Object.fromEntries(Object.keys(ways).map((w) => [w, []]));
    for (const [argv, e] of Object.values(ways)) loopSeconds(argv, 5, e); // warm-up
    for (let r = 0; r < rounds; r++) for (const [name, [argv, e]] of Object.entries(ways)) times[name].push(loopSeconds(argv, n, e));
    for (const fd of planned.fds) addon.close(fd);

    const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
    const ms = Object.fromEntries(Object.entries(times).map(([w, xs]) => [w, (median(xs) / n) * 1000]));
    const f = (x) => x.toFixed(2).padStart(6);
    console.log(`shell shim: ${n} starts per way, median of ${rounds} rounds (interleaved), start to exit, timed in bash`);
    for (const [w, x] of Object.entries(ms)) console.log(`  ${w.padEnd(30)} ${f(x)} ms`);
    const attachNone = ms['shim, serve --sandbox none'] - ms['patched bash -c true'];
    const attachBwrap = ms['shim, serve --sandbox bwrap'] - ms["bwrap alone (serve's plan)"];
    const bwrapOwn = ms["bwrap alone (serve's plan)"] - ms['patched bash -c true'];
    console.log(`  attach, --sandbox none  (shim − patched bash)   ${f(attachNone)} ms   target <= 30 ms`);
    console.log(`  attach, --sandbox bwrap (shim − bwrap alone)    ${f(attachBwrap)} ms   target <= 30 ms`);
    console.log(`  bwrap's own start (bwrap alone − patched bash)  ${f(bwrapOwn)} ms`);
    const mem = await launcherMemory(dir, env);
    console.log(`  launcher resident while it waits for serve: ${mem.rss} KiB (peak ${mem.hwm} KiB)   target <= 2048 KiB`);
  } finally {
    await none.stop();
    await bwrap.stop();
    rmSync(dir, { recursive: true, force: true });
    rmSync(project, { recursive: true, force: true });
  }
}

if (process.argv[1] && process.argv[1].endsWith('shim.mjs')) await benchShim();
