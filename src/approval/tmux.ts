// The tmux channel: when the broker itself runs inside the human's tmux
// ($TMUX of the broker, never of the sandbox), a pending request opens a
// display-popup running `execgate approve` against our control socket, rings
// the bell and marks the window. `execgate notify` events drive the same
// window markers. tmux is always run with an argument vector: nothing from a
// request is ever put in a shell string or a tmux format.
import { childProcess } from '../runtime/lazy-builtins.js';
import { openSync, writeSync, closeSync } from 'node:fs';
import { shellJoin } from '../policy/shell-quote.js';
import type { Channel, Resolution } from './queue.js';
import type { PendingRequest } from './types.js';

export interface TmuxTarget {
  /** The broker's own TMUX value ("socket,pid,session"). */
  tmux: string;
  /** The pane the broker runs in. */
  pane: string;
}

export function tmuxTarget(env: NodeJS.ProcessEnv = process.env): TmuxTarget | null {
  return env.TMUX && env.TMUX_PANE ? { tmux: env.TMUX, pane: env.TMUX_PANE } : null;
}

export class TmuxClient {
  private readonly socket: string;

  constructor(readonly target: TmuxTarget) {
    this.socket = target.tmux.split(',')[0]!;
  }

  run(args: string[]): Promise<string> {
    return new Promise((resolve, reject) => {
      childProcess().execFile('tmux', ['-S', this.socket, ...args], { timeout: 5000 }, (err, stdout) => (err ? reject(err) : resolve(stdout)));
    });
  }

  async display(format: string): Promise<string> {
    return (await this.run(['display-message', '-p', '-t', this.target.pane, format])).replace(/\n$/, '');
  }

  /** Rings the bell in the broker's pane (tmux marks the window). */
  async bell(): Promise<void> {
    const tty = await this.display('#{pane_tty}');
    const fd = openSync(tty, 'w');
    try {
      writeSync(fd, '\x07');
    } finally {
      closeSync(fd);
    }
  }
}

/** Window-name markers (hostexec's convention) plus a mark while prompts wait. */
export class WindowMarker {
  private original: { name: string; autoRename: string } | null = null;
  private prefix = '';
  private suffix = '';
  private waiting = false;
  /** One change at a time, in the order asked: each reads the window's name
   * and writes it back, and two interleaved would keep a stale name (a
   * session-exit restored under an idle still being applied). */
  private chain: Promise<void> = Promise.resolve();

  constructor(private readonly tmux: TmuxClient) {}

  event(name: string): Promise<void> {
    return this.serially(async () => {
      switch (name) {
        case 'session-start':
          this.prefix = '🤖 ';
          break;
        case 'busy':
          this.suffix = ' ⏳';
          break;
        case 'idle':
          this.suffix = ' ✋';
          await this.tmux.bell();
          break;
        case 'session-exit':
          return this.restoreNow();
        default:
          return; // unknown events are ignored
      }
      await this.apply();
    });
  }

  setWaiting(waiting: boolean): Promise<void> {
    return this.serially(async () => {
      if (this.waiting === waiting) return;
      this.waiting = waiting;
      if (!waiting && !this.prefix && !this.suffix) return this.restoreNow();
      await this.apply();
    });
  }

  restore(): Promise<void> {
    return this.serially(() => this.restoreNow());
  }

  private serially(change: () => Promise<void>): Promise<void> {
    const next = this.chain.then(change);
    // A failed change (reported by the caller) does not stop the next one.
    this.chain = next.catch(() => {});
    return next;
  }

  private async restoreNow(): Promise<void> {
    this.prefix = this.suffix = '';
    this.waiting = false;
    if (!this.original) return;
    const { name, autoRename } = this.original;
    this.original = null;
    const window = await this.tmux.display('#{window_id}');
    await this.tmux.run(['rename-window', '-t', window, name]);
    if (autoRename === 'on') await this.tmux.run(['set-option', '-w', '-t', window, 'automatic-rename', 'on']);
  }

  private async apply(): Promise<void> {
    const window = await this.tmux.display('#{window_id}');
    if (!this.original) {
      const name = await this.tmux.display('#W');
      const autoRename = (await this.tmux.run(['show-options', '-w', '-v', '-t', window, 'automatic-rename'])).trim() || 'on';
      this.original = { name, autoRename };
    }
    const name = `${this.prefix}${this.original.name}${this.suffix}${this.waiting ? ' ❓' : ''}`;
    await this.tmux.run(['rename-window', '-t', window, name]);
  }
}

/** The approval channel: opens a popup (one at a time) while requests wait. */
export class TmuxChannel implements Channel {
  readonly name = 'tmux-popup';
  private popupOpen = false;
  private pending = new Set<string>();

  constructor(
    private readonly tmux: TmuxClient,
    private readonly marker: WindowMarker,
    /** argv of `execgate approve --socket ... --channel tmux` */
    private readonly approveArgv: string[],
    private readonly onError: (err: Error) => void,
  ) {}

  onRequest(req: PendingRequest): void {
    this.pending.add(req.id);
    this.marker.setWaiting(true).catch(this.onError);
    this.tmux.bell().catch(this.onError);
    if (!this.popupOpen) this.openPopup();
  }

  onResolved(res: Resolution): void {
    this.pending.delete(res.id);
    if (this.pending.size === 0) this.marker.setWaiting(false).catch(this.onError);
  }

  private openPopup(): void {
    this.popupOpen = true;
    // display-popup takes a shell command: it is built only from our own
    // paths, each quoted; the request reaches the popup over the socket.
    const command = shellJoin(this.approveArgv);
    const child = childProcess().spawn('tmux', ['-S', this.tmux.target.tmux.split(',')[0]!, 'display-popup', '-E', '-t', this.tmux.target.pane, '-w', '90%', '-h', '60%', '-T', ' execgate: approval needed ', command], {
      stdio: 'ignore',
    });
    child.on('error', (err) => {
      this.popupOpen = false;
      this.onError(err);
    });
    child.on('exit', () => {
      this.popupOpen = false;
    });
  }
}
