// Session over real sockets with a scripted host: both ways in (fd 87's
// socketpair and the session path), the datagrams, the end of a session.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAddon } from '../../../src/native/addon.js';
import { Fd } from '../../../src/native/fd.js';
import { HELLO_CONNECTION, HELLO_RECORD, SESSION_SOCKET_NAME } from '../../../src/protocol/constants.js';
import { encodeToBroker, Kind, type Request } from '../../../src/protocol/messages.js';
import { PathMap } from '../../../src/sandbox/path-map.js';
import type { Plan } from '../../../src/session/plan.js';
import { Session, type SessionHost } from '../../../src/session/session.js';
import type { HostCommand } from '../../../src/session/session-context.js';
import { execOverSession } from '../../helpers/wrapper-exec.js';

const addon = loadAddon();
const openFds = () => new Set(readdirSync('/proc/self/fd').map(Number));
const tick = () => new Promise((res) => setImmediate(res));
const waitFor = async (cond: () => boolean) => {
  while (!cond()) await tick();
};

function host() {
  const seen = { plans: 0, records: [] as Request[], errors: [] as string[], internal: [] as unknown[] };
  const h: SessionHost = {
    context: () => ({
      deadlines: { requestMs: 5000, stdioMs: 5000 },
      plan: (req) => (seen.plans++, { id: 'x', request: req, decision: 'run' } as unknown as Plan),
      envAllow: () => [],
      authorize: async () => ({ approve: false, reason: 'no', by: 'test' }),
      spawn: () => {
        throw new Error('not in this test');
      },
      notify: () => {},
      auditDecision: () => {},
      auditCompletion: () => {},
      auditProtocolError: (why) => seen.errors.push(why),
    }),
    record: (_s, req) => void seen.records.push(req),
    backstop: (_s, listener, why) => (listener?.close(), void seen.errors.push(`backstop: ${why}`)),
    protocolError: (_s, why) => void seen.errors.push(why),
    internalError: (_s, err) => void seen.internal.push(err),
  };
  return { h, seen };
}

let session: Session | null = null;
afterEach(async () => {
  session?.close();
  // Its directory goes on the thread pool: done before the next test counts fds.
  await session?.removed();
});

function open() {
  const { h, seen } = host();
  const dir = mkdtempSync(join(tmpdir(), 'eg-sess-'));
  session = new Session(h, { label: 't', pathMap: PathMap.identity() }, dir);
  return { session, seen, shell: session.takeShellEnd() };
}

