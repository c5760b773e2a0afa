// Which policy a command uses: --policy FILE, else the user's file if there
// is one, else the built-in policy (everything runs in the sandbox).
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { builtinPolicy, loadPolicyFile } from '../policy/load.js';
import type { Policy } from '../policy/types.js';

export function userPolicyPath(): string {
  const base = process.env.XDG_CONFIG_HOME || join(homedir(), '.config');
  return join(base, 'execgate', 'policy.toml');
}

export function loadPolicy(flag: string | undefined): Policy {
  if (flag) return loadPolicyFile(flag);
  const user = userPolicyPath();
  return existsSync(user) ? loadPolicyFile(user) : builtinPolicy();
}
