// Removing the directories execgate makes (a broker's, a session's): flat,
// a few files each (a socket, the run table, the sandbox's files). A
// readdir, an unlink each and an rmdir; a recursive rm is the fallback for
// anything else. Not Node's recursive rm first: its JavaScript rimraf
// lstats and retries its way through (~1 ms of every `execgate shell`'s
// exit, in a profile), and fs/promises is a module to load (~1 ms more).
import { readdir, readdirSync, rm, rmdir, rmdirSync, rmSync, unlink, unlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Synchronous: for a process about to exit, or a directory off the hot path. */
export function removeDirSync(dir: string): void {
  try {
    for (const name of readdirSync(dir)) unlinkSync(join(dir, name));
    rmdirSync(dir);
  } catch {
    rmSync(dir, { recursive: true, force: true });
  }
}

const step = (f: (done: (err: Error | null) => void) => void) => new Promise<void>((resolve, reject) => f((err) => (err ? reject(err) : resolve())));

/** On Node's thread pool: an rmdir on a journaled file system (the runtime
 * directory is often /tmp on ext4) takes 0.2-0.6 ms, which on the event
 * loop stalled every other session's execs and the next launch. Never
 * rejects. */
export async function removeDir(dir: string): Promise<void> {
  try {
    const names = await new Promise<string[]>((resolve, reject) => readdir(dir, (err, n) => (err ? reject(err) : resolve(n))));
    for (const name of names) await step((done) => unlink(join(dir, name), done));
    await step((done) => rmdir(dir, done));
  } catch {
    await step((done) => rm(dir, { recursive: true, force: true }, done)).catch(() => {});
  }
}
