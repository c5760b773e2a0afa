// One escalated command running on the host, as the broker sees it: the
// broker's end of the command's control channel to its supervisor
// (spawn-protocol.ts describes it). Spawner.spawn makes these; whoever
// spawned one holds it until `exited` settles.
import { constants } from 'node:os';
import { isSystemError, type Addon } from '../native/addon.js';
import type { Fd } from '../native/fd.js';
import { FdWatcher, type WatchEvent } from '../native/watcher.js';
import { LineReader } from '../runtime/line-reader.js';
import { control, MAX_REPORT_LINE, parseReport, type Report } from './spawn-protocol.js';

export interface ExitStatus {
  /** 0-255, or 128 + the signal. */
  code: number;
  /** The signal number that ended it, or 0. */
  signal: number;
}

/** Grace between SIGTERM and SIGKILL when a command must end. */
export const KILL_GRACE_MS = 2000;

const { SIGKILL, SIGSTOP, SIGTERM, SIGTSTP, SIGTTIN, SIGTTOU } = constants.signals;

/** A supervisor gone without reporting an exit: its command was killed. */
const KILLED: ExitStatus = { code: 128 + SIGKILL, signal: SIGKILL };

/** Bytes read per recv from a control channel (reports are a few bytes). */
const READ_BYTES = 4096;

export class HostProcess {
  /** Settles when the command has ended (never rejects). */
  readonly exited: Promise<ExitStatus>;
  /** The command's pid once its supervisor has forked it; null if it never
   * was (it could not start, or its supervisor was lost first). */
  readonly started: Promise<number | null>;
  /** Called when the command stops by itself (not on a stop we caused):
   * the caller's job stops too. */
  onStop: (signal: number) => void = () => {};

  readonly #addon: Addon;
  readonly #ctl: Fd;
  readonly #watcher: FdWatcher;
  readonly #tty: boolean;
  readonly #lines = new LineReader(MAX_REPORT_LINE, 'throw');
  /** Bytes for the supervisor that the socket had no room for yet. */
  readonly #outbox: Buffer[] = [];
  #pid: number | null = null;
  #done = false;
  #killTimer: NodeJS.Timeout | null = null;
  /** A stop we caused on the caller's behalf: not reported back to it. */
  #stopRequested = false;
  #settle!: (status: ExitStatus) => void;
  #settleStart!: (pid: number | null) => void;

