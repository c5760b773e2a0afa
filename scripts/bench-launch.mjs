#!/usr/bin/env node
// npm run bench:launch: what attaching a shell through the native launcher
// costs, without the broker's own work. A fake control server here answers
// every Launch at once with a Launched that names a static do-nothing
// program, so what is timed is the launcher: start, connect, one Launch, one
// Launched with its fd, fd 87, environment, exec. Compared with spawning that
// program directly, the same way (the floor), and through bin/execgate (the
// sh dispatch on top). Max RSS from /usr/bin/time -f %M: the launcher's
// (the program it execs is a static `true`, smaller still).
//   BENCH_N (default 300) launches per way, interleaved; medians reported.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bin = join(root, 'bin', 'execgate');
const { loadAddon } = await import(join(root, 'dist', 'native', 'addon.js'));
const { launcherPath: launcher, shimDir } = await import(join(root, 'dist', 'native', 'paths.js'));
if (!existsSync(launcher)) {
  console.error(`bench-launch: ${launcher} is missing: run \`npm install\` first`);
  process.exit(1);
}
const addon = loadAddon();

// The exec'd program: a static `true`.
const truePath = join(root, 'build', 'bench', 'static-true');
if (!existsSync(truePath)) {
  mkdirSync(dirname(truePath), { recursive: true });
  const src = join(dirname(truePath), 'static-true.c');
  writeFileSync(src, 'int main(void) { return 0; }\n');
  const cc = spawnSync('sh', ['-c', 'command -v musl-gcc || echo cc'], { encoding: 'utf8' }).stdout.trim();
  if (spawnSync(cc, ['-O2', '-static', '-o', truePath, src], { stdio: 'inherit' }).status !== 0) process.exit(1);
}

const proto = protobuf.loadSync(join(root, 'src', 'protocol', 'execgate.proto'));
const Launched = proto.lookupType('execgate.v1.Launched');
const answer = Buffer.from(Launched.encode(Launched.fromObject({ file: Buffer.from(truePath), argv: [Buffer.from('true')] })).finish());
const frame = Buffer.alloc(4 + answer.length);
frame.writeUInt32BE(answer.length);
answer.copy(frame, 4);

const dir = mkdtempSync(join(tmpdir(), 'eg-bench-launch-'));
const sock = join(dir, 'control.sock');
const server = createServer((socket) => {
  socket.on('error', () => {});
  let got = Buffer.alloc(0);
  socket.on('data', (d) => {
    got = Buffer.concat([got, d]);
    if (got.length < 4 || got.length < 4 + got.readUInt32BE(0)) return;
    const [mine, theirs] = addon.socketpair('seqpacket');
    addon.send(socket._handle.fd, frame, [theirs]);
    addon.close(theirs);
    addon.close(mine);
  });
});
await new Promise((r) => server.listen(sock, r));

// Every way gets the same small environment, the shim its broker.
const env = { PATH: process.env.PATH, HOME: process.env.HOME, EXECGATE_BROKER: sock };

function timed(cmd, args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ')}: exit ${code}: ${err}`));
      else resolve(Number(process.hrtime.bigint() - t0) / 1000);
    });
  });
}

// Max RSS in KiB as /usr/bin/time sees the process (the launcher, then the
// program it execs), from a child the server answers while we wait.
function maxRss(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn('/usr/bin/time', ['-f', '%M', cmd, ...args], { stdio: ['ignore', 'ignore', 'pipe'], env });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('exit', () => resolve(err.trim().split('\n').pop()));
  });
}

const N = Number(process.env.BENCH_N ?? 300);
const ways = {
  'static true (floor)': [truePath, []],
  'execgate-launch shell --broker': [launcher, ['shell', '--broker', sock, '-c', 'x']],
  'bin/execgate shell --broker': [bin, ['shell', '--broker', sock, '-c', 'x']],
  'shim/bash -c': [join(shimDir, 'bash'), ['-c', 'x']],
};
const times = Object.fromEntries(Object.keys(ways).map((w) => [w, []]));
for (let i = 0; i < 20; i++) for (const [cmd, args] of Object.values(ways)) await timed(cmd, args);
for (let i = 0; i < N; i++) for (const [name, [cmd, args]] of Object.entries(ways)) times[name].push(await timed(cmd, args));

const sorted = (xs) => [...xs].sort((a, b) => a - b);
const median = (xs) => sorted(xs)[Math.floor(xs.length / 2)];
const p90 = (xs) => sorted(xs)[Math.floor(xs.length * 0.9)];
const ms = (us) => (us / 1000).toFixed(2).padStart(6);
const floor = median(times['static true (floor)']);
console.log(`execgate launcher bench: ${N} launches per way, interleaved, spawned from Node, start to exit`);
for (const [name, xs] of Object.entries(times)) {
  console.log(`  ${name.padEnd(32)} median ${ms(median(xs))} ms  p90 ${ms(p90(xs))} ms  above the floor ${ms(median(xs) - floor)} ms`);
}
if (existsSync('/usr/bin/time')) {
  const rss = {};
  for (const [name, [cmd, args]] of Object.entries(ways)) rss[name] = await maxRss(cmd, args);
  console.log(`  max RSS (KiB): ${Object.entries(rss).map(([n, k]) => `${n} ${k}`).join(', ')}`);
}
server.close();
rmSync(dir, { recursive: true, force: true });
