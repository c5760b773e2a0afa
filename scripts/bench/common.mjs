// What every part of `npm run bench` shares: where things are, how big a run
// is, paired and interleaved rounds, and the one table printed at the end.
//
// Other work shares this machine (2 cores), so a figure is never one run:
// each round runs every configuration once, in a rotated order, and a ratio
// is taken within the round (configuration / baseline of the same round);
// the table gives the median of those ratios and their range over rounds.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

// Where the build put things, as the CLI and the tests see it (one place:
// src/native/paths.ts, EXECGATE_BUILD_DIR and EXECGATE_NATIVE_DIR honoured).
const compiledPaths = join(root, 'dist/native/paths.js');
if (!existsSync(compiledPaths)) {
  console.error(`bench: ${compiledPaths} is missing: run \`npm install\` first`);
  process.exit(1);
}
const built = await import(compiledPaths);

export const paths = {
  bash: built.patchedBashPath,
  unpatched: built.unpatchedBashPath,
  /** The Node CLI's entry; `node cli ...` is `execgate ...` without the sh dispatch. */
  cli: join(root, 'bin/execgate.js'),
  /** This checkout's `execgate` (the sh front): sends `shell --broker` to the native launcher. */
  bin: join(root, 'bin/execgate'),
  /** The native launcher (what `npm install` makes bin/execgate outside a checkout). */
  launcher: built.launcherPath,
  passthru: join(root, 'build/bench/passthrough-wrapper'),
  /** The shell shim: `bash` for harnesses, attached to $EXECGATE_BROKER by the native launcher. */
  shim: join(built.shimDir, 'bash'),
};

/** BENCH_QUICK=1: small loops, few rounds (a smoke run, figures rough). */
export const QUICK = process.env.BENCH_QUICK === '1';
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? (QUICK ? 2 : 5));

/** BENCH_ONLY=runpath,startup,...: run only these parts (default: all). */
export function only(part) {
  const list = process.env.BENCH_ONLY;
  return !list || list.split(',').includes(part);
}

export function requireBuilt() {
  for (const f of [paths.bash, paths.unpatched, join(root, 'dist/cli/main.js')]) {
    if (!existsSync(f)) {
      console.error(`bench: ${f} is missing: run \`npm install\` and \`npm run build:bash\` first`);
      process.exit(1);
    }
  }
  // The floor: a static pass-through wrapper (musl when available, as the real one).
  if (!existsSync(paths.passthru)) {
    mkdirSync(dirname(paths.passthru), { recursive: true });
    const cc = spawnSync('sh', ['-c', 'command -v musl-gcc || echo cc'], { encoding: 'utf8' }).stdout.trim();
    const built = spawnSync(cc, ['-O2', '-static', '-o', paths.passthru, join(root, 'test/fixtures/wrappers/passthrough-wrapper.c')], { stdio: 'inherit' });
    if (built.status !== 0) process.exit(1);
  }
}

/** A bash loop that times itself ($EPOCHREALTIME) and prints "START END". */
export const timed = (loop) => `s=$EPOCHREALTIME; ${loop}; e=$EPOCHREALTIME; echo "$s $e"`;

/** The seconds of the last "START END" line in `out`. */
export function loopSeconds(out) {
  const m = [...out.matchAll(/(\d+\.\d+) (\d+\.\d+)\r?$/gm)].pop();
  if (!m) throw new Error(`bench: no timing line in ${JSON.stringify(out.slice(-500))}`);
  return Number(m[2]) - Number(m[1]);
}

/** Runs a command to its end; throws with its stderr when it fails. */
export function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 64 << 20, ...opts });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ').slice(0, 200)} failed (${r.status ?? r.signal}): ${(r.stderr ?? '').slice(-2000)}`);
  return r;
}

/** Wall time (ms) from spawn to exit, the child's output discarded. */
export function wallMs(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'], ...opts });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      if (code !== 0) reject(new Error(`${cmd} ${args.join(' ').slice(0, 200)}: exit ${code ?? signal}: ${err.slice(-2000)}`));
      else resolve(ms);
    });
  });
}

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
export const percentile = (xs, q) => [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor(q * xs.length))];

/**
 * Runs `rounds` rounds; in each, every configuration once (async functions
 * returning one figure), the order rotated by one each round so that none
 * is always first after a pause or last before one. Returns name -> figures.
 *
 * `slices`: each round is that many passes over the configurations (the
 * order rotated each pass), and a round's figure is the mean of its
 * passes'. For figures of a few milliseconds: one pass of each takes tens
 * of milliseconds, far apart in time, and a burst of this VM's noise lands
 * on one configuration and not on the one it is compared with; taking
 * turns every few calls puts the same noise on both.
 *
 * `onRound(r)`: awaited after round r (more measuring of the same round).
 */
export async function paired(rounds, configs, { onRound, slices = 1 } = {}) {
  const names = Object.keys(configs);
  const out = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < rounds; r++) {
    const sum = Object.fromEntries(names.map((n) => [n, 0]));
    for (let p = 0; p < slices; p++) {
      for (let k = 0; k < names.length; k++) {
        const name = names[(r * slices + p + k) % names.length];
        sum[name] += await configs[name]();
      }
    }
    for (const n of names) out[n].push(sum[n] / slices);
    await onRound?.(r);
  }
  return out;
}

