// A wrapper's side of one exec, over a real session socket, for the unit
// tests of the session and the broker: the hello with a fresh connection
// carrying the request, then the stdio (three fds of /dev/null) if asked;
// resolves with the broker's final reply, or null when it hung up.
import { openSync } from 'node:fs';
import { loadAddon } from '../../src/native/addon.js';
import { HELLO_CONNECTION } from '../../src/protocol/constants.js';
import { encodeFrame, FrameReader } from '../../src/protocol/frame.js';
import { decodeToWrapper, encodeToBroker, Kind, type ToWrapper } from '../../src/protocol/messages.js';

const tick = () => new Promise((res) => setImmediate(res));

export async function execOverSession(sessionSock: number, file = '/bin/true', argv = ['true']): Promise<ToWrapper | null> {
  const addon = loadAddon();
  const [mine, theirs] = addon.socketpair('stream');
  addon.send(mine, encodeFrame(encodeToBroker({ type: 'request', request: { kind: Kind.EXEC, file: Buffer.from(file), argv: argv.map((a) => Buffer.from(a)), cwd: Buffer.from('/'), pid: 7 } })));
  addon.send(sessionSock, HELLO_CONNECTION, [theirs]);
  addon.close(theirs);
  const reader = new FrameReader(65536);
  try {
    for (;;) {
      const f = reader.next();
      if (f) {
        const m = decodeToWrapper(f.payload);
        if (m.type !== 'sendStdio') return m;
        const nul = [0, 1, 2].map(() => openSync('/dev/null', 'r+'));
        addon.send(mine, encodeFrame(encodeToBroker({ type: 'stdio', stdio: { env: [], tty: false, winsize: null, closed: [] } })), nul);
        nul.forEach((fd) => addon.close(fd));
        continue;
      }
      const r = addon.recv(mine, 65536, 0);
      if (r === null) {
        await tick();
        continue;
      }
      if (r.data.length === 0) return null;
      reader.push(r.data, []);
    }
  } finally {
    addon.close(mine);
  }
}
