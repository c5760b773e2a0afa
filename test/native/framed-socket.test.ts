// FramedSocket on real socketpairs: frames whole however the bytes come,
// fds owned from arrival and closed on every path, deadlines, budgets,
// back-pressure on sending.
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadAddon } from '../../src/native/addon.js';
import { Fd } from '../../src/native/fd.js';
import { ByteBudget, DeadlineError, FrameError, FramedSocket } from '../../src/native/framed-socket.js';
import { encodeFrame } from '../../src/protocol/frame.js';

const addon = loadAddon();

function openFds(): Set<number> {
  return new Set(readdirSync('/proc/self/fd').map(Number));
}

/** A FramedSocket on one end of a stream socketpair; the raw other end. */
function pair(opts: Partial<ConstructorParameters<typeof FramedSocket>[1]> = {}): { sock: FramedSocket; peer: number } {
  const [a, b] = addon.socketpair('stream');
  return { sock: new FramedSocket(new Fd(a), { maxFrame: 1024, ...opts }), peer: b };
}

/** A fresh fd to pass (one end of a pipe-like socketpair; the other closed). */
function spareFd(): number {
  const [x, y] = addon.socketpair('stream');
  addon.close(y);
  return x;
}

describe('FramedSocket', () => {
  it('hands out a frame only when all of it arrived, however the bytes were split', async () => {
    const { sock, peer } = pair();
    const frame = encodeFrame(Buffer.from('hello, broker'));
    expect(sock.take()).toBeNull();
    addon.send(peer, frame.subarray(0, 3));
    expect(sock.take()).toBeNull();
    const waiting = sock.next();
    addon.send(peer, frame.subarray(3, 9));
    addon.send(peer, frame.subarray(9));
    const got = await waiting;
    expect(got?.payload.toString()).toBe('hello, broker');
    addon.close(peer);
    expect(await sock.next()).toBeNull();
    sock.close();
  });

  it('several frames in one read come out one by one', () => {
    const { sock, peer } = pair();
    addon.send(peer, Buffer.concat([encodeFrame(Buffer.from('a')), encodeFrame(Buffer.from('bb')), encodeFrame(Buffer.from('ccc'))]));
    const got = [sock.take(), sock.take(), sock.take(), sock.take()].map((f) => (f && f !== 'eof' ? f.payload.toString() : f));
    expect(got).toEqual(['a', 'bb', 'ccc', null]);
    sock.close();
    addon.close(peer);
  });

  it('fds come out owned, and every fd nobody took is closed with the socket', () => {
    const before = openFds();
    const { sock, peer } = pair();
    const fds = [spareFd(), spareFd(), spareFd()];
    // A frame without fds, then one with them (a Request and the Stdio
    // sent behind it): one read brings both, and the fds go to the second.
    addon.send(peer, encodeFrame(Buffer.from('one')));
    addon.send(peer, encodeFrame(Buffer.from('two')), fds);
    fds.forEach((f) => addon.close(f));
    const first = sock.take();
    if (!first || first === 'eof') throw new Error('no frame');
    expect(first.payload.toString()).toBe('one');
    expect(first.fds).toHaveLength(0);
    const second = sock.take();
    if (!second || second === 'eof') throw new Error('no second frame');
    expect(second.fds).toHaveLength(3);
    expect(second.fds.every((f) => f instanceof Fd && !f.closed)).toBe(true);
    second.fds.forEach((f) => f.close());
    // A second frame, with fds of its own, that nobody takes.
    const more = [spareFd(), spareFd()];
    addon.send(peer, encodeFrame(Buffer.from('three')), more);
    more.forEach((f) => addon.close(f));
    sock.close();
    addon.close(peer);
    expect(openFds()).toEqual(before);
  });

  it('fds of one frame that came in two reads stay with that frame', async () => {
    const before = openFds();
    const { sock, peer } = pair();
    const fds = Array.from({ length: 8 }, spareFd);
    addon.send(peer, encodeFrame(Buffer.from('x')).subarray(0, 2), fds);
    addon.send(peer, encodeFrame(Buffer.from('x')).subarray(2), fds);
    fds.forEach((f) => addon.close(f));
    const got = await sock.next();
    // The caller checks the count against what the frame's type declares.
    expect(got?.fds).toHaveLength(16);
    got?.fds.forEach((f) => f.close());
    sock.close();
    addon.close(peer);
    expect(openFds()).toEqual(before);
  });

  it('a message with more fds than one read takes breaks the stream, and every fd is closed', async () => {
    const before = openFds();
    const { sock, peer } = pair();
    // Ten fds in one sendmsg, from another process (the addon sends at most 8).
    execFileSync('python3', ['-c', 'import os, socket; s = socket.socket(fileno=3); socket.send_fds(s, [b"\\0\\0\\0\\1x"], [os.open("/dev/null", os.O_RDONLY) for _ in range(10)])'], {
      stdio: ['ignore', 'inherit', 'inherit', peer],
    });
    await expect(sock.next()).rejects.toThrow(/too many fds in one message \(10\)/);
    sock.close();
    addon.close(peer);
    expect(openFds()).toEqual(before);
  });

  it('an oversize frame is refused at its header, and its fds are closed', async () => {
    const before = openFds();
    const { sock, peer } = pair({ maxFrame: 16 });
    const head = Buffer.alloc(4);
    head.writeUInt32BE(17);
    const fd = spareFd();
    addon.send(peer, head, [fd]);
    addon.close(fd);
    await expect(sock.next()).rejects.toThrow(FrameError);
    expect(() => sock.take()).toThrow(/over the 16-byte limit/);
    sock.close();
    addon.close(peer);
    expect(openFds()).toEqual(before);
  });

  it('an end of stream inside a frame is an error; between frames it is null', async () => {
    const a = pair();
    addon.send(a.peer, encodeFrame(Buffer.from('cut')).subarray(0, 5));
    addon.close(a.peer);
    await expect(a.sock.next()).rejects.toThrow(/closed mid-frame/);
    a.sock.close();
    const b = pair();
    addon.close(b.peer);
    expect(await b.sock.next()).toBeNull();
    b.sock.close();
  });

  it('next() gives up after its deadline; a frame begun must be finished within the frame deadline', async () => {
    const a = pair();
    await expect(a.sock.next(20)).rejects.toThrow(DeadlineError);
    a.sock.close();
    addon.close(a.peer);

    const b = pair({ frameDeadlineMs: 30 });
    addon.send(b.peer, encodeFrame(Buffer.from('slow')).subarray(0, 6));
    await expect(b.sock.next()).rejects.toThrow(/not finished within 30 ms/);
    b.sock.close();
    addon.close(b.peer);
  });

  it('close() while waiting resolves the wait with null', async () => {
    const { sock, peer } = pair();
    const waiting = sock.next();
    sock.close();
    expect(await waiting).toBeNull();
    addon.close(peer);
  });

  it('sockets sharing a budget cannot hold more than it in total', async () => {
    const budget = new ByteBudget(100, 'session');
    const a = pair({ budget, maxFrame: 1000 });
    const b = pair({ budget, maxFrame: 1000 });
    addon.send(a.peer, encodeFrame(Buffer.alloc(200)).subarray(0, 60));
    expect(a.sock.take()).toBeNull();
    expect(budget.inUse).toBe(60);
    addon.send(b.peer, encodeFrame(Buffer.alloc(200)).subarray(0, 60));
    await expect(b.sock.next()).rejects.toThrow(/more than 100 bytes held at once/);
    b.sock.close();
    a.sock.close();
    expect(budget.inUse).toBe(0);
    addon.close(a.peer);
    addon.close(b.peer);
  });

  it('sends what the kernel takes now and the rest as the peer reads', async () => {
    const { sock, peer } = pair({ maxFrame: 8 << 20 });
    const big = Buffer.alloc(4 << 20, 7);
    sock.send(big);
    // Read it all back on the raw end: the socket must keep writing by itself.
    let got = 0;
    const want = big.length + 4;
    while (got < want) {
      const r = addon.recv(peer, 1 << 20, 0);
      if (r === null) {
        await new Promise((res) => setImmediate(res));
        continue;
      }
      got += r.data.length;
    }
    expect(got).toBe(want);
    sock.close();
    addon.close(peer);
  });

  it('fds on a frame are sent at once or the stream breaks: never kept for later', async () => {
    const { sock, peer } = pair({ maxFrame: 8 << 20 });
    sock.send(Buffer.alloc(4 << 20)); // fills the socket buffer
    const fd = new Fd(spareFd());
    sock.send(Buffer.from('with fd'), [fd]);
    fd.close();
    await expect(sock.next()).rejects.toThrow(/could not send fds/);
    sock.close();
    addon.close(peer);
  });
});
