// The files of one tool call in the I/O directory, which the sandbox can
// write: the command, the state it starts from, and what it leaves (its
// stdout, stderr and end state). execgate makes every one of them itself
// (O_CREAT|O_EXCL: never a name the sandbox planted, symlink or not) and
// reads them only through the fds it opened then: whatever the sandbox
// later puts under those names (a symlink to a host file it cannot read,
// a FIFO) is never opened by execgate.
import { accessSync, closeSync, constants, fstatSync, openSync, readSync, statfsSync, unlinkSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const TMPFS_MAGIC = 0x01021994;

/** Where an MCP session's call files go: a directory in memory. Every call
 * makes and removes five of them, and on a disk file system (this test
 * machine's ext4 /tmp) that journaling was a third of a call's cost. So:
 * $XDG_RUNTIME_DIR (the user's tmpfs, where execgate's control socket goes
 * too), else /dev/shm when it is a tmpfs, else the temp directory. A call's
 * output then sits in memory until its result is made (at most
 * MCP_OUTPUT_FILE_MAX_BYTES a stream): no more than the sandbox's own /tmp,
 * a tmpfs too, lets it put there. */
export function callFilesBase(env: NodeJS.ProcessEnv = process.env): string {
  // ($XDG_RUNTIME_DIR can be inherited where it is not ours: after su, say.)
  if (env.XDG_RUNTIME_DIR && usable(env.XDG_RUNTIME_DIR)) return env.XDG_RUNTIME_DIR;
  if (usable('/dev/shm') && statfsSync('/dev/shm').type === TMPFS_MAGIC) return '/dev/shm';
  return tmpdir();
}

function usable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

// (libuv opens every file close-on-exec: the shell never inherits these.)
const CREATE = constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;

/** Creates `path` (it must not exist) with `data`; closes it. */
function writeNew(path: string, data: string | Buffer): void {
  const fd = openSync(path, CREATE | constants.O_WRONLY, 0o600);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  } finally {
    closeSync(fd);
  }
}

/** A file the call writes (stdout, stderr, state), read through our fd. */
export class CallOutput {
  private constructor(readonly fd: number) {}

  static create(path: string): CallOutput {
    return new CallOutput(openSync(path, CREATE | constants.O_RDWR, 0o600));
  }

  get size(): number {
    return fstatSync(this.fd).size;
  }

  /** `length` bytes from `position` (fewer at the end of the file). */
  read(position: number, length: number): Buffer {
    const buf = Buffer.alloc(length);
    let got = 0;
    while (got < length) {
      const n = readSync(this.fd, buf, got, length - got, position + got);
      if (n === 0) break;
      got += n;
    }
    return buf.subarray(0, got);
  }

  close(): void {
    closeSync(this.fd);
  }
}

type Suffix = 'cmd' | 'in' | 'cwd' | 'out' | 'err' | 'state' | 'stdin';

export interface CallFilesInput {
  command: string;
  /** Sourced first: unset and export statements (null: none, no file). */
  restore: Buffer | null;
  /** The directory to start in (null: where the shell is, no file). */
  cwd: string | null;
}

/** The files of call `id` in `dir`, made before the call starts. */
export class CallFiles {
  readonly stdout: CallOutput;
  readonly stderr: CallOutput;
  readonly state: CallOutput;
  private closed = false;
  /** The names made, to remove: a name never made costs no failed unlink. */
  private readonly made: string[] = [];

  constructor(
    private readonly dir: string,
    readonly id: string,
    input: CallFilesInput,
  ) {
    const opened: CallOutput[] = [];
    try {
      this.writeNew('cmd', input.command);
      if (input.restore) this.writeNew('in', input.restore);
      if (input.cwd !== null) this.writeNew('cwd', `${input.cwd}\0`);
      for (const s of ['out', 'err', 'state'] as const) {
        opened.push(CallOutput.create(this.path(s)));
        this.made.push(this.path(s));
      }
    } catch (err) {
      opened.forEach((o) => o.close());
      this.unlink();
      throw err;
    }
    [this.stdout, this.stderr, this.state] = opened as [CallOutput, CallOutput, CallOutput];
  }

  private path(suffix: Suffix): string {
    return join(this.dir, `${this.id}.${suffix}`);
  }

  private writeNew(suffix: Suffix, data: string | Buffer): void {
    writeNew(this.path(suffix), data);
    this.made.push(this.path(suffix));
  }

  /** A name made for the call by someone else (the background stdin FIFO),
   * removed with the rest. */
  adopt(suffix: Suffix): string {
    this.made.push(this.path(suffix));
    return this.path(suffix);
  }

  /** Closes our fds and removes the names (whatever they now are). */
  dispose(): void {
    if (this.closed) return;
    this.closed = true;
    for (const o of [this.stdout, this.stderr, this.state]) o.close();
    this.unlink();
  }

  private unlink(): void {
    this.made.forEach(removeName);
  }
}

/** Removes a name in the I/O directory, whatever it now is; one that is
 * gone, or that the sandbox made a directory, is left (the whole directory
 * goes at the end of the session). */
export function removeName(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // gone, or a directory the sandbox made: left
  }
}
