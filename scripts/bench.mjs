#!/usr/bin/env node
// npm run bench: what execgate costs, as ratios against baselines measured in
// the same run, with paired, interleaved rounds (docs/benchmark.md says what
// each row measures, how, and the figures measured). The parts, each a
// module under scripts/bench/:
//   runpath      the Run path: /bin/true and a mixed loop, timed inside bash,
//                unpatched / patched / pass-through floor / Codex's peer /
//                execgate (with and without --audit)
//   startup      start-up and per-call latency (execgate shell, attach
//                through the native launcher, the peer's tool call)
//   load         8 shells at once on one execgate serve, mixed and escalated;
//                the broker's own latency histograms ({"op":"stats"}) and RSS
//   configure    bash's ./configure under execgate shell
//   peer         Codex's @openai/codex-shell-tool-mcp, installed into the
//                bench cache when missing, beside execgate in runpath/startup
// Then the escalation round trip: a loop of auto-approved `/bin/true`
// escalations (policy: escalate `true`), with stdin a pipe and, separately, a
// terminal (`script -qc`, so the host command gets a pty of its own), timed
// after a warm-up in the same shell (the first escalation starts the spawn
// server and compiles the broker's escalation path: it and the warm-up are
// printed on their own); and the
// spawn path's share of it: Spawner.spawn until the supervisor's "P" line,
// measured on its own in a child (`bench.mjs --spawn-path`) with the same
// stdin. Then the shell shim per tool call (bench/shim.mjs), execgate mcp
// beside the peer's MCP tool (bench/mcp.mjs) and mediation under bwrap. The
// summary table and the side-by-side table with the peer come last; targets
// are printed beside the figures, never asserted.
//   BENCH_QUICK=1                        a short run (small loops, few rounds)
//   BENCH_ONLY=runpath,startup,...       only these parts (the escalation round trip,
//                                        the addon ping-pong, the shell shim, the MCP
//                                        tool and mediation always run)
//   BENCH_N, BENCH_ROUNDS, BENCH_ESC_N,  loop sizes and rounds (more in the modules)
//   BENCH_ESC_WARM
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, openSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// The spawn path alone: N escalations of /bin/true straight through a
// Spawner, with this process's stdio as the caller's. Prints one JSON line.
if (process.argv[2] === '--spawn-path') {
  const { Spawner } = await import(join(root, 'dist/exec/spawner.js'));
  const { pinDirectory, programIdentity } = await import(join(root, 'dist/exec/pin.js'));
  const { Fd } = await import(join(root, 'dist/native/fd.js'));
  const n = Number(process.argv[3] ?? 300);
  const tty = process.stdin.isTTY === true;
  const spawner = new Spawner();
  const identity = programIdentity('/bin/true');
  const call = [];
  const untilP = [];
  // The first one starts the server: not counted.
  for (let i = 0; i <= n; i++) {
    // Our terminal, reopened (Node has no dup); without one, what the pipe
    // case amounts to here: plain fds, no pty.
    const stdio = [0, 1, 2].map((fd) => new Fd(openSync(tty ? `/proc/self/fd/${fd}` : '/dev/null', fd === 0 ? 'r' : 'w')));
    const cwd = pinDirectory('/');
    const t0 = process.hrtime.bigint();
    const proc = spawner.spawn({ file: '/bin/true', identity, argv: [Buffer.from('true')], env: [], tty: tty ? { rows: 24, cols: 80 } : null, closed: [] }, stdio, cwd.fd);
    const t1 = process.hrtime.bigint();
    stdio.forEach((f) => f.close());
    cwd.fd.close();
    await proc.started;
    const t2 = process.hrtime.bigint();
    await proc.exited;
    if (i > 0) {
      call.push(Number(t1 - t0) / 1e6);
      untilP.push(Number(t2 - t0) / 1e6);
    }
  }
  await spawner.close();
  console.log(JSON.stringify({ call: median(call), untilP: median(untilP) }));
  process.exit(0);
}

