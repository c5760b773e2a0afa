// What one round trip through the watcher costs: ping-pong between two
// socketpair ends, in one process and with a child process. The figures are
// printed (for the record and the report), never asserted: timing is the
// machine's business. The tests check only that every message came back.
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { loadAddon, type Addon } from '../../src/native/addon.js';
import { addonPath } from '../../src/native/paths.js';

const addon: Addon = loadAddon();
const ROUNDS = Number(process.env.EXECGATE_PINGPONG_ROUNDS ?? 20_000);
const MSG = Buffer.alloc(64, 0x61);

function report(what: string, rounds: number, ns: bigint): void {
  const us = Number(ns) / 1000 / rounds;
  console.log(`[pingpong] ${what}: ${rounds} round trips, ${us.toFixed(2)} µs each (${Math.round(1e6 / us)}/s)`);
}

/** Bounces MSG until `rounds` came back to `mine`; the other end is echoed
 * by `echo` (in this process) or by whoever holds it. */
function pingPong(mine: number, rounds: number): Promise<bigint> {
  return new Promise((resolve, reject) => {
    let left = rounds;
    const start = process.hrtime.bigint();
    const w = new addon.Watcher(mine, function () {
      try {
        for (let r = addon.recv(mine, 256, 0); r; r = addon.recv(mine, 256, 0)) {
          if (r.data.length === 0) throw new Error(`peer closed with ${left} rounds to go`);
          if (!r.data.equals(MSG)) throw new Error('garbled');
          if (--left === 0) {
            this.close();
            resolve(process.hrtime.bigint() - start);
            return;
          }
          addon.send(mine, MSG);
        }
      } catch (err) {
        this.close();
        reject(err as Error);
      }
    });
    w.start(true, false);
    addon.send(mine, MSG);
  });
}

function echo(fd: number) {
  const w = new addon.Watcher(fd, function () {
    for (let r = addon.recv(fd, 256, 0); r; r = addon.recv(fd, 256, 0)) {
      if (r.data.length === 0) return this.close();
      addon.send(fd, r.data);
    }
  });
  w.start(true, false);
  return w;
}

describe('ping-pong through the watcher (figures printed, not asserted)', () => {
  it('in one process, seqpacket and stream', async () => {
    for (const type of ['seqpacket', 'stream'] as const) {
      const [a, b] = addon.socketpair(type);
      const e = echo(b);
      await pingPong(a, 1000); // warm-up
      report(`in-process ${type}, Watcher both ends`, ROUNDS, await pingPong(a, ROUNDS));
      e.close();
      addon.close(a);
      addon.close(b);
    }
  });

  it('baseline: the same syscalls with no event loop in between', () => {
    const [a, b] = addon.socketpair('seqpacket');
    let back = 0;
    const start = process.hrtime.bigint();
    for (let i = 0; i < ROUNDS; i++) {
      addon.send(a, MSG);
      addon.send(b, addon.recv(b, 256, 0)!.data);
      back += addon.recv(a, 256, 0)!.data.length;
    }
    report('in-process seqpacket, send/recv only (no loop)', ROUNDS, process.hrtime.bigint() - start);
    expect(back).toBe(ROUNDS * MSG.length);
    addon.close(a);
    addon.close(b);
  });

  it('baseline: Node\'s own net.Socket on a stream socketpair', async () => {
    const [a, b] = addon.socketpair('stream');
    const sa = new Socket({ fd: a, readable: true, writable: true });
    const sb = new Socket({ fd: b, readable: true, writable: true });
    sb.on('data', (d) => sb.write(d));
    const ns = await new Promise<bigint>((resolve) => {
      let left = ROUNDS;
      let pending = 0;
      const start = process.hrtime.bigint();
      sa.on('data', (d) => {
        pending += d.length;
        while (pending >= MSG.length) {
          pending -= MSG.length;
          if (--left === 0) return resolve(process.hrtime.bigint() - start);
          sa.write(MSG);
        }
      });
      sa.write(MSG);
    });
    report('in-process stream, net.Socket both ends', ROUNDS, ns);
    sa.destroy();
    sb.destroy();
  });

  it('with a child process echoing through its own Watcher', async () => {
    const [a, b] = addon.socketpair('seqpacket');
    const child = spawn(
      process.execPath,
      [
        '-e',
        `const addon = require(process.env.EG_ADDON);
         const w = new addon.Watcher(3, function () {
           for (let r = addon.recv(3, 256, 0); r; r = addon.recv(3, 256, 0)) {
             if (r.data.length === 0) return this.close();
             addon.send(3, r.data);
           }
         });
         w.start(true, false);`,
      ],
      { env: { ...process.env, EG_ADDON: addonPath }, stdio: ['ignore', 'inherit', 'inherit', b] },
    );
    addon.close(b);
    await pingPong(a, 1000); // warm-up (and waits for the child to start)
    report('parent <-> child seqpacket, Watcher both sides', ROUNDS, await pingPong(a, ROUNDS));
    addon.close(a); // the child sees EOF and exits
    const code = await new Promise((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
  });
});
