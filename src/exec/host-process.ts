// Runs an escalated command on the host: execa starts execgate-spawn in a new
// session with the wrapper's own stdio fds as its 0, 1 and 2; the helper runs
// the command as its child in a process group of its own (which we signal
// and end as one) and tells us on fd 3 its pid and when it stops. When the
// caller's stdin is a terminal, the command gets a pty of its own, relayed
// by the helper, which takes window sizes on fd 3.
import { constants } from 'node:os';
import { execa } from 'execa';
import { spawnHelperPath } from '../native/paths.js';
import { encodeSpawnSpec, type HostCommand } from './spawn-spec.js';

export interface ExitStatus {
  code: number;
  /** The signal number that ended it, or 0. */
  signal: number;
}

/** Grace between SIGTERM and SIGKILL when a command must end. */
export const KILL_GRACE_MS = 2000;

export class HostProcess {
  /** Every host process still running, so shutdown can see them end. */
  private static readonly live = new Set<HostProcess>();

  /** Waits until every host process has ended (those being terminated get
   * their SIGKILL after the grace period): a broker that exits first would
   * take the pending SIGKILL with it and leave a TERM-ignoring command alive. */
  static async settle(): Promise<void> {
    await Promise.all([...HostProcess.live].map((p) => p.exited));
  }

  /** The helper's pid (the command's is learnt from the helper). */
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  private done = false;
  private killTimer: NodeJS.Timeout | null = null;
  /** The command's process group: the pid the helper reports once it has
   * forked the command (signals wait until then). */
  private pgid: number | null;
  private readonly tty: boolean;
  private readonly control: NodeJS.WritableStream & NodeJS.ReadableStream;
  private readonly pendingSignals: number[] = [];

  constructor(cmd: HostCommand, stdio: [number, number, number]) {
    const child = execa(spawnHelperPath, [], {
      // Any open fd is accepted at run time; execa's types list only a few
      // small numbers, hence the cast.
      stdio: [stdio[0], stdio[1], stdio[2], 'pipe'] as unknown as ['inherit', 'inherit', 'inherit', 'pipe'],
      detached: true,
      reject: false,
      buffer: false,
      cleanup: false,
      env: {},
      extendEnv: false,
      stripFinalNewline: false,
    });
    if (child.pid === undefined) throw new Error('could not start execgate-spawn');
    this.pid = child.pid;
    this.pgid = null;
    this.tty = cmd.tty !== null;
    this.control = child.stdio[3] as unknown as NodeJS.WritableStream & NodeJS.ReadableStream;
    // The helper may die before reading (killed); that is its exit status's story.
    this.control.on('error', () => {});
    {
      // Kept open: closing it tells the helper we are gone.
      this.control.write(encodeSpawnSpec(cmd));
      let text = '';
      this.control.on('data', (d: Buffer) => {
        text += d.toString('latin1');
        for (let nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n')) {
          const line = text.slice(0, nl);
          text = text.slice(nl + 1);
          const pid = /^P (\d+)$/.exec(line);
          const stop = /^S (\d+)$/.exec(line);
          if (pid && this.pgid === null) {
            this.pgid = Number(pid[1]);
            for (const sig of this.pendingSignals.splice(0)) this.signal(sig);
          } else if (stop) {
            if (this.stopRequested) this.stopRequested = false;
            else this.onStop(Number(stop[1]));
          }
        }
      });
    }
    HostProcess.live.add(this);
    this.exited = child.then((result) => {
      HostProcess.live.delete(this);
      this.done = true;
      if (this.killTimer) clearTimeout(this.killTimer);
      (this.control as unknown as { destroy(): void }).destroy();
      const signal = result.signal ? (constants.signals as Record<string, number>)[result.signal] ?? 0 : 0;
      return { code: signal ? 128 + signal : (result.exitCode ?? 1), signal };
    });
  }

  /** Sends a signal to the command's whole process group. */
  signal(signo: number): void {
    if (this.done) return;
    if (this.pgid === null) {
      this.pendingSignals.push(signo);
      return;
    }
    try {
      process.kill(-this.pgid, signo);
    } catch {
      // Already gone: nothing to signal.
    }
  }

  /** Called when the command (on a pty) stops by itself; the wrapper stops too. */
  onStop: (signal: number) => void = () => {};
  /** A stop we caused on the wrapper's behalf: not reported back to it. */
  private stopRequested = false;

  /** A signal the wrapper received and passes on. The command leads its own
   * session, so its group is orphaned and the kernel would discard SIGTSTP,
   * SIGTTIN and SIGTTOU sent to it: the wrapper (already stopping itself)
   * gets its job stopped with SIGSTOP instead. */
  forward(signo: number): void {
    const { SIGTSTP, SIGTTIN, SIGTTOU, SIGSTOP } = constants.signals;
    if (signo === SIGTSTP || signo === SIGTTIN || signo === SIGTTOU) {
      this.stopRequested = true;
      // The caller's shell takes the terminal back now: stop relaying it.
      if (this.tty) this.control.write('I 0\n');
      this.signal(SIGSTOP);
    } else {
      this.signal(signo);
    }
  }

  /** The caller's terminal changed size: so does the command's pty. */
  resize(rows: number, cols: number): void {
    if (!this.done && this.tty) this.control.write(`W ${rows} ${cols}\n`);
  }

  /** SIGTERM to the command's group now, SIGKILL after the grace period if
   * it is still there. The helper exits by itself when its command does (it
   * is what tells us so): only the final SIGKILL is for it too. */
  terminate(graceMs = KILL_GRACE_MS): void {
    if (this.done || this.killTimer) return;
    this.signal(constants.signals.SIGTERM);
    this.killTimer = setTimeout(() => {
      this.signal(constants.signals.SIGKILL);
      try {
        process.kill(-this.pid, constants.signals.SIGKILL);
      } catch {
        // gone already
      }
    }, graceMs);
  }
}
