// removeDir / removeDirSync on real directories: flat ones the fast way,
// anything else by the recursive fallback, a missing one quietly.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { removeDir, removeDirSync } from '../../../src/runtime/remove-dir.js';

const base = mkdtempSync(join(tmpdir(), 'eg-rmdir-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));

let n = 0;
function dir(nested: boolean): string {
  const d = join(base, `d${n++}`);
  mkdirSync(d);
  writeFileSync(join(d, 'table'), 'x');
  writeFileSync(join(d, 'sock'), '');
  if (nested) {
    mkdirSync(join(d, 'sub'));
    writeFileSync(join(d, 'sub', 'f'), 'y');
  }
  return d;
}

describe.each([
  ['removeDirSync', async (d: string) => removeDirSync(d)],
  ['removeDir', (d: string) => removeDir(d)],
])('%s', (_name, remove) => {
  it('removes a flat directory and its files', async () => {
    const d = dir(false);
    await remove(d);
    expect(existsSync(d)).toBe(false);
  });

  it('removes one with a subdirectory too (the fallback)', async () => {
    const d = dir(true);
    await remove(d);
    expect(existsSync(d)).toBe(false);
  });

  it('says nothing about one that is gone already', async () => {
    await expect(remove(join(base, 'never-made'))).resolves.toBeUndefined();
  });
});
