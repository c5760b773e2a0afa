// The trusted PATH: where bare program names (rules naming `git`, and
// `execgate run git`) are looked up on the host. Never the broker's own PATH:
// `npx execgate shell` puts PROJECT/node_modules/.bin first on it, and a
// `git` the agent plants there would then be "the host's git".
import { homedir } from 'node:os';
import { posix } from 'node:path';
import { DEFAULT_TRUSTED_PATH, findOnPath } from './resolve.js';
import type { Policy } from './types.js';
import { sandboxCanChange } from './writable.js';

export { DEFAULT_TRUSTED_PATH };

/** One `trusted_path` entry as a directory, or why it is not one: absolute
 * or `~/...` (the broker's home), no `:`. */
export function trustedPathEntry(entry: string, home = homedir()): { ok: true; dir: string } | { ok: false; why: string } {
  if (entry.includes(':')) return { ok: false, why: `"${entry}" contains ":" (give one directory per entry)` };
  if (entry === '~' || entry.startsWith('~/')) return { ok: true, dir: posix.normalize(posix.join(home, entry.slice(1))) };
  if (entry.startsWith('~')) return { ok: false, why: `"${entry}": only "~/" (your own home) is expanded` };
  if (!entry.startsWith('/')) return { ok: false, why: `"${entry}" is not an absolute path or ~/...` };
  return { ok: true, dir: posix.normalize(entry) };
}

const cache = new WeakMap<Policy, Map<string, string>>();

/** The policy's trusted PATH as a PATH string, without entries the sandbox
 * can change (under one of its writable roots). */
export function trustedPathFor(policy: Policy, writableRoots: readonly string[] = []): string {
  if (writableRoots.length === 0) return policy.trustedPath.join(':');
  // Sound to cache: an entry none of whose lookup directories the sandbox
  // can write cannot be made writable by the sandbox later.
  let byRoots = cache.get(policy);
  if (!byRoots) cache.set(policy, (byRoots = new Map()));
  const key = writableRoots.join('\0');
  let path = byRoots.get(key);
  if (path === undefined) {
    path = policy.trustedPath.filter((dir) => sandboxCanChange(dir, writableRoots) === null).join(':');
    byRoots.set(key, path);
  }
  return path;
}

/** A bare name on the policy's trusted PATH (what `execgate run NAME` and a
 * rule `program = "NAME"` mean), or null. */
export function findTrusted(name: string, policy: Policy, writableRoots: readonly string[] = []): string | null {
  return findOnPath(name, trustedPathFor(policy, writableRoots));
}
