// The wrapper reads the run table encodeRunTable writes: a program the table
// does not name runs with no broker at all; a named one, or any table the
// encoder had to give up on, makes the wrapper ask (and with no session to
// ask, fail closed). native/test/wrapper_test.c covers the rest against a
// fake broker in C.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { wrapperPath } from '../../src/native/paths.js';
import { encodeRunTable, type RunTable } from '../../src/protocol/run-table.js';

const dir = mkdtempSync(join(tmpdir(), 'eg-table-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function execThrough(t: RunTable) {
  writeFileSync(join(dir, 'table'), encodeRunTable(t));
  // No EXECGATE_SOCKET, no fd 87, no `sock` in the directory: only the table
  // can let anything run.
  return spawnSync(wrapperPath, ['/bin/echo', 'echo', 'ran'], {
    env: { PATH: '/usr/bin:/bin', EXECGATE_SESSION: dir },
    encoding: 'utf8',
  });
}

describe('the wrapper reads the run table', () => {
  it('runs a program the table does not name, without a broker', () => {
    const r = execThrough({ generation: 3, localRun: true, record: false, names: ['git', 'make', 'é'] });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('ran\n');
    expect(r.status).toBe(0);
  });

  it.each<[string, Partial<RunTable>]>([
    ['names the program', { names: ['git', 'echo'] }],
    ['has LOCAL_RUN off', { localRun: false }],
    ['had a name it could not hold', { names: ['git', 'x'.repeat(256)] }],
    ['wants a record (and there is no session to send it to)', { record: true }],
  ])('asks the broker when the table %s', (_what, t) => {
    const r = execThrough({ generation: 1, localRun: true, record: false, names: ['git'], ...t });
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^execgate: cannot reach the session: fd 87 is not open and .*\/sock: No such file or directory\n$/);
    expect(r.status).toBe(126);
  });
});
