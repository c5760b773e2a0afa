// Where the policy lives must be out of the sandbox's reach: a policy file
// (or its directory, or a symlink on the way to it) that the agent can write
// is rewritten and hot-reloaded, and an "always" target it can write is
// preloaded with the agent's rules. Checked at start (refuse to start), on
// every reload (refuse the reload, keep the last good policy) and when a
// session with new writable roots attaches (refuse the session).
import { resolve } from 'node:path';
import { sandboxCanChange } from './writable.js';

export interface PolicyLocation {
  /** The file the policy is read from, or null for the built-in policy. */
  policyFile: string | null;
  /** Where "always" answers append rules. */
  writePath: string;
}

export function policyLocationProblems(where: PolicyLocation, writableRoots: readonly string[]): string[] {
  const problems: string[] = [];
  const checks: [string, string][] = [];
  if (where.policyFile !== null) checks.push(['the policy file', where.policyFile]);
  if (where.writePath !== where.policyFile) checks.push(['the file "always" answers write to', where.writePath]);
  for (const [what, path] of checks) {
    const hit = sandboxCanChange(resolve(path), writableRoots);
    if (hit === null) continue;
    const via = hit.dir === hit.root ? hit.root : `${hit.dir} (under ${hit.root})`;
    problems.push(`${what} ${path} can be changed from the sandbox: ${via} is writable inside it; keep the policy outside the project and every --bind`);
  }
  return problems;
}