const cli = join(root, 'bin/execgate.js');
const { only, paths, QUICK, requireBuilt, ROUNDS, Table, timed } = await import('./bench/common.mjs');
requireBuilt();
const table = new Table();

// Codex's peer, when it can be had (npm, once; the MCP client is a devDependency).
let peer = null;
let peerLauncher = null;
if (only('peer') || only('runpath') || only('startup')) {
  const { installPeer, startPeer } = await import('./bench/peer.mjs');
  const installed = installPeer();
  try {
    if (!installed.launcher) throw new Error(installed.why);
    peerLauncher = installed.launcher;
    peer = await startPeer(peerLauncher);
  } catch (err) {
    console.log(`peer: not measured: ${err.message}`);
    table.note(`Codex's peer not measured: ${err.message}`);
  }
}
if (only('runpath')) await (await import('./bench/runpath.mjs')).benchRunPath(table, { peer });
if (only('startup')) await (await import('./bench/startup.mjs')).benchStartup(table, { peer, peerLauncher });
await peer?.close();
const load = only('load') ? await (await import('./bench/load.mjs')).benchLoad(table) : null;
if (only('configure')) await (await import('./bench/configure.mjs')).benchConfigure(table);
if (QUICK) process.env.BENCH_ESC_N ??= '50';

// ---- escalation round trip ---------------------------------------------------
const ESC_N = Number(process.env.BENCH_ESC_N ?? 200);
/** Escalations before the timed loop, in the same shell (at least the
 * first): in a fresh broker the first costs 9-11 ms here (it starts the
 * spawn server, and the escalation path is compiled on first use) and the
 * next few dozen run slower while V8 warms up (2.5-2.9 ms against 1.8-2.0).
 * Both are printed, apart from the round trip. */
