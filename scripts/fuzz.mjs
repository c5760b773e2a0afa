#!/usr/bin/env node
// npm run fuzz: the forged-wrapper fuzzer (test/adversarial/fuzz/) at full
// length, against a real `execgate shell` broker. CI runs a short version in
// the adversarial suite; this is the long run, and it prints what the issue
// asks to see: cases, broker alive, the broker's fds (baseline, peak,
// settled), its RSS (start, peak, end) and unapproved escalations (must be 0).
//   FUZZ_CASES=100000 FUZZ_SEEDS=1,2 npm run fuzz
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const cases = Number(process.env.FUZZ_CASES ?? 100_000);
const seeds = (process.env.FUZZ_SEEDS ?? '1,2').split(',').map(Number);
const fuzzer = join(root, 'test/adversarial/fuzz/forged-wrapper.py');
let failed = false;

for (const seed of seeds) {
  const dir = mkdtempSync(join(tmpdir(), 'eg-fuzz-'));
  const policy = join(dir, 'policy.toml');
  const audit = join(dir, 'audit.jsonl');
  const marker = join(dir, 'unapproved-escalation');
  writeFileSync(policy, 'approval_timeout = "2s"\n[[rule]]\nid = "touch"\nprogram = "touch"\ndecision = "prompt"\n[[rule]]\nid = "rm"\nprogram = "rm"\ndecision = "deny"\n');
  const started = Date.now();
  const r = spawnSync(process.execPath, [join(root, 'bin/execgate.js'), 'shell', '--policy', policy, '--audit', audit, '-c', `python3 ${fuzzer} --seed ${seed} --cases ${cases} --broker-pid $PPID --marker ${marker} && /bin/echo alive`], {
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  const [summaryLine, alive] = r.stdout.trim().split('\n');
  const summary = JSON.parse(summaryLine);
  const records = readFileSync(audit, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const unapproved = records.filter((a) => a.event === 'completion' && a.outcome === 'exited').length + (existsSync(marker) ? 1 : 0);
  const errors = records.filter((a) => a.event === 'protocol-error').length;
  const ok = summary.broker_alive && alive === 'alive' && summary.fds.settled <= summary.fds.baseline + 2 && unapproved === 0;
  failed ||= !ok;
  console.log(
    `seed ${seed}: ${summary.cases} cases in ${((Date.now() - started) / 1000).toFixed(0)} s; broker alive ${summary.broker_alive && alive === 'alive'}; ` +
      `fds baseline/peak/settled ${summary.fds.baseline}/${summary.fds.peak}/${summary.fds.settled}; ` +
      `RSS start/peak/end ${(summary.rss_kb.start / 1024).toFixed(0)}/${(summary.rss_kb.peak / 1024).toFixed(0)}/${(summary.rss_kb.end / 1024).toFixed(0)} MB; ` +
      `protocol errors audited ${errors}; unapproved escalations ${unapproved}${ok ? '' : '  <-- FAILED'}`,
  );
}
process.exitCode = failed ? 1 : 0;
