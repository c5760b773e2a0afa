// Protobuf's wire format, by hand: the few primitives the messages of
// execgate.proto need, with the same strictness as the wrapper's C codec
// (native/wrapper/codec.h): unknown fields of wire types 0, 1, 2 and 5 are
// skipped, groups and unknown wire types are refused, a known field with the
// wrong wire type is refused, varints over 10 bytes are refused. No
// reflection and no allocation beyond the views handed out: decoding is the
// trust boundary and sits on the path of every exec.

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

export const WT_VARINT = 0;
export const WT_I64 = 1;
export const WT_LEN = 2;
export const WT_I32 = 5;

/** One field as read: its number, wire type, and value (a number for
 * varints, the low 32 bits kept as an unsigned integer; a view for
 * length-delimited fields). */
export interface Field {
  num: number;
  wt: number;
  /** VARINT: low 32 bits, unsigned. I64/I32: 0 (no field of ours uses them). */
  int: number;
  /** LEN: start and end offsets in the reader's buffer. */
  start: number;
  end: number;
}

export class Reader {
  pos: number;

  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
  ) {
    this.pos = start;
  }

  /** Reads the next field into `f`; false at the end of the body. */
  next(f: Field): boolean {
    if (this.pos >= this.end) return false;
    const tag = this.varint();
    const wt = tag & 7;
    const num = Math.floor(tag / 8);
    if (num === 0) throw new ProtocolError('field number 0');
    f.num = num;
    f.wt = wt;
    f.int = 0;
    f.start = f.end = 0;
    switch (wt) {
      case WT_VARINT:
        this.varint();
        f.int = this.low32;
        break;
      case WT_I64:
        this.skip(8);
        break;
      case WT_I32:
        this.skip(4);
        break;
      case WT_LEN: {
        const n = this.varint();
        if (n > this.end - this.pos) throw new ProtocolError('length-delimited field runs past the end');
        f.start = this.pos;
        f.end = this.pos + n;
        this.pos += n;
        break;
      }
      default:
        throw new ProtocolError(`wire type ${wt} is not accepted`);
    }
    return true;
  }

  /** The low 32 bits of the last varint read, exactly (values keep only
   * these, as every runtime does for (u)int32 fields). */
  private low32 = 0;

  /** A varint as a JS number, exact up to 2^53 (tags and lengths; a length
   * beyond that is beyond any buffer and refused by the caller). */
  private varint(): number {
    let result = 0;
    let scale = 1;
    let low = 0;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtocolError('truncated varint');
      const b = this.buf[this.pos++]!;
      if (i === 9 && b > 1) throw new ProtocolError('varint above 2^64-1');
      if (i < 5) low = (low | ((b & 0x7f) << (7 * i))) >>> 0;
      result += (b & 0x7f) * scale;
      scale *= 128;
      if ((b & 0x80) === 0) {
        this.low32 = low;
        return result;
      }
    }
    throw new ProtocolError('varint longer than 10 bytes');
  }

  private skip(n: number): void {
    if (n > this.end - this.pos) throw new ProtocolError('fixed-size field runs past the end');
    this.pos += n;
  }
}

/** Refuses a known field that came with another wire type. */
export function expectWireType(f: Field, wt: number, what: string): void {
  if (f.wt !== wt) throw new ProtocolError(`${what} has wire type ${f.wt}, expected ${wt}`);
}

/** A growable output buffer for encoders. */
export class Writer {
  private buf: Buffer;
  private len = 0;

  constructor(initial = 64) {
    this.buf = Buffer.allocUnsafe(initial);
  }

  private room(n: number): void {
    if (this.len + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.len + n));
    this.buf.copy(next, 0, 0, this.len);
    this.buf = next;
  }

  varint(v: number): this {
    // Negative int32s are sign-extended to 64 bits, as every runtime does.
    if (v < 0) {
      this.room(10);
      let lo = v >>> 0;
      let hi = 0xffffffff;
      for (let i = 0; i < 9; i++) {
        this.buf[this.len++] = (lo & 0x7f) | 0x80;
        lo = ((lo >>> 7) | (hi << 25)) >>> 0;
        hi >>>= 7;
      }
      this.buf[this.len++] = 1;
      return this;
    }
    this.room(10);
    while (v > 0x7f) {
      this.buf[this.len++] = (v % 128) | 0x80;
      v = Math.floor(v / 128);
    }
    this.buf[this.len++] = v;
    return this;
  }

  tag(num: number, wt: number): this {
    return this.varint(num * 8 + wt);
  }

  /** tag + length + bytes; an empty value is still written (repeated
   * entries must be). Callers skip empty singular fields themselves. */
  bytes(num: number, value: Uint8Array): this {
    this.tag(num, WT_LEN).varint(value.length);
    this.room(value.length);
    this.buf.set(value, this.len);
    this.len += value.length;
    return this;
  }

  string(num: number, value: string): this {
    return this.bytes(num, Buffer.from(value, 'utf8'));
  }

  /** A singular varint field, omitted when 0 (proto3). */
  uint(num: number, value: number): this {
    return value === 0 ? this : this.tag(num, WT_VARINT).varint(value);
  }

  /** An embedded message: its body is written by `body` into a new writer. */
  message(num: number, body: (w: Writer) => void): this {
    const inner = new Writer();
    body(inner);
    return this.bytes(num, inner.finish());
  }

  finish(): Buffer {
    return this.buf.subarray(0, this.len);
  }
}
