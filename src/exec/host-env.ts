// The environment an escalated command gets: the broker's own, plus the few
// variables from the sandbox that are safe and useful to carry over. Never
// anything that changes what code runs (LD_*, BASH_ENV, PATH, ...), whatever
// an allowlist says: those are refused by name after the allowlist.

export const DEFAULT_ENV_ALLOW: readonly string[] = [
  'TERM', 'COLORTERM', 'LANG', 'LC_*', 'TZ', 'COLUMNS', 'LINES', 'NO_COLOR',
];

const NEVER = [
  /^LD_/, /^DYLD_/, /^BASH_ENV$/, /^ENV$/, /^PATH$/, /^IFS$/, /^SHELLOPTS$/, /^BASHOPTS$/, /^PS4$/,
  /^BASH_FUNC_/, /^GIT_[A-Z_]*_COMMAND$/, /^GIT_EXEC_PATH$/, /^GIT_CONFIG/, /^GIT_DIR$/, /^GIT_WORK_TREE$/,
  /^PYTHON(PATH|STARTUP|HOME)$/, /^PERL5?LIB$/, /^PERL5OPT$/, /^RUBYOPT$/, /^RUBYLIB$/, /^NODE_OPTIONS$/, /^NODE_PATH$/,
  /^EXEC_WRAPPER$/, /^EXECGATE_/, /^HOME$/, /^USER$/, /^LOGNAME$/, /^SHELL$/, /^SSH_AUTH_SOCK$/,
];

export function nameAllowed(name: string, allow: readonly string[]): boolean {
  if (NEVER.some((re) => re.test(name))) return false;
  return allow.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
}

/** Splits "NAME=value" bytes; null if there is no valid name. */
export function splitEnvEntry(entry: Buffer): { name: string; value: Buffer } | null {
  const eq = entry.indexOf(0x3d);
  if (eq <= 0) return null;
  const name = entry.subarray(0, eq).toString('latin1');
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) return null;
  if (entry.includes(0)) return null;
  return { name, value: entry.subarray(eq + 1) };
}

/** The sandbox variables that may cross, filtered again here: the wrapper's
 * own filtering is a courtesy, this is the decision. Last one wins. */
export function crossingEnv(sandboxEnv: Buffer[], allow: readonly string[]): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  for (const entry of sandboxEnv) {
    const kv = splitEnvEntry(entry);
    if (kv && nameAllowed(kv.name, allow)) out.set(kv.name, kv.value);
  }
  return out;
}

/** Broker environment + crossing variables, as "NAME=value" byte strings. */
export function hostEnv(crossing: Map<string, Buffer>, base: NodeJS.ProcessEnv = process.env): Buffer[] {
  const merged = new Map<string, Buffer>();
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined || name === 'EXEC_WRAPPER' || name.startsWith('EXECGATE_')) continue;
    merged.set(name, Buffer.from(value, 'utf8'));
  }
  for (const [name, value] of crossing) merged.set(name, value);
  return [...merged].map(([name, value]) => Buffer.concat([Buffer.from(`${name}=`, 'latin1'), value]));
}
