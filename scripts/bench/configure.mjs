// A real exec-heavy job: bash's own ./configure (the source
// scripts/build-bash.sh fetched, unpacked once here), in a fresh copy for
// every run, the shell running it and the one it runs its scripts with
// (CONFIG_SHELL) being:
//   unpatched    the unpatched bash: the baseline
//   passthru     the patched bash with the pass-through wrapper: the floor
//   execgate     `execgate shell` (built-in policy), its patched bash
// Wall time from spawn to exit. The exec count is what the patched bash
// handed to the wrapper: the decision records of an extra run with --audit
// (timed too: the records' cost on a real job).
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { tmpdir } from 'node:os';
import { paired, paths, QUICK, ratios, root, run, wallMs, median } from './common.mjs';

export const ROUNDS = Number(process.env.BENCH_CONFIGURE_ROUNDS ?? (QUICK ? 1 : 3));
const ARGS = '--quiet --prefix=/usr --without-bash-malloc';

/** The unpacked bash source (made once per bench run), or why there is none. */
function source(dir) {
  const cache = join(process.env.XDG_CACHE_HOME || join(process.env.HOME ?? '/tmp', '.cache'), 'execgate', 'bash');
  const tarball = join(cache, 'bash_5.2.15.orig.tar.gz');
  if (existsSync(tarball)) {
    run('tar', ['-xzf', tarball, '-C', dir]);
    return { src: join(dir, 'bash-5.2.15') };
  }
  const work = join(root, 'build', 'bash-work');
  if (existsSync(join(work, 'configure'))) return { src: work };
  return { why: `no bash source: neither ${tarball} nor ${work}/configure (run \`npm run build:bash\`)` };
}

export async function benchConfigure(table) {
  const dir = mkdtempSync(join(tmpdir(), 'eg-bench-configure-'));
  try {
    const { src, why } = source(dir);
    if (!src) {
      console.log(`configure: skipped: ${why}`);
      table.note(`configure: skipped: ${why}`);
      return null;
    }
    let n = 0;
    const fresh = () => {
      const w = join(dir, `w${n++}`);
      cpSync(src, w, { recursive: true });
      return w;
    };
    const inShell = (bash) => `cd "$W" && CONFIG_SHELL=${bash} ${bash} ./configure ${ARGS} >/dev/null`;
    const once = async (cmd, args, env) => {
      const w = fresh();
      try {
        return await wallMs(cmd, args, { env: { ...process.env, ...env, W: w } });
      } finally {
        rmSync(w, { recursive: true, force: true });
      }
    };
    const audit = join(dir, 'audit.jsonl');
    let execs = 0;
    const configs = {
      unpatched: () => once(paths.unpatched, ['-c', inShell(paths.unpatched)], {}),
      passthru: () => once(paths.bash, ['-c', inShell(paths.bash)], { EXEC_WRAPPER: paths.passthru }),
      execgate: () => once(process.execPath, [paths.cli, 'shell', '-c', inShell('"$SHELL"')], {}),
      'execgate +audit': async () => {
        rmSync(audit, { force: true });
        const ms = await once(process.execPath, [paths.cli, 'shell', '--audit', audit, '-c', inShell('"$SHELL"')], {});
        // Every exec is a decision record, or counted in a records-dropped
        // line when the log fell behind.
        const records = readFileSync(audit, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
        execs = records.reduce((k, r) => k + (r.event === 'decision' ? 1 : r.event === 'records-dropped' ? r.count : 0), 0);
        return ms;
      },
    };
    console.log(`configure: bash 5.2.15's ./configure ${ARGS}, a fresh copy each run, ${ROUNDS} rounds, interleaved`);
    const times = await paired(ROUNDS, configs);
    for (const [name, xs] of Object.entries(times)) {
      const r = ratios(xs, times.unpatched);
      const s = median(xs) / 1000;
      console.log(`  ${name.padEnd(16)} ${s.toFixed(1).padStart(6)} s  ${r.median.toFixed(3)} (${r.lo.toFixed(3)}-${r.hi.toFixed(3)}) x unpatched`);
      const row = { name, value: `${s.toFixed(1)} s`, ratio: r };
      if (name === 'execgate') {
        row.target = '<= 1.05';
        row.met = r.median <= 1.05;
      }
      if (name === 'execgate +audit') row.value += `, ${execs} execs`;
      table.add('configure (bash 5.2.15, wall; x unpatched bash)', row);
    }
    return { times, execs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
