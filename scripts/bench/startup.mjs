// Start-up and per-call latency, the command doing nothing (`true`, a bash
// builtin: no exec to intercept). Commands are started from a loop in the
// unpatched bash and timed there ($EPOCHREALTIME), so that what is measured
// is the command, not this Node process's own spawn (forking a 50 MB process
// costs more than the bash it starts):
//   bash -c true             the unpatched bash: the baseline
//   passthru bash -c true    the patched bash with the pass-through wrapper
//   node -e 0                a bare Node: what any Node CLI costs at least
//   execgate --help          the CLI, no command run
//   execgate shell -c true   a broker of its own, a session, the shell
//                            (these two through the npm front below, as a
//                            user runs them: it starts the Node CLI)
//   attach (npm front)       `execgate shell --broker SOCK -c true` to a
//                            running `execgate serve`, through bin/execgate
//                            as `npm install` leaves it: the native launcher
//                            itself (scripts/install-front.mjs, run here on
//                            a package of links to this checkout): what an
//                            agent harness pays per tool call
//   attach (checkout front)  the same through this checkout's bin/execgate,
//                            the sh front, which then execs the launcher
//                            (compared with the npm front, not the peer:
//                            only a git checkout has it)
//   attach (shell shim)      the same through the shell shim (`bash -c true`
//                            with $EXECGATE_BROKER): no sh dispatch on the way
// The broker's private directory and the session directories go in
// $XDG_RUNTIME_DIR, else the system temp directory. A desktop session has
// one on tmpfs (/run/user/UID); without it, on this machine, that is /tmp on
// ext4, where making and removing them costs ~0.5 ms of metadata writes:
// both execgate rows are also measured with XDG_RUNTIME_DIR on tmpfs
// (/dev/shm), marked "tmpfs".
// Codex's peer is an MCP server, driven from here (its client in this
// process, as a harness's would be):
//   peer call                one `shell` tool call running `true`, the
//                            server already running: its per-call cost
//   peer cold                the server started, initialized, one call,
//                            closed: its `execgate shell -c true`
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fmt, loopSeconds, median, paired, paths, QUICK, range, ratios, root, ROUNDS, run, timed } from './common.mjs';
import { startPeer } from './peer.mjs';
import { startServe } from './serve.mjs';

/** Calls per configuration and round (the round's figure is their mean). */
export const CALLS = Number(process.env.BENCH_STARTUP_N ?? (QUICK ? 5 : 20));
/** The per-call rows: CALLS calls at a time, this many times a round. */
export const CALL_SLICES = QUICK ? 2 : 10;

