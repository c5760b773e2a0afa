// Host-side program identity. A rule naming `git` means "the file that `git`
// resolves to on the trusted PATH" (trusted-path.ts), and a request matches it only if the request
// resolves to that same file under the same name: a `./git` in the workspace
// is another file, and a multi-call binary reached as `rm` is not `ls`.
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import type { FileIdentity } from '../exec/spawn-spec.js';

/** The fixed default trusted PATH (docs/policy.md): the system
 * directories, which only root can write. A policy's `trusted_path` entries
 * are searched before it (trusted-path.ts). */
export const DEFAULT_TRUSTED_PATH: readonly string[] = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

/** Absolute path of an executable regular file named `name` on `pathVar`, or
 * null. The default is the system directories, never the broker's inherited
 * PATH (which may reach into the project). Relative entries are skipped: they
 * would resolve against the broker's own working directory. */
export function findOnPath(name: string, pathVar = DEFAULT_TRUSTED_PATH.join(':')): string | null {
  if (name.includes('/')) return null;
  for (const dir of pathVar.split(':')) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

// Both run for every rule on every request: a missing entry answers without
// throwing (an exception costs more than the stat), and realpath is the C
// library's, one call, not Node's walk of lstats in JavaScript.
export function isExecutableFile(path: string): boolean {
  return executableIdentity(path) !== null;
}

/** The file's identity (what is checked again right before an approved
 * command's exec) if it is an executable regular file, else null: one stat
 * for both, as every escalation asks both. */
export function executableIdentity(path: string): FileIdentity | null {
  try {
    const st = statSync(path, { bigint: true, throwIfNoEntry: false });
    if (!st?.isFile()) return null;
    accessSync(path, constants.X_OK);
    return { dev: st.dev, ino: st.ino };
  } catch {
    return null;
  }
}

export function realpathOrNull(path: string): string | null {
  try {
    return realpathSync.native(path);
  } catch {
    return null;
  }
}

/** The same file, reached under the same name; `aReal`: a's canonical
 * path, if known. */
export function sameProgram(a: string, b: string, aReal?: string): boolean {
  if (basename(a) !== basename(b)) return false;
  const ra = aReal ?? realpathOrNull(a);
  return ra !== null && ra === realpathOrNull(b);
}
