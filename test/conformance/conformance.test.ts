// Conformance (issue 7): every case of cases.ts under the unpatched bash, and
// under `execgate shell` with everything Run and with everything Escalated;
// stdout byte for byte, stderr (normaliseStderr: without execgate's "no
// sandbox" banner, with job pids and the per-run project directory replaced,
// nothing else), exit status, and the broker's decided execs. Then exit
// statuses and signals round trip, stop signals, SIGPIPE, background jobs
// killed by a signal, and a few scripts under a terminal (script(1)), where
// escalated commands take the pty path. Needs the build: `npx tsc -p
// tsconfig.build.json` (dist/), and the native build and patched bash (the
// global setup checks those).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, it } from 'vitest';
import { cleanupShared, compareRecord, distMain, runMode, x, type ExpectedExec, type ModeResult, type RunSpec } from '../helpers/conformance.js';
import { cases, type ConformanceCase, type Field, type KnownDifference } from './cases.js';

beforeAll(() => {
  if (!existsSync(distMain)) throw new Error(`${distMain} is missing: run \`npx tsc -p tsconfig.build.json\` first`);
  // Escalated commands inherit the broker's umask; the umask case expects 022.
  process.umask(0o022);
});
afterAll(() => cleanupShared());

/** Bytes as something readable in a failure message. */
function show(b: Buffer | string): string {
  const s = typeof b === 'string' ? b : b.toString('utf8');
  return s.length > 600 ? `${JSON.stringify(s.slice(0, 300))} ... (${s.length} chars) ... ${JSON.stringify(s.slice(-200))}` : JSON.stringify(s);
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

function valueOf(r: ModeResult, what: Exclude<Field, 'record'>): Buffer | string | number {
  return what === 'stdout' ? r.stdout : what === 'stderr' ? r.stderr : what === 'after' ? r.after : r.status;
}

function same(a: Buffer | string | number, b: Buffer | string | number): boolean {
  if (Buffer.isBuffer(a) && Buffer.isBuffer(b)) return a.equals(b);
  if (Buffer.isBuffer(a) || Buffer.isBuffer(b)) return String(a) === String(b);
  return a === b;
}

function matchesExpected(actual: Buffer | string | number, expected: string | number | RegExp, project: string): boolean {
  const text = Buffer.isBuffer(actual) ? actual.toString('utf8') : actual;
  if (expected instanceof RegExp) return expected.test(String(text));
  if (typeof expected === 'string') return text === (typeof actual === 'string' ? expected : expected.replaceAll('{project}', project));
  return text === expected;
}

/** Everything that is wrong with one mode's result, as lines. */
function problems(c: Pick<ConformanceCase, 'knownDifferences'>, bash: ModeResult, r: ModeResult, expectedRecord: ExpectedExec[] | null): string[] {
  const out: string[] = [];
  const mode = r.mode as 'run' | 'escalate';
  if (r.timedOut) out.push(`${mode}: timed out after ${r.ms} ms`);
  for (const what of ['stdout', 'stderr', 'status', 'after'] as const) {
    const known: KnownDifference | undefined = c.knownDifferences?.find((k) => k.mode === mode && k.what === what);
    const got = valueOf(r, what);
    const ref = valueOf(bash, what);
    if (!known) {
      if (!same(got, ref)) {
        let detail = `\n    unpatched bash: ${show(typeof ref === 'number' ? String(ref) : ref)}\n    ${mode}: ${show(typeof got === 'number' ? String(got) : got)}`;
        if (Buffer.isBuffer(got) && Buffer.isBuffer(ref)) detail += `\n    (${ref.length} vs ${got.length} bytes, first difference at byte ${firstDifference(ref, got)})`;
        out.push(`${mode}: ${what} differs from unpatched bash:${detail}`);
      }
      continue;
    }
    if (same(got, ref)) out.push(`${mode}: ${what} is now the same as unpatched bash: remove the known difference ("${known.reason.slice(0, 60)}...")`);
    if (known.expected !== undefined && !matchesExpected(got, known.expected, r.project)) {
      out.push(`${mode}: ${what} is not the known difference:\n    expected: ${show(String(known.expected))}\n    ${mode}: ${show(typeof got === 'number' ? String(got) : got)}`);
    }
  }
  if (expectedRecord) {
    const diff = compareRecord(r.decided, expectedRecord, mode, r.project);
    if (diff) out.push(`${mode}: decided execs differ:\n    expected: ${diff.expected.join('\n              ')}\n    actual:   ${diff.actual.join('\n              ')}`);
  }
  const bad = r.audit.filter((e) => e.event === 'protocol-error');
  if (bad.length) out.push(`${mode}: protocol errors in the audit log: ${JSON.stringify(bad)}`);
  return out;
}

async function runThree(spec: RunSpec): Promise<[ModeResult, ModeResult, ModeResult]> {
  return Promise.all([runMode('bash', spec), runMode('run', spec), runMode('escalate', spec)]);
}

describe.concurrent('conformance: unpatched bash, execgate shell Run, execgate shell Escalate', () => {
  it('has a well-formed table', ({ expect }) => {
    const names = cases.map((c) => c.name);
    expect(new Set(names).size).toBe(names.length);
    for (const c of cases) {
      if (c.sandbox === 'bwrap') expect(c.bwrapBecause, c.name).toBeTruthy();
      for (const k of c.knownDifferences ?? []) expect(k.reason.length, `${c.name}: a known difference needs its reason`).toBeGreaterThan(20);
    }
  });

  for (const c of cases) {
    it(c.name, async ({ expect }) => {
      const spec: RunSpec = { script: c.script, files: c.files, stdin: c.stdin, sandbox: c.sandbox, timeoutMs: c.timeoutMs, after: c.after };
      const [bash, run, esc] = await runThree(spec);
      const found = [
        ...(bash.timedOut ? [`unpatched bash timed out`] : []),
        ...problems(c, bash, run, c.run),
        ...problems(c, bash, esc, c.escalate ?? c.run),
      ];
      expect(found.join('\n')).toBe('');
    });
  }
});

// Signals whose default disposition is to ignore them: `kill -N $$` does nothing.
const IGNORED_BY_DEFAULT = new Set([17, 18, 23, 28]);
const STOP_SIGNALS = [19, 20, 21, 22];

describe.concurrent('exit status round trips (Run and Escalate)', () => {
  it('every exit code 0..255 from sh -c "exit N"', async ({ expect }) => {
    const script = 'for i in $(seq 0 255); do sh -c "exit $i"; echo "$i $?"; done';
    const want = Array.from({ length: 256 }, (_, i) => `${i} ${i}\n`).join('');
    const [bash, run, esc] = await runThree({ script, timeoutMs: 90_000 });
    const record = [x('seq', '0', '255'), ...Array.from({ length: 256 }, (_, i) => x('sh', '-c', `exit ${i}`))];
    expect(bash.stdout.toString()).toBe(want);
    expect([...problems({}, bash, run, record), ...problems({}, bash, esc, record)].join('\n')).toBe('');
  }, 120_000);

  it('every signal 1..31 but the stop signals, and SIGKILL: $? and bash\'s messages ("Hangup", "Killed", "Terminated")', async ({ expect }) => {
    const signals = Array.from({ length: 31 }, (_, i) => i + 1).filter((s) => s !== 9 && !STOP_SIGNALS.includes(s));
    const script = `for s in ${signals.join(' ')}; do sh -c "kill -$s \\$\\$"; echo "$s $?"; done; sh -c 'kill -KILL $$'; echo "9 $?"`;
    const want = [...signals, 9].map((s) => `${s} ${IGNORED_BY_DEFAULT.has(s) ? 0 : 128 + s}\n`).join('');
    const [bash, run, esc] = await runThree({ script, timeoutMs: 60_000 });
    expect(bash.stdout.toString()).toBe(want);
    for (const m of ['conf: line 1: PID Hangup ', '\nTerminated\n', 'conf: line 1: PID Killed ', 'Quit', 'Segmentation fault', 'User defined signal 1']) {
      expect(bash.stderr).toContain(m);
    }
    const record = [...signals.map((s) => x('sh', '-c', `kill -${s} $$`)), x('sh', '-c', 'kill -KILL $$')];
    expect([...problems({}, bash, run, record), ...problems({}, bash, esc, record)].join('\n')).toBe('');
  }, 90_000);

  // Without job control bash does not see a stopped child and waits for ever,
  // unpatched or not; with `set -m` it reports "Stopped" and $? = 128 + n.
  // One shell per signal: after a job stopped, a non-interactive bash with
  // job control stops itself on the next SIGTSTP-like stop.
  for (const s of STOP_SIGNALS) {
    it(`stop signal ${s} with job control (set -m): "Stopped", 128 + n`, async ({ expect }) => {
      const marker = `egstop${s}x${process.pid}${Date.now() % 100000}`;
      const script = `set -m; sh -c "kill -${s} \\$\\$" ${marker}; echo "${s} $?"`;
      try {
        const [bash, run, esc] = await runThree({ script, timeoutMs: 10_000 });
        expect(bash.stdout.toString()).toBe(`${s} ${128 + s}\n`);
        expect(bash.stderr).toContain('Stopped');
        const record = [x('sh', '-c', `kill -${s} $$`, marker)];
        expect([...problems({}, bash, run, record), ...problems({}, bash, esc, record)].join('\n')).toBe('');
      } finally {
        killMarked(marker);
      }
    }, 60_000);
  }

  it('wait on background jobs killed by a signal: status and messages, and nothing left running', async ({ expect }) => {
    const marker = `30.${process.pid}${Date.now() % 100000}`;
    const script = ['TERM', 'HUP', 'KILL', 'USR1', 'ALRM'].map((s) => `sleep ${marker} & p=$!; sleep 0.5; kill -${s} $p; wait $p; echo "${s} $?"`).join('\n') + '\nsleep 1 & p=$!; sleep 0.2; kill -INT $p; wait $p; echo "INT (ignored in a background job) $?"';
    try {
      const [bash, run, esc] = await runThree({ script, timeoutMs: 45_000 });
      expect(bash.stdout.toString()).toBe('TERM 143\nHUP 129\nKILL 137\nUSR1 138\nALRM 142\nINT (ignored in a background job) 0\n');
      const record = [
        ...['TERM', 'HUP', 'KILL', 'USR1', 'ALRM'].flatMap(() => [x('sleep', marker), x('sleep', '0.5')]),
        x('sleep', '1'),
        x('sleep', '0.2'),
      ];
      expect([...problems({}, bash, run, record), ...problems({}, bash, esc, record)].join('\n')).toBe('');
      // The broker ends a host command whose wrapper died (SIGTERM, then SIGKILL after 2 s).
      let left = marked(marker);
      for (let i = 0; i < 50 && left.length > 0; i++) {
        await new Promise((r) => setTimeout(r, 100));
        left = marked(marker);
      }
      expect(left, 'escalated `sleep` processes still running after the shell ended').toEqual([]);
    } finally {
      killMarked(marker);
    }
  }, 90_000);

  it('SIGPIPE: an escalated `yes | head -1` ends promptly, PIPESTATUS 141 0', async ({ expect }) => {
    const script = `s=\${EPOCHREALTIME/./}; yes | head -1; st="\${PIPESTATUS[*]}"; e=\${EPOCHREALTIME/./}
echo "$st"; d=$(( (e - s) / 1000 )); if (( d < 3000 )); then echo prompt; else echo "slow: $d ms"; fi`;
    const [bash, run, esc] = await runThree({ script, timeoutMs: 30_000 });
    for (const r of [bash, run, esc]) expect(r.stdout.toString(), r.mode).toBe('y\n141 0\nprompt\n');
    expect([...problems({}, bash, run, [x('yes'), x('head', '-1')]), ...problems({}, bash, esc, [x('yes'), x('head', '-1')])].join('\n')).toBe('');
  });
});

/** Pids of processes whose command line contains MARKER (our own test processes). */
function marked(marker: string): number[] {
  try {
    return execFileSync('pgrep', ['-f', marker], { encoding: 'utf8' })
      .split('\n')
      .filter(Boolean)
      .map(Number)
      .filter((p) => p !== process.pid);
  } catch {
    return [];
  }
}

/** Ends what a failed run left behind: only processes carrying this test's marker. */
function killMarked(marker: string): void {
  for (const pid of marked(marker)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
}

// With a terminal, escalated commands take another path: the broker gives
// them a pty of their own and relays it to the caller's terminal, and the
// wrapper puts that terminal in raw mode meanwhile. What reaches the
// terminal must still be what the unpatched bash puts there, byte for byte.
describe.concurrent('with a terminal (script(1)): what reaches the terminal', () => {
  it('output lines of commands: byte-identical, \\r\\n once per line', async ({ expect }) => {
    // 60 commands: a race between the host's first output and the wrapper
    // making the terminal raw shows in a few percent of commands.
    const script = 'for i in $(seq 1 60); do /bin/echo "line $i"; done; ls -d /';
    const [bash, run, esc] = await runThree({ script, tty: true, timeoutMs: 40_000 });
    expect(bash.stdout.toString()).toBe(`${Array.from({ length: 60 }, (_, i) => `line ${i + 1}\r\n`).join('')}/\r\n`);
    const record = [x('seq', '1', '60'), ...Array.from({ length: 60 }, (_, i) => x('/bin/echo', `line ${i + 1}`)), x('ls', '-d', '/')];
    expect([...problems({}, bash, run, record), ...problems({}, bash, esc, record)].join('\n')).toBe('');
  });

  it('another job writes to the terminal while a command that reads it runs', async ({ expect }) => {
    // timeout's stdin is the terminal (so, escalated, it runs on a pty of its
    // own, and the wrapper makes the terminal raw); a background job writes
    // to the terminal meanwhile. timeout ends cat, which waits for input.
    const script = `{ sleep 0.5; /bin/echo during; } & timeout 1.5 cat; echo "cat $?"; wait`;
    const [bash, run, esc] = await runThree({ script, tty: true, timeoutMs: 30_000 });
    expect(bash.stdout.toString()).toBe('during\r\ncat 124\r\n');
    const record = [x('sleep', '0.5'), x('/bin/echo', 'during'), x('timeout', '1.5', 'cat')];
    expect([...problems({}, bash, run, record), ...problems({}, bash, esc, record)].join('\n')).toBe('');
  });

  it('exit codes and signal deaths: $? and bash\'s messages on the terminal', async ({ expect }) => {
    const script = `for i in 0 1 2 126 127 128 255; do sh -c "exit $i"; echo "$i $?"; done
for s in 1 2 3 6 10 13 14 15; do sh -c "kill -$s \\$\\$"; echo "$s $?"; done; sh -c 'kill -KILL $$'; echo "9 $?"`;
    const [bash, run, esc] = await runThree({ script, tty: true, timeoutMs: 30_000 });
    expect(bash.stdout.toString()).toContain('Hangup');
    expect(bash.stdout.toString()).toContain('Killed');
    const record = [
      ...[0, 1, 2, 126, 127, 128, 255].map((i) => x('sh', '-c', `exit ${i}`)),
      ...[1, 2, 3, 6, 10, 13, 14, 15].map((s) => x('sh', '-c', `kill -${s} $$`)),
      x('sh', '-c', 'kill -KILL $$'),
    ];
    expect([...problems({}, bash, run, record), ...problems({}, bash, esc, record)].join('\n')).toBe('');
  });

  it('SIGSTOP with job control: "Stopped", 147', async ({ expect }) => {
    const marker = `egttystop${process.pid}${Date.now() % 100000}`;
    const script = `set -m; sh -c 'kill -STOP $$' ${marker}; echo "19 $?"`;
    try {
      const [bash, run, esc] = await runThree({ script, tty: true, timeoutMs: 15_000 });
      expect(bash.stdout.toString()).toContain('19 147');
      const record = [x('sh', '-c', 'kill -STOP $$', marker)];
      expect([...problems({}, bash, run, record), ...problems({}, bash, esc, record)].join('\n')).toBe('');
    } finally {
      killMarked(marker);
    }
  });
});
