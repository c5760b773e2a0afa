// The git metadata of a writable tree, which --sandbox bwrap binds read-only
// over itself (as Codex's workspace sandbox does). Git on the host reads
// programs to run from it: core.fsmonitor, core.sshCommand, core.pager,
// diff.external, filters, aliases, hooks. If the agent could write it, an
// escalated `git status` would run the agent's code on the host.
//
// What is found, for a root R:
//  - R/.git, a directory (a repository) or a file (`gitdir: PATH`: a linked
//    worktree or a submodule), and for a file the git directory it names and
//    that directory's `commondir` (the main repository of a worktree);
//  - the same for each submodule path listed in R/.gitmodules.
// Repositories the agent creates later, or that lie deeper in the tree, are
// not found: escalating git inside one of those runs the agent's config.
import { lstatSync, readFileSync, realpathSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';

/** .gitmodules is project content: a file listing more submodules than
 * this is not worth one bind each at every start. */
const MAX_SUBMODULES = 1000;

/** Host paths (canonical, existing) to keep read-only for the tree at root. */
export function gitMetadata(root: string): string[] {
  const found = new Set<string>();
  for (const dir of [root, ...submodulePaths(root)]) addRepository(join(dir, '.git'), found);
  return [...found];
}

function addRepository(dotGit: string, found: Set<string>): void {
  const real = canonical(dotGit);
  if (real === null) return;
  found.add(real);
  if (!lstatSync(real).isFile()) return;
  const gitdir = gitdirOf(real);
  if (gitdir === null) return;
  found.add(gitdir);
  const common = readLine(join(gitdir, 'commondir'));
  const commonDir = common === null ? null : canonical(isAbsolute(common) ? common : join(gitdir, common));
  if (commonDir !== null) found.add(commonDir);
}

/** The git directory a `.git` file names, canonical, or null. */
function gitdirOf(file: string): string | null {
  const line = readLine(file);
  if (line === null || !line.startsWith('gitdir:')) return null;
  const named = line.slice('gitdir:'.length).trim();
  return canonical(isAbsolute(named) ? named : join(dirname(file), named));
}

function submodulePaths(root: string): string[] {
  let text: string;
  try {
    text = readFileSync(join(root, '.gitmodules'), 'utf8');
  } catch {
    return [];
  }
  const out: string[] = [];
  for (const m of text.matchAll(/^\s*path\s*=\s*(.+?)\s*$/gm)) {
    if (out.length >= MAX_SUBMODULES) break;
    const dir = canonical(resolve(root, m[1]!));
    // Only inside the tree: .gitmodules may name anything.
    if (dir !== null && dir.startsWith(`${root}/`)) out.push(dir);
  }
  return out;
}

function readLine(file: string): string | null {
  try {
    return readFileSync(file, 'utf8').split('\n')[0]!.trim();
  } catch {
    return null;
  }
}

function canonical(path: string): string | null {
  try {
    return realpathSync(path);
  } catch {
    return null;
  }
}
