// What one tool call leaves for the next: its working directory and its
// exported variables. The prelude's EXIT trap writes them (bash/prelude.bash)
// as  STATUS \0 PWD \0 NAMES (compgen -e, one a line) \0 `export -p`;
// the next call's prelude sources what restoreScript() makes of them. The
// text comes from the sandbox and goes back only to the sandbox: execgate
// reads the status and the directory, and passes the rest on as it is.

/** Variables the broker sets: never unset or changed by a restore (the
 * prelude also keeps their values whatever a call exported). */
const PROTECTED = new Set(['EXEC_WRAPPER', 'EXECGATE_SOCKET', 'EXECGATE_SESSION', 'BASH_ENV', 'PWD', 'OLDPWD', 'SHLVL', '_']);

const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

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

/** Parses what the EXIT trap wrote, or null if it is not that (the call
 * exec'd another program, replaced the trap, or was killed). */
export function parseStateDump(dump: Buffer): CallEnd | null {
  const a = dump.indexOf(0);
  const b = a < 0 ? -1 : dump.indexOf(0, a + 1);
  const c = b < 0 ? -1 : dump.indexOf(0, b + 1);
  if (c < 0) return null;
  const status = dump.subarray(0, a).toString('latin1');
  const cwd = dump.subarray(a + 1, b).toString('utf8');
  if (!/^\d{1,3}$/.test(status) || !cwd.startsWith('/')) return null;
  const names = new Set(
    dump
      .subarray(b + 1, c)
      .toString('latin1')
      .split('\n')
      .filter((n) => NAME.test(n)),
  );
  return { status: Number(status), state: { cwd, names, exports: dump.subarray(c + 1) } };
}

/** What the next call's prelude sources: unset what a fresh shell exports
 * but the last call no longer did (`baseline`: the names of a fresh call),
 * then its exports as it wrote them. */
export function restoreScript(state: ShellState, baseline: ReadonlySet<string>): Buffer {
  const gone = [...baseline].filter((n) => !state.names.has(n) && !PROTECTED.has(n));
  const unset = gone.length ? `builtin unset -v ${gone.join(' ')}\n` : '';
  return Buffer.concat([Buffer.from(unset), state.exports]);
}
