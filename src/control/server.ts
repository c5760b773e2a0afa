// The broker's control socket: how humans (execgate approve, the tmux popup)
// and launchers (execgate shell --broker) talk to a running broker. Messages
// are length-prefixed JSON frames; see README "Control socket".
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { loadAddon } from '../native/addon.js';
import type { Frame } from '../protocol/frame.js';
import { makeBrokerDir } from './paths.js';
import { RawSocket, parseJson } from './raw-socket.js';

export interface ControlClient {
  send(message: unknown, fds?: number[]): void;
  close(): void;
  onClose(cb: () => void): void;
}

export type ControlHandler = (client: ControlClient, message: Record<string, unknown>, fds: number[]) => void;

export class ControlServer {
  private readonly clients = new Set<RawSocket>();

  private constructor(
    readonly path: string,
    private readonly dir: string,
    private readonly server: Server,
  ) {}

  static listen(handler: ControlHandler): Promise<ControlServer> {
    const dir = makeBrokerDir();
    const path = join(dir, 'control.sock');
    const server = createServer({ pauseOnConnect: true });
    const control = new ControlServer(path, dir, server);
    server.on('connection', (socket: Socket) => control.accept(socket, handler));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(path, () => resolve(control));
    });
  }

  async close(): Promise<void> {
    for (const c of [...this.clients]) c.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
    rmSync(this.dir, { recursive: true, force: true });
  }

  private accept(socket: Socket, handler: ControlHandler): void {
    const closeCallbacks: (() => void)[] = [];
    let raw: RawSocket;
    const client: ControlClient = {
      send: (m, fds) => raw.send(m, fds),
      close: () => raw.close(),
      onClose: (cb) => closeCallbacks.push(cb),
    };
    raw = new RawSocket(
      socket,
      (frame: Frame) => {
        const msg = parseJson(frame);
        if (msg === null) {
          frame.fds.forEach((fd) => closeQuietly(fd));
          client.send({ type: 'error', error: 'malformed message' });
          return;
        }
        handler(client, msg, frame.fds);
      },
      () => {
        this.clients.delete(raw);
        closeCallbacks.forEach((cb) => cb());
      },
    );
    this.clients.add(raw);
  }
}

function closeQuietly(fd: number): void {
  try {
    loadAddon().close(fd);
  } catch {
    // already gone
  }
}
