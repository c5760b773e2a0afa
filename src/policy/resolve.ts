// Host-side program identity. A rule naming `git` means "the file that `git`
// resolves to on the host PATH", and a request matches it only if the request
// resolves to that same file under the same name: a `./git` in the workspace
// is another file, and a multi-call binary reached as `rm` is not `ls`.
import { accessSync, constants, realpathSync, statSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';

/** Absolute path of an executable regular file named `name` on PATH, or null.
 * Relative PATH entries are skipped: they would resolve against the broker's
 * own working directory, which is never what a rule means. */
export function findOnPath(name: string, pathVar = process.env.PATH ?? ''): string | null {
  if (name.includes('/')) return null;
  for (const dir of pathVar.split(':')) {
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, name);
    if (isExecutableFile(candidate)) return candidate;
  }
  return null;
}

export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function realpathOrNull(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}

/** The same file, reached under the same name. */
export function sameProgram(a: string, b: string): boolean {
  if (basename(a) !== basename(b)) return false;
  const ra = realpathOrNull(a);
  return ra !== null && ra === realpathOrNull(b);
}
