import { describe, expect, it } from 'vitest';
import { FrameError, FrameReader, encodeFrame } from '../../../src/protocol/frame.js';

describe('FrameReader', () => {
  it('reassembles frames split at every byte and keeps fds with their frame', () => {
    const a = encodeFrame(Buffer.from('hello'));
    const b = encodeFrame(Buffer.from('second frame'));
    const all = Buffer.concat([a, b]);
    const r = new FrameReader(1024);
    const frames: { payload: string; fds: number[] }[] = [];
    for (let i = 0; i < all.length; i++) {
      // fds arrive with the first byte of frame b, as the kernel delivers them
      r.push(all.subarray(i, i + 1), i === a.length ? [7, 8, 9] : []);
      for (let f = r.next(); f; f = r.next()) frames.push({ payload: f.payload.toString(), fds: f.fds });
    }
    expect(frames).toEqual([
      { payload: 'hello', fds: [] },
      { payload: 'second frame', fds: [7, 8, 9] },
    ]);
    expect(r.hasPartial()).toBe(false);
  });

  it('gives fds to the frame holding the last byte of the read that brought them', () => {
    // A Request and the Stdio written right behind it come in one read (the
    // kernel stops after the Stdio's sendmsg, which carried the fds).
    const request = encodeFrame(Buffer.from('request'));
    const stdio = encodeFrame(Buffer.from('stdio'));
    const r = new FrameReader(1024);
    r.push(Buffer.concat([request, stdio]), [7, 8, 9]);
    expect(r.next()).toEqual({ payload: Buffer.from('request'), fds: [] });
    expect(r.next()).toEqual({ payload: Buffer.from('stdio'), fds: [7, 8, 9] });
    // A read that ends inside the frame carrying the fds: still that frame's.
    const big = encodeFrame(Buffer.alloc(100, 1));
    r.push(Buffer.concat([request, big.subarray(0, 10)]), [4]);
    r.push(big.subarray(10), []);
    expect(r.next()?.fds).toEqual([]);
    expect(r.next()?.fds).toEqual([4]);
  });

  it('refuses a frame over the cap as soon as the header is seen', () => {
    const r = new FrameReader(10);
    const head = Buffer.alloc(4);
    head.writeUInt32BE(11);
    expect(() => r.push(head, [])).toThrow(FrameError);
  });

  it('reports what the current frame still needs', () => {
    const r = new FrameReader(1 << 20);
    expect(r.wanted()).toBe(4);
    const frame = encodeFrame(Buffer.alloc(1000));
    r.push(frame.subarray(0, 10), []);
    expect(r.wanted()).toBe(994);
    expect(r.next()).toBeNull();
    expect(r.hasPartial()).toBe(true);
  });

  it('hands back fds of an unfinished frame so they can be closed', () => {
    const r = new FrameReader(100);
    r.push(encodeFrame(Buffer.from('abc')).subarray(0, 5), [42]);
    expect(r.takeFds()).toEqual([42]);
    expect(r.takeFds()).toEqual([]);
  });

  it('handles a zero-length frame', () => {
    const r = new FrameReader(100);
    r.push(encodeFrame(Buffer.alloc(0)), []);
    const f = r.next();
    expect(f?.payload.length).toBe(0);
  });
});
