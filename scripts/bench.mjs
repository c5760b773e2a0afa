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
// Then the escalation round trip: a loop of auto-approved `/bin/true`
// escalations (policy: escalate `true`), with stdin a pipe and, separately, a
// terminal (`script -qc`, so the host command gets a pty of its own).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
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

// ---- escalation round trip ---------------------------------------------------
const ESC_N = Number(process.env.BENCH_ESC_N ?? 200);
const escDir = mkdtempSync(join(tmpdir(), 'eg-bench-'));
const escPolicy = join(escDir, 'policy.toml');
writeFileSync(escPolicy, '[[rule]]\nid = "true-host"\nprogram = "true"\ndecision = "escalate"\n');
const escLoop = timed(`for ((i=0;i<${ESC_N};i++)); do /bin/true; done`);
const shellArgs = [cli, 'shell', '--policy', escPolicy, '-c', escLoop];
const quote = (a) => `'${a.replace(/'/g, `'\\''`)}'`;

/** The "START END" line the loop printed (under script, among its output). */
function loopSeconds(out) {
  const m = [...out.matchAll(/(\d+\.\d+) (\d+\.\d+)\r?$/gm)].pop();
  if (!m) throw new Error(`bench: no timing line in ${JSON.stringify(out)}`);
  return Number(m[2]) - Number(m[1]);
}

const escConfigs = {
  'stdin a pipe': () => {
    const r = spawnSync(process.execPath, shellArgs, { input: '', encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`escalation loop failed (${r.status}): ${r.stderr}`);
    return loopSeconds(r.stdout);
  },
  'stdin a terminal': () => {
    const cmd = [process.execPath, ...shellArgs].map(quote).join(' ');
    const r = spawnSync('script', ['-qefc', cmd, '/dev/null'], { encoding: 'utf8', env: { ...process.env, SHELL: '/bin/sh' } });
    if (r.status !== 0) throw new Error(`escalation loop under script failed (${r.status}): ${r.stderr}${r.stdout}`);
    return loopSeconds(r.stdout);
  },
};
console.log(`escalation round trip: ${ESC_N} auto-approved /bin/true per loop, median of ${ROUNDS} rounds`);
const escTimes = Object.fromEntries(Object.keys(escConfigs).map((c) => [c, []]));
for (let r = 0; r < ROUNDS; r++) for (const [c, run] of Object.entries(escConfigs)) escTimes[c].push(run());
for (const c of Object.keys(escConfigs)) {
  const t = median(escTimes[c]);
  console.log(`  ${c.padEnd(17)} ${t.toFixed(3)} s  ${((t / ESC_N) * 1e3).toFixed(2).padStart(6)} ms/escalation`);
}