  /** Spawner.spawn's: ctl is the broker's end of the control channel (now
   * owned here), unsent what of the spec did not fit in the first send,
   * watcher ctl's watcher if one was made ahead (now ours). */
  constructor(addon: Addon, ctl: Fd, tty: boolean, unsent: Buffer, watcher?: FdWatcher) {
    this.#addon = addon;
    this.#ctl = ctl;
    this.#tty = tty;
    this.exited = new Promise((resolve) => (this.#settle = resolve));
    this.started = new Promise((resolve) => (this.#settleStart = resolve));
    if (unsent.length > 0) this.#outbox.push(unsent);
    const onEvent = (ev: WatchEvent) => this.#onEvent(ev);
    if (watcher) watcher.handOver(onEvent);
    this.#watcher = watcher ?? new FdWatcher(ctl, onEvent);
    // A running command keeps the broker alive (a spare waiting did not).
    this.#watcher.ref();
    this.#arm();
  }

  /** The command's pid (and process group), once known. */
  get pid(): number | null {
    return this.#pid;
  }

  /** Sends a signal to the command's whole process group (by its
   * supervisor, which knows whether the group is still its command's). */
  signal(signo: number): void {
    this.#send(control.signal(signo));
  }

  /** A signal the wrapper received and passes on. The command may lead its
   * own session (on a pty), where the kernel would discard SIGTSTP, SIGTTIN
   * and SIGTTOU sent to its orphaned group: the wrapper (already stopping
   * itself) gets its job stopped with SIGSTOP instead. */
  forward(signo: number): void {
    if (signo === SIGTSTP || signo === SIGTTIN || signo === SIGTTOU) {
      this.#stopRequested = true;
      // The caller's shell takes the terminal back now: stop relaying it.
      if (this.#tty) this.#send(control.pauseInput());
      this.signal(SIGSTOP);
    } else {
      this.signal(signo);
    }
  }

  /** The caller's terminal changed size: so does the command's pty. */
  resize(rows: number, cols: number): void {
    if (this.#tty) this.#send(control.resize(rows, cols));
  }

  /** SIGTERM to the command's group now, SIGKILL after the grace period if
   * it has not ended by then. The timer keeps the broker alive: a broker
   * that exits first would leave a TERM-ignoring command running. */
  terminate(graceMs = KILL_GRACE_MS): void {
    if (this.#done || this.#killTimer) return;
    this.signal(SIGTERM);
    this.#killTimer = setTimeout(() => this.signal(SIGKILL), graceMs);
  }

  #onEvent(ev: WatchEvent): void {
    if (ev.writable) this.#flush();
    if (ev.readable || ev.hangup || ev.error) this.#read();
    if (!this.#done) this.#arm();
  }

  #arm(): void {
    this.#watcher.start(true, this.#outbox.length > 0);
  }

  #read(): void {
    while (!this.#done) {
      let r;
      try {
        r = this.#addon.recv(this.#ctl.fd, READ_BYTES, 0);
      } catch (err) {
        // ECONNRESET: the supervisor died with our lines unread.
        if (!isSystemError(err)) throw err;
        return this.#lost();
      }
      if (r === null) return;
      if (r.data.length === 0) return this.#lost();
      let lines;
      try {
        lines = this.#lines.push(r.data);
      } catch {
        return this.#lost();
      }
      for (const line of lines) {
        const report = parseReport(line);
        if (report === null) return this.#lost();
        this.#onReport(report);
        if (this.#done) return;
      }
    }
  }

  #onReport(report: Report): void {
    if (report.type === 'pid') {
      if (this.#pid === null) {
        this.#pid = report.pid;
        this.#settleStart(report.pid);
      }
    } else if (report.type === 'stop') {
      if (this.#stopRequested) this.#stopRequested = false;
      else this.onStop(report.signal);
    } else {
      const { code, signal } = report;
      this.#finish({ code: signal ? 128 + signal : code, signal });
    }
  }

  /** The channel ended (or spoke nonsense) without an exit report: the
   * supervisor is gone, and its command, if it had one, is killed now so
   * that the report is true. The supervisor reports right after it reaps,
   * so without a report the command was (but for that instant) not reaped
   * by it, and its pid still names its group. The one signal the broker
   * sends itself. */
  #lost(): void {
    if (this.#pid !== null) {
      try {
        process.kill(-this.#pid, SIGKILL);
      } catch {
        // Gone already.
      }
    }
    this.#finish(KILLED);
  }

  #finish(status: ExitStatus): void {
    if (this.#done) return;
    this.#done = true;
    if (this.#killTimer) clearTimeout(this.#killTimer);
    this.#outbox.length = 0;
    // The watcher goes with it.
    this.#ctl.close();
    this.#settleStart(this.#pid);
    this.#settle(status);
  }

  #send(bytes: Buffer): void {
    if (this.#done) return;
    this.#outbox.push(bytes);
    if (this.#outbox.length === 1) this.#flush();
    this.#arm();
  }

  /** Writes what the socket takes now; the rest waits for room. */
  #flush(): void {
    while (this.#outbox.length > 0 && !this.#done) {
      const head = this.#outbox[0]!;
      let n;
      try {
        n = this.#addon.send(this.#ctl.fd, head);
      } catch (err) {
        if (isSystemError(err, 'EAGAIN')) return;
        // EPIPE: the supervisor is gone; the read side reports it.
        this.#outbox.length = 0;
        return;
      }
      if (n < head.length) {
        this.#outbox[0] = head.subarray(n);
        return;
      }
      this.#outbox.shift();
    }
  }
}
