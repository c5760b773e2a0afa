// Whether an executable is static: an ELF file with no PT_INTERP program
// header asks the kernel for no dynamic loader. (A static-pie has a dynamic
// section but no interpreter, and is static in the sense that matters: no
// loader, no LD_PRELOAD, nothing read from the sandbox's /lib.)
import { closeSync, openSync, readSync } from 'node:fs';

const PT_INTERP = 3;
/** The interpreter's path is short; a header claiming more is not believed. */
const MAX_INTERP_BYTES = 4096;
/** More program headers than this is not an executable we built. */
const MAX_PHNUM = 512;

export type ElfLinking = { elf: false; why: string } | { elf: true; interpreter: string | null };

export function elfLinking(path: string): ElfLinking {
  const fd = openSync(path, 'r');
  try {
    const read = (offset: number, length: number): Buffer => {
      const buf = Buffer.alloc(length);
      const got = readSync(fd, buf, 0, length, offset);
      if (got !== length) throw new RangeError(`${path}: truncated ELF file (wanted ${length} bytes at ${offset})`);
      return buf;
    };
    let ident: Buffer;
    try {
      ident = read(0, 16);
    } catch {
      return { elf: false, why: 'shorter than an ELF header' };
    }
    if (ident.readUInt32BE(0) !== 0x7f454c46) return { elf: false, why: 'not an ELF file' };
    const is64 = ident[4] === 2;
    const le = ident[5] === 1;
    if ((ident[4] !== 1 && !is64) || (ident[5] !== 1 && ident[5] !== 2)) return { elf: false, why: 'an ELF file of unknown class or byte order' };
    const h = read(0, is64 ? 64 : 52);
    const u16 = (b: Buffer, o: number) => (le ? b.readUInt16LE(o) : b.readUInt16BE(o));
    const u32 = (b: Buffer, o: number) => (le ? b.readUInt32LE(o) : b.readUInt32BE(o));
    const addr = (b: Buffer, o: number) => (is64 ? Number(le ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o));
    const phoff = addr(h, is64 ? 0x20 : 0x1c);
    const phentsize = u16(h, is64 ? 0x36 : 0x2a);
    const phnum = u16(h, is64 ? 0x38 : 0x2c);
    if (phnum > MAX_PHNUM || phentsize < (is64 ? 56 : 32)) return { elf: false, why: 'an ELF file with implausible program headers' };
    for (let i = 0; i < phnum; i++) {
      const ph = read(phoff + i * phentsize, phentsize);
      if (u32(ph, 0) !== PT_INTERP) continue;
      const offset = addr(ph, is64 ? 8 : 4);
      const size = Math.min(addr(ph, is64 ? 32 : 16), MAX_INTERP_BYTES);
      return { elf: true, interpreter: read(offset, size).toString('latin1').replace(/\0.*$/s, '') };
    }
    return { elf: true, interpreter: null };
  } finally {
    closeSync(fd);
  }
}
