// Length-prefixed frames on a connection stream, with the fds that rode on
// them. The wrapper sends a frame's fds with its first byte, in one sendmsg
// within that frame. A read of a unix stream socket may take bytes sent
// before that sendmsg, but it ends with the first sendmsg that carried fds
// (the kernel stops there), so fds received in a read belong to the frame
// that holds the read's last byte: a Request and the Stdio sent right behind
// it arrive in one read, with the Stdio's fds.

export class FrameError extends Error {
  override name = 'FrameError';
}

export function encodeFrame(payload: Uint8Array): Buffer {
  const frame = Buffer.allocUnsafe(4 + payload.length);
  frame.writeUInt32BE(payload.length, 0);
  frame.set(payload, 4);
  return frame;
}

/** A frame's payload and the fds that rode on it: numbers here, owned fds
 * (native/fd.ts) where a FramedSocket hands them out. */
export interface Frame<F = number> {
  payload: Buffer;
  fds: F[];
}

interface PendingFds<F> {
  offset: number;
  fds: F[];
}

export class FrameReader<F = number> {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private consumed = 0; // stream offset of the first buffered byte
  private pendingFds: PendingFds<F>[] = [];

  constructor(private readonly maxFrame: number) {}

  /** How many bytes the current frame still needs (at least 1). */
  wanted(): number {
    if (this.buffered < 4) return 4 - this.buffered;
    const length = this.peekLength();
    return Math.max(1, 4 + length - this.buffered);
  }

  /** Adds one read's bytes and fds. Throws FrameError (the caller closes the
   * connection and every fd still held, via closeFds) on an oversize frame. */
  push(data: Buffer, fds: F[]): void {
    if (fds.length > 0) this.pendingFds.push({ offset: this.consumed + this.buffered + Math.max(data.length - 1, 0), fds });
    if (data.length > 0) {
      this.chunks.push(data);
      this.buffered += data.length;
    }
    if (this.buffered >= 4) {
      const length = this.peekLength();
      if (length > this.maxFrame) {
        throw new FrameError(`frame of ${length} bytes is over the ${this.maxFrame}-byte limit`);
      }
    }
  }

  /** The next complete frame, or null. */
  next(): Frame<F> | null {
    if (this.buffered < 4) return null;
    const length = this.peekLength();
    if (this.buffered < 4 + length) return null;
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks, this.buffered);
    const start = this.consumed;
    const end = start + 4 + length;
    const payload = all.subarray(4, 4 + length);
    const rest = all.subarray(4 + length);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    this.consumed = end;
    const fds: F[] = [];
    this.pendingFds = this.pendingFds.filter((p) => {
      if (p.offset >= start && p.offset < end) {
        fds.push(...p.fds);
        return false;
      }
      return true;
    });
    return { payload, fds };
  }

  /** True when bytes of an unfinished frame are buffered (EOF now = truncation). */
  hasPartial(): boolean {
    return this.buffered > 0;
  }

  /** Bytes held: what frames not yet handed out take. */
  get bufferedBytes(): number {
    return this.buffered;
  }

  /** Fds received but not yet handed out with a frame: the caller closes them. */
  takeFds(): F[] {
    const fds = this.pendingFds.flatMap((p) => p.fds);
    this.pendingFds = [];
    return fds;
  }

  private peekLength(): number {
    const head = this.chunks[0]!;
    if (head.length >= 4) return head.readUInt32BE(0);
    return Buffer.concat(this.chunks).readUInt32BE(0);
  }
}
