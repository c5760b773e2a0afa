import { lstatSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { publishFile } from '../../../src/runtime/publish-file.js';
import { tempDir } from '../../helpers/execgate.js';

describe('publishFile', () => {
  it('replaces the name in one step: a new inode with the whole content, never the old one written over', () => {
    const dir = tempDir('eg-publish-');
    const file = join(dir, 'socket-path');
    writeFileSync(file, 'old-and-longer-content\n');
    const before = statSync(file).ino;
    publishFile(file, '/run/x/control.sock\n');
    expect(readFileSync(file, 'utf8')).toBe('/run/x/control.sock\n');
    // an in-place write (what a poller could catch half done) keeps the inode
    expect(statSync(file).ino).not.toBe(before);
  });

  it('has its final mode from the start, whatever the umask', () => {
    const dir = tempDir('eg-publish-');
    const file = join(dir, 'url');
    const old = process.umask(0o077);
    try {
      publishFile(file, 'x', 0o644);
    } finally {
      process.umask(old);
    }
    expect(statSync(file).mode & 0o777).toBe(0o644);
    publishFile(file, 'y');
    expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('does not write through a symlink planted at its temporary name', () => {
    const dir = tempDir('eg-publish-');
    const file = join(dir, 'url');
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'untouched');
    symlinkSync(victim, `${file}.${process.pid}.tmp`);
    publishFile(file, 'secret');
    expect(readFileSync(victim, 'utf8')).toBe('untouched');
    expect(lstatSync(file).isSymbolicLink()).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('secret');
  });
});
