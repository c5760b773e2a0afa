// The addon's syscalls on real sockets and real fds: socketpair, send/recv
// with SCM_RIGHTS, fd flags, errors, limits, and fd leaks.
import { execFileSync } from 'node:child_process';
import { closeSync, fstatSync, mkdtempSync, openSync, readdirSync, readFileSync, readlinkSync, readSync, rmSync, writeSync, constants as fsc } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAddon, MAX_FDS, MAX_RECV_BYTES, type Addon, type RecvResult } from '../../src/native/addon.js';

let addon: Addon;
let dir: string;

beforeAll(() => {
  addon = loadAddon();
  dir = mkdtempSync(join(tmpdir(), 'execgate-addon-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** fd -> what it points to, for this process. */
function listFds(): Map<number, string> {
  const out = new Map<number, string>();
  for (const name of readdirSync('/proc/self/fd')) {
    try {
      out.set(Number(name), readlinkSync(`/proc/self/fd/${name}`));
    } catch {
      // the fd readdir itself used, gone already
    }
  }
  return out;
}

/** The open flags of fd (octal in /proc/self/fdinfo). */
function fdFlags(fd: number): number {
  const m = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  if (!m?.[1]) throw new Error(`no flags for fd ${fd}`);
  return parseInt(m[1], 8);
}
const O_CLOEXEC = 0o2000000;
const O_NONBLOCK = 0o4000;

function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}

let fifoCount = 0;
/** A real pipe (a FIFO): [read end, write end], both O_CLOEXEC (Node's open). */
function makePipe(): { path: string; r: number; w: number } {
  const path = join(dir, `fifo${fifoCount++}`);
  execFileSync('mkfifo', [path]);
  const r = openSync(path, fsc.O_RDONLY | fsc.O_NONBLOCK);
  const w = openSync(path, fsc.O_WRONLY);
  return { path, r, w };
}

function recvOrThrow(fd: number, maxBytes: number, maxFds: number): RecvResult {
  const r = addon.recv(fd, maxBytes, maxFds);
  if (r === null) throw new Error('recv: nothing there (EAGAIN)');
  return r;
}

function expectSystemError(fn: () => unknown, code: string, errno: number, syscall: string, desc: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(Error);
  expect(caught).toMatchObject({ code, errno, syscall, message: `${code}: ${desc}, ${syscall}` });
}

function expectArgError(fn: () => unknown, code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE', re?: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(TypeError);
  expect((caught as { code?: string }).code).toBe(code);
  if (re) expect((caught as Error).message).toMatch(re);
}

function closeAll(...fds: number[]): void {
  for (const fd of fds) addon.close(fd);
}

describe('loadAddon', () => {
  it('exports the syscalls and the limits the TS face declares', () => {
    expect(addon.MAX_FDS).toBe(MAX_FDS);
    expect(addon.MAX_RECV_BYTES).toBe(MAX_RECV_BYTES);
    expect(loadAddon()).toBe(addon);
  });
});

describe('socketpair', () => {
  it.each(['seqpacket', 'stream'] as const)('%s: two connected, close-on-exec, blocking ends', (type) => {
    const [a, b] = addon.socketpair(type);
    try {
      expect(a).not.toBe(b);
      for (const fd of [a, b]) {
        expect(addon.socketType(fd)).toBe(type);
        expect(fdFlags(fd) & O_CLOEXEC).toBe(O_CLOEXEC);
        expect(fdFlags(fd) & O_NONBLOCK).toBe(0);
      }
      expect(addon.send(a, Buffer.from('ping'))).toBe(4);
      expect(recvOrThrow(b, 100, 0).data.toString()).toBe('ping');
      expect(addon.send(b, Buffer.from('pong'))).toBe(4);
      expect(recvOrThrow(a, 100, 0).data.toString()).toBe('pong');
    } finally {
      closeAll(a, b);
    }
  });

  it('rejects other types', () => {
    expectArgError(() => addon.socketpair('dgram' as never), 'ERR_INVALID_ARG_VALUE', /'type' must be 'seqpacket' or 'stream'/);
    expectArgError(() => addon.socketpair(1 as never), 'ERR_INVALID_ARG_TYPE', /"type" argument must be of type string/);
  });
});

describe('close', () => {
  it('closes, and a second close is EBADF', () => {
    const [a, b] = addon.socketpair('stream');
    addon.close(a);
    expect(isOpen(a)).toBe(false);
    expectSystemError(() => addon.close(a), 'EBADF', -9, 'close', 'bad file descriptor');
    addon.close(b);
  });

  it('validates the fd', () => {
    expectArgError(() => addon.close('3' as never), 'ERR_INVALID_ARG_TYPE', /The "fd" argument must be of type number\. Received type string \('3'\)/);
    expectArgError(() => addon.close(-1), 'ERR_INVALID_ARG_VALUE', /The argument 'fd' must be an integer >= 0/);
    expectArgError(() => addon.close(1.5), 'ERR_INVALID_ARG_VALUE', /Received 1\.5/);
    expectArgError(() => addon.close(2 ** 31), 'ERR_INVALID_ARG_VALUE');
    expectArgError(() => addon.close(NaN), 'ERR_INVALID_ARG_VALUE');
  });
});

describe('send and recv', () => {
  it.each(['seqpacket', 'stream'] as const)('%s: payload and a pipe\'s two ends round-trip; the received ends work', (type) => {
    const [a, b] = addon.socketpair(type);
    const pipe = makePipe();
    try {
      expect(addon.send(a, Buffer.from('EXG1'), [pipe.r, pipe.w])).toBe(4);
      // The sender's copies are independent of what arrives.
      closeAll(pipe.r, pipe.w);
      const got = recvOrThrow(b, 64, MAX_FDS);
      expect(got.data.toString()).toBe('EXG1');
      expect(got.excess).toBe(0);
      expect(got.truncated).toBe(false);
      expect(got.fds).toHaveLength(2);
      const [r, w] = got.fds as [number, number];
      expect(readlinkSync(`/proc/self/fd/${r}`)).toBe(pipe.path);
      expect(addon.socketType(r)).toBe('not-a-socket');
      expect(writeSync(w, 'through the received end')).toBe(24);
      const buf = Buffer.alloc(100);
      expect(buf.toString('utf8', 0, readSync(r, buf))).toBe('through the received end');
      closeAll(r, w);
    } finally {
      closeAll(a, b);
    }
  });

  it('received fds are close-on-exec, whatever the sender\'s flag', () => {
    const [a, b] = addon.socketpair('seqpacket');
    try {
      // Another process sends an fd it made inheritable (no FD_CLOEXEC).
      execFileSync('python3', ['-c', 'import os, socket; s = socket.socket(fileno=3); r, w = os.pipe(); os.set_inheritable(w, True); socket.send_fds(s, [b"x"], [r, w])'], {
        stdio: ['ignore', 'inherit', 'inherit', a],
      });
      const got = recvOrThrow(b, 8, 2);
      expect(got.fds).toHaveLength(2);
      for (const fd of got.fds) expect(fdFlags(fd) & O_CLOEXEC).toBe(O_CLOEXEC);
      closeAll(...got.fds);
    } finally {
      closeAll(a, b);
    }
  });

  it('keeps maxFds of 8 fds, closes the other 5 and counts them in excess; nothing leaks', () => {
    const [a, b] = addon.socketpair('seqpacket');
    const path = makePipe();
    closeAll(path.w);
    const before = listFds();
    const sent = Array.from({ length: 8 }, () => openSync(path.path, fsc.O_RDONLY | fsc.O_NONBLOCK));
    expect(addon.send(a, Buffer.from('eight'), sent)).toBe(5);
    closeAll(...sent);
    const got = recvOrThrow(b, 64, 3);
    expect(got.data.toString()).toBe('eight');
    expect(got.fds).toHaveLength(3);
    expect(got.excess).toBe(5);
    const onFifo = [...listFds()].filter(([fd, target]) => target === path.path && fd !== path.r).map(([fd]) => fd);
    expect(onFifo.sort()).toEqual([...got.fds].sort());
    closeAll(...got.fds);
    expect(listFds()).toEqual(before);
    closeAll(a, b, path.r);
  });

  it('maxFds 0 closes every fd that arrives', () => {
    const [a, b] = addon.socketpair('stream');
    const pipe = makePipe();
    const before = listFds();
    addon.send(a, Buffer.from('x'), [pipe.r, pipe.w, pipe.r]);
    const got = recvOrThrow(b, 8, 0);
    expect(got).toMatchObject({ fds: [], excess: 3 });
    expect(listFds()).toEqual(before);
    closeAll(a, b, pipe.r, pipe.w);
  });

  it.each(['seqpacket', 'stream'] as const)('%s: EAGAIN is null, EOF is empty data', (type) => {
    const [a, b] = addon.socketpair(type);
    expect(addon.recv(b, 100, 1)).toBeNull();
    addon.close(a);
    const eof = recvOrThrow(b, 100, 1);
    expect(eof.data.length).toBe(0);
    expect(eof.fds).toEqual([]);
    // EOF stays EOF.
    expect(recvOrThrow(b, MAX_RECV_BYTES, 1).data.length).toBe(0);
    addon.close(b);
  });

  it('does not block on a blocking fd (MSG_DONTWAIT both ways)', () => {
    const [a, b] = addon.socketpair('stream');
    expect(fdFlags(b) & O_NONBLOCK).toBe(0);
    expect(addon.recv(b, 10, 0)).toBeNull();
    // Fill the socket: send never blocks, it throws EAGAIN.
    const chunk = Buffer.alloc(64 * 1024, 1);
    let sent = 0;
    let error: unknown;
    for (let i = 0; i < 1000 && !error; i++) {
      try {
        sent += addon.send(a, chunk);
      } catch (err) {
        error = err;
      }
    }
    expect(error).toMatchObject({ code: 'EAGAIN', errno: -11, syscall: 'sendmsg', message: 'EAGAIN: resource temporarily unavailable, sendmsg' });
    expect(sent).toBeGreaterThan(0);
    let got = 0;
    for (let r = addon.recv(b, MAX_RECV_BYTES, 0); r; r = addon.recv(b, MAX_RECV_BYTES, 0)) got += r.data.length;
    expect(got).toBe(sent);
    closeAll(a, b);
  });

  it('a stream send may be partial: it returns what went', () => {
    const [a, b] = addon.socketpair('stream');
    const big = Buffer.alloc(4 * 1024 * 1024, 7);
    const n = addon.send(a, big);
    expect(n).toBeGreaterThan(0);
    expect(n).toBeLessThan(big.length);
    closeAll(a, b);
  });

  it('sends a Uint8Array view at its offset, and an empty message', () => {
    const [a, b] = addon.socketpair('seqpacket');
    const backing = new Uint8Array([0, 1, 2, 3, 4, 5]);
    expect(addon.send(a, backing.subarray(2, 5))).toBe(3);
    expect([...recvOrThrow(b, 10, 0).data]).toEqual([2, 3, 4]);
    expect(addon.send(a, new Uint8Array(0))).toBe(0);
    expect(recvOrThrow(b, 10, 0).data.length).toBe(0); // looks like EOF: the protocol never sends one
    closeAll(a, b);
  });

  it('a seqpacket message longer than maxBytes is truncated, and says so', () => {
    const [a, b] = addon.socketpair('seqpacket');
    addon.send(a, Buffer.from('EXG1 and more'));
    const got = recvOrThrow(b, 4, 1);
    expect(got.data.toString()).toBe('EXG1');
    expect(got.truncated).toBe(true);
    expect(addon.recv(b, 100, 1)).toBeNull(); // the tail is gone
    closeAll(a, b);
  });

  it('big seqpacket messages arrive whole whatever maxBytes is, in a buffer of their size', () => {
    const [a, b] = addon.socketpair('seqpacket');
    const msg = Buffer.alloc(150 * 1024);
    for (let i = 0; i < msg.length; i++) msg[i] = i * 31;
    const small = Buffer.from('small');
    addon.send(a, msg);
    addon.send(a, small);
    addon.send(a, msg);
    const first = recvOrThrow(b, MAX_RECV_BYTES, 0);
    expect(first.truncated).toBe(false);
    expect(first.data.equals(msg)).toBe(true);
    // Not the 8 MiB asked for: the buffer is sized by what was queued (at
    // most), then trimmed to what arrived.
    expect(first.data.buffer.byteLength).toBeLessThan(2 * msg.length + 100);
    expect(recvOrThrow(b, MAX_RECV_BYTES, 0).data.equals(small)).toBe(true);
    expect(recvOrThrow(b, 200 * 1024, 0).data.equals(msg)).toBe(true);
    closeAll(a, b);
  });

  it('a seqpacket message over the send buffer (~212 kB) fails with EMSGSIZE', () => {
    const [a, b] = addon.socketpair('seqpacket');
    expectSystemError(() => addon.send(a, Buffer.alloc(300 * 1024)), 'EMSGSIZE', -90, 'sendmsg', 'message too long');
    // Just under the limit (sk_sndbuf - 32 with the default wmem) goes.
    const wmem = Number(readFileSync('/proc/sys/net/core/wmem_default', 'utf8'));
    expect(addon.send(a, Buffer.alloc(wmem - 32))).toBe(wmem - 32);
    expect(recvOrThrow(b, MAX_RECV_BYTES, 0).data.length).toBe(wmem - 32);
    expectSystemError(() => addon.send(a, Buffer.alloc(wmem - 31)), 'EMSGSIZE', -90, 'sendmsg', 'message too long');
    closeAll(a, b);
  });

  it('errors carry code, errno and syscall like Node\'s', () => {
    const [a, b] = addon.socketpair('stream');
    closeAll(a);
    expectSystemError(() => addon.send(a, Buffer.from('x')), 'EBADF', -9, 'sendmsg', 'bad file descriptor');
    expectSystemError(() => addon.recv(a, 10, 0), 'EBADF', -9, 'recvmsg', 'bad file descriptor');
    // The peer is gone: EPIPE, and no SIGPIPE (the test process lives on).
    expectSystemError(() => addon.send(b, Buffer.from('x')), 'EPIPE', -32, 'sendmsg', 'broken pipe');
    closeAll(b);
    const pipe = makePipe();
    expectSystemError(() => addon.send(pipe.w, Buffer.from('x')), 'ENOTSOCK', -88, 'sendmsg', 'socket operation on non-socket');
    expectSystemError(() => addon.recv(pipe.r, 10, 0), 'ENOTSOCK', -88, 'recvmsg', 'socket operation on non-socket');
    closeAll(pipe.r, pipe.w);
  });

  it('validates its arguments', () => {
    const [a, b] = addon.socketpair('seqpacket');
    try {
      expectArgError(() => addon.send(a, 'text' as never), 'ERR_INVALID_ARG_TYPE', /"data" argument must be an instance of Uint8Array/);
      expectArgError(() => addon.send(a, new Uint16Array(2) as never), 'ERR_INVALID_ARG_TYPE');
      expectArgError(() => addon.send(a, Buffer.from('x'), 3 as never), 'ERR_INVALID_ARG_TYPE', /"fds" argument must be an instance of Array/);
      expectArgError(() => addon.send(a, Buffer.from('x'), Array(9).fill(a)), 'ERR_INVALID_ARG_VALUE', /at most 8 fds/);
      expectArgError(() => addon.send(a, Buffer.from('x'), [a, 'b' as never]), 'ERR_INVALID_ARG_TYPE', /"fds\[1\]" argument/);
      expectArgError(() => addon.send(a, Buffer.from('x'), [-3]), 'ERR_INVALID_ARG_VALUE', /'fds\[0\]'/);
      expectArgError(() => addon.send(a, Buffer.alloc(0), [a]), 'ERR_INVALID_ARG_VALUE', /must not be empty when fds are sent/);
      expectArgError(() => addon.recv(a, MAX_RECV_BYTES + 1, 0), 'ERR_INVALID_ARG_VALUE', /'maxBytes' must be an integer >= 1 and <= 8388608\. Received 8388609/);
      expectArgError(() => addon.recv(a, 0, 0), 'ERR_INVALID_ARG_VALUE', /'maxBytes'/);
      expectArgError(() => addon.recv(a, 10, MAX_FDS + 1), 'ERR_INVALID_ARG_VALUE', /'maxFds' must be an integer >= 0 and <= 8/);
      expectArgError(() => addon.recv(a, 10, undefined as never), 'ERR_INVALID_ARG_TYPE', /"maxFds" argument must be of type number\. Received undefined/);
      // Nothing was sent by the failed calls.
      expect(addon.recv(b, 10, 8)).toBeNull();
      // Sending 8 fds is the limit, and fine.
      expect(addon.send(a, Buffer.from('x'), Array(8).fill(a))).toBe(1);
      const got = recvOrThrow(b, 10, 8);
      expect(got.fds).toHaveLength(8);
      closeAll(...got.fds);
    } finally {
      closeAll(a, b);
    }
  });
});

describe('socketType', () => {
  it('names each kind of fd', async () => {
    const [s1, s2] = addon.socketpair('stream');
    const [q1, q2] = addon.socketpair('seqpacket');
    const pipe = makePipe();
    const file = openSync(join(dir, 'file'), 'w');
    const devnull = openSync('/dev/null', 'r');
    // A datagram socket, made by another process and passed over ours.
    const [p1, p2] = addon.socketpair('stream');
    execFileSync('python3', ['-c', 'import socket; s = socket.socket(fileno=3); d = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); socket.send_fds(s, [b"d"], [d.fileno()])'], {
      stdio: ['ignore', 'inherit', 'inherit', p2],
    });
    const dgram = recvOrThrow(p1, 1, 1).fds[0] as number;
    try {
      expect(addon.socketType(s1)).toBe('stream');
      expect(addon.socketType(q2)).toBe('seqpacket');
      expect(addon.socketType(dgram)).toBe('dgram');
      expect(addon.socketType(pipe.r)).toBe('not-a-socket');
      expect(addon.socketType(file)).toBe('not-a-socket');
      expect(addon.socketType(devnull)).toBe('not-a-socket');
    } finally {
      closeAll(s1, s2, q1, q2, pipe.r, pipe.w, p1, p2, dgram);
      closeSync(file);
      closeSync(devnull);
    }
    expectSystemError(() => addon.socketType(s1), 'EBADF', -9, 'getsockopt', 'bad file descriptor');
  });
});

describe('listen, accept, connect', () => {
  it('a seqpacket listener takes connections that carry hellos and fds, as a session path does', () => {
    const path = join(dir, 'session.sock');
    const listener = addon.listen(path, 'seqpacket', 16);
    try {
      expect(fdFlags(listener) & O_NONBLOCK).toBe(O_NONBLOCK);
      expect(fdFlags(listener) & O_CLOEXEC).toBe(O_CLOEXEC);
      expect(addon.accept(listener)).toBeNull();
      const client = addon.connect(path, 'seqpacket');
      const conn = addon.accept(listener)!;
      expect(conn).toBeGreaterThan(2);
      expect(fdFlags(conn) & O_CLOEXEC).toBe(O_CLOEXEC);
      expect(fdFlags(client) & O_NONBLOCK).toBe(0);
      expect(addon.socketType(conn)).toBe('seqpacket');
      const [mine, theirs] = addon.socketpair('stream');
      addon.send(client, Buffer.from('EXG1'), [theirs]);
      const hello = recvOrThrow(conn, 5, 1);
      expect(hello.data.toString()).toBe('EXG1');
      expect(hello.fds).toHaveLength(1);
      closeAll(...hello.fds, mine, theirs, client, conn);
    } finally {
      addon.close(listener);
    }
  });

  it('errors are Node-shaped: a taken path, nobody listening, a path too long for sun_path', () => {
    const path = join(dir, 'taken.sock');
    const listener = addon.listen(path, 'stream', 4);
    expectSystemError(() => addon.listen(path, 'stream', 4), 'EADDRINUSE', -98, 'bind', 'address already in use');
    addon.close(listener);
    expectSystemError(() => addon.connect(path, 'stream'), 'ECONNREFUSED', -111, 'connect', 'connection refused');
    expectSystemError(() => addon.connect(join(dir, 'nothing.sock'), 'stream'), 'ENOENT', -2, 'connect', 'no such file or directory');
    expectSystemError(() => addon.connect(`/${'x'.repeat(200)}`, 'stream'), 'ENAMETOOLONG', -36, 'connect', 'name too long');
    expectArgError(() => addon.listen(path, 'dgram' as never, 4), 'ERR_INVALID_ARG_VALUE');
    expectArgError(() => addon.listen(path, 'stream', 0), 'ERR_INVALID_ARG_VALUE');
  });
});

describe('leaks', () => {
  it('1000 round trips (a fresh connection passed over a session socket, as the wrapper does) leave no fd behind', () => {
    const [session, peer] = addon.socketpair('seqpacket');
    const before = listFds();
    const payload = Buffer.from('request');
    for (let i = 0; i < 1000; i++) {
      const [mine, theirs] = addon.socketpair('stream');
      addon.send(peer, Buffer.from('EXG1'), [theirs]);
      addon.close(theirs);
      const hello = recvOrThrow(session, 5, 1);
      expect(hello.fds).toHaveLength(1);
      const conn = hello.fds[0] as number;
      addon.send(mine, payload);
      expect(recvOrThrow(conn, 64, 0).data.equals(payload)).toBe(true);
      addon.send(conn, payload, [conn, conn]);
      const back = recvOrThrow(mine, 64, 1); // one kept, one closed
      expect(back.excess).toBe(1);
      closeAll(...back.fds, conn, mine);
    }
    expect(listFds()).toEqual(before);
    closeAll(session, peer);
  });
});
