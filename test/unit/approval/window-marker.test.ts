// The window markers against a fake tmux whose commands take turns of the
// event loop, as a real one takes round trips (a rename longer than a read):
// events fired without waiting (as the broker fires them) must still leave
// the window named as the last one says.
import { describe, expect, it } from 'vitest';
import { WindowMarker, type TmuxClient } from '../../../src/approval/tmux.js';

class FakeTmux {
  name = 'bash';
  autoRename = 'off';
  private async ticks(n: number): Promise<void> {
    for (let i = 0; i < n; i++) await new Promise<void>((r) => setImmediate(r));
  }
  async run(args: string[]): Promise<string> {
    await this.ticks(args[0] === 'rename-window' ? 3 : 1);
    if (args[0] === 'rename-window') this.name = args[3]!;
    if (args[0] === 'show-options') return `${this.autoRename}\n`;
    if (args[0] === 'display-message') return args.at(-1) === '#W' ? this.name : '@1';
    return '';
  }
  display(format: string): Promise<string> {
    return this.run(['display-message', '-p', '-t', '%1', format]);
  }
  async bell(): Promise<void> {
    await this.display('#{pane_tty}');
  }
}

const marker = () => {
  const tmux = new FakeTmux();
  return { tmux, m: new WindowMarker(tmux as unknown as TmuxClient) };
};

describe('WindowMarker', () => {
  it('applies events in the order they came, each on the name the last one left', async () => {
    const { tmux, m } = marker();
    const all = ['session-start', 'busy', 'idle'].map((e) => m.event(e));
    await Promise.all(all);
    expect(tmux.name).toBe('🤖 bash ✋');
  });

  it("restores the window's own name on session-exit, even with changes still under way", async () => {
    const { tmux, m } = marker();
    await m.event('session-start');
    await m.event('busy');
    expect(tmux.name).toBe('🤖 bash ⏳');
    // idle still ringing the bell when the session ends
    const all = ['idle', 'no-such-event', 'session-exit'].map((e) => m.event(e));
    await Promise.all(all);
    expect(tmux.name).toBe('bash');
  });

  it('adds and removes the waiting mark around a prompt, in order', async () => {
    const { tmux, m } = marker();
    const all = [m.event('session-start'), m.setWaiting(true), m.event('busy'), m.setWaiting(false)];
    await Promise.all(all);
    expect(tmux.name).toBe('🤖 bash ⏳');
    await m.restore();
    expect(tmux.name).toBe('bash');
  });
});
