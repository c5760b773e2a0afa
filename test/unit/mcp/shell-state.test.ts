import { describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { patchedBashPath } from '../../../src/native/paths.js';
import { exportedNames, parseStateDump, restoreScript } from '../../../src/mcp/shell-state.js';

const dump = (status: string, cwd: string, exports: string) => Buffer.from(`${status}\0${cwd}\0${exports}`);

describe('parseStateDump', () => {
  it('reads the status, the directory, and the exports as written with their names', () => {
    const exports = "declare -x FOO=$'a\\nb'\ndeclare -x PATH=\"/bin\"\n";
    expect(parseStateDump(dump('3', '/p/x y', exports))).toEqual({ status: 3, state: { cwd: '/p/x y', names: new Set(['FOO', 'PATH']), exports: Buffer.from(exports) } });
  });

  it('is null for anything else: empty, truncated, not a status, not a path', () => {
    expect(parseStateDump(Buffer.alloc(0))).toBeNull();
    expect(parseStateDump(Buffer.from('0\0/p'))).toBeNull();
    expect(parseStateDump(dump('x', '/p', ''))).toBeNull();
    expect(parseStateDump(dump('0', 'relative', ''))).toBeNull();
  });
});

describe('exportedNames', () => {
  it("reads the same names as `compgen -e` from the patched bash's own `export -p`: flags, odd values, POSIX mode", () => {
    const set = "export PLAIN=1 EMPTY= NL=$'a\\ndeclare -x FAKE=1' Q='\"q\" \\ $x `c`'; export BARE; declare -ix INT=5; declare -rx RO=r; unset -v HOME";
    for (const mode of ['', 'set -o posix; ']) {
      const out = execFileSync(patchedBashPath, ['-c', `${set}; ${mode}compgen -e; printf '\\0'; export -p`], { env: { PATH: '/usr/bin:/bin', HOME: '/h' } }).toString();
      const [compgen, exportP] = out.split('\0') as [string, string];
      const names = exportedNames(exportP);
      expect(names, mode).toEqual(new Set(compgen.trim().split('\n')));
      for (const n of ['PLAIN', 'EMPTY', 'NL', 'Q', 'INT', 'RO']) expect(names.has(n), `${mode}${n}`).toBe(true);
      // Exported without a value, unset, or only inside a value: not counted.
      for (const n of ['BARE', 'HOME', 'FAKE']) expect(names.has(n), `${mode}${n}`).toBe(false);
    }
  });

  it('keeps only names that are shell variable names', () => {
    expect(exportedNames('declare -x OK_1="1"\ndeclare -x BAD-NAME="2"\ndeclare -x 1BAD\nnot a line\n')).toEqual(new Set(['OK_1']));
  });
});

describe('restoreScript', () => {
  it('unsets what a fresh shell exports but the last call did not, never the broker\'s own, then exports', () => {
    const state = { cwd: '/', names: new Set(['KEEP']), exports: Buffer.from('declare -x KEEP="1"\n') };
    const baseline = new Set(['KEEP', 'GONE', 'ALSO_GONE', 'EXEC_WRAPPER', 'EXECGATE_SOCKET', 'PWD', 'SHLVL']);
    expect(restoreScript(state, baseline).toString()).toBe('builtin unset -v GONE ALSO_GONE\ndeclare -x KEEP="1"\n');
    expect(restoreScript(state, new Set(['KEEP'])).toString()).toBe('declare -x KEEP="1"\n');
  });
});
