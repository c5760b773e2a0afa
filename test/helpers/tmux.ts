// A human in tmux, for tests: an outer tmux server whose one pane runs a
// client of an inner server (the "human's" tmux). The broker runs in a pane
// of the inner server, so its popups appear on that client; `send-keys` to
// the outer pane types into whatever the client shows, popups included, and
// `capture-pane` of the outer pane reads the screen as the human sees it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { shellQuote } from '../../src/policy/shell-quote.js';
import { tempDir } from './execgate.js';

export class NestedTmux {
  readonly dir = tempDir('eg-tmux-');
  readonly outer = join(this.dir, 'outer');
  readonly inner = join(this.dir, 'inner');
  readonly runtimeDir = tempDir('eg-xdg-');

  start(): void {
    this.tmux(this.outer, ['new-session', '-d', '-s', 'o', '-x', '160', '-y', '48',
      `env -u TMUX XDG_RUNTIME_DIR=${this.runtimeDir} tmux -S ${this.inner} -f /dev/null new-session -s human -x 160 -y 47`]);
    this.waitFor(() => this.tryTmux(this.inner, ['has-session', '-t', 'human']) !== null, 'the inner tmux session');
    this.tmux(this.inner, ['set-option', '-g', 'automatic-rename', 'on']);
  }

  /** Types a command line into the human's shell pane (inner server). */
  run(command: string): void {
    this.tmux(this.inner, ['send-keys', '-t', 'human', '-l', command]);
    this.tmux(this.inner, ['send-keys', '-t', 'human', 'Enter']);
  }

  /** Keys as the human presses them, into whatever the client shows. */
  keys(...keys: string[]): void {
    this.tmux(this.outer, ['send-keys', '-t', 'o', ...keys]);
  }

  literal(text: string): void {
    this.tmux(this.outer, ['send-keys', '-t', 'o', '-l', text]);
  }

  screen(): string {
    return this.tmux(this.outer, ['capture-pane', '-p', '-t', 'o']);
  }

  windowName(): string {
    return this.tmux(this.inner, ['display-message', '-p', '-t', 'human', '#W']).trim();
  }

  waitFor(cond: () => boolean, what: string, timeoutMs = 15_000): void {
    const until = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${what}; screen:\n${this.tryTmux(this.outer, ['capture-pane', '-p', '-t', 'o'])}`);
      execFileSync('sleep', ['0.1']);
    }
  }

  waitScreen(re: RegExp, timeoutMs?: number): string {
    let last = '';
    this.waitFor(() => re.test((last = this.screen())), `${re} on screen`, timeoutMs);
    return last;
  }

  stop(): void {
    this.tryTmux(this.inner, ['kill-server']);
    this.tryTmux(this.outer, ['kill-server']);
  }

  private tmux(socket: string, args: string[]): string {
    return execFileSync('tmux', ['-S', socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMUX: '' } });
  }

  private tryTmux(socket: string, args: string[]): string | null {
    try {
      return this.tmux(socket, args);
    } catch {
      return null;
    }
  }
}

/** One tmux pane running a program, for terminal tests without popups. */
export class TmuxPane {
  readonly dir = tempDir('eg-pane-');
  readonly socket = join(this.dir, 'tmux');

  start(command: string, env: Record<string, string> = {}, size = { cols: 120, rows: 40 }): void {
    const exports = Object.entries(env).map(([k, v]) => `${k}=${shellQuote(v)}`).join(' ');
    this.tmux(['-f', '/dev/null', 'new-session', '-d', '-s', 'p', '-x', String(size.cols), '-y', String(size.rows), `env ${exports} ${command}`]);
  }

  type(text: string): void {
    this.tmux(['send-keys', '-t', 'p', '-l', text]);
  }

  keys(...keys: string[]): void {
    this.tmux(['send-keys', '-t', 'p', ...keys]);
  }

  line(text: string): void {
    this.type(text);
    this.keys('Enter');
  }

  screen(): string {
    return this.tmux(['capture-pane', '-p', '-t', 'p']);
  }

  /** The screen with trailing spaces kept (-N), to read text back exactly. */
  screenExact(): string {
    return this.tmux(['capture-pane', '-p', '-N', '-t', 'p']);
  }

  resize(cols: number, rows: number): void {
    this.tmux(['resize-window', '-t', 'p', '-x', String(cols), '-y', String(rows)]);
  }

  waitScreen(re: RegExp, timeoutMs = 15_000): string {
    const until = Date.now() + timeoutMs;
    let last = '';
    while (!re.test((last = this.screen()))) {
      if (Date.now() > until) throw new Error(`timed out waiting for ${re}; screen:\n${last}`);
      execFileSync('sleep', ['0.1']);
    }
    return last;
  }

  stop(): void {
    try {
      this.tmux(['kill-server']);
    } catch {
      // already gone
    }
  }

  private tmux(args: string[]): string {
    return execFileSync('tmux', ['-S', this.socket, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, TMUX: '' } });
  }
}
