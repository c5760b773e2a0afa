// The session's side of "EXN1" (execgate.proto, "Seccomp backstop"): only
// the sandbox's init hands over a listener (or says why it has none), only
// first on the shell's own socket, only when the launch started an init.
// Real sockets, a scripted broker.
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { loadAddon } from '../../src/native/addon.js';
import type { Fd } from '../../src/native/fd.js';
import { HELLO_CONNECTION, HELLO_SECCOMP, SESSION_SOCKET_NAME } from '../../src/protocol/constants.js';
import { encodeFrame } from '../../src/protocol/frame.js';
import { encodeToBroker, Kind, type Request } from '../../src/protocol/messages.js';
import { PathMap } from '../../src/sandbox/path-map.js';
import type { Plan } from '../../src/session/plan.js';
import { Session, type SessionHost } from '../../src/session/session.js';
import { waitFor } from '../helpers/wait.js';

const addon = loadAddon();
const openFds = () => new Set(readdirSync('/proc/self/fd').map(Number));

function host() {
  const seen = { backstops: [] as { listener: number | null; why: string }[], errors: [] as string[], plans: 0 };
  const h: SessionHost = {
    context: () => ({
      deadlines: { requestMs: 5000, stdioMs: 5000 },
      plan: (req: Request) => (seen.plans++, { id: 'x', request: req, decision: 'run' }) as unknown as Plan,
      envAllow: () => [],
      authorize: async () => ({ approve: false, reason: 'no', by: 'test' }),
      spawn: () => {
        throw new Error('not in this test');
      },
      notify: () => {},
      auditDecision: () => {},
      auditCompletion: () => {},
      auditProtocolError: (why) => void seen.errors.push(why),
    }),
    record: () => {},
    backstop: (_s, listener: Fd | null, why) => {
      seen.backstops.push({ listener: listener === null ? null : listener.fd, why });
      listener?.close();
    },
    protocolError: (_s, why) => void seen.errors.push(why),
    internalError: (_s, err) => void seen.errors.push(String(err)),
  };
  return { h, seen };
}

let session: Session | null = null;
afterEach(() => session?.close());

function open(backstop: boolean | null) {
  const { h, seen } = host();
  session = new Session(h, { label: 't', pathMap: PathMap.identity() }, mkdtempSync(join(tmpdir(), 'eg-exn1-')));
  if (backstop !== null) session.mediate({ shims: new Set(), replaced: new Set(), backstop });
  return { session, seen, shell: session.takeShellEnd() };
}

const request = encodeFrame(encodeToBroker({ type: 'request', request: { kind: Kind.EXEC, file: Buffer.from('/bin/true'), argv: [Buffer.from('true')], cwd: Buffer.from('/'), pid: 7 } }));

function sendExec(sock: number): void {
  const [mine, theirs] = addon.socketpair('stream');
  addon.send(mine, request);
  addon.send(sock, HELLO_CONNECTION, [theirs]);
  addon.close(theirs);
  addon.close(mine);
}

describe('"EXN1" on the session socket', () => {
  it('from the init, first on fd 87: the listener goes to the broker', async () => {
    const { shell, seen } = open(true);
    const [a, b] = addon.socketpair('stream');
    addon.send(shell.fd, HELLO_SECCOMP, [a]);
    await waitFor(() => seen.backstops.length > 0, { what: 'the listener to reach the broker' });
    expect(seen.backstops).toEqual([{ listener: expect.any(Number), why: '' }]);
    expect(seen.errors).toEqual([]);
    addon.close(a);
    addon.close(b);
    shell.close();
  });

  it('from the init, first, without an fd: why there is no backstop', async () => {
    const { shell, seen } = open(true);
    addon.send(shell.fd, Buffer.concat([HELLO_SECCOMP, Buffer.from('seccomp refused the exec filter: Operation not permitted')]));
    await waitFor(() => seen.backstops.length > 0, { what: 'the refusal to reach the broker' });
    expect(seen.backstops).toEqual([{ listener: null, why: 'seccomp refused the exec filter: Operation not permitted' }]);
    shell.close();
  });

  it('when the first datagram is anything else, the broker hears that no listener came, and the exec goes on', async () => {
    const { shell, seen } = open(true);
    sendExec(shell.fd);
    await waitFor(() => seen.plans > 0, { what: 'the exec' });
    expect(seen.backstops).toEqual([{ listener: null, why: "the sandbox's init did not hand over a listener" }]);
    shell.close();
  });

  it('refused later, on the session path, or from a sandbox started without an init: its fd closed', async () => {
    const refusal = "seccomp listener from something other than the sandbox's init";
    const before = openFds();
    // later
    const later = open(true);
    sendExec(later.shell.fd);
    const [a, b] = addon.socketpair('stream');
    addon.send(later.shell.fd, HELLO_SECCOMP, [a]);
    await waitFor(() => later.seen.errors.length > 0, { what: 'the refusal' });
    expect(later.seen.errors).toEqual([refusal]);
    later.shell.close();
    later.session.close();
    // on the session path, first there
    const byPath = open(true);
    const client = addon.connect(join(byPath.session.dir, SESSION_SOCKET_NAME), 'seqpacket');
    addon.send(client, HELLO_SECCOMP, [a]);
    await waitFor(() => byPath.seen.errors.length > 0, { what: 'the refusal on the path' });
    expect(byPath.seen.errors).toEqual([refusal]);
    addon.close(client);
    byPath.shell.close();
    byPath.session.close();
    const ended = [later.session, byPath.session];
    // no init (--sandbox none), first on fd 87
    for (const backstop of [false, null]) {
      const none = open(backstop);
      addon.send(none.shell.fd, HELLO_SECCOMP, [a]);
      await waitFor(() => none.seen.errors.length > 0, { what: 'the refusal without an init' });
      expect(none.seen.errors).toEqual([refusal]);
      expect(none.seen.backstops).toEqual([]);
      none.shell.close();
      none.session.close();
      ended.push(none.session);
    }
    addon.close(a);
    addon.close(b);
    session = null;
    // Their directories go on the thread pool, which opens each to read it.
    await Promise.all(ended.map((s) => s.removed()));
    // every fd that came in was closed
    expect([...openFds()].filter((fd) => !before.has(fd))).toEqual([]);
  });
});
