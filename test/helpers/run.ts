// Runs a program to its end and keeps what it wrote: the one way tests that
// drive a CLI (execgate, a shim, a real agent) collect a result.
import { spawn } from 'node:child_process';

export interface Ran {
  /** null when a signal ended it (the time-out's SIGKILL included). */
  code: number | null;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  argv0?: string;
  /** Written to its stdin, then closed; without it stdin is /dev/null. */
  input?: string;
  /** SIGKILL after this long: a hung child fails the test with what it said. */
  timeoutMs?: number;
}

export function runCollecting(file: string, args: string[], opts: RunOptions = {}): Promise<Ran> {
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { cwd: opts.cwd, env: opts.env, argv0: opts.argv0, stdio: [opts.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    // After a SIGKILL its own children may still hold the pipes: let go of
    // them too, so that 'close' comes.
    const timer =
      opts.timeoutMs === undefined
        ? null
        : setTimeout(() => {
            child.kill('SIGKILL');
            child.stdout!.destroy();
            child.stderr!.destroy();
          }, opts.timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      if (timer) clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    if (child.stdin) {
      // The child may exit without reading it all.
      child.stdin.on('error', () => {});
      child.stdin.end(opts.input);
    }
  });
}
