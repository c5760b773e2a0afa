// The sandboxed shell behind the shell tool: one supervisor (the wrapper as
// native/wrapper/mcp_supervisor.c) per MCP session, started once in the
// session's sandbox with the session socket at fd 87; each tool call runs in
// a fresh bash it started ahead of the call (a spare, waiting at its call's
// read) and waits for, as `bash -c COMMAND` would run it. Calls run one at a
// time (each starts where the last one left off); a time-out kills the
// call's process group from here.
//
// Why a fresh bash per call rather than one long-lived interactive shell fed
// commands with a sentinel: a command that reads stdin cannot eat the next
// command (stdin is /dev/null), `exit` ends that call only, a background job
// cannot write into the next call's output (each call has its own files),
// a time-out ends exactly the call's process group, and each call is
// intercepted exactly as `execgate shell -c` is. What a call leaves (its
// directory and exported variables) is written by its EXIT trap and restored
// by the next call's prelude (shell-state.ts). The sandbox itself (its /tmp,
// background jobs) lives as long as the MCP session, or until reset().
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { closeSync, constants, fstatSync, openSync, readdirSync, readFileSync, readSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { packageRoot } from '../native/paths.js';
import { DEFAULT_TRUSTED_PATH, findOnPath } from '../policy/resolve.js';
import { Fd } from '../native/fd.js';
import { FdWatcher } from '../native/watcher.js';
import { LineReader } from '../runtime/line-reader.js';
import { MCP_SUPERVISOR_ARG, SESSION_FD } from '../protocol/constants.js';
import { MCP_EVENT_LINE_MAX, MCP_OUTPUT_FILE_MAX_BYTES, MCP_OUTPUT_HEAD_BYTES, MCP_OUTPUT_TAIL_BYTES, MCP_STATE_MAX_BYTES } from '../protocol/limits.js';
import { CallFiles, removeName, type CallOutput } from './call-files.js';
import { parseStateDump, restoreScript, type ShellState } from './shell-state.js';

export const preludePath = join(packageRoot, 'src', 'mcp', 'bash', 'prelude.bash');

/** How to start the session's shell: the launch's program and argv up to
 * the shell (its arguments follow), its environment, the session socket. */
export interface ShellProgram {
  file: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** The shell's end of the session socket: passed to every start, ours
   * to close (the session ends when every copy is closed). */
  sessionFd: Fd;
  sandbox: 'none' | 'bwrap';
  /** Where the shell starts (bwrap says it in its arguments). */
  cwd?: string;
}

export interface SandboxShellOptions {
  program: ShellProgram;
  /** The I/O directory on the host (0700, ours). */
  ioDir: string;
  /** The same directory, the shell, the prelude and the wrapper (the
   * supervisor), as the shell sees them. */
  inside: { ioDir: string; bash: string; prelude: string; wrapper: string };
  log: (line: string) => void;
}

/** Up to head + tail bytes of one stream, and its whole size. */
export interface Captured {
  head: Buffer;
  tail: Buffer;
  total: number;
}

export type CallEnd =
  | { kind: 'exited'; code: number }
  /** The shell's status said a signal (128+N) and no end state was written. */
  | { kind: 'signaled'; signal: number; status: number }
  | { kind: 'timed-out'; afterMs: number }
  | { kind: 'cancelled' }
  | { kind: 'output-limit'; stream: 'stdout' | 'stderr' }
  | { kind: 'shell-ended'; why: string };

export interface CallResult {
  end: CallEnd;
  durationMs: number;
  stdout: Captured;
  stderr: Captured;
  /** What the next call starts from: this call's end state, the one
   * before (the call ended without writing one), or too big to carry. */
  state: 'carried' | 'unchanged' | 'too-big';
  /** The working directory the next call starts in. */
  cwd: string;
  /** The shell had to be started again before this call (it had died). */
  restarted: boolean;
}

export interface CallRequest {
  command: string;
  /** Start here (a sandbox path) instead of where the last call ended. */
  workdir?: string;
  login: boolean;
  timeoutMs?: number;
  signal?: AbortSignal;
  /** Called about once a second while the call runs. */
  onTick?: (elapsedMs: number) => void;
  /** Called when execgate ends the call (time-out, cancel, output limit),
   * after its process group was killed. */
  onKill?: () => void;
}

/** A command started in the background (process_start): its own files, a
 * FIFO for its stdin, and no wait. */
export interface BackgroundRequest {
  command: string;
  workdir?: string;
  login: boolean;
}

export interface Background {
  id: string;
  /** Its files: stdout and stderr grow while it runs; state is written by
   * its EXIT trap (its status). */
  files: CallFiles;
  /** Our end of its stdin (a FIFO, opened read-write: it never blocks, and
   * the process sees end of file only when we close it). */
  stdin: number;
  /** Its process group as the supervisor said it. */
  pgid: number;
  startedAt: number;
}

interface Pending {
  started: (pgid: number) => void;
  exited: (status: number) => void;
}

const TICK_MS = 1000;

export class SandboxShell {
  private child: ChildProcess | null = null;
  /** The supervisor's pid as it sees itself (its "ready" line), and as the
   * host sees it (found when first needed). */
  private supervisorPid: number | null = null;
  private supervisorHostPid: number | null = null;
  private readonly pending = new Map<string, Pending>();
  /** The spares' FIFOs: their names until the supervisor has them open,
   * our fds while it runs, and which one the next call's line goes to. */
  private fifos: string[] = [];
  private goFds: Fd[] = [];
  private nextGo = 0;
  private events: Fd | null = null;
  private stderrHead = '';
  private dead: string | null = null;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;
  /** A fresh call's exported names, and the state the next call starts from. */
  private baseline = new Set<string>();
  private initialState: ShellState | null = null;
  private state: ShellState | null = null;

  private constructor(private readonly opts: SandboxShellOptions) {}

  /** Starts the shell and runs one empty call, which tells what a fresh
   * call exports and where it starts (and that the sandbox works). */
  static async start(opts: SandboxShellOptions): Promise<SandboxShell> {
    const shell = new SandboxShell(opts);
    await shell.boot();
    return shell;
  }

  get cwd(): string {
    return this.state?.cwd ?? '/';
  }

  /** Runs one call, after any call already running. */
  run(req: CallRequest): Promise<CallResult> {
    const next = this.queue.then(() => this.runNow(req));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** A fresh sandbox: background jobs and /tmp gone, directory and
   * variables as at the start. */
  reset(): Promise<void> {
    const next = this.queue.then(async () => {
      await this.stopChild();
      this.state = null;
      await this.boot();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Starts a command in the background, from the state a call would start
   * from; the caller owns the result (its files and stdin). */
  startBackground(req: BackgroundRequest): Promise<Background> {
    const next = this.queue.then(() => this.backgroundNow(req));
    this.queue = next.catch(() => undefined);
    return next;
  }

  /** Whether a background process's group leader still runs. */
  running(bg: Background): boolean {
    const child = this.child;
    if (!child?.pid) return false;
    let host: number | null = bg.pgid;
    if (this.opts.program.sandbox !== 'none') {
      if (this.supervisorHostPid === null && this.supervisorPid !== null) this.supervisorHostPid = findByNsPid(descendants(child.pid), this.supervisorPid);
      host = this.supervisorHostPid === null ? null : findByNsPid(childrenOf(this.supervisorHostPid), bg.pgid);
    }
    if (host === null) return false;
    try {
      return !/^State:\s+Z/m.test(readFileSync(`/proc/${host}/status`, 'latin1'));
    } catch {
      return false;
    }
  }

  /** A signal to a background process's group. */
  signal(bg: Background, signal: NodeJS.Signals): void {
    this.killGroup(bg.pgid, signal);
  }

  /** A call's id and files, starting from the state the last call left. */
  private newCall(req: { command: string; workdir?: string }): { id: string; files: CallFiles } {
    const id = randomBytes(6).toString('hex');
    const from = this.state;
    // A call that starts from the shell's own start needs no restore: its
    // bash starts that way (the files are then not made at all).
    const fresh = !from || from === this.initialState;
    const files = new CallFiles(this.opts.ioDir, id, {
      command: req.command,
      restore: fresh ? null : restoreScript(from, this.baseline),
      cwd: req.workdir ?? (fresh ? null : from.cwd),
    });
    return { id, files };
  }

  private async backgroundNow(req: BackgroundRequest): Promise<Background> {
    if (this.closed) throw new Error('the shell is closed');
    if (!this.child) this.spawnChild();
    const { id, files } = this.newCall(req);
    let stdin: number;
    try {
      stdin = makeFifo(files.adopt('stdin'));
    } catch (err) {
      files.dispose();
      throw err;
    }
    const pgid = await new Promise<number | null>((resolve) => {
      this.pending.set(id, { started: (n) => (this.pending.delete(id), resolve(n)), exited: () => (this.pending.delete(id), resolve(null)) });
      this.send(`bg ${id} ${req.login ? 'login' : 'plain'}`);
    });
    if (pgid === null) {
      closeSync(stdin);
      files.dispose();
      throw new Error(`the sandboxed shell ended (${this.dead ?? 'it is not running'})`);
    }
    return { id, files, stdin, pgid, startedAt: Date.now() };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stopChild();
  }

  // ---- the supervisor ------------------------------------------------------

  private async boot(): Promise<void> {
    this.spawnChild();
    const first = await this.runNow({ command: '', login: false, timeoutMs: 30_000 }, true);
    if (first.end.kind !== 'exited' || first.state !== 'carried') {
      const said = this.stderrHead.trim();
      await this.stopChild();
      throw new Error(`the sandboxed shell did not start${said ? `: ${said}` : ` (${describeEnd(first.end)})`}`);
    }
    this.initialState = this.state;
    this.baseline = new Set(this.state!.names);
  }

  private spawnChild(): void {
    const { program, inside } = this.opts;
    // stdout: the supervisor puts its own on the events FIFO.
    const stdio: ('pipe' | 'ignore' | number)[] = ['pipe', 'ignore', 'pipe'];
    while (stdio.length < SESSION_FD) stdio.push('ignore');
    stdio.push(program.sessionFd.fd);
    // The launch ends with the shell: the supervisor takes its place (under
    // bwrap, init still runs first and execs it).
    if (program.argv.at(-1) !== inside.bash) throw new Error(`the launch does not end with the shell ${inside.bash}: ${program.argv.join(' ')}`);
    const argv = [...program.argv.slice(0, -1), inside.wrapper, MCP_SUPERVISOR_ARG];
    const file = program.argv.length === 1 ? inside.wrapper : program.file;
    // Fresh names each start: the three FIFOs the supervisor's spares wait
    // on (a call's line is written to its FIFO from here), and the one the
    // events come on (the supervisor's stdout, which a call's EXIT trap can
    // open again by /proc: it could not if it were the socket spawn makes).
    const tag = randomBytes(6).toString('hex');
    const fifos = ['go0', 'go1', 'go2', 'ev'].map((f) => `${tag}.${f}`);
    this.fifos = fifos.map((f) => join(this.opts.ioDir, f));
    const fds = makeFifos(this.fifos).map((fd) => new Fd(fd));
    this.goFds = fds.slice(0, 3);
    this.nextGo = 0;
    this.events = fds[3]!;
    // A line too long to be ours is not held.
    const lines = new LineReader(MCP_EVENT_LINE_MAX, 'drop');
    const chunk = Buffer.alloc(4096);
    const watcher = new FdWatcher(this.events, () => {
      for (;;) {
        let n: number;
        try {
          n = readSync(this.events!.fd, chunk);
        } catch {
          break; // EAGAIN: all read
        }
        if (n <= 0) break;
        lines.push(chunk.subarray(0, n)).forEach((line) => this.onEvent(line));
      }
    });
    watcher.start(true, false);
    watcher.unref();
    const child = spawn(file, [...argv.slice(1), inside.ioDir, inside.bash, inside.prelude, ...fifos], {
      stdio,
      env: program.env,
      argv0: argv[0],
      cwd: program.cwd,
      // Without a sandbox there is no pid namespace to end it all: a
      // session of its own marks every process of it (stopChild).
      detached: program.sandbox === 'none',
    });
    this.child = child;
    this.dead = null;
    this.supervisorPid = null;
    this.supervisorHostPid = null;
    this.stderrHead = '';
    child.stderr!.on('data', (d: Buffer) => {
      if (this.stderrHead.length < 4096) this.stderrHead += d.toString('utf8').slice(0, 4096 - this.stderrHead.length);
    });
    child.stdin!.on('error', () => {});
    child.once('exit', (code, signal) => {
      if (this.child !== child) return;
      // Its spares see the end of their FIFOs and end too.
      this.closeFifos();
      this.dead = signal ? `killed by ${signal}` : `exited with status ${code}`;
      this.child = null;
      for (const p of this.pending.values()) p.exited(-1);
    });
  }

  /** One event line from the supervisor (or anything the sandbox wrote to
   * its stdout: only lines naming a call of ours count). */
  private onEvent(line: string): void {
    const ready = /^ready (\d{1,10})$/.exec(line);
    if (ready && this.supervisorPid === null) {
      this.supervisorPid = Number(ready[1]);
      // It holds them open now; without the names nothing else opens them.
      this.removeFifos();
    }
    const m = /^(started|exited) ([0-9a-f]{12}) (\d{1,10})$/.exec(line);
    if (!m) return;
    const p = this.pending.get(m[2]!);
    if (!p) return;
    const n = Number(m[3]);
    // The sandbox can write here too: a process group of 0 or 1 is never a
    // call's (signalled, it would be ours, or every process we may signal).
    if (m[1] === 'started') {
      if (n > 1) p.started(n);
    } else p.exited(n);
  }

  private removeFifos(): void {
    this.fifos.forEach(removeName);
    this.fifos = [];
  }

  private closeFifos(): void {
    this.removeFifos();
    this.goFds.forEach((fd) => fd.close());
    this.goFds = [];
    this.events?.close();
    this.events = null;
  }

  /** A call's line to the spare waiting on the next FIFO (the supervisor
   * turns them in the same order). The sandbox could only have filled it
   * by writing there itself: then the call cannot start. */
  private go(id: string, login: boolean): boolean {
    const fd = this.goFds[this.nextGo];
    if (fd === undefined) return false;
    try {
      // Under PIPE_BUF: written whole or not at all.
      writeSync(fd.fd, `${id} ${login ? 'login' : 'plain'}\n`);
    } catch {
      return false;
    }
    this.nextGo = (this.nextGo + 1) % this.goFds.length;
    return true;
  }

  private send(line: string): void {
    this.child?.stdin!.write(`${line}\n`);
  }

  /** SIGKILL to a call's process group, from here: the supervisor is busy
   * waiting for that call. `pgid` is as the supervisor said it; inside bwrap
   * (a pid namespace of its own) the host's number for it is looked up among
   * the supervisor's children, so nothing but a call of ours is hit. */
  private killGroup(pgid: number, signal: NodeJS.Signals = 'SIGKILL'): void {
    const child = this.child;
    if (!child?.pid) return;
    let host: number | null = pgid;
    if (this.opts.program.sandbox !== 'none') {
      if (this.supervisorHostPid === null && this.supervisorPid !== null) this.supervisorHostPid = findByNsPid(descendants(child.pid), this.supervisorPid);
      host = this.supervisorHostPid === null ? null : findByNsPid(childrenOf(this.supervisorHostPid), pgid);
    }
    if (host === null || host <= 1) return;
    try {
      process.kill(-host, signal);
    } catch {
      // gone already
    }
  }

  private async stopChild(): Promise<void> {
    const child = this.child;
    if (!child) return;
    this.child = null;
    const gone = new Promise<void>((res) => (child.exitCode !== null || child.signalCode !== null ? res() : child.once('exit', () => res())));
    if (this.opts.program.sandbox === 'none' && child.pid !== undefined) killSession(child.pid);
    child.kill('SIGKILL');
    await gone;
    this.closeFifos();
    for (const p of this.pending.values()) p.exited(-1);
  }

  // ---- one call -------------------------------------------------------------

  private async runNow(req: CallRequest, booting = false): Promise<CallResult> {
    if (this.closed) throw new Error('the shell is closed');
    let restarted = false;
    if (!this.child && !booting) {
      // It died (killed from inside, say): a new sandbox, the same state.
      const kept = this.state;
      this.spawnChild();
      this.state = kept;
      restarted = true;
    }
    const { id, files } = this.newCall(req);
    const startedAt = Date.now();
    try {
      const end = await this.drive(id, req, files);
      const durationMs = Date.now() - startedAt;
      let state: CallResult['state'] = 'unchanged';
      if (end.kind === 'exited' || end.kind === 'signaled') {
        const size = files.state.size;
        if (size > MCP_STATE_MAX_BYTES) state = 'too-big';
        else {
          const parsed = parseStateDump(files.state.read(0, size));
          if (parsed) {
            // The same state stays the same object: a call from the start
            // state needs nothing restored.
            if (!this.state || !sameState(this.state, parsed.state)) this.state = parsed.state;
            state = 'carried';
          }
        }
      }
      if (state !== 'carried' && req.workdir !== undefined && this.state) this.state = { ...this.state, cwd: req.workdir };
      return {
        // The trap ran, so the shell exited by itself, with 128+N.
        end: end.kind === 'signaled' && state === 'carried' ? { kind: 'exited', code: end.status } : end,
        durationMs,
        stdout: capture(files.stdout),
        stderr: capture(files.stderr),
        state,
        cwd: this.cwd,
        restarted,
      };
    } finally {
      // After the result is on its way: removing five names is not the
      // caller's wait.
      setImmediate(() => files.dispose());
    }
  }

  /** Starts the call and waits for its end, a time-out, a cancel, the
   * output limit, or the shell's death. */
  private drive(id: string, req: CallRequest, files: CallFiles): Promise<CallEnd> {
    return new Promise<CallEnd>((resolve) => {
      const startedAt = Date.now();
      let pgid: number | null = null;
      let killWhenStarted = false;
      let done = false;
      const finish = (end: CallEnd) => {
        if (done) return;
        done = true;
        // Killed before it said its group: kill that group when it does.
        if (killWhenStarted) this.pending.set(id, { started: (n) => (this.killGroup(n), this.pending.delete(id)), exited: () => this.pending.delete(id) });
        else this.pending.delete(id);
        clearInterval(ticker);
        if (timer) clearTimeout(timer);
        req.signal?.removeEventListener('abort', onAbort);
        resolve(end);
      };
      const kill = (end: CallEnd) => {
        if (pgid !== null) this.killGroup(pgid);
        else killWhenStarted = true;
        req.onKill?.();
        finish(end);
      };
      this.pending.set(id, {
        started: (n) => {
          pgid = n;
        },
        exited: (status) => {
          if (status < 0) return finish({ kind: 'shell-ended', why: this.dead ?? 'it was stopped' });
          if (status > 128 && status < 128 + 65) finish({ kind: 'signaled', signal: status - 128, status });
          else finish({ kind: 'exited', code: status });
        },
      });
      const timer = req.timeoutMs !== undefined ? setTimeout(() => kill({ kind: 'timed-out', afterMs: req.timeoutMs! }), req.timeoutMs) : null;
      const onAbort = () => kill({ kind: 'cancelled' });
      if (req.signal?.aborted) return kill({ kind: 'cancelled' });
      req.signal?.addEventListener('abort', onAbort, { once: true });
      const ticker = setInterval(() => {
        for (const [stream, out] of [['stdout', files.stdout], ['stderr', files.stderr]] as const) {
          if (out.size > MCP_OUTPUT_FILE_MAX_BYTES) return kill({ kind: 'output-limit', stream });
        }
        req.onTick?.(Date.now() - startedAt);
      }, TICK_MS);
      if (!this.child) return finish({ kind: 'shell-ended', why: this.dead ?? 'it is not running' });
      if (!this.go(id, req.login)) return finish({ kind: 'shell-ended', why: 'its FIFO is full or gone' });
      this.send(`run ${id} ${req.login ? 'login' : 'plain'}`);
    });
  }
}

function sameState(a: ShellState, b: ShellState): boolean {
  return a.cwd === b.cwd && a.exports.equals(b.exports) && a.names.size === b.names.size && [...a.names].every((n) => b.names.has(n));
}

/** Head and tail of an output file, read through our own fd. */
function capture(out: CallOutput): Captured {
  const total = out.size;
  if (total <= MCP_OUTPUT_HEAD_BYTES + MCP_OUTPUT_TAIL_BYTES) return { head: out.read(0, total), tail: Buffer.alloc(0), total };
  return { head: out.read(0, MCP_OUTPUT_HEAD_BYTES), tail: out.read(total - MCP_OUTPUT_TAIL_BYTES, MCP_OUTPUT_TAIL_BYTES), total };
}

export function describeEnd(end: CallEnd): string {
  switch (end.kind) {
    case 'exited':
      return `exit code ${end.code}`;
    case 'signaled':
      return `killed by signal ${end.signal}`;
    case 'timed-out':
      return `timed out after ${end.afterMs} ms`;
    case 'cancelled':
      return 'cancelled';
    case 'output-limit':
      return `ended: its ${end.stream} passed ${MCP_OUTPUT_FILE_MAX_BYTES} bytes`;
    case 'shell-ended':
      return `the sandboxed shell ended (${end.why})`;
  }
}

/** FIFOs at `paths` (which must not exist, made with one mkfifo), each
 * opened read-write through our own fd: a name the sandbox swapped
 * meanwhile (a symlink, a file) is refused, never written to. */
function makeFifos(paths: string[]): number[] {
  // From the trusted PATH, never this process's own: `npx execgate mcp` puts
  // PROJECT/node_modules/.bin first on it, which the sandbox can write.
  const mkfifo = findOnPath('mkfifo');
  if (mkfifo === null) throw new Error(`mkfifo is not on ${DEFAULT_TRUSTED_PATH.join(':')}`);
  execFileSync(mkfifo, ['-m', '600', ...paths], { stdio: 'ignore', env: {} });
  const fds: number[] = [];
  try {
    for (const path of paths) {
      const fd = openSync(path, constants.O_RDWR | constants.O_NOFOLLOW | constants.O_NONBLOCK);
      fds.push(fd);
      if (!fstatSync(fd).isFIFO()) throw new Error(`${path} is not the FIFO execgate made`);
    }
  } catch (err) {
    fds.forEach((fd) => closeSync(fd));
    paths.forEach(removeName);
    throw err;
  }
  return fds;
}

function makeFifo(path: string): number {
  return makeFifos([path])[0]!;
}

/** The parent and (for a pid namespace) the innermost pid of every process. */
function processTable(): { pid: number; ppid: number }[] {
  const out: { pid: number; ppid: number }[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
      out.push({ pid: Number(entry), ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

function childrenOf(pid: number): number[] {
  return processTable()
    .filter((p) => p.ppid === pid)
    .map((p) => p.pid);
}

function descendants(pid: number): number[] {
  const table = processTable();
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    const parent = queue.shift()!;
    for (const p of table) if (p.ppid === parent) (found.push(p.pid), queue.push(p.pid));
  }
  return found;
}

/** The one of `pids` whose pid in its own namespace is `nsPid`. */
function findByNsPid(pids: number[], nsPid: number): number | null {
  for (const pid of pids) {
    try {
      const m = /^NSpid:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'latin1'));
      if (m && Number(m[1]!.trim().split(/\s+/).pop()) === nsPid) return pid;
    } catch {
      // gone meanwhile
    }
  }
  return null;
}

/** SIGKILL to every process in session `sid` (no sandbox: the supervisor
 * leads a session of its own, and every call and job of it stays in it
 * unless it makes a session of its own). */
function killSession(sid: number): void {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, 'latin1');
    } catch {
      continue;
    }
    // pid (comm) state ppid pgrp session ...: comm may hold anything, so
    // count from the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[3]) === sid) {
      try {
        process.kill(Number(entry), 'SIGKILL');
      } catch {
        // gone already
      }
    }
  }
}
