#!/usr/bin/env node
// npm run bench: the cost of interception on the Run path, as ratios against
// a baseline measured in the same run. Each loop times itself inside bash
// ($EPOCHREALTIME), so shell and broker start-up are not counted.
//   baseline     unpatched bash (same source, same build flags)
//   patched      patched bash, EXEC_WRAPPER unset: the cost of the patch alone
//   passthru     patched bash with a static pass-through wrapper and no broker:
//                the floor, one more exec per command
//   execgate     `execgate shell` (built-in policy: everything runs): wrapper +
//                broker round trip for every exec
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const bash = join(root, 'build/bash/bin/bash');
const unpatched = join(root, 'build/bash-unpatched/bin/bash');
const cli = join(root, 'bin/execgate.js');
for (const f of [bash, unpatched, join(root, 'dist/cli/main.js')]) {
  if (!existsSync(f)) {
    console.error(`bench: ${f} is missing: run \`npm install\` and \`npm run build:bash\` first`);
    process.exit(1);
  }
}

// The floor: a static pass-through wrapper (musl when available, as the real one).
const passthru = join(root, 'build', 'bench', 'passthrough-wrapper');
if (!existsSync(passthru)) {
  mkdirSync(dirname(passthru), { recursive: true });
  const cc = spawnSync('sh', ['-c', 'command -v musl-gcc || echo cc'], { encoding: 'utf8' }).stdout.trim();
  const built = spawnSync(cc, ['-O2', '-static', '-o', passthru, join(root, 'test/fixtures/wrappers/passthrough-wrapper.c')], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(1);
}

const N = Number(process.env.BENCH_N ?? 1000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const loops = {
  '/bin/true': `for ((i=0;i<${N};i++)); do /bin/true; done`,
  'ls+cat+true': `for ((i=0;i<${Math.round(N / 3)};i++)); do ls / >/dev/null; cat /etc/hostname >/dev/null; /bin/true; done`,
};
const timed = (loop) => `s=$EPOCHREALTIME; ${loop}; e=$EPOCHREALTIME; echo "$s $e"`;

function seconds(cmd, args, env) {
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}): ${r.stderr}`);
  const [s, e] = r.stdout.trim().split(/\s+/).map(Number);
  return e - s;
}

const configs = {
  baseline: (loop) => seconds(unpatched, ['-c', timed(loop)], {}),
  patched: (loop) => seconds(bash, ['-c', timed(loop)], { EXEC_WRAPPER: '' }),
  passthru: (loop) => seconds(bash, ['-c', timed(loop)], { EXEC_WRAPPER: passthru }),
  execgate: (loop) => seconds(process.execPath, [cli, 'shell', '-c', timed(loop)], {}),
};

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`execgate bench: ${N} execs per loop, median of ${ROUNDS} rounds (interleaved)`);
for (const [name, loop] of Object.entries(loops)) {
  const times = Object.fromEntries(Object.keys(configs).map((c) => [c, []]));
  for (let r = 0; r < ROUNDS; r++) for (const [c, run] of Object.entries(configs)) times[c].push(run(loop));
  const base = median(times.baseline);
  for (const c of Object.keys(configs)) {
    const t = median(times[c]);
    const perExec = (t / N) * 1e6;
    console.log(`  ${name.padEnd(12)} ${c.padEnd(9)} ${t.toFixed(3)} s  ${perExec.toFixed(0).padStart(5)} us/exec  ratio ${(t / base).toFixed(2)}`);
  }
}

// The addon's own round trip (it was a test: figures belong here).
const { benchAddonPingPong } = await import('./bench/addon-pingpong.mjs');
await benchAddonPingPong(Number(process.env.EXECGATE_PINGPONG_ROUNDS ?? 20_000));

// The shell shim attached to a running serve, per tool call (issue 11).
const { benchShim } = await import('./bench/shim.mjs');
await benchShim();
