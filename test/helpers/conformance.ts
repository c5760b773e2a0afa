// Runs one conformance script three ways, each in a fresh project directory
// with the same files, the same stdin, the same environment and the same $0,
// and collects what a user would see (stdout, stderr, exit status) plus the
// execs the broker decided (the audit log's `decision` events):
//
//   bash      build/bash-unpatched/bin/bash -c SCRIPT conf      (the reference)
//   run       execgate shell -c SCRIPT conf, policy default = "run"
//   escalate  execgate shell -c SCRIPT conf, policy default = "escalate"
//
// stdin, stdout and stderr are regular files, never Node's socketpairs: bash
// treats a socket on stdin as "started by rshd" and then reads ~/.bashrc, and
// a socket is not what a user's pipe or terminal is either.
import { spawn } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { packageRoot, unpatchedBashPath } from '../../src/native/paths.js';
import { shellQuote } from '../../src/policy/shell-quote.js';

export const cliPath = join(packageRoot, 'bin', 'execgate.js');
export const distMain = join(packageRoot, 'dist', 'cli', 'main.js');

export type Mode = 'bash' | 'run' | 'escalate';
export type Sandbox = 'none' | 'bwrap';

/** $0 of every shell: bash prefixes its messages with it ("conf: line 1: ..."). */
export const SHELL_NAME = 'conf';

/** A file to create in the project directory before the script runs. */
export type FileSpec = string | { content: string | Buffer; mode?: number } | { dir: true };

export interface RunSpec {
  script: string;
  files?: Record<string, FileSpec>;
  stdin?: string | Buffer;
  sandbox?: Sandbox;
  timeoutMs?: number;
  /** Extra environment (the same for all three modes). */
  env?: Record<string, string>;
  /** A bash snippet run on the host in the project directory after the
   * shell has exited (unpatched bash, no broker); its stdout is the
   * result's `after`. stdout and stderr are read after it, so output of
   * background jobs that outlive the shell is in them. */
  after?: string;
  /** Run under a terminal: script(1) gives the shell a new pty as its
   * stdin, stdout and stderr (so escalated commands take the broker's pty
   * path); the result's stdout is everything written to that terminal,
   * stderr included, with the same normalisations as stderr. script's own
   * stdin is a pipe held open until the end, so the terminal never sees an
   * end of file (script would type one into it). */
  tty?: boolean;
}

/** One exec the broker decided on, as the audit log shows it. */
export interface DecidedExec {
  program: string;
  argv: string[];
  decision: string;
  cwd: string;
}

export interface ModeResult {
  mode: Mode;
  stdout: Buffer;
  /** Raw stderr. */
  stderrRaw: string;
  /** stderr with the documented normalisations (normaliseStderr). */
  stderr: string;
  /** The exit code, or 128 + n for a shell killed by signal n. */
  status: number;
  signal: NodeJS.Signals | null;
  /** stdout of RunSpec.after ('' without one). */
  after: string;
  /** The `decision` events, in log order; empty for bash. */
  decided: DecidedExec[];
  audit: Record<string, unknown>[];
  project: string;
  ms: number;
  timedOut: boolean;
}

const SIGNALS: Record<string, number> = { SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8, SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15 };

let sharedHome: string | undefined;

/**
 * The environment every mode starts from: fixed PATH, C locale, an empty
 * HOME (no ~/.bashrc; --sandbox bwrap mounts an empty tmpfs at the same path
 * anyway), no SHLVL, and a private XDG_RUNTIME_DIR / XDG_CONFIG_HOME per run
 * (the broker's control socket; no user policy). The broker passes its own
 * environment to escalated commands, so they see this one too.
 */
function environment(runDir: string, extra: Record<string, string> = {}): Record<string, string> {
  sharedHome ??= mkdtempSync(join(tmpdir(), 'eg-conf-home-'));
  const xdg = join(runDir, 'xdg');
  mkdirSync(xdg, { mode: 0o700 });
  return {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: sharedHome,
    LC_ALL: 'C',
    LANG: 'C',
    TERM: 'dumb',
    XDG_RUNTIME_DIR: xdg,
    XDG_CONFIG_HOME: join(runDir, 'config'),
    ...extra,
  };
}

/** Removes the shared HOME (call from afterAll). */
export function cleanupShared(): void {
  if (sharedHome) rmSync(sharedHome, { recursive: true, force: true });
  sharedHome = undefined;
}

