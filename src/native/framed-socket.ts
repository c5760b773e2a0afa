// A stream socket that speaks length-prefixed frames and owns everything it
// touches: its fd, its watcher, the bytes of unfinished frames and every fd
// that arrives (as an Fd, from the moment recvmsg returns it). The exec
// connections and the control socket both use it, so there is one receive
// loop and one place where fds are closed.
//
// Reading is pull-based: `take()` hands out what already arrived without
// waiting (a wrapper writes its request before handing over the
// connection, so the Run path needs no watcher), `next()` waits. Frames are
// not read ahead of the one being waited for beyond what one recv brings,
// so a peer cannot make the socket hold more than a frame and a read.
import { loadAddon, type Addon } from './addon.js';
import { Fd } from './fd.js';
import { FdWatcher } from './watcher.js';
import { FrameError, FrameReader, encodeFrame } from '../protocol/frame.js';
import { MAX_FDS_PER_MESSAGE, READ_CHUNK } from '../protocol/limits.js';

export { FrameError } from '../protocol/frame.js';

export interface OwnedFrame {
  payload: Buffer;
  /** Owned by whoever takes the frame: close them on every path. */
  fds: Fd[];
}

/** Bytes held across several sockets (one session's connections): a peer
 * that opens many connections cannot hold more than the limit in total. */
export class ByteBudget {
  private used = 0;

  constructor(
    readonly limit: number,
    private readonly what: string,
  ) {}

  get inUse(): number {
    return this.used;
  }

  take(n: number): void {
    if (this.used + n > this.limit) throw new FrameError(`${this.what}: more than ${this.limit} bytes held at once`);
    this.used += n;
  }

  give(n: number): void {
    this.used -= n;
  }
}

export class DeadlineError extends Error {
  override name = 'DeadlineError';
}

export interface FramedSocketOptions {
  maxFrame: number;
  /** Shared with other sockets; this one's buffered bytes count against it. */
  budget?: ByteBudget;
  /** A frame begun must be complete within this time (slow senders). */
  frameDeadlineMs?: number;
}

type End = { kind: 'eof' } | { kind: 'error'; error: Error };

export class FramedSocket {
  readonly #addon: Addon = loadAddon();
  readonly #fd: Fd;
  readonly #reader: FrameReader<Fd>;
  readonly #opts: FramedSocketOptions;
  #watcher: FdWatcher | null = null;
  #charged = 0;
  #end: End | null = null;
  #waiter: { resolve: (f: OwnedFrame | null) => void; reject: (e: Error) => void; timer: NodeJS.Timeout | null } | null = null;
  #frameTimer: NodeJS.Timeout | null = null;
  #outbox: Buffer[] = [];
  #closed = false;

