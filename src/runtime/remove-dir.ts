// Removing the directories execgate makes (a broker's, a session's): flat,
// a few files each (a socket, the run table, the sandbox's files). A
// readdir, an unlink each and an rmdir; a recursive rm is the fallback for
// anything else. Not Node's recursive rm first: its JavaScript rimraf
// lstats and retries its way through (~1 ms of every `execgate shell`'s
// exit, in a profile), and fs/promises is a module to load (~1 ms more).
import { readdir, readdirSync, rm, rmdir, rmdirSync, rmSync, unlink, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

/** Synchronous: for a process about to exit, or a directory off the hot path. */
export function removeDirSync(dir: string): void {
  try {
    for (const name of readdirSync(dir)) unlinkSync(join(dir, name));
    rmdirSync(dir);
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
}

// node:util is loaded at every Node start already; fs/promises is not.
const readdirAsync = promisify(readdir);
const unlinkAsync = promisify(unlink);
const rmdirAsync = promisify(rmdir);
const rmAsync = promisify(rm);

/** On Node's thread pool: an rmdir on a journaled file system (the runtime
 * directory is often /tmp on ext4) takes 0.2-0.6 ms, which on the event
 * loop stalled every other session's execs and the next launch. Never
 * rejects. */
export async function removeDir(dir: string): Promise<void> {
  try {
    for (const name of await readdirAsync(dir)) await unlinkAsync(join(dir, name));
    await rmdirAsync(dir);
  } catch {
    await rmAsync(dir, { recursive: true, force: true }).catch(() => {});
  }
}