const ESC_WARM = Math.max(1, Number(process.env.BENCH_ESC_WARM ?? (QUICK ? 10 : 50)));
const escDir = mkdtempSync(join(tmpdir(), 'eg-bench-'));
const escPolicy = join(escDir, 'policy.toml');
writeFileSync(escPolicy, '[[rule]]\nid = "true-host"\nprogram = "true"\ndecision = "escalate"\n');
const escLoop = [
  'a=$EPOCHREALTIME; /bin/true; b=$EPOCHREALTIME',
  `for ((i=1;i<${ESC_WARM};i++)); do /bin/true; done; c=$EPOCHREALTIME`,
  'echo "FIRST $a $b $c"',
  timed(`for ((i=0;i<${ESC_N};i++)); do /bin/true; done`),
].join('; ');
const shellArgs = [cli, 'shell', '--policy', escPolicy, '-c', escLoop];
const quote = (a) => `'${a.replace(/'/g, `'\\''`)}'`;

/** The "START END" line the loop printed (under script, among its output). */
function loopSeconds(out) {
  const m = [...out.matchAll(/(\d+\.\d+) (\d+\.\d+)\r?$/gm)].pop();
  if (!m) throw new Error(`bench: no timing line in ${JSON.stringify(out)}`);
  return Number(m[2]) - Number(m[1]);
}

/** Runs cmd with stdin a pipe, or under `script` (stdin a terminal). */
function withStdin(kind, cmd) {
  if (kind === 'pipe') return spawnSync(cmd[0], cmd.slice(1), { input: '', encoding: 'utf8' });
  return spawnSync('script', ['-qefc', cmd.map(quote).join(' '), '/dev/null'], { encoding: 'utf8', env: { ...process.env, SHELL: '/bin/sh' } });
}

/** The "FIRST A B C" line: the first escalation (B - A) and the warm-up
 * after it (C - B), in seconds. */
function warmUpSeconds(out) {
  const m = /FIRST (\d+\.\d+) (\d+\.\d+) (\d+\.\d+)/.exec(out);
  if (!m) throw new Error(`bench: no FIRST line in ${JSON.stringify(out)}`);
  return { first: Number(m[2]) - Number(m[1]), rest: Number(m[3]) - Number(m[2]) };
}

const stdins = { pipe: 'stdin a pipe', terminal: 'stdin a terminal' };
/** The same loop in the unpatched bash, no execgate, in every round: what a
 * plain exec of /bin/true costs on this machine at that moment (it moves by
 * a third between quiet and busy spells here), for a ratio taken within the
 * round beside the absolute figure the target names. */
const plainLoop = timed(`for ((i=0;i<${ESC_N};i++)); do /bin/true; done`);
const plainTimes = [];
const loopTimes = { pipe: [], terminal: [] };
const warmTimes = { pipe: [], terminal: [] };
const pathTimes = { pipe: [], terminal: [] };
console.log(`escalation round trip: ${ESC_N} auto-approved /bin/true per loop after ${ESC_WARM} in the same shell, median of ${ROUNDS} rounds (target: 2 ms)`);
for (let r = 0; r < ROUNDS; r++) {
  const plain = withStdin('pipe', [paths.unpatched, '-c', plainLoop]);
  if (plain.status !== 0) throw new Error(`plain /bin/true loop failed (${plain.status}): ${plain.stderr}`);
  plainTimes.push(loopSeconds(plain.stdout));
  for (const kind of Object.keys(stdins)) {
    const loop = withStdin(kind, [process.execPath, ...shellArgs]);
    if (loop.status !== 0) throw new Error(`escalation loop (${stdins[kind]}) failed (${loop.status}): ${loop.stderr}${loop.stdout}`);
    loopTimes[kind].push(loopSeconds(loop.stdout));
    warmTimes[kind].push(warmUpSeconds(loop.stdout));
    const path = withStdin(kind, [process.execPath, fileURLToPath(import.meta.url), '--spawn-path', String(ESC_N)]);
    const m = /\{.*\}/.exec(path.stdout ?? '');
    if (path.status !== 0 || !m) throw new Error(`spawn path (${stdins[kind]}) failed (${path.status}): ${path.stderr}${path.stdout}`);
    pathTimes[kind].push(JSON.parse(m[0]));
  }
}
console.log(`  a plain exec       ${((median(plainTimes) / ESC_N) * 1e3).toFixed(2).padStart(6)} ms (the unpatched bash's own /bin/true, same rounds)`);
for (const kind of Object.keys(stdins)) {
  const perEsc = (median(loopTimes[kind]) / ESC_N) * 1e3;
  const times = median(loopTimes[kind].map((t, r) => t / plainTimes[r]));
  const call = median(pathTimes[kind].map((p) => p.call));
  const untilP = median(pathTimes[kind].map((p) => p.untilP));
  const first = median(warmTimes[kind].map((w) => w.first)) * 1e3;
  const warm = (median(warmTimes[kind].map((w) => w.rest)) / (ESC_WARM - 1)) * 1e3;
  console.log(
    `  ${stdins[kind].padEnd(17)} ${perEsc.toFixed(2).padStart(6)} ms/escalation (${times.toFixed(2)} x a plain exec);` +
      ` spawn path ${untilP.toFixed(3)} ms (Spawner.spawn ${call.toFixed(3)} ms + until "P"), ${((untilP / perEsc) * 100).toFixed(0)}%;` +
      ` before the loop: the first ${first.toFixed(1)} ms${ESC_WARM > 1 ? `, the next ${ESC_WARM - 1} ${warm.toFixed(2)} ms each` : ''}`,
  );
}

// The addon's own round trip (it was a test: figures belong here).
const { benchAddonPingPong } = await import('./bench/addon-pingpong.mjs');
await benchAddonPingPong(Number(process.env.EXECGATE_PINGPONG_ROUNDS ?? 20_000));

// The shell shim attached to a running serve, per tool call (issue 11).
const { benchShim } = await import('./bench/shim.mjs');
await benchShim();

// ---- execgate mcp beside Codex's MCP shell tool (scripts/bench/mcp.mjs) ----
const { benchMcp } = await import('./bench/mcp.mjs');
const { N } = await import('./bench/runpath.mjs');
await benchMcp({ calls: Number(process.env.BENCH_MCP_CALLS ?? (QUICK ? 20 : 2000)), execs: N, rounds: ROUNDS, table });
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

load?.printHistograms();
table.print();
