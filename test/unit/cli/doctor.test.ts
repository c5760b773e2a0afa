import { afterAll, describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { elfLinking } from '../../../src/cli/doctor-elf.js';
import { APPARMOR_FIX, bwrapFailureFix, type UsernsSwitch } from '../../../src/sandbox/bwrap-check.js';

const dir = mkdtempSync(join(tmpdir(), 'eg-elf-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A minimal ELF with the given program header types (an interpreter path
 * after the headers for PT_INTERP). */
function elf(name: string, opts: { is64: boolean; le: boolean; types: number[] }): string {
  const ehsize = opts.is64 ? 64 : 52;
  const phentsize = opts.is64 ? 56 : 32;
  const interp = Buffer.from('/lib/ld-test.so.1\0');
  const interpAt = ehsize + phentsize * opts.types.length;
  const b = Buffer.alloc(interpAt + interp.length);
  b.writeUInt32BE(0x7f454c46, 0);
  b[4] = opts.is64 ? 2 : 1;
  b[5] = opts.le ? 1 : 2;
  const u16 = (v: number, o: number) => (opts.le ? b.writeUInt16LE(v, o) : b.writeUInt16BE(v, o));
  const u32 = (v: number, o: number) => (opts.le ? b.writeUInt32LE(v, o) : b.writeUInt32BE(v, o));
  const addr = (v: number, o: number) => (opts.is64 ? (opts.le ? b.writeBigUInt64LE(BigInt(v), o) : b.writeBigUInt64BE(BigInt(v), o)) : u32(v, o));
  addr(ehsize, opts.is64 ? 0x20 : 0x1c);
  u16(phentsize, opts.is64 ? 0x36 : 0x2a);
  u16(opts.types.length, opts.is64 ? 0x38 : 0x2c);
  opts.types.forEach((t, i) => {
    const ph = ehsize + i * phentsize;
    u32(t, ph);
    addr(interpAt, ph + (opts.is64 ? 8 : 4));
    addr(interp.length, ph + (opts.is64 ? 32 : 16));
  });
  interp.copy(b, interpAt);
  const path = join(dir, name);
  writeFileSync(path, b);
  return path;
}

describe('elfLinking', () => {
  it('finds the interpreter of a dynamic executable, in either class and byte order', () => {
    for (const is64 of [true, false]) {
      for (const le of [true, false]) {
        expect(elfLinking(elf(`dyn-${is64}-${le}`, { is64, le, types: [6, 3, 1] }))).toEqual({ elf: true, interpreter: '/lib/ld-test.so.1' });
      }
    }
  });

  it('calls an executable without PT_INTERP static (a static-pie has PT_DYNAMIC, no interpreter)', () => {
    expect(elfLinking(elf('static', { is64: true, le: true, types: [1, 1, 2] }))).toEqual({ elf: true, interpreter: null });
  });

  it('says what a file is when it is no ELF executable', () => {
    writeFileSync(join(dir, 'script'), '#!/bin/sh\necho hi\n');
    expect(elfLinking(join(dir, 'script'))).toEqual({ elf: false, why: 'not an ELF file' });
    writeFileSync(join(dir, 'short'), '\x7fEL');
    expect(elfLinking(join(dir, 'short'))).toEqual({ elf: false, why: 'shorter than an ELF header' });
  });

  it('reads a real dynamic executable', () => {
    const r = elfLinking('/usr/bin/true');
    expect(r.elf && r.interpreter).toMatch(/ld-/);
  });
});

describe('bwrapFailureFix', () => {
  const sw = (name: string, value: string, blocks: boolean): UsernsSwitch => ({ name, value, blocks, fix: `fix ${name}` });

  it('names the switch that blocks user namespaces', () => {
    expect(bwrapFailureFix('bwrap: setting up uid map: Permission denied', [sw('user.max_user_namespaces', '100', false), sw('kernel.apparmor_restrict_unprivileged_userns', '1', true)])).toBe(
      'kernel.apparmor_restrict_unprivileged_userns = 1: fix kernel.apparmor_restrict_unprivileged_userns',
    );
    expect(bwrapFailureFix('bwrap: No permissions to creating new namespace', [sw('kernel.unprivileged_userns_clone', '0', true)])).toBe('kernel.unprivileged_userns_clone = 0: fix kernel.unprivileged_userns_clone');
  });

  it("recognises AppArmor's denial from bwrap's message alone", () => {
    expect(bwrapFailureFix('bwrap: loopback: Failed RTM_NEWADDR: Operation not permitted', [])).toBe(APPARMOR_FIX);
    expect(APPARMOR_FIX).toContain('userns,');
    expect(APPARMOR_FIX).toContain('kernel.apparmor_restrict_unprivileged_userns=0');
  });

  it('says nothing it does not know', () => {
    expect(bwrapFailureFix('bwrap: something else', [sw('user.max_user_namespaces', '100', false)])).toBeNull();
  });
});
