// The broker's control socket: how humans (execgate approve, the tmux popup)
// and launchers (the native launcher behind `execgate shell --broker`) talk
// to a running broker. Frames are length-prefixed: a JSON op when the
// payload begins with '{', else a Launch (execgate.proto); see docs/protocol.md.
// It lives in the broker's private directory, never bound into a sandbox.
import { removeDirSync } from '../runtime/remove-dir.js';
import { join } from 'node:path';
import { loadAddon } from '../native/addon.js';
import { Fd } from '../native/fd.js';
import { FramedSocket, type OwnedFrame } from '../native/framed-socket.js';
import { FdWatcher } from '../native/watcher.js';
import { MAX_CONTROL_FRAME } from '../protocol/limits.js';
import { makeBrokerDir } from './paths.js';

export interface ControlClient {
  /** The process that connected (SO_PEERCRED, at connect time). */
  readonly peer: { pid: number; uid: number; gid: number };
  /** Sends a JSON message, or raw bytes (a Launched), with fds that stay the caller's. */
  send(message: unknown, fds?: readonly Fd[]): void;
  close(): void;
  onClose(cb: () => void): void;
}

/** One frame from a client: a JSON op, or raw bytes that are not JSON. The
 * fds are the handler's to close. */
export type ControlMessage = { kind: 'json'; op: Record<string, unknown> } | { kind: 'binary'; payload: Buffer };

export type ControlHandler = (client: ControlClient, message: ControlMessage, fds: Fd[]) => void;

export class ControlServer {
  private readonly clients = new Set<FramedSocket>();

  private constructor(
    /** The control socket's path. */
    readonly path: string,
    /** The broker's private directory (0700), which holds it. */
    readonly dir: string,
    private readonly listener: Fd,
    private readonly handler: ControlHandler,
  ) {
    const watcher = new FdWatcher(listener, () => this.acceptAll());
    watcher.start(true, false);
  }

  static listen(handler: ControlHandler): ControlServer {
    const dir = makeBrokerDir();
    const path = join(dir, 'control.sock');
    return new ControlServer(path, dir, new Fd(loadAddon().listen(path, 'stream', 64)), handler);
  }

  async close(): Promise<void> {
    this.listener.close();
    for (const c of [...this.clients]) c.close();
    removeDirSync(this.dir);
  }

  private acceptAll(): void {
    for (;;) {
      const n = loadAddon().accept(this.listener.fd);
      if (n === null) return;
      const fd = new Fd(n);
      let peer;
      try {
        peer = loadAddon().peerCredentials(n);
      } catch {
        fd.close();
        continue;
      }
      void this.serve(new FramedSocket(fd, { maxFrame: MAX_CONTROL_FRAME }), peer);
    }
  }

  private async serve(sock: FramedSocket, peer: ControlClient['peer']): Promise<void> {
    const closeCallbacks: (() => void)[] = [];
    const client: ControlClient = {
      peer,
      send: (m, fds) => sock.send(Buffer.isBuffer(m) ? m : Buffer.from(JSON.stringify(m)), fds),
      close: () => sock.close(),
      onClose: (cb) => closeCallbacks.push(cb),
    };
    this.clients.add(sock);
    try {
      for (;;) {
        let frame: OwnedFrame | null;
        try {
          frame = await sock.next();
        } catch {
          return; // a broken client: dropped, as if it hung up
        }
        if (frame === null) return;
        const message = parseFrame(frame.payload);
        if (message === null) {
          frame.fds.forEach((f) => f.close());
          client.send({ type: 'error', error: 'malformed message' });
          continue;
        }
        this.handler(client, message, frame.fds);
      }
    } finally {
      sock.close();
      this.clients.delete(sock);
      closeCallbacks.forEach((cb) => cb());
    }
  }
}

/** A JSON object when the payload begins with '{', raw bytes otherwise;
 * null for JSON that is not an object. */
export function parseFrame(payload: Buffer): ControlMessage | null {
  if (payload[0] !== 0x7b) return { kind: 'binary', payload };
  try {
    const v = JSON.parse(payload.toString('utf8')) as unknown;
    return typeof v === 'object' && v !== null && !Array.isArray(v) ? { kind: 'json', op: v as Record<string, unknown> } : null;
  } catch {
    return null;
  }
}
