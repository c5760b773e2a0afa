// Helpers for tests that run the real patched and unpatched bash builds
// (scripts/build-bash.sh) with the C wrapper fixtures in test/fixtures/wrappers.
import { spawnSync } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildDir, packageRoot, patchedBashPath, unpatchedBashPath } from '../../src/native/paths.js';

export { patchedBashPath, unpatchedBashPath };

export const wrapperFixturesDir = join(packageRoot, 'test', 'fixtures', 'wrappers');
export const fixtureBuildDir = join(buildDir, 'test-fixtures');

/** Says how to get the shells, rather than letting every test fail on ENOENT. */
export function requireBashBuilds(): void {
  const missing = [patchedBashPath, unpatchedBashPath].filter((p) => !existsSync(p));
  if (missing.length > 0) {
    throw new Error(`missing bash builds:\n  ${missing.join('\n  ')}\nrun: bash scripts/build-bash.sh`);
  }
}

/**
 * Compiles test/fixtures/wrappers/NAME.c with cc into build/test-fixtures/NAME
 * (again only when the source is newer) and returns the binary's path. The
 * compiler writes to a private name first, so parallel test files never see
 * half a binary.
 */
export function compileFixture(name: string): string {
  const src = join(wrapperFixturesDir, `${name}.c`);
  const out = join(fixtureBuildDir, name);
  if (existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs) return out;
  mkdirSync(fixtureBuildDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  const cc = process.env.CC ?? 'cc';
  const r = spawnSync(cc, ['-O2', '-Wall', '-Wextra', '-Werror', '-o', tmp, src], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    rmSync(tmp, { force: true });
    throw new Error(`cannot compile ${src} with ${cc}: ${r.error?.message ?? r.stderr}`);
  }
  renameSync(tmp, out);
  return out;
}

export function tempDir(prefix = 'eg-bash-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface BashResult {
  stdout: Buffer;
  stderr: Buffer;
  status: number | null;
  signal: NodeJS.Signals | null;
}

export interface BashOptions {
  /** Extra environment; undefined removes a variable. */
  env?: Record<string, string | undefined>;
  cwd?: string;
  input?: string | Buffer;
  timeoutMs?: number;
}

/**
 * A small, fixed environment, so patched and unpatched runs see the same one:
 * messages in English, an empty HOME (no ~/.bashrc), no EXEC_WRAPPER unless
 * asked for.
 */
export function baseEnv(): Record<string, string> {
  const home = join(fixtureBuildDir, 'empty-home');
  mkdirSync(home, { recursive: true });
  return {
    PATH: '/usr/local/bin:/usr/bin:/bin',
    HOME: home,
    LC_ALL: 'C',
    LANG: 'C',
    TERM: 'dumb',
  };
}

/**
 * One path that is, in turn, the patched or the unpatched shell. bash names
 * itself after the path it was started by ($BASH, "PATH: line 1: ..."), so
 * through the link both builds print byte-identical messages. Tests in one
 * file run one at a time; give each file its own link.
 */
export class ShellLink {
  readonly path: string;

  constructor(dir: string) {
    mkdirSync(dir, { recursive: true });
    this.path = join(dir, 'bash');
  }

  /** Points the link at TARGET and returns the link's path. */
  as(target: string): string {
    rmSync(this.path, { force: true });
    symlinkSync(target, this.path);
    return this.path;
  }
}

/**
 * Runs `BASH -c SCRIPT bash ARGS...`. Without INPUT, stdin is /dev/null: a
 * socket there (node's stdio pipes are socketpairs) makes bash believe rshd
 * started it, and a shell with SHLVL < 2 then sources ~/.bashrc.
 */
export function runBash(bash: string, script: string, opts: BashOptions = {}, args: string[] = []): BashResult {
  const env: Record<string, string> = baseEnv();
  for (const [k, v] of Object.entries(opts.env ?? {})) {
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  const r = spawnSync(bash, ['-c', script, 'bash', ...args], {
    cwd: opts.cwd,
    env,
    input: opts.input,
    stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    timeout: opts.timeoutMs ?? 20_000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (r.error) throw new Error(`${bash} -c ${JSON.stringify(script)}: ${r.error.message}`);
  return { stdout: r.stdout, stderr: r.stderr, status: r.status, signal: r.signal };
}

/** One exec the log wrapper saw. Paths and argv are bytes, as the kernel has them. */
export interface ExecRecord {
  pid: number;
  envc: number;
  cwd: string;
  path: Buffer;
  argv: Buffer[];
}

/** The same record with strings (latin1 would hide bugs: use only for ASCII). */
export interface ExecRecordText {
  pid: number;
  envc: number;
  cwd: string;
  path: string;
  argv: string[];
}

/**
 * A log wrapper private to one test: a symlink to the compiled log-wrapper in
 * a fresh directory. The wrapper logs to its own argv[0] + ".log", so the log
 * survives `exec -c` and needs no environment variable.
 */
export class LogWrapper {
  readonly dir: string;
  readonly path: string;
  readonly logPath: string;

  constructor() {
    this.dir = tempDir('eg-logwrap-');
    this.path = join(this.dir, 'wrapper');
    this.logPath = `${this.path}.log`;
    symlinkSync(compileFixture('log-wrapper'), this.path);
  }

  records(): ExecRecord[] {
    if (!existsSync(this.logPath)) return [];
    return parseExecLog(readFileSync(this.logPath));
  }

  text(): ExecRecordText[] {
    return this.records().map((r) => ({
      pid: r.pid,
      envc: r.envc,
      cwd: r.cwd,
      path: r.path.toString('utf8'),
      argv: r.argv.map((a) => a.toString('utf8')),
    }));
  }

  clear(): void {
    rmSync(this.logPath, { force: true });
  }

  dispose(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** Parses log-wrapper records: PID ENVC CWD COUNT FIELD..., each NUL-terminated. */
export function parseExecLog(buf: Buffer): ExecRecord[] {
  const fields: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < buf.length; i++) {
    if (buf[i] === 0) {
      fields.push(buf.subarray(start, i));
      start = i + 1;
    }
  }
  if (start !== buf.length) throw new Error('exec log ends in the middle of a field');
  const out: ExecRecord[] = [];
  let i = 0;
  const num = (b: Buffer | undefined): number => {
    const s = b?.toString('ascii') ?? '';
    if (!/^\d+$/.test(s)) throw new Error(`exec log: expected a number, got ${JSON.stringify(s)}`);
    return Number(s);
  };
  while (i < fields.length) {
    const pid = num(fields[i]);
    const envc = num(fields[i + 1]);
    const cwd = (fields[i + 2] ?? Buffer.alloc(0)).toString('utf8');
    const count = num(fields[i + 3]);
    const rest = fields.slice(i + 4, i + 4 + count);
    if (rest.length !== count || count < 2) throw new Error('exec log: truncated record');
    out.push({ pid, envc, cwd, path: rest[0]!, argv: rest.slice(1) });
    i += 4 + count;
  }
  return out;
}

/** The first of CANDIDATES that exists: system programs live in /usr/bin or /bin. */
export function systemProgram(name: string): string {
  for (const dir of ['/usr/bin', '/bin', '/usr/local/bin']) {
    const p = join(dir, name);
    if (existsSync(p)) return p;
  }
  throw new Error(`${name} not found in /usr/bin or /bin`);
}

/**
 * A directory of symlinks named as the tests like (myecho -> /bin/echo ...),
 * so the tests know exactly which path bash will resolve for each name.
 */
export function makeBinDir(dir: string, links: Record<string, string>): string {
  mkdirSync(dir, { recursive: true });
  for (const [name, target] of Object.entries(links)) symlinkSync(target, join(dir, name));
  return dir;
}
