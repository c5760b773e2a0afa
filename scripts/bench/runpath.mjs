// The Run path: what interception costs a shell whose commands all run in
// the sandbox. Each loop times itself inside bash ($EPOCHREALTIME), so the
// start-up of the shell, the broker or the peer is not counted.
//   unpatched    unpatched bash (same source, same build flags): the baseline
//   patched      patched bash, EXEC_WRAPPER unset: the cost of the patch alone
//   passthru     patched bash with a static pass-through wrapper, no broker:
//                the floor, one more exec per command
//   peer bash    Codex's patched bash, no wrapper (its own floor)
//   peer         Codex's shell-escalation peer: its bash, its wrapper, a round
//                trip to its MCP server for every exec
//   execgate     `execgate shell` (built-in policy: nothing the loops run is
//                named by a rule): the wrapper decides from the run table
//   +audit       the same with --audit: the wrapper also sends a one-way
//                record per exec, which the broker writes to the log
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loopSeconds, median, paired, paths, QUICK, ratios, ROUNDS, run, timed } from './common.mjs';

export const N = Number(process.env.BENCH_N ?? (QUICK ? 200 : 1000));
export const LOOPS = {
  '/bin/true': `for ((i=0;i<${N};i++)); do /bin/true; done`,
  'ls+cat+true': `for ((i=0;i<${Math.round(N / 3)};i++)); do ls / >/dev/null; cat /etc/hostname >/dev/null; /bin/true; done`,
};
const EXECS = { '/bin/true': N, 'ls+cat+true': Math.round(N / 3) * 3 };

/** Runs both loops in every configuration; adds rows to `table`. */
export async function benchRunPath(table, { peer } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'eg-bench-run-'));
  const bashLoop = (bash, env) => (loop) => loopSeconds(run(bash, ['-c', timed(loop)], { env: { ...process.env, ...env } }).stdout);
  const configs = {
    unpatched: bashLoop(paths.unpatched, {}),
    patched: bashLoop(paths.bash, { EXEC_WRAPPER: '' }),
    passthru: bashLoop(paths.bash, { EXEC_WRAPPER: paths.passthru }),
    ...(peer
      ? {
          'peer bash': bashLoop(peer.bash, { BASH_EXEC_WRAPPER: '' }),
          peer: async (loop) => loopSeconds(await peer.shell(timed(loop))),
        }
      : {}),
    execgate: (loop) => loopSeconds(run(process.execPath, [paths.cli, 'shell', '-c', timed(loop)]).stdout),
    'execgate +audit': (loop) => {
      const audit = join(dir, 'audit.jsonl');
      rmSync(audit, { force: true });
      return loopSeconds(run(process.execPath, [paths.cli, 'shell', '--audit', audit, '-c', timed(loop)]).stdout);
    },
  };
  console.log(`run path: ${N} execs per loop, ${ROUNDS} rounds, configurations interleaved`);
  const results = {};
  for (const [name, loop] of Object.entries(LOOPS)) {
    const byConfig = Object.fromEntries(Object.entries(configs).map(([c, f]) => [c, () => f(loop)]));
    const times = await paired(ROUNDS, byConfig);
    results[name] = times;
    for (const [c, xs] of Object.entries(times)) {
      const r = ratios(xs, times.unpatched);
      const us = (median(xs) / EXECS[name]) * 1e6;
      console.log(`  ${name.padEnd(12)} ${c.padEnd(16)} ${us.toFixed(0).padStart(5)} µs/exec  ${r.median.toFixed(2)} (${r.lo.toFixed(2)}-${r.hi.toFixed(2)}) x unpatched`);
      const row = { name: `${name}: ${c}`, value: `${us.toFixed(0)} µs/exec`, ratio: r };
      if (c.startsWith('execgate')) {
        const vsPatched = ratios(xs, times.patched);
        row.target = `x patched ${vsPatched.median.toFixed(2)} (${vsPatched.lo.toFixed(2)}-${vsPatched.hi.toFixed(2)})`;
        if (name === '/bin/true' && c === 'execgate') {
          row.target = `<= 1.15 ${row.target}`;
          row.met = vsPatched.median <= 1.15;
        }
      }
      table.add('run path (loop timed in bash; x unpatched bash)', row);
    }
  }
  for (const [name, times] of Object.entries(results)) {
    const cell = (c) => (times[c] ? `${((median(times[c]) / EXECS[name]) * 1e6).toFixed(0)} µs (${ratios(times[c], times.unpatched).median.toFixed(2)})` : undefined);
    table.side(`${name} loop, per exec (x unpatched)`, { unpatched: cell('unpatched'), floor: cell('passthru'), peer: cell('peer'), execgate: cell('execgate') }, times.peer ? ratios(times.execgate, times.peer) : null);
    table.side(`${name} loop, --audit`, { peer: '', execgate: cell('execgate +audit') }, times.peer ? ratios(times['execgate +audit'], times.peer) : null);
  }
  rmSync(dir, { recursive: true, force: true });
  return results;
}

