// Long-running and interactive commands (process_start, _read, _write,
// _stop): a dev server, a REPL, a command that asks on its terminal. Each is
// a background job of the session's shell (shell-host.ts): its own files,
// its stdin a FIFO that execgate writes, optionally a terminal of its own
// (`script`, inside the sandbox, so that a `sudo` escalated from it gets a
// pty on the host and its prompt shows in the output). What it writes is
// read a piece at a time, from where the last read stopped.
import { closeSync, writeSync } from 'node:fs';
import { shellQuote } from '../policy/shell-quote.js';
import { MCP_OUTPUT_HEAD_BYTES, MCP_OUTPUT_TAIL_BYTES, MCP_PROCESSES_MAX, MCP_PROCESS_WAIT_MAX_MS } from '../protocol/limits.js';
import { parseStateDump } from './shell-state.js';
import type { CallOutput } from './call-files.js';
import type { Background, Captured, SandboxShell } from './shell-host.js';

export class ProcessError extends Error {
  override name = 'ProcessError';
}

export type ProcessStatus = { kind: 'running' } | { kind: 'exited'; code: number } | { kind: 'ended'; why: string };

interface Proc {
  name: string;
  command: string;
  bg: Background;
  stdinOpen: boolean;
  read: { out: number; err: number };
  status: ProcessStatus;
}

export interface ProcessRead {
  name: string;
  status: ProcessStatus;
  stdout: Captured;
  stderr: Captured;
}

const POLL_MS = 50;

/** The new bytes of `out` since `from`: head and tail when there are many. */
function since(out: CallOutput, from: number): { captured: Captured; to: number } {
  const to = out.size;
  const total = to - from;
  if (total <= MCP_OUTPUT_HEAD_BYTES + MCP_OUTPUT_TAIL_BYTES) return { captured: { head: out.read(from, total), tail: Buffer.alloc(0), total }, to };
  return { captured: { head: out.read(from, MCP_OUTPUT_HEAD_BYTES), tail: out.read(to - MCP_OUTPUT_TAIL_BYTES, MCP_OUTPUT_TAIL_BYTES), total }, to };
}

export class ProcessTable {
  private readonly procs = new Map<string, Proc>();
  private count = 0;

  constructor(private readonly shell: SandboxShell) {}

  async start(req: { command: string; workdir?: string; login: boolean; tty: boolean }): Promise<{ name: string }> {
    const running = [...this.procs.values()].filter((p) => this.status(p).kind === 'running').length;
    if (running >= MCP_PROCESSES_MAX) throw new ProcessError(`${running} processes are running already (at most ${MCP_PROCESSES_MAX}): stop one first`);
    // On a terminal of its own: `script` runs $SHELL -c COMMAND on a pty
    // (inside the sandbox, intercepted as everything else).
    const command = req.tty ? `exec script -qfec ${shellQuote(req.command)} /dev/null` : req.command;
    const bg = await this.shell.startBackground({ command, workdir: req.workdir, login: req.login });
    this.count += 1;
    const name = `p${this.count}`;
    this.procs.set(name, { name, command: req.command, bg, stdinOpen: true, read: { out: 0, err: 0 }, status: { kind: 'running' } });
    return { name };
  }

  list(): { name: string; command: string; status: ProcessStatus }[] {
    return [...this.procs.values()].map((p) => ({ name: p.name, command: p.command, status: this.status(p) }));
  }

  /** New output since the last read; waits up to `waitMs` for some (or
   * for the end). */
  async read(name: string, waitMs: number): Promise<ProcessRead> {
    const p = this.get(name);
    const until = Date.now() + Math.min(Math.max(0, waitMs), MCP_PROCESS_WAIT_MAX_MS);
    while (Date.now() < until && this.status(p).kind === 'running' && p.bg.files.stdout.size === p.read.out && p.bg.files.stderr.size === p.read.err) {
      await new Promise((r) => setTimeout(r, POLL_MS));
    }
    const status = this.status(p);
    const out = since(p.bg.files.stdout, p.read.out);
    const err = since(p.bg.files.stderr, p.read.err);
    p.read = { out: out.to, err: err.to };
    return { name, status, stdout: out.captured, stderr: err.captured };
  }

  /** Writes to its stdin; `eof` closes it after. Returns the bytes written
   * (fewer when the process does not read and the pipe is full). */
  write(name: string, data: string, eof: boolean): number {
    const p = this.get(name);
    if (!p.stdinOpen) throw new ProcessError(`${name}'s input is closed already`);
    const buf = Buffer.from(data);
    let written = 0;
    try {
      while (written < buf.length) written += writeSync(p.bg.stdin, buf, written, buf.length - written);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
    if (eof) {
      closeSync(p.bg.stdin);
      p.stdinOpen = false;
    }
    return written;
  }

  /** SIGTERM (or `signal`) to its process group; SIGKILL if it is still
   * there after two seconds. */
  async stop(name: string, signal: NodeJS.Signals = 'SIGTERM'): Promise<ProcessStatus> {
    const p = this.get(name);
    if (this.status(p).kind !== 'running') return p.status;
    this.shell.signal(p.bg, signal);
    const until = Date.now() + 2000;
    while (Date.now() < until && this.status(p).kind === 'running') await new Promise((r) => setTimeout(r, POLL_MS));
    if (this.status(p).kind === 'running') this.shell.signal(p.bg, 'SIGKILL');
    const end = Date.now() + 2000;
    while (Date.now() < end && this.status(p).kind === 'running') await new Promise((r) => setTimeout(r, POLL_MS));
    return this.status(p);
  }

  /** Ends every process and lets go of its files (reset, close). */
  closeAll(): void {
    for (const p of this.procs.values()) {
      if (this.status(p).kind === 'running') this.shell.signal(p.bg, 'SIGKILL');
      if (p.stdinOpen) closeSync(p.bg.stdin);
      p.bg.files.dispose();
    }
    this.procs.clear();
  }

  private get(name: string): Proc {
    const p = this.procs.get(name);
    if (!p) throw new ProcessError(`no process ${JSON.stringify(name)}${this.procs.size ? ` (there are ${[...this.procs.keys()].join(', ')})` : ''}`);
    return p;
  }

  /** Running, or how it ended: its EXIT trap's status, or gone without one. */
  private status(p: Proc): ProcessStatus {
    if (p.status.kind !== 'running') return p.status;
    const size = p.bg.files.state.size;
    const dump = size > 0 && size < 4 * 1024 * 1024 ? parseStateDump(p.bg.files.state.read(0, size)) : null;
    if (dump) p.status = { kind: 'exited', code: dump.status };
    else if (!this.shell.running(p.bg)) p.status = { kind: 'ended', why: 'ended without an exit status (a signal, or it exec\'d another program)' };
    return p.status;
  }
}
