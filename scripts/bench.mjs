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

// ---- mediation (issue 16) --------------------------------------------------
// Execs that bypass the shell, under --sandbox bwrap, with the seccomp
// backstop (the default) and without it (EXECGATE_BACKSTOP=off: shims only),
// interleaved. Every loop runs inside one sandbox per round and mode:
//   xargs        seq N | xargs -n1 /bin/true          (xargs's execs)
//   find -exec   find DIR -type f -exec /bin/true {} \; over N files
//   bash, plain  bash's own loop with EXEC_WRAPPER empty: its execs are
//                plain execve, so with the backstop each is a notification
//   bash, wrapped  the same with the wrapper (the cookie: never notified)
// The notification's cost per exec is bash-plain(on) - bash-plain(off); the
// wrapper's is bash-wrapped - bash-plain(off). Target: the backstop adds at
// most 10 % to the xargs and find loops.
{
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const project = mkdtempSync(join(tmpdir(), 'eg-bench-mediation-'));
  mkdirSync(join(project, 'files'));
  for (let i = 0; i < N; i++) writeFileSync(join(project, 'files', String(i)), '');
  const mediationLoops = {
    xargs: `seq ${N} | xargs -n1 /bin/true`,
    'find -exec': `find ${project}/files -type f -exec /bin/true {} \\;`,
    'bash, plain': `(EXEC_WRAPPER=; for ((i=0;i<${N};i++)); do /bin/true; done)`,
    'bash, wrapped': `for ((i=0;i<${N};i++)); do /bin/true; done`,
  };
  const script = Object.values(mediationLoops)
    .map((loop) => `s=$EPOCHREALTIME; ${loop}; e=$EPOCHREALTIME; echo "$s $e"`)
    .join('\n');
  const inSandbox = (backstop) => {
    const r = spawnSync(process.execPath, [cli, 'shell', '--sandbox', 'bwrap', '--project', project, '-c', script], {
      cwd: project,
      env: { ...process.env, EXECGATE_BACKSTOP: backstop },
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(`execgate shell --sandbox bwrap failed (${r.status}): ${r.stderr}`);
    return r.stdout.trim().split('\n').map((l) => {
      const [s, e] = l.split(/\s+/).map(Number);
      return e - s;
    });
  };
  const names = Object.keys(mediationLoops);
  const runs = { off: names.map(() => []), on: names.map(() => []) };
  for (let r = 0; r < ROUNDS; r++) {
    for (const mode of ['off', 'on']) inSandbox(mode).forEach((t, i) => runs[mode][i].push(t));
  }
  rmSync(project, { recursive: true, force: true });
  const us = (t) => ((t / N) * 1e6).toFixed(0).padStart(5);
  console.log(`\nmediation (--sandbox bwrap): ${N} execs per loop, median of ${ROUNDS} rounds (interleaved), backstop off vs on`);
  const med = Object.fromEntries(['off', 'on'].map((m) => [m, runs[m].map(median)]));
  names.forEach((name, i) => {
    const [off, on] = [med.off[i], med.on[i]];
    console.log(`  ${name.padEnd(14)} off ${off.toFixed(3)} s ${us(off)} us/exec   on ${on.toFixed(3)} s ${us(on)} us/exec   ratio ${(on / off).toFixed(2)}`);
  });
  const plain = names.indexOf('bash, plain');
  const wrapped = names.indexOf('bash, wrapped');
  console.log(`  per exec: a seccomp notification ${(((med.on[plain] - med.off[plain]) / N) * 1e6).toFixed(0)} us, the wrapper ${(((med.off[wrapped] - med.off[plain]) / N) * 1e6).toFixed(0)} us (on top of the exec itself)`);
}
