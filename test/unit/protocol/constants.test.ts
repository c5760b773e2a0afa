// The C side's constants (native/common/protocol.h) are the TypeScript ones:
// a wrapper built from one and a broker from the other must agree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as c from '../../../src/protocol/constants.js';
import * as limits from '../../../src/protocol/limits.js';
import * as table from '../../../src/protocol/run-table.js';
import { packageRoot } from '../../../src/native/paths.js';

const header = readFileSync(join(packageRoot, 'native/common/protocol.h'), 'utf8');
const defines = new Map([...header.matchAll(/^#define (EG_\w+) (.+)$/gm)].map((m) => [m[1]!, m[2]!.trim()]));

const pairs: [string, string | number | bigint | Buffer][] = [
  ['EG_SESSION_FD', c.SESSION_FD],
  ['EG_ENV_EXEC_WRAPPER', c.ENV_EXEC_WRAPPER],
  ['EG_ENV_SESSION_FD', c.ENV_SESSION_FD],
  ['EG_ENV_SESSION_DIR', c.ENV_SESSION_DIR],
  ['EG_ENV_BROKER', c.ENV_BROKER],
  ['EG_ENV_LABEL', c.ENV_LABEL],
  ['EG_SANDBOX_SESSION_DIR', c.SANDBOX_SESSION_DIR],
  ['EG_SANDBOX_REAL_DIR', c.SANDBOX_REAL_DIR],
  ['EG_SESSION_SOCKET_NAME', c.SESSION_SOCKET_NAME],
  ['EG_RUN_TABLE_NAME', c.RUN_TABLE_NAME],
  ['EG_HELLO_CONNECTION', c.HELLO_CONNECTION],
  ['EG_HELLO_RECORD', c.HELLO_RECORD],
  ['EG_HELLO_SECCOMP', c.HELLO_SECCOMP],
  ['EG_INIT_ARG', c.INIT_ARG],
  ['EG_INIT_PLAIN_ARG', c.INIT_PLAIN_ARG],
  ['EG_MCP_SUPERVISOR_ARG', c.MCP_SUPERVISOR_ARG],
  ['EG_EXEC_COOKIE', c.EXEC_COOKIE],
  ['EG_RUN_TABLE_MAGIC', table.RUN_TABLE_MAGIC],
  ['EG_RUN_TABLE_LOCAL_RUN', table.RUN_TABLE_LOCAL_RUN],
  ['EG_RUN_TABLE_RECORD', table.RUN_TABLE_RECORD],
  ['EG_MAX_RUN_TABLE_BYTES', limits.MAX_RUN_TABLE_BYTES],
  ['EG_MAX_RUN_RECORD', limits.MAX_RUN_RECORD],
  ['EG_MAX_LAUNCHED_FRAME', limits.MAX_LAUNCHED_FRAME],
];

describe('protocol constants', () => {
  it.each(pairs)('%s is the same in C and TypeScript', (name, value) => {
    const text = defines.get(name);
    expect(text, `${name} missing from protocol.h`).toBeDefined();
    const expected = typeof value === 'bigint' ? `0x${value.toString(16)}` : typeof value === 'number' ? String(value) : JSON.stringify(Buffer.isBuffer(value) ? value.toString('latin1') : value);
    expect(text).toBe(expected);
  });

  it('every define in protocol.h is checked here', () => {
    expect([...defines.keys()].filter((k) => k !== 'EXECGATE_PROTOCOL_H').sort()).toEqual(pairs.map(([n]) => n).sort());
  });
});

describe('the exec cookie', () => {
  it('is the one the patched bash passes when it execs the wrapper', () => {
    const patch = readFileSync(join(packageRoot, 'patches/bash-exec-wrapper.patch'), 'utf8');
    const m = /^\+#define EXEC_WRAPPER_COOKIE (0x[0-9a-fA-F]+)L$/m.exec(patch);
    expect(m, 'EXEC_WRAPPER_COOKIE missing from the patch').not.toBeNull();
    expect(BigInt(m![1]!)).toBe(c.EXEC_COOKIE);
  });
});

describe('the run table, as the patched bash reads it', () => {
  const patch = readFileSync(join(packageRoot, 'patches/bash-exec-wrapper.patch'), 'utf8');
  const inPatch = new Map([...patch.matchAll(/^\+#define (EXEC_WRAPPER_TABLE_\w+) (.+)$/gm)].map((m) => [m[1]!, m[2]!.trim()]));
  it.each([
    ['EXEC_WRAPPER_TABLE_NAME', JSON.stringify(c.RUN_TABLE_NAME)],
    ['EXEC_WRAPPER_TABLE_MAGIC', JSON.stringify(table.RUN_TABLE_MAGIC.toString('latin1'))],
    ['EXEC_WRAPPER_TABLE_LOCAL_RUN', String(table.RUN_TABLE_LOCAL_RUN)],
    ['EXEC_WRAPPER_TABLE_MAX', String(limits.MAX_RUN_TABLE_BYTES)],
  ])('%s is the protocol\'s', (name, expected) => {
    expect(inPatch.get(name), `${name} missing from the patch`).toBe(expected);
  });
});