  /** Takes ownership of fd (a connected stream socket). */
  constructor(fd: Fd, opts: FramedSocketOptions) {
    this.#fd = fd;
    this.#opts = opts;
    this.#reader = new FrameReader<Fd>(opts.maxFrame);
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The next frame if it is already here (reading what the kernel holds,
   * without waiting): the frame, null when none is complete yet, 'eof' at an
   * orderly end of stream; throws when the stream broke (FrameError). */
  take(): OwnedFrame | null | 'eof' {
    this.#pump();
    const frame = this.#nextBuffered();
    if (frame) return frame;
    if (this.#end?.kind === 'error') throw this.#end.error;
    return this.#end ? 'eof' : null;
  }

  /** The next frame: null at an orderly end of stream (or once closed);
   * rejects with FrameError when the stream broke or the peer misbehaved,
   * DeadlineError after timeoutMs. One waiter at a time. */
  next(timeoutMs?: number): Promise<OwnedFrame | null> {
    if (this.#waiter) return Promise.reject(new Error('FramedSocket.next: already waiting'));
    let got: OwnedFrame | null | 'eof';
    try {
      got = this.take();
    } catch (err) {
      return Promise.reject(err);
    }
    if (got === 'eof' || this.#closed) return Promise.resolve(null);
    if (got) return Promise.resolve(got);
    return new Promise((resolve, reject) => {
      const timer = timeoutMs === undefined ? null : setTimeout(() => this.#settle({ error: new DeadlineError(`nothing within ${timeoutMs} ms`) }), timeoutMs);
      this.#waiter = { resolve, reject, timer };
      this.#watch();
    });
  }

  /** Queues one frame (and fds on its first byte; they stay the caller's:
   * the kernel copies them into the message). Frames with fds go out at
   * once or not at all: on a stream with a backlog, or one whose peer is not
   * reading, the stream is broken rather than the fds kept for later.
   * A broken stream ends the socket (seen by next()). */
  send(payload: Uint8Array, fds: readonly Fd[] = []): void {
    if (this.#closed || this.#end?.kind === 'error') return;
    const frame = encodeFrame(payload);
    if (fds.length > 0) {
      const n = this.#outbox.length > 0 ? 0 : this.#trySend(frame, fds.map((f) => f.fd));
      if (n === 0) {
        this.#fail(new FrameError('could not send fds: the peer is not reading'));
      } else if (n > 0 && n < frame.length) this.#queue(frame.subarray(n));
      return;
    }
    if (this.#outbox.length === 0) {
      const n = this.#trySend(frame, []);
      if (n < frame.length && n >= 0) this.#queue(frame.subarray(n));
      return;
    }
    this.#queue(frame);
  }

  /** Closes the socket and everything it still holds: the watcher, the fd,
   * fds that arrived with frames nobody took. A waiting next() gets null. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#settle(null);
    if (this.#frameTimer) clearTimeout(this.#frameTimer);
    for (const fd of this.#reader.takeFds()) fd.close();
    for (const f of this.#ready.splice(0)) f.fds.forEach((fd) => fd.close());
    this.#recharge();
    this.#outbox = [];
    this.#fd.close(); // closes the watcher first (it is attached to the Fd)
    this.#watcher = null;
  }

  // ---- reading ---------------------------------------------------------

  #pump(): void {
    // One frame at a time: nothing more is read while a frame waits to be taken.
    while (!this.#closed && !this.#end && this.#ready.length === 0) {
      let r;
      try {
        r = this.#addon.recv(this.#fd.fd, Math.max(this.#reader.wanted(), READ_CHUNK), MAX_FDS_PER_MESSAGE);
      } catch (err) {
        this.#fail(new FrameError(`read failed: ${(err as Error).message}`));
        return;
      }
      if (r === null) return;
      // Owned from here: whatever happens next, these are closed.
      const fds = r.fds.map((n) => new Fd(n));
      if (r.excess > 0) {
        fds.forEach((f) => f.close());
        this.#fail(new FrameError(`too many fds in one message (${r.fds.length + r.excess})`));
        return;
      }
      if (r.data.length === 0) {
        fds.forEach((f) => f.close());
        if (this.#reader.hasPartial()) this.#fail(new FrameError('connection closed mid-frame'));
        else this.#end = { kind: 'eof' };
        return;
      }
      try {
        this.#reader.push(r.data, fds);
        for (let f = this.#reader.next(); f; f = this.#reader.next()) this.#ready.push(f);
      } catch (err) {
        for (const f of [...fds, ...this.#reader.takeFds()]) if (!f.closed) f.close();
        this.#fail(err instanceof FrameError ? err : new FrameError(String(err)));
        return;
      }
      this.#recharge();
      this.#armFrameDeadline();
    }
  }

  /** Complete frames read but not yet taken (one recv may bring several). */
  #ready: OwnedFrame[] = [];

  #nextBuffered(): OwnedFrame | null {
    const f = this.#ready.shift() ?? null;
    if (f) this.#recharge();
    return f;
  }

  #watch(): void {
    if (this.#closed) return;
    if (!this.#watcher) {
      this.#watcher = new FdWatcher(this.#fd, () => this.#onReadable());
    }
    this.#watcher.start(true, this.#outbox.length > 0);
  }

  #onReadable(): void {
    if (this.#outbox.length > 0) this.#flush();
    if (!this.#waiter) {
      // Nobody is reading: only the outbox needs the watcher.
      if (!this.#closed) this.#watcher?.start(false, this.#outbox.length > 0);
      return;
    }
    let got: OwnedFrame | null | 'eof';
    try {
      got = this.take();
    } catch (err) {
      this.#settle({ error: err as Error });
      return;
    }
    if (got === 'eof') this.#settle(null);
    else if (got) this.#settle(got);
    else if (!this.#closed) this.#watcher?.start(true, this.#outbox.length > 0);
  }

  #settle(result: OwnedFrame | null | { error: Error }): void {
    const w = this.#waiter;
    if (!w) {
      if (result && 'payload' in result) result.fds.forEach((f) => f.close());
      return;
    }
    this.#waiter = null;
    if (w.timer) clearTimeout(w.timer);
    if (!this.#closed && this.#outbox.length === 0) this.#watcher?.stop();
    if (result && 'error' in result) w.reject(result.error);
    else w.resolve(result);
  }

  /** The stream is broken: remembered (take() throws it from now on) and
   * given to whoever waits. */
  #fail(error: Error): void {
    if (!this.#end || this.#end.kind === 'eof') this.#end = { kind: 'error', error };
    this.#settle({ error });
  }

  /** Counts what is held (unfinished frame + frames not yet taken)
   * against the shared budget; over it, the stream is broken. */
  #recharge(): void {
    const budget = this.#opts.budget;
    if (!budget) return;
    const bytes = this.#closed ? 0 : this.#reader.bufferedBytes + this.#ready.reduce((n, f) => n + f.payload.length, 0);
    budget.give(this.#charged);
    this.#charged = 0;
    try {
      budget.take(bytes);
      this.#charged = bytes;
    } catch (err) {
      this.#fail(err as Error);
    }
  }

  #armFrameDeadline(): void {
    const ms = this.#opts.frameDeadlineMs;
    if (ms === undefined) return;
    if (!this.#reader.hasPartial()) {
      if (this.#frameTimer) clearTimeout(this.#frameTimer);
      this.#frameTimer = null;
      return;
    }
    this.#frameTimer ??= setTimeout(() => {
      this.#frameTimer = null;
      this.#fail(new DeadlineError(`a frame begun was not finished within ${ms} ms`));
    }, ms);
  }

  // ---- writing ---------------------------------------------------------

  #trySend(data: Buffer, fds: number[]): number {
    try {
      return this.#addon.send(this.#fd.fd, data, fds);
    } catch (err) {
      if ((err as { code?: string }).code === 'EAGAIN') return 0;
      this.#fail(new FrameError(`write failed: ${(err as Error).message}`));
      return -1;
    }
  }

  #queue(rest: Buffer): void {
    this.#outbox.push(rest);
    if (!this.#watcher) this.#watcher = new FdWatcher(this.#fd, () => this.#onReadable());
    this.#watcher.start(this.#waiter !== null, true);
  }

  #flush(): void {
    while (!this.#closed && this.#outbox.length > 0) {
      const head = this.#outbox[0]!;
      const n = this.#trySend(head, []);
      if (n < 0) return;
      if (n < head.length) {
        this.#outbox[0] = head.subarray(n);
        return;
      }
      this.#outbox.shift();
    }
  }
}
