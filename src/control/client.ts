// Connecting to a broker's control socket from another process (`execgate
// approve`, tests): JSON ops out, JSON replies and events in.
import { loadAddon } from '../native/addon.js';
import { Fd } from '../native/fd.js';
import { FramedSocket } from '../native/framed-socket.js';
import { MAX_CONTROL_FRAME } from '../protocol/limits.js';
import { candidateSockets } from './paths.js';
import { parseFrame } from './server.js';

type Listener = (m: Record<string, unknown>, fds: Fd[]) => void;

export class ControlConnection {
  private readonly waiters: ((m: Record<string, unknown>, fds: Fd[]) => boolean)[] = [];
  /** Waiting for a binary reply (a Launched). */
  private binaryWaiter: ((payload: Buffer, fds: Fd[]) => void) | null = null;
  private readonly listeners: Listener[] = [];
  private closeListeners: ((why: string | null) => void)[] = [];
  private ended = false;

  private constructor(private readonly sock: FramedSocket) {
    void this.readLoop();
  }

  static async open(path: string): Promise<ControlConnection> {
    return new ControlConnection(new FramedSocket(new Fd(loadAddon().connect(path, 'stream')), { maxFrame: MAX_CONTROL_FRAME }));
  }

  send(message: unknown, fds?: readonly Fd[]): void {
    this.sock.send(Buffer.from(JSON.stringify(message)), fds);
  }

  /** Sends a message and resolves with the first reply of the given type
   * (its fds are the caller's to close). */
  request(message: unknown, replyType: string): Promise<{ message: Record<string, unknown>; fds: Fd[] }> {
    return new Promise((resolve, reject) => {
      if (this.ended) return reject(new Error('the broker closed the control connection'));
      const onClose = () => reject(new Error('the broker closed the control connection'));
      this.closeListeners.push(onClose);
      this.waiters.push((m, fds) => {
        if (m.type !== replyType && m.type !== 'error') return false;
        this.closeListeners = this.closeListeners.filter((l) => l !== onClose);
        if (m.type === 'error') {
          fds.forEach((f) => f.close());
          reject(new Error(String(m.error)));
        } else resolve({ message: m, fds });
        return true;
      });
      this.send(message);
    });
  }

  /** Sends a Launch (raw protobuf bytes) and resolves with the Launched
   * frame that answers it (its fds are the caller's to close). */
  launch(payload: Buffer): Promise<{ payload: Buffer; fds: Fd[] }> {
    return new Promise((resolve, reject) => {
      if (this.ended) return reject(new Error('the broker closed the control connection'));
      const onClose = () => reject(new Error('the broker closed the control connection'));
      this.closeListeners.push(onClose);
      this.binaryWaiter = (reply, fds) => {
        this.closeListeners = this.closeListeners.filter((l) => l !== onClose);
        resolve({ payload: reply, fds });
      };
      this.sock.send(payload);
    });
  }

  /** Every message no request waits for (their fds are closed after). */
  on(listener: Listener): void {
    this.listeners.push(listener);
  }

  onClose(listener: (why: string | null) => void): void {
    this.closeListeners.push(listener);
  }

  close(): void {
    this.sock.close();
  }

  private async readLoop(): Promise<void> {
    let why: string | null = null;
    try {
      for (;;) {
        const frame = await this.sock.next();
        if (frame === null) break;
        const parsed = parseFrame(frame.payload);
        if (parsed?.kind === 'binary' && this.binaryWaiter) {
          const w = this.binaryWaiter;
          this.binaryWaiter = null;
          w(parsed.payload, frame.fds);
          continue;
        }
        if (parsed?.kind !== 'json') {
          frame.fds.forEach((f) => f.close());
          continue;
        }
        const i = this.waiters.findIndex((w) => w(parsed.op, frame.fds));
        if (i >= 0) {
          this.waiters.splice(i, 1);
          continue;
        }
        this.listeners.forEach((l) => l(parsed.op, frame.fds));
        frame.fds.forEach((f) => f.close());
      }
    } catch (err) {
      why = (err as Error).message;
    } finally {
      this.ended = true;
      this.sock.close();
      this.closeListeners.forEach((l) => l(why));
    }
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
