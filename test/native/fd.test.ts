// Fd (one owner, exactly one close) and FdWatcher (closed before its fd), on
// real fds.
import { fstatSync, readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadAddon, type WatchEvent } from '../../src/native/addon.js';
import { Fd } from '../../src/native/fd.js';
import { FdWatcher } from '../../src/native/watcher.js';

const addon = loadAddon();

function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

function pair(type: 'seqpacket' | 'stream' = 'seqpacket'): [Fd, Fd] {
  const [a, b] = addon.socketpair(type);
  return [new Fd(a), new Fd(b)];
}

describe('Fd', () => {
  it('owns a number and closes it exactly once', () => {
    const [a, b] = pair();
    const n = a.fd;
    expect(a.closed).toBe(false);
    expect(String(a)).toBe(`Fd(${n})`);
    a.close();
    expect(a.closed).toBe(true);
    expect(isOpen(n)).toBe(false);
    // The number is reused by the next fd: a second close must not touch it.
    const [c, d] = pair();
    const reused = [c, d].find((x) => x.fd === n);
    a.close();
    if (reused) expect(isOpen(reused.fd)).toBe(true);
    expect(() => a.fd).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect(String(a)).toBe('Fd(closed)');
    for (const x of [b, c, d]) x.close();
  });

  it('release() hands the number out without closing it', () => {
    const [a, b] = pair();
    const n = a.release();
    expect(a.closed).toBe(true);
    expect(isOpen(n)).toBe(true);
    a.close(); // nothing: not ours any more
    expect(isOpen(n)).toBe(true);
    expect(() => a.release()).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    addon.close(n);
    b.close();
  });

  it('a failing close(2) is reported once and still counts as closed', () => {
    const [a, b] = pair();
    addon.close(a.fd); // someone closed it behind the owner's back
    expect(() => a.close()).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'close' }));
    expect(a.closed).toBe(true);
    expect(() => a.close()).not.toThrow();
    b.close();
  });

  it('validates the number', () => {
    for (const bad of [-1, 1.5, NaN, 2 ** 31, '3' as never]) {
      expect(() => new Fd(bad)).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_VALUE' }));
    }
  });

  it('closes what is attached to it first, even if one of them throws', () => {
    const [a, b] = pair();
    const order: string[] = [];
    const n = a.fd;
    a.attach({ close: () => order.push(`one, fd open: ${isOpen(n)}`) });
    a.attach({
      close: () => {
        order.push('two');
        throw new Error('dependent failed');
      },
    });
    const detached = { close: () => order.push('detached') };
    a.attach(detached);
    a.detach(detached);
    expect(() => a.close()).toThrow('dependent failed');
    expect(order).toEqual(['one, fd open: true', 'two']);
    expect(isOpen(n)).toBe(false);
    expect(() => a.attach({ close() {} })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    b.close();
  });
});

describe('FdWatcher', () => {
  it('watches an Fd; closing the Fd closes the watcher first', async () => {
    const [a, b] = pair();
    const events: WatchEvent[] = [];
    let self: unknown;
    const w = new FdWatcher(b, function (this: FdWatcher, ev) {
      self = this;
      events.push(ev);
      addon.recv(b.fd, 16, 0);
    });
    w.start(true, false);
    expect(w.active).toBe(true);
    addon.send(a.fd, Buffer.from('hi'));
    while (events.length === 0) await new Promise((r) => setTimeout(r, 5));
    expect(events[0]).toEqual({ readable: true, writable: false, hangup: false, error: 0 });
    expect(self).toBe(w);
    b.close();
    expect(w.closed).toBe(true);
    expect(w.active).toBe(false);
    a.close();
  });

  it('closing the watcher leaves the Fd open, and a new watcher may follow', () => {
    const [a, b] = pair();
    const w = new FdWatcher(b, () => {});
    w.start(true, true);
    w.close();
    w.close();
    expect(b.closed).toBe(false);
    const w2 = new FdWatcher(b, () => {});
    w2.stop();
    b.close();
    expect(w2.closed).toBe(true);
    a.close();
  });

  it('release() closes the watchers too (they belonged to the old owner)', () => {
    const [a, b] = pair();
    const w = new FdWatcher(b, () => {});
    w.start(true, false);
    const n = b.release();
    expect(w.closed).toBe(true);
    // The new owner can watch it.
    const w2 = new addon.Watcher(n, () => {});
    w2.close();
    addon.close(n);
    a.close();
  });

  it('a closed Fd cannot be watched', () => {
    const [a, b] = pair();
    b.close();
    expect(() => new FdWatcher(b, () => {})).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    a.close();
  });

  it('1000 Fd + FdWatcher lifecycles leak no fd', () => {
    const before = readdirSync('/proc/self/fd').length;
    for (let i = 0; i < 1000; i++) {
      const [a, b] = pair(i % 2 ? 'stream' : 'seqpacket');
      new FdWatcher(a, () => {}).start(true, true);
      new FdWatcher(b, () => {}).start(false, false);
      a.close();
      b.close();
    }
    expect(readdirSync('/proc/self/fd').length).toBe(before);
  });
});
