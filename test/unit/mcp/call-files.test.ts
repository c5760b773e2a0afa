// Where an MCP session's call files go: in memory where there is a place.
import { mkdtempSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { callFilesBase } from '../../../src/mcp/call-files.js';

const TMPFS_MAGIC = 0x01021994;

describe('callFilesBase', () => {
  it("takes $XDG_RUNTIME_DIR, the user's own", () => {
    const xdg = mkdtempSync(join(tmpdir(), 'eg-xdg-'));
    expect(callFilesBase({ XDG_RUNTIME_DIR: xdg })).toBe(xdg);
  });

  it('without a usable one, /dev/shm when that is a tmpfs, else the temp directory', () => {
    let shmIsTmpfs = false;
    try {
      shmIsTmpfs = statfsSync('/dev/shm').type === TMPFS_MAGIC;
    } catch {
      // no /dev/shm here
    }
    expect(callFilesBase({})).toBe(shmIsTmpfs ? '/dev/shm' : tmpdir());
    expect(callFilesBase({ XDG_RUNTIME_DIR: '' })).toBe(shmIsTmpfs ? '/dev/shm' : tmpdir());
    // One that is not there (inherited from another user's session, say)
    // is passed over.
    expect(callFilesBase({ XDG_RUNTIME_DIR: join(tmpdir(), 'eg-no-such-dir', 'run') })).toBe(shmIsTmpfs ? '/dev/shm' : tmpdir());
  });
});