/** Per-round ratios of `xs` against `base`: median and range. */
export function ratios(xs, base) {
  const rs = xs.map((x, i) => x / base[i]);
  return { median: median(rs), lo: Math.min(...rs), hi: Math.max(...rs) };
}

export const fmt = (x, digits = 2) => (x === undefined || x === null || Number.isNaN(x) ? '' : x.toFixed(digits));
export const range = (lo, hi, digits = 2) => (fmt(lo, digits) === fmt(hi, digits) ? fmt(lo, digits) : `${fmt(lo, digits)}-${fmt(hi, digits)}`);

/**
 * The one table: one row per figure. `value` is the measured figure as text
 * (with its unit), `ratio` the median ratio to the row's baseline and its
 * range over rounds, `target` what it should be (printed, never asserted),
 * `met` whether it is (true, false, or undefined when there is no target).
 */
export class Table {
  rows = [];
  notes = [];
  /** The side-by-side rows: execgate and Codex's peer (peer.mjs). */
  sides = [];

  add(section, row) {
    this.rows.push({ section, ...row });
  }

  /** A row of the side-by-side table: what each of the four costs, and
   * execgate over the peer (per-round ratios), `lower` being better. */
  side(name, cells, vsPeer) {
    this.sides.push({ name, cells, vsPeer });
  }

  note(text) {
    this.notes.push(text);
  }

  print(out = (l) => console.log(l)) {
    const head = ['', 'measure', 'figure', 'ratio (median, range)', 'target', ''];
    const cells = this.rows.map((r) => [
      r.section,
      r.name,
      r.value ?? '',
      r.ratio ? `${fmt(r.ratio.median)} (${range(r.ratio.lo, r.ratio.hi)})` : '',
      r.target ?? '',
      r.met === undefined ? '' : r.met ? 'met' : 'NOT met',
    ]);
    const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
    const line = (c) => c.map((x, i) => x.padEnd(widths[i])).join('  ').trimEnd();
    out('');
    out('execgate bench: summary (ratios within each round, against the baseline named in the section)');
    out(line(head));
    out(line(widths.map((w) => '-'.repeat(w))));
    let last = null;
    for (const c of cells) {
      out(line([c[0] === last ? '' : c[0], ...c.slice(1)]));
      last = c[0];
    }
    for (const n of this.notes) out(`  * ${n}`);
    if (this.sides.length === 0) return;
    const sideHead = ['', 'unpatched bash', 'pass-through floor', "Codex's peer", 'execgate', 'execgate / peer (median, range)', ''];
    const sideCells = this.sides.map((r) => [
      r.name,
      r.cells.unpatched ?? '',
      r.cells.floor ?? '',
      r.cells.peer ?? 'n/a',
      r.cells.execgate ?? '',
      r.vsPeer ? `${fmt(r.vsPeer.median)} (${range(r.vsPeer.lo, r.vsPeer.hi)})` : '',
      r.vsPeer ? (r.vsPeer.hi < 1 ? 'ahead' : r.vsPeer.lo > 1 ? 'behind' : 'even') : '',
    ]);
    const sw = sideHead.map((h, i) => Math.max(h.length, ...sideCells.map((c) => c[i].length)));
    const sline = (c) => c.map((x, i) => x.padEnd(sw[i])).join('  ').trimEnd();
    out('');
    out("execgate beside Codex's shell-escalation peer (figures as above; ratios within each round)");
    out(sline(sideHead));
    out(sline(sw.map((w) => '-'.repeat(w))));
    for (const c of sideCells) out(sline(c));
  }
}

/** A histogram from the broker's stats ([low µs, high µs, count] buckets),
 * merged into coarser bars for a terminal. */
export function printHistogram(title, summary, out = (l) => console.log(l)) {
  out(`  ${title}: ${summary.count} replies, p50 ${summary.p50Us} µs, p90 ${summary.p90Us} µs, p99 ${summary.p99Us} µs, max ${summary.maxUs} µs`);
  if (summary.count === 0) return;
  // Two bars per power of two: readable, and still the shape.
  const bars = new Map();
  for (const [lo, hi, c] of summary.histogram) {
    const octave = lo < 8 ? 0 : Math.floor(Math.log2(lo));
    const half = lo < 8 ? 0 : lo >= 1.5 * 2 ** octave ? 1 : 0;
    const key = octave * 2 + half;
    const bar = bars.get(key) ?? { lo: lo < 8 ? 0 : 2 ** octave * (half ? 1.5 : 1), hi: lo < 8 ? 8 : 2 ** octave * (half ? 2 : 1.5), count: 0 };
    bar.count += c;
    bar.hi = Math.max(bar.hi, hi);
    bars.set(key, bar);
  }
  const max = Math.max(...[...bars.values()].map((b) => b.count));
  const us = (x) => (x >= 1000 ? `${(x / 1000).toFixed(x >= 10_000 ? 0 : 1)} ms` : `${Math.round(x)} µs`);
  for (const [, b] of [...bars].sort((a, b) => a[0] - b[0])) {
    const width = Math.max(1, Math.round((b.count / max) * 50));
    out(`    ${`${us(b.lo)}-${us(b.hi)}`.padStart(17)} ${String(b.count).padStart(7)} ${'#'.repeat(width)}`);
  }
}