function writeFiles(project: string, files: Record<string, FileSpec>): void {
  for (const [name, spec] of Object.entries(files)) {
    const path = join(project, name);
    mkdirSync(dirname(path), { recursive: true });
    if (typeof spec === 'object' && 'dir' in spec) {
      mkdirSync(path, { recursive: true });
      continue;
    }
    const content = typeof spec === 'string' ? spec : spec.content;
    writeFileSync(path, content);
    if (typeof spec === 'object' && spec.mode !== undefined) chmodSync(path, spec.mode);
  }
}

/** The banner `execgate shell --sandbox none` prints on its own stderr. */
const NO_SANDBOX_BANNER = /^execgate: no sandbox \(--sandbox none\): [^\n]*\n/m;

/**
 * The only normalisations applied to stderr before comparing:
 * - execgate's one-line "no sandbox" banner (the broker's own stderr, not the
 *   script's) is removed;
 * - the pid in bash's job-status messages ("conf: line 3:  4711 Killed  cmd")
 *   is replaced by PID: process ids differ from run to run;
 * - the project directory (a fresh temporary directory per run, named in
 *   some messages) is replaced by {project}.
 */
export function normaliseStderr(s: string, project?: string): string {
  let out = s.replace(NO_SANDBOX_BANNER, '').replace(/(: line \d+:) +\d+ /g, '$1 PID ');
  if (project) out = out.replaceAll(project, '{project}');
  return out;
}

/**
 * argv as the audit log displays it (docs/audit.md, src/protocol/bytes.ts
 * doc): valid UTF-8 kept, backslashes doubled; tab, newline, CR and ESC as
 * \t \n \r \e; other control characters, and bytes that are not UTF-8, as
 * \xNN; line separators and bidi overrides as \u{NNNN}. Written here from the documented rule, not imported, so that the
 * expectation does not come from the code under test.
 */
export function auditDisplay(arg: string | Buffer): string {
  if (typeof arg === 'string') return displayText(arg);
  let out = '';
  let i = 0;
  while (i < arg.length) {
    const n = utf8Length(arg, i);
    if (n === 0) {
      out += `\\x${arg[i]!.toString(16).padStart(2, '0')}`;
      i++;
    } else {
      out += displayText(arg.subarray(i, i + n).toString('utf8'));
      i += n;
    }
  }
  return out;
}

