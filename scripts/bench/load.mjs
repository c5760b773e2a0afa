// Load: many shells on one `execgate serve`, attached through the native
// launcher (bin/execgate shell --broker), all at once.
//   mixed        SHELLS shells x EXECS execs, a policy of 50 rules: 46 name
//                programs the loop never runs (escalate, prompt, deny), 4 name
//                ls and cat (run, with and without arguments), so that half
//                the execs are decided by the wrapper from the run table
//                (/bin/true, /bin/echo) and half by a round trip (ls, cat)
//   escalated    SHELLS shells x ESC_EXECS, every exec escalated to the host
//                (a rule: true escalates, no human) and run by the broker
// Measured: every shell's own count of failed commands and its exit status
// (errors must be zero), wall time against the same loops in unpatched
// bash, the broker's reply latency as the broker measures it ({"op":"stats"},
// src/session/stats.ts), and the broker's resident memory (VmHWM, the
// kernel's peak, and VmRSS sampled every 100 ms).
import { spawn } from 'node:child_process';
import { loopSeconds, paths, printHistogram, QUICK } from './common.mjs';
import { startServe } from './serve.mjs';

export const SHELLS = Number(process.env.BENCH_LOAD_SHELLS ?? 8);
export const EXECS = Number(process.env.BENCH_LOAD_N ?? (QUICK ? 400 : 2500));
export const ESC_EXECS = Number(process.env.BENCH_LOAD_ESC_N ?? (QUICK ? 40 : 200));
const RSS_TARGET_MB = 80;

const OTHER_PROGRAMS = ['docker', 'gh', 'kubectl', 'npm', 'pnpm', 'yarn', 'pip', 'curl', 'wget', 'ssh', 'scp', 'rsync', 'make', 'cargo', 'go', 'terraform', 'helm', 'aws', 'gcloud', 'az', 'podman', 'systemctl', 'journalctl', 'sudo', 'apt-get'];

/** 50 rules: 46 for programs the loop never runs, 4 for ls and cat. */
export function loadPolicy() {
  const rules = [];
  const add = (id, program, decision, args) => rules.push(`[[rule]]\nid = "${id}"\nprogram = "${program}"\n${args ? `args = ${JSON.stringify(args)}\n` : ''}decision = "${decision}"\n`);
  for (let i = 0; rules.length < 46; i++) {
    const program = OTHER_PROGRAMS[i % OTHER_PROGRAMS.length];
    const decision = ['escalate', 'prompt', 'deny'][i % 3];
    add(`${program}-${i}`, program, decision, i % 2 ? [`sub${i}`, '**'] : null);
  }
  add('ls-root', 'ls', 'run', ['/']);
  add('ls-any', 'ls', 'run', null);
  add('cat-hostname', 'cat', 'run', ['/etc/hostname']);
  add('cat-any', 'cat', 'run', null);
  return rules.join('\n');
}

/** A loop that counts its failures and prints "START END" then "fails N". */
function countingLoop(iterations, body) {
  const cmds = body.map((c) => `${c} || f=$((f+1))`).join('; ');
  return `f=0; s=$EPOCHREALTIME; for ((i=0;i<${iterations};i++)); do ${cmds}; done; e=$EPOCHREALTIME; echo "$s $e"; echo "fails $f"`;
}

/** Runs `shells` copies of cmd at once; resolves with each one's result. */
function together(shells, cmd, args) {
  return Promise.all(
    Array.from({ length: shells }, () => {
      return new Promise((resolve, reject) => {
        const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
        let out = '';
        let err = '';
        child.stdout.on('data', (d) => (out += d));
        child.stderr.on('data', (d) => (err += d));
        child.on('error', reject);
        // 'close', not 'exit': the output may still be on its way at exit.
        child.on('close', (code, signal) => {
          const fails = Number(/^fails (\d+)$/m.exec(out)?.[1] ?? NaN);
          let seconds = NaN;
          try {
            seconds = loopSeconds(out);
          } catch {}
          resolve({ code, signal, fails, seconds, stderr: err });
        });
      });
    }),
  );
}

