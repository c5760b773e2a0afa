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
// Execs that bypass the shell, under --sandbox bwrap, interleaved in three
// configurations:
//   off    EXECGATE_BACKSTOP=off: no seccomp backstop (shims only)
//   on     the backstop (the default): the listener's thread answers execs
//          of programs no rule names by itself
//   named  the backstop, with a policy whose rule names `true` (decision
//          run): every exec of it is decided by the policy in JS, and the
//          shell's wrapper asks the broker instead of using its run table
// Every loop runs inside one sandbox per round and configuration:
//   xargs          seq N | xargs -n1 /bin/true          (xargs's execs)
//   find -exec     find DIR -type f -exec /bin/true {} \; over N files
//   bash, plain    bash's own loop with EXEC_WRAPPER empty: plain execve,
//                  each one a notification when the backstop is on
//   bash, wrapped  the same through the wrapper (the cookie: never notified)
// Costs per exec, on top of the exec itself: a notification answered by the
// thread, plain(on) - plain(off); one decided in JS, plain(named) -
// plain(off); the wrapper, wrapped(off) - plain(off). Target: the backstop
// adds at most 10 % to the xargs and find loops (on against off).
{
  const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const project = mkdtempSync(join(tmpdir(), 'eg-bench-mediation-'));
  const outside = mkdtempSync(join(tmpdir(), 'eg-bench-mediation-policy-'));
  const namedPolicy = join(outside, 'policy.toml');
  writeFileSync(namedPolicy, '[[rule]]\nid = "true-runs"\nprogram = "true"\ndecision = "run"\n');
  const emptyPolicy = join(outside, 'empty.toml');
  writeFileSync(emptyPolicy, '');
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
  const configs = {
    off: { backstop: 'off', policy: emptyPolicy },
    on: { backstop: 'on', policy: emptyPolicy },
    named: { backstop: 'on', policy: namedPolicy },
  };
  const inSandbox = ({ backstop, policy }) => {
    const r = spawnSync(process.execPath, [cli, 'shell', '--sandbox', 'bwrap', '--project', project, '--policy', policy, '-c', script], {
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
  const runs = Object.fromEntries(Object.keys(configs).map((c) => [c, names.map(() => [])]));
  for (let r = 0; r < ROUNDS; r++) {
    for (const [c, config] of Object.entries(configs)) inSandbox(config).forEach((t, i) => runs[c][i].push(t));
  }
  rmSync(project, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
  const us = (t) => ((t / N) * 1e6).toFixed(0).padStart(5);
  const med = Object.fromEntries(Object.keys(configs).map((c) => [c, runs[c].map(median)]));
  console.log(`\nmediation (--sandbox bwrap): ${N} execs per loop, median of ${ROUNDS} rounds (interleaved); us/exec, ratio against off`);
  names.forEach((name, i) => {
    const cols = Object.keys(configs).map((c) => `${c} ${us(med[c][i])}${c === 'off' ? '' : ` (${(med[c][i] / med.off[i]).toFixed(2)})`}`);
    console.log(`  ${name.padEnd(14)} ${cols.join('   ')}`);
  });
  const plain = names.indexOf('bash, plain');
  const wrapped = names.indexOf('bash, wrapped');
  const per = (a, b) => (((a - b) / N) * 1e6).toFixed(0);
  console.log(`  per exec: a notification answered by the listener's thread ${per(med.on[plain], med.off[plain])} us, decided by the policy in JS ${per(med.named[plain], med.off[plain])} us; the wrapper ${per(med.off[wrapped], med.off[plain])} us`);
}
