// Which host paths the sandbox can change. A session's sandbox can write its
// "writable roots" (under --sandbox bwrap: the project and every --bind
// source; canonical host paths). A path can be changed from the sandbox when
// any directory that resolving it looks a name up in lies under one: the
// agent can replace that name (a file, a directory, a symlink) with its own.
import { lstatSync, readlinkSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, posix, resolve } from 'node:path';

const MAX_SYMLINK_HOPS = 40;

/** Is `path` the root itself or inside it? Both canonical. */
export function isWithin(path: string, root: string): boolean {
  const r = root.length > 1 && root.endsWith('/') ? root.slice(0, -1) : root;
  return path === r || path.startsWith(r === '/' ? '/' : `${r}/`);
}

/** The writable root holding `path` (canonical), or null. */
export function rootHolding(path: string, writableRoots: readonly string[]): string | null {
  return writableRoots.find((r) => isWithin(path, r)) ?? null;
}

/** Canonical form of a path that may not exist yet: its nearest existing
 * ancestor resolved (symlinks and all), the missing rest appended. */
export function canonicalOrParent(path: string): string {
  const abs = resolve(path);
  try {
    return realpathSync(abs);
  } catch {
    const parent = dirname(abs);
    if (parent === abs) return abs;
    return posix.join(canonicalOrParent(parent), posix.basename(abs));
  }
}

/** Every directory (canonical) in which resolving `path` looks up a name,
 * following symlinks as the kernel would; a lookup that finds nothing ends
 * the walk there (whoever can write that directory can create the rest). */
export function lookupDirs(path: string): string[] {
  const dirs: string[] = [];
  const pending = resolve(path).split('/').filter((c) => c !== '');
  let cur = '/';
  let hops = 0;
  while (pending.length > 0) {
    const name = pending.shift()!;
    if (name === '.') continue;
    if (name === '..') {
      cur = dirname(cur);
      continue;
    }
    dirs.push(cur);
    const next = posix.join(cur, name);
    let isLink: boolean;
    try {
      isLink = lstatSync(next).isSymbolicLink();
    } catch {
      break;
    }
    if (isLink) {
      if (++hops > MAX_SYMLINK_HOPS) break;
      const target = readlinkSync(next);
      if (isAbsolute(target)) cur = '/';
      pending.unshift(...target.split('/').filter((c) => c !== ''));
      continue;
    }
    cur = next;
  }
  return [...new Set(dirs)];
}

/** Why the sandbox can change what `path` names, or null when it cannot:
 * names the directory and the writable root it lies in. */
export function sandboxCanChange(path: string, writableRoots: readonly string[]): { dir: string; root: string } | null {
  if (writableRoots.length === 0) return null;
  for (const dir of lookupDirs(path)) {
    const root = rootHolding(dir, writableRoots);
    if (root !== null) return { dir, root };
  }
  // The path itself may be a writable root (a bind of one file).
  const canon = canonicalOrParent(path);
  const root = rootHolding(canon, writableRoots);
  return root === null ? null : { dir: canon, root };
}