describe('Session', () => {
  it('takes execs on the shell\'s socket (fd 87)', async () => {
    const { shell, seen } = open();
    expect(await execOverSession(shell.fd)).toMatchObject({ type: 'decision', action: 1 });
    expect(seen.plans).toBe(1);
    shell.close();
  });

  it('takes execs on the session path from a client that lost fd 87, and stays open when that client hangs up', async () => {
    const { session: s, shell, seen } = open();
    const path = join(s.dir, SESSION_SOCKET_NAME);
    for (let i = 0; i < 3; i++) {
      const client = addon.connect(path, 'seqpacket');
      expect(await execOverSession(client)).toMatchObject({ type: 'decision', action: 1 });
      addon.close(client);
    }
    expect(seen.plans).toBe(3);
    await tick();
    expect(s.isClosed).toBe(false);
    shell.close();
  });

  it('passes run records to the broker, and refuses what is not a record', async () => {
    const { shell, seen } = open();
    // A record is a bare Request after the hello (not a ToBroker).
    const wrapped = encodeToBroker({ type: 'request', request: { kind: Kind.EXEC, file: Buffer.from('/bin/ls'), argv: [Buffer.from('ls'), Buffer.from('-l')], cwd: Buffer.from('/tmp'), pid: 9 } });
    const record = wrapped.subarray(2); // drop ToBroker's field tag and length (one byte each here)
    addon.send(shell.fd, Buffer.concat([HELLO_RECORD, record]));
    addon.send(shell.fd, Buffer.concat([HELLO_RECORD, Buffer.from([0xff, 0xff])]));
    addon.send(shell.fd, Buffer.concat([HELLO_RECORD, record]), [shell.fd]);
    await waitFor(() => seen.records.length + seen.errors.length >= 3);
    expect(seen.records.map((r) => [r.file.toString(), r.argv.map(String)])).toEqual([['/bin/ls', ['ls', '-l']]]);
    expect(seen.errors).toEqual([expect.stringMatching(/^undecodable run record/), 'run record with an fd']);
    shell.close();
  });

  it('an empty datagram is dropped and audited, not taken for the end of the session', async () => {
    const { session: s, shell, seen } = open();
    addon.send(shell.fd, Buffer.alloc(0));
    await waitFor(() => seen.errors.length > 0);
    expect(seen.errors).toEqual(['empty message on the session socket']);
    expect(s.isClosed).toBe(false);
    expect(await execOverSession(shell.fd)).toMatchObject({ type: 'decision', action: 1 });
    shell.close();
  });

  it('hellos with the wrong fds are refused, every fd closed, and the session carries on', async () => {
    const before = openFds();
    const { shell, seen } = open();
    const [a, b] = addon.socketpair('seqpacket');
    addon.send(shell.fd, HELLO_CONNECTION, [a]); // a seqpacket, not a stream
    addon.send(shell.fd, HELLO_CONNECTION); // no fd
    addon.send(shell.fd, HELLO_CONNECTION, [a, b]); // two
    addon.send(shell.fd, Buffer.from('EXG1 and more'), [a]);
    addon.close(a);
    addon.close(b);
    await waitFor(() => seen.errors.length >= 4);
    expect(seen.errors).toEqual(['connection fd is not a stream socket', 'hello without a connection fd', 'hello with 2 fds', 'malformed hello']);
    expect(await execOverSession(shell.fd)).toMatchObject({ action: 1 });
    shell.close();
    session!.close();
    await session!.removed();
    expect(openFds()).toEqual(before);
  });

  it('outlives fd 87: with every copy of the shell\'s socket closed, the session path still serves', async () => {
    const { session: s, shell, seen } = open();
    shell.close();
    const client = addon.connect(join(s.dir, SESSION_SOCKET_NAME), 'seqpacket');
    expect(await execOverSession(client)).toMatchObject({ type: 'decision', action: 1 });
    addon.close(client);
    expect(seen.plans).toBe(1);
    expect(s.isClosed).toBe(false);
  });

  it('ends with the process it is bound to: its directory goes, its commands are ended', async () => {
    const { session: s, shell } = open();
    shell.close();
    let terminated = 0;
    const cmd: HostCommand = { pid: 1, started: Promise.resolve(1), exited: new Promise(() => {}), forward() {}, resize() {}, terminate: () => void terminated++, onStop() {} };
    s.own(cmd);
    const child = spawn('cat', [], { stdio: ['pipe', 'ignore', 'ignore'] });
    s.endWith(new Fd(addon.pidfdOpen(child.pid!)));
    expect(existsSync(join(s.dir, SESSION_SOCKET_NAME))).toBe(true);
    child.stdin!.end();
    await waitFor(() => s.isClosed);
    await s.removed();
    expect(existsSync(s.dir)).toBe(false);
    expect(terminated).toBe(1);
  });

  it('takes its whole directory with it, whatever is in it, off the event loop', async () => {
    const { session: s, shell } = open();
    shell.close();
    s.publishRunTable(Buffer.from('EGT1'));
    writeFileSync(join(s.dir, 'passwd'), 'a sandbox file\n');
    mkdirSync(join(s.dir, 'sub', 'deeper'), { recursive: true });
    writeFileSync(join(s.dir, 'sub', 'deeper', 'x'), '');
    s.close();
    // Still there when close() returns: removing it is the thread pool's.
    expect(existsSync(s.dir)).toBe(true);
    await s.removed();
    expect(existsSync(s.dir)).toBe(false);
  });
});
