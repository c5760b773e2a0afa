// What one round trip through the addon's watcher costs: ping-pong between
// two socketpair ends, in one process and with a child process, beside the
// same syscalls without an event loop and Node's own net.Socket. Printed by
// `npm run bench` (it was a test; figures belong here, not in tests).
import { spawn } from 'node:child_process';
import { Socket } from 'node:net';
import { loadAddon } from '../../dist/native/addon.js';
import { addonPath } from '../../dist/native/paths.js';

const addon = loadAddon();
const MSG = Buffer.alloc(64, 0x61);

function line(what, rounds, ns) {
  const us = Number(ns) / 1000 / rounds;
  console.log(`  ${what.padEnd(52)} ${us.toFixed(2).padStart(7)} µs per round trip`);
}

/** Bounces MSG until `rounds` came back to `mine`. */
function pingPong(mine, rounds) {
  return new Promise((resolve, reject) => {
    let left = rounds;
    const start = process.hrtime.bigint();
    const w = new addon.Watcher(mine, function () {
      try {
        for (let r = addon.recv(mine, 256, 0); r; r = addon.recv(mine, 256, 0)) {
          if (r.data.length === 0) throw new Error(`peer closed with ${left} rounds to go`);
          if (--left === 0) {
            this.close();
            resolve(process.hrtime.bigint() - start);
            return;
          }
          addon.send(mine, MSG);
        }
      } catch (err) {
        this.close();
        reject(err);
      }
    });
    w.start(true, false);
    addon.send(mine, MSG);
  });
}

function echo(fd) {
  const w = new addon.Watcher(fd, function () {
    for (let r = addon.recv(fd, 256, 0); r; r = addon.recv(fd, 256, 0)) {
      if (r.data.length === 0) return this.close();
      addon.send(fd, r.data);
    }
  });
  w.start(true, false);
  return w;
}

export async function benchAddonPingPong(rounds = Number(process.env.EXECGATE_PINGPONG_ROUNDS ?? 20_000)) {
  console.log(`addon ping-pong: ${rounds} round trips each`);
  for (const type of ['seqpacket', 'stream']) {
    const [a, b] = addon.socketpair(type);
    const e = echo(b);
    await pingPong(a, 1000); // warm-up
    line(`in-process ${type}, Watcher both ends`, rounds, await pingPong(a, rounds));
    e.close();
    addon.close(a);
    addon.close(b);
  }
  {
    const [a, b] = addon.socketpair('seqpacket');
    const start = process.hrtime.bigint();
    for (let i = 0; i < rounds; i++) {
      addon.send(a, MSG);
      addon.send(b, addon.recv(b, 256, 0).data);
      addon.recv(a, 256, 0);
    }
    line('in-process seqpacket, send/recv only (no loop)', rounds, process.hrtime.bigint() - start);
    addon.close(a);
    addon.close(b);
  }
  {
    const [a, b] = addon.socketpair('stream');
    const sa = new Socket({ fd: a, readable: true, writable: true });
    const sb = new Socket({ fd: b, readable: true, writable: true });
    sb.on('data', (d) => sb.write(d));
    const ns = await new Promise((resolve) => {
      let left = rounds;
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
    line('in-process stream, net.Socket both ends', rounds, ns);
    sa.destroy();
    sb.destroy();
  }
  {
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
    await pingPong(a, 1000);
    line('parent <-> child seqpacket, Watcher both sides', rounds, await pingPong(a, rounds));
    addon.close(a);
    await new Promise((resolve) => child.on('exit', resolve));
  }
}
