// Pins an escalated git to the project's own repository. Git finds its
// repository from the working directory up; the agent can make a .git (or a
// bare repository) anywhere in the project it writes, with core.fsmonitor,
// core.hooksPath or aliases that run its programs on the host. A built-in
// git rule escalates without a human, so the session runs such a git with
// GIT_DIR and GIT_WORK_TREE set to the project's repository, whose .git the
// sandbox cannot change (bound read-only inside), or asks a human instead.
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, posix } from 'node:path';
import { isWithin, lookupDirs, rootHolding } from './writable.js';

export interface GitPinInput {
  /** The project directory on the host (canonical). */
  project: string;
  /** The escalated command's working directory on the host (canonical). */
  hostCwd: string;
  /** The session's writable roots (canonical). */
  writableRoots: readonly string[];
  /** Paths bound read-only inside a writable root (the project's .git). */
  readOnly: readonly string[];
}

export type GitPin = { ok: true; env: Map<string, string> } | { ok: false; why: string };

/** Can the sandbox replace or change what `path` names? Inside a read-only
 * bind it cannot, provided the bind's mount point hangs directly off a
 * writable root's top (a mount point cannot be renamed or removed, the root
 * itself is a mount point too; a plain directory in between could be). */
function sandboxCanAlter(path: string, writableRoots: readonly string[], readOnly: readonly string[]): boolean {
  const canonical = realpathSync(path);
  const bind = readOnly.find((r) => isWithin(canonical, r));
  if (bind !== undefined) {
    return lookupDirs(bind).some((d) => rootHolding(d, writableRoots) !== null && !writableRoots.includes(d));
  }
  return lookupDirs(canonical).some((d) => rootHolding(d, writableRoots) !== null) || rootHolding(canonical, writableRoots) !== null;
}

function gitDirOf(dotGit: string): string | null {
  const st = lstatSync(dotGit, { throwIfNoEntry: false });
  if (!st) return null;
  if (st.isDirectory()) return realpathSync(dotGit);
  if (!st.isFile()) return null;
  // A gitfile (worktrees, submodules): "gitdir: PATH".
  const m = /^gitdir: (.+)$/m.exec(readFileSync(dotGit, 'utf8'));
  if (!m) return null;
  const target = m[1]!.trim();
  return realpathSync(isAbsolute(target) ? target : join(dirname(dotGit), target));
}

export function pinGitRepository(input: GitPinInput): GitPin {
  const { project, hostCwd, writableRoots, readOnly } = input;
  if (!isWithin(hostCwd, project)) return { ok: false, why: `the working directory ${hostCwd} is outside the project ${project}` };
  let gitDir: string | null;
  try {
    gitDir = gitDirOf(posix.join(project, '.git'));
  } catch (err) {
    return { ok: false, why: `the project's .git cannot be read: ${(err as Error).message}` };
  }
  if (gitDir === null) return { ok: false, why: `the project ${project} has no .git of its own` };
  const dirs = [gitDir];
  try {
    const common = readFileSync(posix.join(gitDir, 'commondir'), 'utf8').trim();
    dirs.push(realpathSync(isAbsolute(common) ? common : posix.join(gitDir, common)));
  } catch {
    // No commondir: an ordinary repository.
  }
  for (const d of dirs) {
    if (sandboxCanAlter(d, writableRoots, readOnly)) return { ok: false, why: `the repository ${d} can be changed from the sandbox` };
  }
  return { ok: true, env: new Map([['GIT_DIR', gitDir], ['GIT_WORK_TREE', project]]) };
}
