// The native Watcher (one epoll set per loop, polled by libuv) on real sockets: readiness,
// hangup, errors, closing from inside the callback, callback scope, process
// lifetime (in child processes), garbage collection, workers, many watchers,
// and a 2 MiB stream moved by watchers alone.
import { execFileSync, spawn } from 'node:child_process';
import { AsyncLocalStorage } from 'node:async_hooks';
import { randomBytes } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, MAX_RECV_BYTES, type Addon, type WatchEvent, type Watcher } from '../../src/native/addon.js';
import { addonPath } from '../../src/native/paths.js';

let addon: Addon;
beforeAll(() => {
  addon = loadAddon();
});

const O_NONBLOCK = 0o4000;
function fdFlags(fd: number): number {
  const m = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  return parseInt(m?.[1] ?? 'x', 8);
}

const turn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A watcher whose events queue up; next() waits for one. */
function watch(fd: number, onEvent?: (this: Watcher, ev: WatchEvent) => void) {
  const events: WatchEvent[] = [];
  let wake: (() => void) | undefined;
  const watcher = new addon.Watcher(fd, function (this: Watcher, ev) {
    events.push(ev);
    onEvent?.call(this, ev);
    wake?.();
  });
  return {
    watcher,
    events,
    async next(timeoutMs = 5000): Promise<WatchEvent> {
      const seen = events.length;
      const deadline = Date.now() + timeoutMs;
      while (events.length === seen) {
        if (Date.now() > deadline) throw new Error('no watcher event');
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 20);
        });
      }
      return events[seen] as WatchEvent;
    },
  };
}

function closeAll(...fds: number[]): void {
  for (const fd of fds) addon.close(fd);
}

interface ChildResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs a CommonJS script in a child node; `addon` is loaded for it. With
 * aliveAfterMs, resolves 'alive' (and kills the child) if it is still running
 * then. */
function runNode(script: string, opts: { args?: string[]; aliveAfterMs?: number; timeoutMs?: number } = {}): Promise<ChildResult | 'alive'> {
  const prelude = `const addon = require(process.env.EG_ADDON);\n`;
  return new Promise((resolve, reject) => {
    const start = Date.now();
    const child = spawn(process.execPath, [...(opts.args ?? []), '-e', prelude + script], {
      env: { ...process.env, EG_ADDON: addonPath },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timers: NodeJS.Timeout[] = [];
    if (opts.aliveAfterMs !== undefined) {
      timers.push(
        setTimeout(() => {
          child.kill('SIGKILL');
          resolve('alive');
        }, opts.aliveAfterMs),
      );
    }
    timers.push(
      setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`child timed out; stdout: ${stdout} stderr: ${stderr}`));
      }, opts.timeoutMs ?? 20_000),
    );
    child.on('error', reject);
    child.on('close', (code, signal) => {
      for (const t of timers) clearTimeout(t);
      resolve({ code, signal, stdout, stderr, ms: Date.now() - start });
    });
  });
}

describe('Watcher: readiness', () => {
  it('fires readable when a message arrives, with `this` the watcher; the callback can recv', async () => {
    const [a, b] = addon.socketpair('seqpacket');
    let self: unknown;
    const got: string[] = [];
    const w = watch(b, function () {
      self = this;
      for (let r = addon.recv(b, 100, 0); r; r = addon.recv(b, 100, 0)) got.push(r.data.toString());
    });
    w.watcher.start(true, false);
    expect(w.watcher.active).toBe(true);
    await turn();
    expect(w.events).toEqual([]); // nothing to read yet
    addon.send(a, Buffer.from('one'));
    addon.send(a, Buffer.from('two'));
    expect(await w.next()).toEqual({ readable: true, writable: false, hangup: false, error: 0 });
    expect(self).toBe(w.watcher);
    expect(got).toEqual(['one', 'two']);
    w.watcher.close();
    closeAll(a, b);
  });

  it('fires writable, and only what was asked for', async () => {
    const [a, b] = addon.socketpair('stream');
    const w = watch(a, function () {
      this.stop();
    });
    w.watcher.start(false, true);
    expect(await w.next()).toEqual({ readable: false, writable: true, hangup: false, error: 0 });
    addon.send(b, Buffer.from('data')); // readable now, but not watched
    w.watcher.start(false, true);
    expect(await w.next()).toEqual({ readable: false, writable: true, hangup: false, error: 0 });
    w.watcher.close();
    closeAll(a, b);
  });

  it('is level-triggered: unread data fires again on the next loop turn', async () => {
    const [a, b] = addon.socketpair('seqpacket');
    const w = watch(b, function () {
      if (w.events.length === 3) this.stop();
    });
    w.watcher.start(true, false);
    addon.send(a, Buffer.from('x'));
    const deadline = Date.now() + 5000;
    while (w.events.length < 3 && Date.now() < deadline) await turn();
    await sleep(30);
    expect(w.events.length).toBe(3);
    expect(w.watcher.active).toBe(false);
    w.watcher.close();
    closeAll(a, b);
  });
});

