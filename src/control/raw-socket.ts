// A unix stream socket set up by Node's net (listen, accept, connect) and
// then read and written only through the addon, so that messages can carry
// fds (SCM_RIGHTS), which net cannot. The net.Socket is kept paused, so libuv
// never reads from it, and only owns the fd's closing.
import type { Socket } from 'node:net';
import { loadAddon, type Addon, type Watcher } from '../native/addon.js';
import { FrameReader, encodeFrame, type Frame } from '../protocol/frame.js';

/** Control messages are small JSON documents (a pending list included). */
export const MAX_CONTROL_FRAME = 8 * 1024 * 1024;

export class RawSocket {
  private readonly addon: Addon = loadAddon();
  private readonly fd: number;
  private readonly watcher: Watcher;
  private readonly reader = new FrameReader(MAX_CONTROL_FRAME);
  private outbox: Buffer[] = [];
  private outFds: number[] | null = null;
  private closed = false;

  constructor(
    private readonly socket: Socket,
    private readonly onFrame: (frame: Frame) => void,
    private readonly onClose: (why: string | null) => void,
  ) {
    socket.pause();
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (typeof fd !== 'number' || fd < 0) throw new Error('control socket has no fd');
    this.fd = fd;
    this.watcher = new this.addon.Watcher(fd, (ev) => {
      if (ev.writable) this.flush();
      if (ev.readable || ev.hangup || ev.error) this.pump();
    });
    this.watcher.start(true, false);
  }

  /** Queues a JSON message (and fds, sent with its first byte). The fds stay
   * the caller's: they are duplicated into the message by the kernel. */
  send(message: unknown, fds: number[] = []): void {
    if (this.closed) return;
    const frame = encodeFrame(Buffer.from(JSON.stringify(message)));
    if (fds.length > 0) {
      // fds ride only with the first byte of a frame: send what is queued first.
      this.flush();
      if (this.outbox.length > 0) throw new Error('cannot send fds behind a backlog');
      const n = this.trySend(frame, fds);
      if (n < frame.length) this.outbox.push(frame.subarray(Math.max(n, 0)));
      if (n <= 0) this.outFds = fds;
    } else {
      this.outbox.push(frame);
    }
    this.flush();
  }

  close(why: string | null = null): void {
    if (this.closed) return;
    this.closed = true;
    this.watcher.close();
    for (const fd of this.reader.takeFds()) this.addon.close(fd);
    this.socket.destroy();
    this.onClose(why);
  }

  private trySend(data: Buffer, fds: number[]): number {
    try {
      return this.addon.send(this.fd, data, fds);
    } catch (err) {
      if ((err as { code?: string }).code === 'EAGAIN') return 0;
      this.close(`write failed: ${(err as Error).message}`);
      return -1;
    }
  }

  private flush(): void {
    while (!this.closed && this.outbox.length > 0) {
      const head = this.outbox[0]!;
      const n = this.trySend(head, this.outFds ?? []);
      if (n < 0) return;
      if (n > 0) this.outFds = null;
      if (n < head.length) {
        this.outbox[0] = head.subarray(n);
        this.watcher.start(true, true);
        return;
      }
      this.outbox.shift();
    }
    if (!this.closed) this.watcher.start(true, false);
  }

  private pump(): void {
    while (!this.closed) {
      let r;
      try {
        r = this.addon.recv(this.fd, 64 * 1024, 8);
      } catch (err) {
        return this.close(`read failed: ${(err as Error).message}`);
      }
      if (r === null) return;
      if (r.excess > 0) {
        r.fds.forEach((fd) => this.addon.close(fd));
        return this.close('too many fds');
      }
      if (r.data.length === 0) {
        r.fds.forEach((fd) => this.addon.close(fd));
        return this.close(null);
      }
      try {
        this.reader.push(r.data, r.fds);
        for (let f = this.reader.next(); f && !this.closed; f = this.reader.next()) this.onFrame(f);
      } catch (err) {
        return this.close((err as Error).message);
      }
    }
  }
}

export function parseJson(frame: Frame): Record<string, unknown> | null {
  try {
    const v = JSON.parse(frame.payload.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Record<string, unknown>) : null;
  } catch {
    return null;
  }
}
