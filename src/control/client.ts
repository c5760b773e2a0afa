// Connecting to a broker's control socket from another process.
import { connect } from 'node:net';
import type { Frame } from '../protocol/frame.js';
import { candidateSockets } from './paths.js';
import { RawSocket, parseJson } from './raw-socket.js';

export class ControlConnection {
  private readonly waiters: ((m: Record<string, unknown>, fds: number[]) => boolean)[] = [];
  private listeners: ((m: Record<string, unknown>, fds: number[]) => void)[] = [];
  private closeListeners: ((why: string | null) => void)[] = [];
  private raw!: RawSocket;

  static open(path: string): Promise<ControlConnection> {
    return new Promise((resolve, reject) => {
      const socket = connect({ path });
      // Paused before connecting: libuv must never read this socket itself.
      socket.pause();
      socket.once('error', reject);
      socket.once('connect', () => {
        socket.off('error', reject);
        const c = new ControlConnection();
        c.raw = new RawSocket(socket, (f) => c.dispatch(f), (why) => c.closeListeners.forEach((l) => l(why)));
        resolve(c);
      });
    });
  }

  send(message: unknown, fds?: number[]): void {
    this.raw.send(message, fds);
  }

  /** Sends a message and resolves with the first reply of the given type. */
  request(message: unknown, replyType: string): Promise<{ message: Record<string, unknown>; fds: number[] }> {
    return new Promise((resolve, reject) => {
      const onClose = () => reject(new Error('the broker closed the control connection'));
      this.closeListeners.push(onClose);
      this.waiters.push((m, fds) => {
        if (m.type !== replyType && m.type !== 'error') return false;
        this.closeListeners = this.closeListeners.filter((l) => l !== onClose);
        if (m.type === 'error') reject(new Error(String(m.error)));
        else resolve({ message: m, fds });
        return true;
      });
      this.send(message);
    });
  }

  on(listener: (m: Record<string, unknown>, fds: number[]) => void): void {
    this.listeners.push(listener);
  }

  onClose(listener: (why: string | null) => void): void {
    this.closeListeners.push(listener);
  }

  close(): void {
    this.raw.close();
  }

  private dispatch(frame: Frame): void {
    const m = parseJson(frame);
    if (m === null) return;
    const i = this.waiters.findIndex((w) => w(m, frame.fds));
    if (i >= 0) {
      this.waiters.splice(i, 1);
      return;
    }
    this.listeners.forEach((l) => l(m, frame.fds));
  }
}

/** The control socket to use: the given one, or the only live broker's. */
export async function findBroker(explicit?: string): Promise<ControlConnection> {
  if (explicit) return ControlConnection.open(explicit);
  const live: { path: string; conn: ControlConnection }[] = [];
  for (const path of candidateSockets()) {
    try {
      live.push({ path, conn: await ControlConnection.open(path) });
    } catch {
      // A broker that has gone: its directory is stale.
    }
  }
  if (live.length === 1) return live[0]!.conn;
  live.forEach((l) => l.conn.close());
  if (live.length === 0) throw new Error('no running execgate broker found (is `execgate shell` or `execgate serve` running as this user?)');
  throw new Error(`several brokers are running; choose one with --socket:\n  ${live.map((l) => l.path).join('\n  ')}`);
}
