// The run table (execgate.proto, "Run table"): the file `table` in a session
// directory, from which the wrapper decides Run by itself for programs no
// rule can match. The broker publishes it; the wrapper (native/wrapper/main.c)
// reads it on every exec. Layout, integers little-endian u32:
//     "EGT1" | generation | flags | count | count x (u8 length, name bytes)
// A table decides nothing about the host: a forged or stale one can only make
// things run in the sandbox, so whatever cannot be written faithfully becomes
// a table that lets nothing run without asking.
import { MAX_RUN_TABLE_BYTES } from './limits.js';

export const RUN_TABLE_MAGIC = Buffer.from('EGT1', 'latin1');
/** flags bit 0: a program whose file name is not listed may run unasked. */
export const RUN_TABLE_LOCAL_RUN = 1;
/** flags bit 1: each such run is recorded with an "EXR1" datagram. */
export const RUN_TABLE_RECORD = 2;
/** A name's length is one byte; an empty name could match nothing useful. */
export const MAX_RUN_TABLE_NAME = 255;

const HEADER_BYTES = 16;
const KNOWN_FLAGS = RUN_TABLE_LOCAL_RUN | RUN_TABLE_RECORD;

export interface RunTable {
  /** Bumped by the broker on every rewrite; the wrapper ignores it. */
  generation: number;
  localRun: boolean;
  record: boolean;
  /** File names (the bytes after the last '/') that a rule may match.
   * Strings are written as UTF-8. */
  names: readonly (Buffer | string)[];
}

/** The table's bytes. A name that is empty or over 255 bytes, or a table
 * over MAX_RUN_TABLE_BYTES, cannot be written as given: the result then has
 * LOCAL_RUN cleared and no names, so that every exec asks the broker. */
export function encodeRunTable({ generation, localRun, record, names }: RunTable): Buffer {
  if (!Number.isInteger(generation) || generation < 0 || generation > 0xffffffff) {
    throw new RangeError(`run table generation must be a u32, not ${generation}`);
  }
  let listed = names.map((n) => (typeof n === 'string' ? Buffer.from(n, 'utf8') : n));
  let size = HEADER_BYTES + listed.reduce((sum, n) => sum + 1 + n.length, 0);
  const writable = size <= MAX_RUN_TABLE_BYTES && listed.every((n) => n.length >= 1 && n.length <= MAX_RUN_TABLE_NAME);
  if (!writable) {
    listed = [];
    size = HEADER_BYTES;
  }
  const flags = (localRun && writable ? RUN_TABLE_LOCAL_RUN : 0) | (record ? RUN_TABLE_RECORD : 0);
  const out = Buffer.allocUnsafe(size);
  RUN_TABLE_MAGIC.copy(out, 0);
  out.writeUInt32LE(generation, 4);
  out.writeUInt32LE(flags, 8);
  out.writeUInt32LE(listed.length, 12);
  let at = HEADER_BYTES;
  for (const name of listed) {
    out[at++] = name.length;
    name.copy(out, at);
    at += name.length;
  }
  return out;
}

/** The table in buf, or null wherever the wrapper would not use it and ask
 * instead: short, over the cap, another magic, unknown flag bits, a count or
 * length that overruns, an empty name, bytes after the last name. A valid
 * table without LOCAL_RUN decodes (localRun false). Names are views of buf. */
export function decodeRunTable(buf: Uint8Array): RunTable | null {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  if (b.length < HEADER_BYTES || b.length > MAX_RUN_TABLE_BYTES) return null;
  if (!b.subarray(0, 4).equals(RUN_TABLE_MAGIC)) return null;
  const generation = b.readUInt32LE(4);
  const flags = b.readUInt32LE(8);
  const count = b.readUInt32LE(12);
  if ((flags & ~KNOWN_FLAGS) !== 0) return null;
  const names: Buffer[] = [];
  let at = HEADER_BYTES;
  for (let i = 0; i < count; i++) {
    if (at >= b.length) return null;
    const length = b[at++]!;
    if (length === 0 || length > b.length - at) return null;
    names.push(b.subarray(at, at + length));
    at += length;
  }
  if (at !== b.length) return null;
  return { generation, localRun: (flags & RUN_TABLE_LOCAL_RUN) !== 0, record: (flags & RUN_TABLE_RECORD) !== 0, names };
}
