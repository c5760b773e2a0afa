// Which policy a command uses: --policy FILE, else the user's file if there
// is one, else the built-in policy (everything runs in the sandbox).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { builtinPolicy, loadPolicyFile } from './load.js';
import type { Policy } from './types.js';

export function userPolicyPath(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'execgate', 'policy.toml');
}

/** The policy file in force: the flag's, else the user's if it exists, else
 * none (the built-in policy). */
export function policyFileFor(flag: string | undefined): string | null {
  if (flag) return flag;
  const user = userPolicyPath();
  return existsSync(user) ? user : null;
}

/** The policy without a file: everything runs in the sandbox, but for the
 * built-in git rules (builtin-git.ts), which let the common local git
 * writes reach the project's read-only .git, on the host, pinned to the
 * project's own repository. */
export function defaultPolicy(): Policy {
  return builtinPolicy({ gitRules: true });
}

export function loadPolicy(flag: string | undefined): Policy {
  const file = policyFileFor(flag);
  return file ? loadPolicyFile(file) : defaultPolicy();
}