describe('Watcher: hangup and errors', () => {
  it.each(['seqpacket', 'stream'] as const)('%s: the peer closing is readable + hangup, recv then says EOF', async (type) => {
    const [a, b] = addon.socketpair(type);
    const eofs: number[] = [];
    const w = watch(b, function () {
      const r = addon.recv(b, 100, 0);
      if (r?.data.length === 0) {
        eofs.push(w.events.length);
        this.close();
      }
    });
    w.watcher.start(true, false);
    addon.close(a);
    expect(await w.next()).toEqual({ readable: true, writable: false, hangup: true, error: 0 });
    await sleep(20);
    expect(w.events.length).toBe(1);
    expect(eofs).toEqual([1]);
    expect(w.watcher.closed).toBe(true);
    addon.close(b);
  });

  it('start(false, false) watches for hangup alone, reports it once and stops: no spin', async () => {
    const [a, b] = addon.socketpair('stream');
    const w = watch(b);
    w.watcher.start(false, false);
    expect(w.watcher.active).toBe(true);
    addon.send(a, Buffer.from('unread data does not wake it'));
    await sleep(20);
    expect(w.events).toEqual([]);
    addon.close(a);
    expect(await w.next()).toEqual({ readable: false, writable: false, hangup: true, error: 0 });
    await sleep(50);
    expect(w.events.length).toBe(1);
    expect(w.watcher.active).toBe(false);
    // hangup is permanent: later events carry it.
    w.watcher.start(true, false);
    expect(await w.next()).toEqual({ readable: true, writable: false, hangup: true, error: 0 });
    w.watcher.close();
    addon.close(b);
  });

  it('a peer that shuts down writing is a hangup too (half-close)', async () => {
    const [a, b] = addon.socketpair('stream');
    const w = watch(b);
    w.watcher.start(false, false);
    // Shut down a's writing side from another process sharing the socket.
    execFileSync('python3', ['-c', 'import socket; socket.socket(fileno=3).shutdown(socket.SHUT_WR)'], {
      stdio: ['ignore', 'inherit', 'inherit', a],
    });
    expect(await w.next()).toEqual({ readable: false, writable: false, hangup: true, error: 0 });
    await sleep(30);
    expect(w.events.length).toBe(1);
    // a still reads what b writes.
    expect(addon.send(b, Buffer.from('still open'))).toBe(10);
    expect(addon.recv(a, 100, 0)?.data.toString()).toBe('still open');
    w.watcher.close();
    closeAll(a, b);
  });

  it('a writable watcher on a hung-up socket reports the hangup; send then fails with EPIPE', async () => {
    const [a, b] = addon.socketpair('seqpacket');
    const w = watch(a, function () {
      this.stop();
    });
    addon.close(b);
    w.watcher.start(false, true);
    expect(await w.next()).toMatchObject({ hangup: true, error: 0 });
    expect(() => addon.send(a, Buffer.from('x'))).toThrow(expect.objectContaining({ code: 'EPIPE' }));
    w.watcher.close();
    addon.close(a);
  });

  it.each(['seqpacket', 'stream'] as const)('%s: a peer closing with our data unread is error ECONNRESET; the watcher stops', async (type) => {
    const [a, b] = addon.socketpair(type);
    addon.send(a, Buffer.from('never read'));
    addon.send(b, Buffer.from('for a'));
    const w = watch(a);
    w.watcher.start(true, false);
    addon.close(b);
    const ev = await w.next();
    expect(ev).toEqual({ readable: true, writable: false, hangup: true, error: -104 });
    await sleep(20);
    expect(w.events.length).toBe(1);
    expect(w.watcher.active).toBe(false);
    // What was sent before still reads, then EOF.
    expect(addon.recv(a, 100, 0)?.data.toString()).toBe('for a');
    expect(addon.recv(a, 100, 0)?.data.length).toBe(0);
    w.watcher.close();
    addon.close(a);
  });
});

