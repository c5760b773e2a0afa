import { describe, expect, it } from 'vitest';
import { parseStateDump, restoreScript } from '../../../src/mcp/shell-state.js';

const dump = (status: string, cwd: string, names: string[], exports: string) => Buffer.from(`${status}\0${cwd}\0${names.map((n) => `${n}\n`).join('')}\0${exports}`);

describe('parseStateDump', () => {
  it('reads the status, the directory, the names and the exports as written', () => {
    const exports = 'declare -x FOO="a\nb"\ndeclare -x PATH="/bin"\n';
    expect(parseStateDump(dump('3', '/p/x y', ['FOO', 'PATH'], exports))).toEqual({ status: 3, state: { cwd: '/p/x y', names: new Set(['FOO', 'PATH']), exports: Buffer.from(exports) } });
  });

  it('is null for anything else: empty, truncated, not a status, not a path', () => {
    expect(parseStateDump(Buffer.alloc(0))).toBeNull();
    expect(parseStateDump(Buffer.from('0\0/p\0FOO\n'))).toBeNull();
    expect(parseStateDump(dump('x', '/p', [], ''))).toBeNull();
    expect(parseStateDump(dump('0', 'relative', [], ''))).toBeNull();
  });

  it('keeps only names that are shell variable names', () => {
    expect(parseStateDump(dump('0', '/', ['OK_1', 'BAD-NAME', '1BAD', ''], ''))!.state.names).toEqual(new Set(['OK_1']));
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
