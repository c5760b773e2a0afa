// Pinning at decision time: the handle keeps pointing at the directory that
// was decided on, whatever the path names later; a program file's identity
// changes when the file is replaced. (test/native/spawner.test.ts runs
// commands through both.)
import { mkdirSync, mkdtempSync, readlinkSync, realpathSync, renameSync, symlinkSync, writeFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { pinDirectory, programIdentity } from '../../../src/exec/pin.js';

const temp = () => realpathSync(mkdtempSync(join(tmpdir(), 'eg-pin-')));

describe('pinDirectory', () => {
  it('opens the directory and reads back where the handle points', () => {
    const dir = temp();
    const { fd, realPath } = pinDirectory(dir);
    try {
      expect(realPath).toBe(dir);
      expect(readlinkSync(`/proc/self/fd/${fd.fd}`)).toBe(dir);
    } finally {
      fd.close();
    }
  });

  it('shows the real directory when the path goes through a symlink', () => {
    const dir = temp();
    mkdirSync(join(dir, 'real'));
    symlinkSync(join(dir, 'real'), join(dir, 'link'));
    const { fd, realPath } = pinDirectory(join(dir, 'link'));
    fd.close();
    expect(realPath).toBe(join(dir, 'real'));
  });

  it('keeps the original directory when a symlink is swapped in after pinning', () => {
    const dir = temp();
    mkdirSync(join(dir, 'project'));
    mkdirSync(join(dir, 'elsewhere'));
    const { fd } = pinDirectory(join(dir, 'project'));
    try {
      renameSync(join(dir, 'project'), join(dir, 'moved'));
      symlinkSync(join(dir, 'elsewhere'), join(dir, 'project'));
      expect(readlinkSync(`/proc/self/fd/${fd.fd}`)).toBe(join(dir, 'moved'));
    } finally {
      fd.close();
    }
  });

  it('fails as Node does, with nothing left open', () => {
    const dir = temp();
    writeFileSync(join(dir, 'file'), '');
    expect(() => pinDirectory(join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'open', path: join(dir, 'missing') }));
    expect(() => pinDirectory(join(dir, 'file'))).toThrow(expect.objectContaining({ code: 'ENOTDIR', syscall: 'open' }));
  });
});

describe('programIdentity', () => {
  it('is the file stat(2) finds, through symlinks, and changes when the file is replaced', () => {
    const dir = temp();
    const tool = join(dir, 'tool');
    writeFileSync(tool, '#!/bin/sh\n');
    symlinkSync(tool, join(dir, 'alias'));
    const st = statSync(tool, { bigint: true });
    const before = programIdentity(tool);
    expect(before).toEqual({ dev: st.dev, ino: st.ino });
    expect(programIdentity(join(dir, 'alias'))).toEqual(before);
    writeFileSync(join(dir, 'other'), '#!/bin/sh\n');
    renameSync(join(dir, 'other'), tool);
    expect(programIdentity(tool).ino).not.toBe(before.ino);
    expect(() => programIdentity(join(dir, 'missing'))).toThrow(expect.objectContaining({ code: 'ENOENT', syscall: 'stat' }));
  });
});
