// What one tool call leaves for the next: its working directory and its
// exported variables. The prelude's EXIT trap writes them (bash/prelude.bash)
// as  STATUS \0 PWD \0 `export -p`;  the next call's prelude sources what
// restoreScript() makes of them. The text comes from the sandbox and goes
// back only to the sandbox: execgate reads the status, the directory and the
// exported names, and passes the rest on as it is.

/** Variables the broker sets: never unset or changed by a restore (the
 * prelude also keeps their values whatever a call exported). */
const PROTECTED = new Set(['EXEC_WRAPPER', 'EXECGATE_SOCKET', 'EXECGATE_SESSION', 'BASH_ENV', 'PWD', 'OLDPWD', 'SHLVL', '_']);

export interface ShellState {
  /** The working directory as the shell saw it ($PWD, in the sandbox). */
  cwd: string;
  /** The names exported at the end. */
  names: Set<string>;
  /** `export -p` as bash wrote it. */
  exports: Buffer;
}

export interface CallEnd {
  /** $? at the EXIT trap: the call's exit status. */
  status: number;
  state: ShellState;
}

/** One variable of `export -p`: bash 5.2 writes one a line, `declare -x
 * NAME="value"` (more flags, as -rx or -ix, where it has them), a value
 * with a newline or another control character $'...'-quoted; in POSIX mode
 * `export NAME="value"`. A name exported without a value is written bare
 * and, as `compgen -e` does, not counted: sourcing its line keeps it so. */
const EXPORTED = /^(?:declare -[A-Za-z]+|export) ([A-Za-z_][A-Za-z0-9_]*)=/;

/** The names `export -p` lists with a value, as `compgen -e` would. A
 * value that itself holds a line such as `declare -x X=1` is quoted onto
 * one line by bash, in POSIX mode too; and whatever the sandbox writes in
 * the dump, a name read from it only keeps a variable of its own. */
export function exportedNames(exportP: string): Set<string> {
  const names = new Set<string>();
  for (const line of exportP.split('\n')) {
    const m = EXPORTED.exec(line);
    if (m) names.add(m[1]!);
  }
  return names;
}

/** Parses what the EXIT trap wrote, or null if it is not that (the call
 * exec'd another program, replaced the trap, or was killed). */
export function parseStateDump(dump: Buffer): CallEnd | null {
  const a = dump.indexOf(0);
  const b = a < 0 ? -1 : dump.indexOf(0, a + 1);
  if (b < 0) return null;
  const status = dump.subarray(0, a).toString('latin1');
  const cwd = dump.subarray(a + 1, b).toString('utf8');
  if (!/^\d{1,3}$/.test(status) || !cwd.startsWith('/')) return null;
  const exports = dump.subarray(b + 1);
  return { status: Number(status), state: { cwd, names: exportedNames(exports.toString('latin1')), exports } };
}

/** What the next call's prelude sources: unset what a fresh shell exports
 * but the last call no longer did (`baseline`: the names of a fresh call),
 * then its exports as it wrote them. */
export function restoreScript(state: ShellState, baseline: ReadonlySet<string>): Buffer {
  const gone = [...baseline].filter((n) => !state.names.has(n) && !PROTECTED.has(n));
  const unset = gone.length ? `builtin unset -v ${gone.join(' ')}\n` : '';
  return Buffer.concat([Buffer.from(unset), state.exports]);
}
