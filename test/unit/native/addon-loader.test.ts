// loadAddon's errors when the addon is missing, broken or stale, and the
// SystemError guard. No native build needed beyond what is named.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isSystemError, loadAddon } from '../../../src/native/addon.js';

const dir = mkdtempSync(join(tmpdir(), 'execgate-loader-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadAddon', () => {
  it('says how to build the addon when it is missing', () => {
    const path = join(dir, 'nope', 'execgate.node');
    expect(() => loadAddon(path)).toThrow(`execgate's native addon is not built: ${path} is missing`);
    expect(() => loadAddon(path)).toThrow(/Run `npm install` \(or `npm run build:native`\)/);
  });

  it('says to rebuild when the file does not load', () => {
    const path = join(dir, 'garbage.node');
    writeFileSync(path, 'not an ELF file');
    let caught: unknown;
    try {
      loadAddon(path);
    } catch (err) {
      caught = err;
    }
    expect((caught as Error).message).toMatch(new RegExp(`^execgate's native addon ${path} failed to load: .*\\nRebuild it with \`npm run build:native\``, 's'));
    expect((caught as Error).cause).toBeInstanceOf(Error);
  });

  it('refuses an addon that does not match this source', () => {
    const path = join(dir, 'stale.cjs');
    writeFileSync(path, 'module.exports = { socketpair() {}, MAX_FDS: 8, MAX_RECV_BYTES: 8388608 };');
    expect(() => loadAddon(path)).toThrow(/does not match this source \(missing: close, send, recv, socketType, listen, accept, connect, hangup, peerCredentials, pidfdOpen, spawn, waitPid, SeccompListener, Watcher\); rebuild/);
  });
});

describe('isSystemError', () => {
  it('recognises the shape of Node\'s system errors', () => {
    const err = Object.assign(new Error('EAGAIN: resource temporarily unavailable, recvmsg'), { code: 'EAGAIN', errno: -11, syscall: 'recvmsg' });
    expect(isSystemError(err)).toBe(true);
    expect(isSystemError(err, 'EAGAIN')).toBe(true);
    expect(isSystemError(err, 'EBADF')).toBe(false);
    expect(isSystemError(Object.assign(new TypeError('x'), { code: 'ERR_INVALID_ARG_TYPE' }))).toBe(false);
    expect(isSystemError({ code: 'EAGAIN', errno: -11, syscall: 'recvmsg' })).toBe(false);
  });
});
