// What an escalated command runs in and runs, fixed when it is decided, not
// when it starts (possibly minutes later, after a human said yes, with the
// sandbox free to swap a symlink in meanwhile): the working directory as an
// open handle the command enters with fchdir, and the program file's
// identity, checked right before exec (native/spawn/supervise.c).
import { constants, openSync, readlinkSync, statSync } from 'node:fs';
import { Fd } from '../native/fd.js';
import type { FileIdentity } from './spawn-spec.js';

export interface PinnedDirectory {
  /** Open on the directory (close-on-exec); the caller owns it. */
  fd: Fd;
  /** Where the handle really points, read back from the kernel: what to show
   * and check, rather than the path it was opened by. */
  realPath: string;
}

/** Opens hostPath as a directory. Errors are Node's (ENOENT, ENOTDIR, EACCES
 * with syscall 'open' and the path). */
export function pinDirectory(hostPath: string): PinnedDirectory {
  // Node opens everything close-on-exec.
  const fd = new Fd(openSync(hostPath, constants.O_RDONLY | constants.O_DIRECTORY));
  try {
    return { fd, realPath: readlinkSync(`/proc/self/fd/${fd.fd}`) };
  } catch (err) {
    fd.close();
    throw err;
  }
}

/** The identity of the file path names now (following symlinks, as execve
 * does). Errors are Node's (syscall 'stat'). */
export function programIdentity(path: string): FileIdentity {
  const st = statSync(path, { bigint: true });
  return { dev: st.dev, ino: st.ino };
}