const quote = (a) => `'${a.replace(/'/g, `'\\''`)}'`;

/** Milliseconds per run of `argv`, from CALLS runs in a loop in bash. */
function perCall(argv, env = {}, calls = CALLS) {
  const loop = `for ((i=0;i<${calls};i++)); do ${argv.map(quote).join(' ')} >/dev/null 2>&1 || exit 1; done`;
  return (loopSeconds(run(paths.unpatched, ['-c', timed(loop)], { env: { ...process.env, ...env } }).stdout) / calls) * 1000;
}

/** Milliseconds per call of an async function, the mean of `calls`. */
async function perCallAsync(f, calls = CALLS) {
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < calls; i++) await f();
  return Number(process.hrtime.bigint() - t0) / 1e6 / calls;
}

/** A package as `npm install` leaves it outside a checkout (links to this
 * one's files), with its bin/execgate made by the install step: that file. */
function installedFront() {
  const pkg = mkdtempSync(join(tmpdir(), 'eg-bench-pkg-'));
  mkdirSync(join(pkg, 'bin'));
  mkdirSync(join(pkg, 'build', 'native'), { recursive: true });
  symlinkSync(join(root, 'bin', 'execgate.js'), join(pkg, 'bin', 'execgate.js'));
  copyFileSync(paths.bin, join(pkg, 'bin', 'execgate'));
  symlinkSync(paths.launcher, join(pkg, 'build', 'native', 'execgate-launch'));
  const r = spawnSync(process.execPath, [join(root, 'scripts', 'install-front.mjs'), '--root', pkg], { encoding: 'utf8' });
  const front = join(pkg, 'bin', 'execgate');
  if (r.status !== 0 || readFileSync(front).subarray(0, 4).toString('latin1') !== '\x7fELF') throw new Error(`bench: the install step made no native front: ${r.stderr}`);
  return { front, remove: () => rmSync(pkg, { recursive: true, force: true }) };
}

const NO_CA = 'no NODE_EXTRA_CA_CERTS';

export async function benchStartup(table, { peer, peerLauncher } = {}) {
  /** The peer's server started, initialized, one call, closed. */
  const peerCold = (env) =>
    perCallAsync(async () => {
      const p = await startPeer(peerLauncher, { env });
      await p.shell('true');
      await p.close();
    }, Math.max(1, Math.round(CALLS / 4)));
  const installed = installedFront();
  const served = await startServe();
  const shm = existsSync('/dev/shm') ? mkdtempSync('/dev/shm/eg-bench-') : null;
  const servedShm = shm ? await startServe({ runtimeBase: shm }) : null;
  // Two groups, each paired within itself: what takes tens of milliseconds
  // (a Node starts), and what takes a few (the per-call rows), whose rounds
  // are sliced (common.mjs, paired) so that an attach and a peer call share
  // the same moments of this VM's noise. Each group has its own bash -c true.
  const baseline = { 'bash -c true': async () => perCall([paths.unpatched, '-c', 'true']) };
  const startupConfigs = {
    ...baseline,
    'node -e 0': async () => perCall([process.execPath, '-e', '0']),
    'execgate --help': async () => perCall([installed.front, '--help']),
    'execgate shell -c true': async () => perCall([installed.front, 'shell', '-c', 'true']),
    ...(shm ? { 'execgate shell -c true, tmpfs': async () => perCall([installed.front, 'shell', '-c', 'true'], { XDG_RUNTIME_DIR: shm }) } : {}),
    ...(peerLauncher ? { 'peer cold': () => peerCold(process.env) } : {}),
    // Node 20 parses every root certificate at start when
    // NODE_EXTRA_CA_CERTS is set (40 ms here); execgate's fronts keep it
    // from their Node, the peer's launcher does not. Where it is set, both
    // are also measured without it: what a machine without it sees.
    ...(process.env.NODE_EXTRA_CA_CERTS
      ? {
          [`node -e 0, ${NO_CA}`]: async () => perCall([process.execPath, '-e', '0'], { NODE_EXTRA_CA_CERTS: undefined }),
          [`execgate shell -c true, ${NO_CA}`]: async () => perCall([installed.front, 'shell', '-c', 'true'], { NODE_EXTRA_CA_CERTS: undefined }),
          ...(peerLauncher ? { [`peer cold, ${NO_CA}`]: () => peerCold({ ...process.env, NODE_EXTRA_CA_CERTS: undefined }) } : {}),
        }
      : {}),
  };
  const callConfigs = {
    ...baseline,
    'passthru bash -c true': async () => perCall([paths.bash, '-c', 'true'], { EXEC_WRAPPER: paths.passthru }),
    'attach (npm front)': async () => perCall([installed.front, 'shell', '--broker', served.socket, '-c', 'true']),
    'attach (checkout front)': async () => perCall([paths.bin, 'shell', '--broker', served.socket, '-c', 'true']),
    'attach (shell shim)': async () => perCall([paths.shim, '-c', 'true'], { EXECGATE_BROKER: served.socket }),
    ...(shm ? { 'attach (npm front), tmpfs': async () => perCall([installed.front, 'shell', '--broker', servedShm.socket, '-c', 'true']) } : {}),
    ...(peer ? { 'peer call': () => perCallAsync(() => peer.shell('true')) } : {}),
  };
  console.log(`start-up: ${CALLS} calls per configuration and round (their mean), ${ROUNDS} rounds, interleaved; the per-call rows ${CALLS} calls at a time, ${CALL_SLICES} times a round`);
  let startupTimes;
  let callTimes;
  try {
    callTimes = await paired(ROUNDS, callConfigs, { slices: CALL_SLICES });
    startupTimes = await paired(ROUNDS, startupConfigs);
  } finally {
    await served.stop();
    await servedShm?.stop();
    if (shm) rmSync(shm, { recursive: true, force: true });
    installed.remove();
  }
  const times = { ...startupTimes, ...callTimes };
  const baseOf = (name) => (name in callTimes ? callTimes : startupTimes)['bash -c true'];
  for (const [name, xs] of Object.entries(times)) {
    const r = ratios(xs, baseOf(name));
    const ms = median(xs);
    const spread = `${Math.min(...xs).toFixed(1)}-${Math.max(...xs).toFixed(1)}`;
    console.log(`  ${name.padEnd(24)} ${ms.toFixed(1).padStart(7)} ms  (${spread})`);
    const row = { name, value: `${ms.toFixed(1)} ms (${spread})`, ratio: r };
    if (name.startsWith('execgate shell -c true')) {
      row.target = '<= 150 ms';
      row.met = ms <= 150;
    }
    table.add('start-up, per call (wall; x bash -c true)', row);
  }
  // A git checkout's bin/execgate is the tracked sh script, which execs the
  // same launcher that `npm install` puts in its place: not a front anyone
  // installs, so not beside the peer; what its sh costs is said here.
  const front = ratios(times['attach (checkout front)'], times['attach (npm front)']);
  console.log(`  a checkout's sh front: ${fmt(front.median)} (${range(front.lo, front.hi)}) x the npm front, ${(median(times['attach (checkout front)']) - median(times['attach (npm front)'])).toFixed(1)} ms more per attach`);
  const ms = (name) => (times[name] ? `${median(times[name]).toFixed(1)} ms` : undefined);
  const vs = (name, peerName) => (times[name] && times[peerName] ? ratios(times[name], times[peerName]) : null);
  const base = { unpatched: ms('bash -c true'), floor: ms('passthru bash -c true') };
  table.side('start-up (own broker; peer: server cold)', { ...base, peer: ms('peer cold'), execgate: ms('execgate shell -c true') }, vs('execgate shell -c true', 'peer cold'));
  table.side('  the same, runtime dir on tmpfs', { peer: '', execgate: ms('execgate shell -c true, tmpfs') }, vs('execgate shell -c true, tmpfs', 'peer cold'));
  if (times[`peer cold, ${NO_CA}`]) table.side(`  the same, both with ${NO_CA}`, { peer: ms(`peer cold, ${NO_CA}`), execgate: ms(`execgate shell -c true, ${NO_CA}`) }, vs(`execgate shell -c true, ${NO_CA}`, `peer cold, ${NO_CA}`));
  table.side('per call (attach; peer: one tool call)', { ...base, peer: ms('peer call'), execgate: ms('attach (npm front)') }, vs('attach (npm front)', 'peer call'));
  table.side('  the same, through the shell shim', { peer: '', execgate: ms('attach (shell shim)') }, vs('attach (shell shim)', 'peer call'));
  table.side('  the same, runtime dir on tmpfs', { peer: '', execgate: ms('attach (npm front), tmpfs') }, vs('attach (npm front), tmpfs', 'peer call'));
  return times;
}
