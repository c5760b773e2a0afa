// Runs an escalated command on the host: execa starts execgate-spawn in a new
// session (so the command and its children form one process group we can
// signal and end), with the wrapper's own stdio fds as its 0, 1 and 2.
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
  readonly pid: number;
  readonly exited: Promise<ExitStatus>;
  private done = false;
  private killTimer: NodeJS.Timeout | null = null;

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
    const specPipe = child.stdio[3] as unknown as NodeJS.WritableStream & { on(e: 'error', f: () => void): void };
    // The helper may die before reading (killed); that is its exit status's story.
    specPipe.on('error', () => {});
    specPipe.end(encodeSpawnSpec(cmd));
    this.exited = child.then((result) => {
      this.done = true;
      if (this.killTimer) clearTimeout(this.killTimer);
      const signal = result.signal ? (constants.signals as Record<string, number>)[result.signal] ?? 0 : 0;
      return { code: signal ? 128 + signal : (result.exitCode ?? 1), signal };
    });
  }

  /** Sends a signal to the command's whole process group. */
  signal(signo: number): void {
    if (this.done) return;
    try {
      process.kill(-this.pid, signo);
    } catch {
      // Already gone: nothing to signal.
    }
  }

  /** SIGTERM now, SIGKILL after the grace period if it is still there. */
  terminate(graceMs = KILL_GRACE_MS): void {
    if (this.done || this.killTimer) return;
    this.signal(constants.signals.SIGTERM);
    this.killTimer = setTimeout(() => this.signal(constants.signals.SIGKILL), graceMs);
  }
}