/** One phase: the loop on one serve and, for comparison, in plain bash. */
async function phase({ title, policy, iterations, body, execs, reply }) {
  const loop = countingLoop(iterations, body);
  const plain = await together(SHELLS, paths.unpatched, ['-c', loop]);
  const served = await startServe({ policy });
  let sampledPeak = 0;
  const sampler = setInterval(() => {
    try {
      sampledPeak = Math.max(sampledPeak, served.memory().rss);
    } catch {}
  }, 100);
  let shells, mem, stats;
  try {
    shells = await together(SHELLS, paths.bin, ['shell', '--broker', served.socket, '--label', 'load', '-c', loop]);
    mem = served.memory();
    stats = await served.stats();
  } finally {
    clearInterval(sampler);
    await served.stop();
  }

  const errors = shells.filter((s) => s.code !== 0 || s.fails !== 0).length;
  const failed = shells.reduce((n, s) => n + (Number.isNaN(s.fails) ? iterations * body.length : s.fails), 0);
  const stderrLines = shells.flatMap((s) => s.stderr.split('\n').filter((l) => l && !/attached to the broker/.test(l)));
  const plainWall = Math.max(...plain.map((s) => s.seconds));
  const loadWall = Math.max(...shells.map((s) => s.seconds));
  const summary = stats.replies[reply];
  const peakMb = Math.max(mem.peak, sampledPeak) / 1024;
  return { title, execs, errors, failed, stderrLines, plainWall, loadWall, summary, stats, peakMb, rssEndMb: mem.rss / 1024 };
}

export async function benchLoad(table) {
  console.log(`load: ${SHELLS} shells at once on one execgate serve (native launcher); ${EXECS} execs each (mixed), ${ESC_EXECS} each (escalated)`);
  const per = Math.round(EXECS / 4);
  const mixed = await phase({
    title: 'mixed',
    policy: loadPolicy(),
    iterations: per,
    body: ['/bin/true', 'ls / >/dev/null', 'cat /etc/hostname >/dev/null', '/bin/echo x >/dev/null'],
    execs: per * 4,
    reply: 'run',
  });
  const escalated = await phase({
    title: 'escalated',
    policy: '[[rule]]\nid = "true-host"\nprogram = "true"\ndecision = "escalate"\n',
    iterations: ESC_EXECS,
    body: ['/bin/true'],
    execs: ESC_EXECS,
    reply: 'escalate',
  });
  const histograms = [];
  for (const p of [mixed, escalated]) {
    const s = p.summary;
    const section = `load: ${SHELLS} shells x ${p.execs} execs, ${p.title}`;
    console.log(
      `  ${p.title.padEnd(9)} errors ${p.errors} (failed commands ${p.failed}, stderr lines ${p.stderrLines.length}); wall ${p.loadWall.toFixed(2)} s against ${p.plainWall.toFixed(2)} s in unpatched bash;` +
        ` broker p50 ${s.p50Us} µs p99 ${s.p99Us} µs over ${s.count} replies (${p.stats.replies.run.count} run, ${p.stats.replies.escalate.count} escalate, ${p.stats.replies.deny.count} deny); RSS peak ${p.peakMb.toFixed(1)} MB`,
    );
    for (const l of p.stderrLines.slice(0, 5)) console.log(`    stderr: ${l}`);
    table.add(section, { name: 'errors (shells failing, commands failing)', value: `${p.errors}, ${p.failed}`, target: '0', met: p.errors === 0 && p.failed === 0 });
    table.add(section, { name: 'wall, slowest shell (x unpatched bash, same loops)', value: `${p.loadWall.toFixed(2)} s`, ratio: { median: p.loadWall / p.plainWall, lo: p.loadWall / p.plainWall, hi: p.loadWall / p.plainWall } });
    table.add(section, { name: `broker reply latency, ${p.title === 'mixed' ? 'round trips (run)' : 'escalations'}`, value: `p50 ${s.p50Us} µs, p99 ${s.p99Us} µs (${s.count} replies)` });
    table.add(section, { name: 'broker RSS peak', value: `${p.peakMb.toFixed(1)} MB`, target: `<= ${RSS_TARGET_MB} MB`, met: p.peakMb <= RSS_TARGET_MB });
    histograms.push([`${p.title}: broker reply latency (${p.title === 'mixed' ? 'round trips; the wrapper decided the other half alone' : 'every exec escalated'})`, s]);
  }
  return {
    mixed,
    escalated,
    printHistograms: () => {
      console.log('');
      console.log('load: broker reply latency, as the broker measured it (from the connection read to the reply sent)');
      for (const [title, s] of histograms) printHistogram(title, s);
    },
  };
}