describe('Watcher: lifecycle', () => {
  it('can be stopped inside its callback, and restarted', async () => {
    const [a, b] = addon.socketpair('seqpacket');
    const w = watch(b, function () {
      this.stop();
    });
    w.watcher.start(true, false);
    addon.send(a, Buffer.from('stays unread'));
    await w.next();
    await sleep(30);
    expect(w.events.length).toBe(1);
    expect(w.watcher.active).toBe(false);
    w.watcher.start(true, false);
    await w.next();
    expect(w.events.length).toBe(2);
    w.watcher.close();
    closeAll(a, b);
  });

  it('can be closed inside its callback; the fd stays open and usable', async () => {
    const [a, b] = addon.socketpair('seqpacket');
    const w = watch(b, function () {
      this.close();
      this.close(); // idempotent
      this.stop();
    });
    w.watcher.start(true, false);
    addon.send(a, Buffer.from('first'));
    await w.next();
    await sleep(30);
    expect(w.events.length).toBe(1);
    expect(w.watcher.closed).toBe(true);
    expect(w.watcher.active).toBe(false);
    expect(() => w.watcher.start(true, false)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE' }));
    expect(addon.recv(b, 100, 0)?.data.toString()).toBe('first');
    addon.send(b, Buffer.from('back'));
    expect(addon.recv(a, 100, 0)?.data.toString()).toBe('back');
    // A new watcher may take the fd over.
    const w2 = watch(b, function () {
      this.close();
    });
    w2.watcher.start(true, false);
    addon.send(a, Buffer.from('second'));
    await w2.next();
    closeAll(a, b);
  });

  it('leaves the fd blocking if it was, and non-blocking if it was', () => {
    const [a, b] = addon.socketpair('stream');
    expect(fdFlags(b) & O_NONBLOCK).toBe(0);
    const w = new addon.Watcher(b, () => {});
    w.start(true, true);
    expect(fdFlags(b) & O_NONBLOCK).toBe(0);
    w.close();
    // and non-blocking if it was (a listener is)
    const listener = addon.listen(join(mkdtempSync(join(tmpdir(), 'eg-w-')), 'l.sock'), 'stream', 1);
    expect(fdFlags(listener) & O_NONBLOCK).toBe(O_NONBLOCK);
    const w2 = new addon.Watcher(listener, () => {});
    expect(fdFlags(listener) & O_NONBLOCK).toBe(O_NONBLOCK);
    w2.close();
    closeAll(a, b, listener);
  });

  it('one watcher per fd: a second is EEXIST until the first is closed', () => {
    const [a, b] = addon.socketpair('stream');
    const w = new addon.Watcher(b, () => {});
    expect(() => new addon.Watcher(b, () => {})).toThrow(
      expect.objectContaining({ code: 'EEXIST', errno: -17, syscall: 'epoll_ctl', message: 'EEXIST: file already exists, epoll_ctl' }),
    );
    w.close();
    new addon.Watcher(b, () => {}).close();
    closeAll(a, b);
  });

  it('refuses what epoll cannot watch, and bad arguments', () => {
    const file = openSync(join(tmpdir(), `execgate-watch-${process.pid}`), 'w');
    expect(() => new addon.Watcher(file, () => {})).toThrow(expect.objectContaining({ code: 'EPERM', syscall: 'epoll_ctl' }));
    closeSync(file);
    expect(() => new addon.Watcher(file, () => {})).toThrow(expect.objectContaining({ code: 'EBADF', syscall: 'epoll_ctl' }));
    const [a, b] = addon.socketpair('stream');
    expect(() => new addon.Watcher('1' as never, () => {})).toThrow(expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE' }));
    expect(() => new addon.Watcher(b, 'cb' as never)).toThrow(
      expect.objectContaining({ name: 'TypeError', code: 'ERR_INVALID_ARG_TYPE', message: expect.stringMatching(/"onEvent" argument must be of type function/) }),
    );
    const w = new addon.Watcher(b, () => {});
    expect(() => w.start(1 as never, false)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
    expect(w.fd).toBe(b);
    w.close();
    closeAll(a, b);
  });

  it('start() on a closed fd throws EBADF, on a reused number ERR_INVALID_STATE', () => {
    const [a, b] = addon.socketpair('stream');
    const w = new addon.Watcher(b, () => {});
    // Started and stopped before the close: the stop could not reach the
    // kernel's entry either, and the next start says so.
    w.start(true, false);
    addon.close(b);
    w.stop();
    expect(() => w.start(true, false)).toThrow(expect.objectContaining({ code: 'EBADF', errno: -9, syscall: 'epoll_ctl' }));
    expect(() => w.start(true, false)).toThrow(expect.objectContaining({ code: 'EBADF', errno: -9, syscall: 'epoll_ctl' }));
    // The lowest free number is b again: another socket now.
    const [c, d] = addon.socketpair('stream');
    const reused = c === b ? c : d === b ? d : -1;
    if (reused >= 0) {
      expect(() => w.start(true, false)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_STATE', message: expect.stringMatching(/reused/) }));
    }
    w.close();
    closeAll(a, c, d);
  });

  it('runs the callback in a callback scope: nextTicks and microtasks right after it, async context kept', async () => {
    const [a, b] = addon.socketpair('seqpacket');
    const als = new AsyncLocalStorage<string>();
    const order: string[] = [];
    let store: string | undefined;
    const done = new Promise<void>((resolve) => {
      const w = als.run('made here', () =>
        new addon.Watcher(b, () => {
          addon.recv(b, 10, 0);
          w.close();
          store = als.getStore();
          order.push('callback');
          setImmediate(() => {
            order.push('immediate');
            resolve();
          });
          void Promise.resolve().then(() => order.push('microtask'));
          process.nextTick(() => order.push('nextTick'));
        }),
      );
      w.start(true, false);
    });
    addon.send(a, Buffer.from('x'));
    await done;
    expect(order).toEqual(['callback', 'nextTick', 'microtask', 'immediate']);
    expect(store).toBe('made here');
    closeAll(a, b);
  });

  it('a watcher closed, or its fd watched anew, by another\'s callback gets nothing of what was already ready', async () => {
    // Both readable before the loop looks: one epoll_wait returns both, and
    // whichever runs first closes the other and watches its fd anew.
    const [a1, b1] = addon.socketpair('seqpacket');
    const [a2, b2] = addon.socketpair('seqpacket');
    const calls: string[] = [];
    let again: Watcher | null = null;
    const ws: Record<string, Watcher> = {};
    const make = (name: string, fd: number, other: string, otherFd: number) => {
      ws[name] = new addon.Watcher(fd, function () {
        calls.push(name);
        addon.recv(fd, 16, 0);
        this.close();
        if (!ws[other]!.closed) {
          ws[other]!.close();
          // A new watcher on the other fd: not started, so not called.
          again = new addon.Watcher(otherFd, () => calls.push(`${other} again`));
        }
      });
    };
    make('one', b1, 'two', b2);
    make('two', b2, 'one', b1);
    addon.send(a1, Buffer.from('x'));
    addon.send(a2, Buffer.from('y'));
    ws.one!.start(true, false);
    ws.two!.start(true, false);
    // The other's event, had it been delivered, came in the same pass.
    while (calls.length === 0) await turn();
    await turn();
    expect(calls).toHaveLength(1);
    expect(again).not.toBeNull();
    again!.close();
    closeAll(a1, b1, a2, b2);
  });

  it('handles many watchers at once', async () => {
    const pairs = Array.from({ length: 300 }, () => addon.socketpair('seqpacket'));
    const seen = new Set<number>();
    const watchers = pairs.map(([, b], i) => {
      const w = new addon.Watcher(b, function () {
        expect(addon.recv(b, 16, 0)?.data.toString()).toBe(`msg ${i}`);
        seen.add(i);
        this.close();
      });
      w.start(true, false);
      return w;
    });
    pairs.forEach(([a], i) => addon.send(a, Buffer.from(`msg ${i}`)));
    const deadline = Date.now() + 5000;
    while (seen.size < pairs.length && Date.now() < deadline) await sleep(5);
    expect(seen.size).toBe(pairs.length);
    expect(watchers.every((w) => w.closed)).toBe(true);
    for (const [a, b] of pairs) closeAll(a, b);
  });
});

describe('Watcher: a 2 MiB stream moved by watchers alone', () => {
  it('arrives whole, in order, through partial sends and EAGAIN', async () => {
    const [a, b] = addon.socketpair('stream');
    const payload = randomBytes(2 * 1024 * 1024);
    const chunks: Buffer[] = [];
    let received = 0;
    let offset = 0;
    let partials = 0;
    let eagains = 0;
    const done = new Promise<void>((resolve, reject) => {
      const writer = new addon.Watcher(a, function (ev) {
        try {
          expect(ev.error).toBe(0);
          while (offset < payload.length) {
            // Chunks of odd sizes, up to 100 kB.
            const len = Math.min(payload.length - offset, 1 + ((offset * 7919) % 100_000));
            let n: number;
            try {
              n = addon.send(a, payload.subarray(offset, offset + len));
            } catch (err) {
              if ((err as { code?: string }).code !== 'EAGAIN') throw err;
              eagains++;
              return; // wait for writable
            }
            if (n < len) partials++;
            offset += n;
          }
          this.close();
          addon.close(a); // EOF for the reader
        } catch (err) {
          reject(err as Error);
        }
      });
      const reader = new addon.Watcher(b, function () {
        try {
          for (;;) {
            const r = addon.recv(b, 64 * 1024, 0);
            if (r === null) return;
            if (r.data.length === 0) {
              this.close();
              resolve();
              return;
            }
            chunks.push(r.data);
            received += r.data.length;
          }
        } catch (err) {
          reject(err as Error);
        }
      });
      writer.start(false, true);
      reader.start(true, false);
    });
    await done;
    expect(received).toBe(payload.length);
    expect(Buffer.concat(chunks).equals(payload)).toBe(true);
    expect(partials + eagains).toBeGreaterThan(0); // the socket buffer (~200 kB) did fill
    addon.close(b);
  });

  it('big recv()s take what is queued, without copying or over-allocating', () => {
    const [a, b] = addon.socketpair('stream');
    const data = randomBytes(150_000);
    let sent = 0;
    while (sent < data.length) sent += addon.send(a, data.subarray(sent));
    const r = addon.recv(b, MAX_RECV_BYTES, 0);
    expect(r?.data.equals(data)).toBe(true);
    expect(r?.data.buffer.byteLength).toBe(data.length);
    closeAll(a, b);
  });
});

describe('Watcher: process lifetime, GC, workers (child processes)', () => {
  const pair = `const [x, y] = addon.socketpair('seqpacket');\n`;

  it('a started watcher keeps it alive until close()', async () => {
    const alive = await runNode(pair + `new addon.Watcher(y, () => {}).start(true, false);`, { aliveAfterMs: 700 });
    expect(alive).toBe('alive');
    const r = await runNode(pair + `const w = new addon.Watcher(y, () => {}); w.start(true, false); setTimeout(() => { w.close(); console.log('closed'); }, 300);`);
    expect(r).toMatchObject({ code: 0, stdout: 'closed\n' });
    expect((r as ChildResult).ms).toBeGreaterThanOrEqual(300);
  });

  it('an unref()d watcher polls without keeping it alive, and still fires while it lives', async () => {
    const r = await runNode(
      pair + `const w = new addon.Watcher(y, () => console.log(addon.recv(y, 10, 0).data.toString())); w.start(true, false); w.unref(); addon.send(x, Buffer.from('heard')); setTimeout(() => {}, 200);`,
      { aliveAfterMs: 5000 },
    );
    expect(r).toMatchObject({ code: 0, stdout: 'heard\n' });
    const idle = await runNode(pair + `const w = new addon.Watcher(y, () => {}); w.start(true, false); w.unref();`, { aliveAfterMs: 5000 });
    expect(idle).toMatchObject({ code: 0 });
  });

  it('ref() after unref() keeps it alive again', async () => {
    const alive = await runNode(pair + `const w = new addon.Watcher(y, () => {}); w.start(true, false); w.unref(); w.ref();`, { aliveAfterMs: 700 });
    expect(alive).toBe('alive');
    const closed = await runNode(pair + `const w = new addon.Watcher(y, () => {}); w.start(true, false); w.close(); w.ref(); w.unref();`, { aliveAfterMs: 5000 });
    expect(closed).toMatchObject({ code: 0 });
  });

  it('a watcher closed inside its callback lets the process exit', async () => {
    const r = await runNode(
      pair + `const w = new addon.Watcher(y, function () { console.log(addon.recv(y, 10, 0).data.toString()); this.close(); }); w.start(true, false); addon.send(x, Buffer.from('bye'));`,
      { aliveAfterMs: 5000 },
    );
    expect(r).toMatchObject({ code: 0, stdout: 'bye\n' });
  });

  it('a throwing callback goes to uncaughtException, like any Node callback', async () => {
    const r = await runNode(
      pair +
        `process.on('uncaughtException', (e) => { console.log('caught', e.message); w.close(); });
         const w = new addon.Watcher(y, () => { addon.recv(y, 10, 0); throw new Error('boom'); });
         w.start(true, false); addon.send(x, Buffer.from('x'));`,
    );
    expect(r).toMatchObject({ code: 0, stdout: 'caught boom\n' });
    const unhandled = await runNode(pair + `new addon.Watcher(y, () => { throw new Error('boom'); }).start(true, false); addon.send(x, Buffer.from('x'));`);
    expect(unhandled).toMatchObject({ code: 1, stderr: expect.stringContaining('Error: boom') });
  });

  it('process.exit with open watchers is clean', async () => {
    const r = await runNode(pair + `for (const fd of [x, y]) new addon.Watcher(fd, () => {}).start(true, true); setTimeout(() => process.exit(3), 50);`);
    expect(r).toMatchObject({ code: 3, signal: null, stderr: '' });
  });

  it('a stopped watcher nobody holds is collected (its handle closed); a started one is not', async () => {
    const r = await runNode(
      pair +
        `(async () => {
          const tick = () => new Promise((r) => setImmediate(r));
          let collected = 0;
          for (let i = 0; i < 50; i++) {
            (() => { const w = new addon.Watcher(y, () => {}); w.start(true, false); w.stop(); })();
            for (let j = 0; j < 20; j++) {
              globalThis.gc(); await tick();
              try { new addon.Watcher(y, () => {}).close(); collected++; break; } catch (e) { if (e.code !== 'EEXIST') throw e; }
            }
          }
          console.log('collected', collected);
          let fired = 0;
          (() => { new addon.Watcher(y, function () { addon.recv(y, 10, 0); fired++; this.close(); }).start(true, false); })();
          for (let j = 0; j < 5; j++) { globalThis.gc(); await tick(); }
          addon.send(x, Buffer.from('x'));
          await new Promise((r) => setTimeout(r, 50));
          console.log('fired', fired);
        })();`,
      { args: ['--expose-gc'] },
    );
    expect(r).toMatchObject({ code: 0, stdout: 'collected 50\nfired 1\n' });
  });

  it('the async context (AsyncLocalStorage) survives garbage collection while the watcher waits', async () => {
    const r = await runNode(
      pair +
        `const { AsyncLocalStorage } = require('async_hooks');
         const als = new AsyncLocalStorage();
         als.run('made here', () => {
           new addon.Watcher(y, function () { addon.recv(y, 10, 0); console.log(als.getStore()); this.close(); }).start(true, false);
         });
         (async () => {
           for (let i = 0; i < 10; i++) { globalThis.gc(); await new Promise((r) => setImmediate(r)); }
           addon.send(x, Buffer.from('x'));
         })();`,
      { args: ['--expose-gc'] },
    );
    expect(r).toMatchObject({ code: 0, stdout: 'made here\n' });
  });

  it('workers: a terminated worker with a started watcher exits cleanly', async () => {
    const r = await runNode(
      `const { Worker } = require('worker_threads');
       const w1 = new Worker(\`const addon = require(process.env.EG_ADDON);
         const [x, y] = addon.socketpair('seqpacket');
         const w = new addon.Watcher(y, () => {}); w.start(true, true);
         require('worker_threads').parentPort.postMessage('ready');\`, { eval: true });
       w1.on('message', () => w1.terminate().then((code) => console.log('terminated', code)));`,
    );
    expect(r).toMatchObject({ code: 0, signal: null, stdout: 'terminated 1\n' });
  });
});