function displayText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g, (c) => {
    const named: Record<string, string> = { '\t': '\\t', '\n': '\\n', '\r': '\\r', '\u001b': '\\e' };
    const code = c.charCodeAt(0);
    return named[c] ?? (code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u{${code.toString(16)}}`);
  });
}

/** Length of the well-formed UTF-8 sequence at I (RFC 3629), or 0. */
function utf8Length(b: Buffer, i: number): number {
  const c = b[i]!;
  if (c < 0x80) return 1;
  const n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
  if (n === 0 || i + n > b.length) return 0;
  for (let k = 1; k < n; k++) if ((b[i + k]! & 0xc0) !== 0x80) return 0;
  const c1 = b[i + 1]!;
  if ((c === 0xe0 && c1 < 0xa0) || (c === 0xed && c1 > 0x9f) || (c === 0xf0 && c1 < 0x90) || (c === 0xf4 && c1 > 0x8f)) return 0;
  return n;
}

/** Runs SPEC in MODE; never throws for what the script does. */
export async function runMode(mode: Mode, spec: RunSpec): Promise<ModeResult> {
  const runDir = mkdtempSync(join(tmpdir(), `eg-conf-${mode}-`));
  try {
    return await runIn(runDir, mode, spec);
  } finally {
    rmSync(runDir, { recursive: true, force: true });
  }
}

async function runIn(runDir: string, mode: Mode, spec: RunSpec): Promise<ModeResult> {
  const project = join(runDir, 'project');
  mkdirSync(project);
  writeFiles(project, spec.files ?? {});
  const env = environment(runDir, spec.env);
  const audit = join(runDir, 'audit.jsonl');
  const policy = join(runDir, 'policy.toml');
  writeFileSync(policy, mode === 'escalate' ? 'default = "escalate"\n' : 'default = "run"\n');
  const stdinPath = join(runDir, 'stdin');
  writeFileSync(stdinPath, spec.stdin ?? '');
  const outPath = join(runDir, 'stdout');
  const errPath = join(runDir, 'stderr');

  let file: string;
  let args: string[];
  if (mode === 'bash') {
    file = unpatchedBashPath;
    args = ['-c', spec.script, SHELL_NAME];
  } else {
    const sandbox = spec.sandbox ?? 'none';
    file = process.execPath;
    args = [cliPath, 'shell', '--policy', policy, '--audit', audit, '--sandbox', sandbox];
    if (sandbox === 'bwrap') args.push('--project', project);
    args.push('-c', spec.script, SHELL_NAME);
  }

  if (spec.tty) {
    args = ['-qefc', [file, ...args].map(shellQuote).join(' '), '/dev/null'];
    file = 'script';
    env.SHELL = '/bin/sh'; // script -c runs the command with $SHELL -c
  }
  const fds = [openSync(spec.stdin === undefined ? '/dev/null' : stdinPath, 'r'), openSync(outPath, 'w'), openSync(errPath, 'w')];
  const started = Date.now();
  let timedOut = false;
  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    // Its own process group, so a time-out can end the shell and its children.
    const stdio: ('pipe' | number)[] = spec.tty ? ['pipe', fds[1]!, fds[2]!] : fds;
    const child = spawn(file, args, { cwd: project, env, stdio, detached: true });
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // gone already
      }
    }, spec.timeoutMs ?? 45_000);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('exit', (c, s) => {
      clearTimeout(timer);
      resolve({ code: c, signal: s });
    });
  });
  for (const fd of fds) closeSync(fd);
  const ms = Date.now() - started;
  const after = spec.after === undefined ? '' : await hostSnippet(spec.after, project, env);

  const stderrRaw = readFileSync(errPath, 'utf8');
  const lines = existsSync(audit) ? readFileSync(audit, 'utf8').split('\n').filter(Boolean) : [];
  const events = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const decided = events
    .filter((e) => e.event === 'decision')
    .map((e) => ({ program: String(e.program), argv: e.argv as string[], decision: String(e.decision), cwd: String(e.cwd) }));
  const stdout = readFileSync(outPath);
  return {
    mode,
    stdout: spec.tty ? Buffer.from(normaliseStderr(stdout.toString('latin1'), project), 'latin1') : stdout,
    stderrRaw,
    stderr: normaliseStderr(stderrRaw, project),
    status: code ?? 128 + (SIGNALS[signal ?? ''] ?? 0),
    signal,
    decided,
    audit: events,
    after,
    project,
    ms,
    timedOut,
  };
}

/** Runs SNIPPET with the unpatched bash on the host, stdout as text. */
function hostSnippet(snippet: string, cwd: string, env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(unpatchedBashPath, ['-c', snippet], { cwd, env, stdio: ['ignore', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.on('error', reject);
    child.on('close', () => resolve(Buffer.concat(out).toString('utf8')));
  });
}

/** An expected decided exec: PROGRAM as bash resolved it (a bare name
 * matches any path with that file name; a name with a slash must match
 * exactly) and the argv bash passed, real bytes (not the log's display). */
export interface ExpectedExec {
  program: string;
  /** Strings, or Buffers for arguments that are not UTF-8. */
  argv: (string | Buffer)[];
  /** Defaults to the mode's own decision (run, or escalate). */
  decision?: string;
}

/** `x('ls', '-d', '/')`: argv[0] is the name as typed, and the program. */
export function x(argv0: string, ...args: (string | Buffer)[]): ExpectedExec {
  return { program: argv0, argv: [argv0, ...args] };
}

/** An exec whose program differs from argv[0] (`exec -a`, hashed paths). */
export function xp(program: string, argv: (string | Buffer)[]): ExpectedExec {
  return { program, argv };
}

function key(program: string, argv: string[], decision = ''): string {
  return JSON.stringify([decision, program, ...argv]);
}

/**
 * Compares decided execs with the expectation as multisets (execs of a
 * pipeline or of background jobs reach the broker in any order). Returns
 * null when they agree, or the two sorted lists to show.
 */
export function compareRecord(
  actual: DecidedExec[],
  expectedIn: ExpectedExec[],
  decision: string,
  project = '{project}',
): { actual: string[]; expected: string[] } | null {
  // {project} in an expected argument stands for the project directory.
  const expected = expectedIn.map((e) => ({ ...e, argv: e.argv.map((a) => (typeof a === 'string' ? a.replaceAll('{project}', project) : a)) }));
  const remaining = [...actual];
  const unmatched: ExpectedExec[] = [];
  for (const e of expected) {
    const argv = e.argv.map(auditDisplay);
    const i = remaining.findIndex(
      (a) =>
        a.decision === (e.decision ?? decision) &&
        (e.program.includes('/') ? a.program === e.program : basename(a.program) === e.program) &&
        key('', a.argv) === key('', argv),
    );
    if (i >= 0) remaining.splice(i, 1);
    else unmatched.push(e);
  }
  if (unmatched.length === 0 && remaining.length === 0) return null;
  return {
    actual: actual.map((a) => key(a.program, a.argv, a.decision)).sort(),
    expected: expected.map((e) => key(e.program, e.argv.map(auditDisplay), e.decision ?? decision)).sort(),
  };
}
