// handleExec, the whole life of one exec, over a real socketpair with a
// scripted context: what the wrapper is told, what the context is asked,
// what is audited, and that every fd is closed on every path.
import { readdirSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import type { CompletionInfo } from '../../../src/audit/records.js';
import type { ExitStatus } from '../../../src/exec/host-process.js';
import { loadAddon } from '../../../src/native/addon.js';
import { Fd } from '../../../src/native/fd.js';
import { FramedSocket } from '../../../src/native/framed-socket.js';
import { encodeFrame, FrameReader } from '../../../src/protocol/frame.js';
import { Action, decodeToWrapper, encodeToBroker, Kind, type RequestFields, type Stdio, type ToBrokerFields, type ToWrapper } from '../../../src/protocol/messages.js';
import type { Decision } from '../../../src/policy/types.js';
import { handleExec } from '../../../src/session/exec-handler.js';
import type { Plan } from '../../../src/session/plan.js';
import type { HostCommand, SessionContext, Verdict } from '../../../src/session/session-context.js';

const addon = loadAddon();
const openFds = () => new Set(readdirSync('/proc/self/fd').map(Number));

function request(over: Partial<RequestFields> = {}): ToBrokerFields {
  return { type: 'request', request: { kind: Kind.EXEC, file: Buffer.from('/usr/bin/git'), argv: [Buffer.from('git'), Buffer.from('push')], cwd: Buffer.from('/w'), pid: 42, ...over } };
}

const stdio = (over: Partial<Stdio> = {}): ToBrokerFields => ({ type: 'stdio', stdio: { env: [Buffer.from('TERM=xterm'), Buffer.from('SECRET=x'), Buffer.from('LD_PRELOAD=/evil')], tty: false, winsize: null, closed: [], ...over } });

function planFor(decision: Decision): Plan {
  return {
    id: 's.1',
    request: { kind: Kind.EXEC, file: Buffer.from('/usr/bin/git'), argv: [], cwd: Buffer.from('/w'), pid: 42, argc: 0 },
    explicit: false,
    file: '/usr/bin/git',
    argv: ['git', 'push'],
    cwd: '/w',
    decision,
    reason: decision === 'deny' ? 'not pushes' : 'rule r',
    rule: null,
    matched: [],
    decidedBy: 'rule:r',
    host: decision === 'escalate' || decision === 'prompt' ? { program: '/usr/bin/git', named: '/usr/bin/git', cwd: '/w' } : null,
    setEnv: null,
    projectCode: null,
    pin: null,
  };
}

class FakeProc implements HostCommand {
  readonly pid = 4242;
  start!: (pid: number | null) => void;
  readonly started = new Promise<number | null>((res) => (this.start = res));
  forwarded: number[] = [];
  resized: [number, number][] = [];
  terminated = 0;
  onStop: (signal: number) => void = () => {};
  exit!: (s: ExitStatus) => void;
  readonly exited = new Promise<ExitStatus>((res) => (this.exit = res));
  forward(signo: number) {
    this.forwarded.push(signo);
  }
  resize(rows: number, cols: number) {
    this.resized.push([rows, cols]);
  }
  terminate() {
    this.terminated += 1;
    this.exit({ code: 143, signal: 15 });
  }
}

interface Script {
  decision: Decision;
  verdict?: (signal: AbortSignal) => Promise<Verdict>;
  spawnThrows?: boolean;
  /** The command's start is reported by the test (proc.start), not at once. */
  startLater?: boolean;
  deadlines?: { requestMs: number; stdioMs: number };
}

function context(script: Script) {
  const calls = {
    plans: 0,
    decisions: [] as Plan[],
    completions: [] as CompletionInfo[],
    errors: [] as string[],
    notified: [] as string[],
    crossing: null as Map<string, Buffer> | null,
    spawnedWith: [] as number[],
    proc: null as FakeProc | null,
    signal: null as AbortSignal | null,
    replies: [] as string[],
  };
  const ctx: SessionContext = {
    deadlines: script.deadlines ?? { requestMs: 5_000, stdioMs: 5_000 },
    plan: () => (calls.plans++, planFor(script.decision)),
    envAllow: () => ['EXTRA_*'],
    authorize: async (_plan, crossing, signal) => {
      calls.crossing = crossing;
      calls.signal = signal;
      return script.verdict ? script.verdict(signal) : { approve: true, by: 'rule:r' };
    },
    spawn: (_plan, _crossing, _stdio, fds) => {
      if (script.spawnThrows) throw new Error('no such helper');
      calls.spawnedWith = fds.map((f) => f.fd);
      calls.proc = new FakeProc();
      if (!script.startLater) calls.proc.start(calls.proc.pid);
      return calls.proc;
    },
    notify: (e) => calls.notified.push(e),
    auditDecision: (p) => calls.decisions.push(p),
    auditCompletion: (_p, info) => calls.completions.push(info),
    auditProtocolError: (why) => calls.errors.push(why),
    replied: (what) => calls.replies.push(what),
  };
  return { ctx, calls };
}

/** The wrapper's side of one connection: raw fd, frames in and out. */
class Wrapper {
  readonly reader = new FrameReader(1 << 20);
  constructor(readonly fd: number) {}
  send(m: ToBrokerFields, fds: number[] = []) {
    addon.send(this.fd, encodeFrame(encodeToBroker(m)), fds);
  }
  /** The next reply, or null at end of stream. */
  async reply(): Promise<ToWrapper | null> {
    for (;;) {
      const f = this.reader.next();
      if (f) return decodeToWrapper(f.payload);
      const r = addon.recv(this.fd, 65536, 0);
      if (r === null) {
        await new Promise((res) => setImmediate(res));
        continue;
      }
      if (r.data.length === 0) return null;
      this.reader.push(r.data, []);
    }
  }
  close() {
    addon.close(this.fd);
  }
}

/** A connection: the handler running on one end, the wrapper on the other. */
function connect(script: Script) {
  const [brokerEnd, wrapperEnd] = addon.socketpair('stream');
  const { ctx, calls } = context(script);
  const sock = new FramedSocket(new Fd(brokerEnd), { maxFrame: 4 << 20 });
  return { wrapper: new Wrapper(wrapperEnd), calls, run: () => handleExec(sock, ctx), sock };
}

/** An escalation whose stdio went right behind its request (stdio_follows),
 * its handler running (`done`). */
function escalateAhead(script: Script) {
  const c = connect(script);
  const fds = stdioFds();
  c.wrapper.send(request({ stdioFollows: true }));
  c.wrapper.send(stdio(), fds);
  fds.forEach((f) => addon.close(f));
  return { ...c, done: c.run() };
}

/** Three fds to pass as stdio (ends of socketpairs, the others closed). */
function stdioFds(): number[] {
  return [0, 1, 2].map(() => {
    const [a, b] = addon.socketpair('stream');
    addon.close(b);
    return a;
  });
}

const waitFor = async (cond: () => boolean) => {
  while (!cond()) await new Promise((res) => setImmediate(res));
};

let before: Set<number>;
afterEach(() => {
  // Every fd a test made or received is closed by then.
  expect(openFds()).toEqual(before);
});
const start = () => (before = openFds());

describe('handleExec', () => {
  it('Run: one reply, one audited decision, and the connection is closed', async () => {
    start();
    const c = connect({ decision: 'run' });
    c.wrapper.send(request());
    await c.run();
    expect(await c.wrapper.reply()).toEqual({ type: 'decision', action: Action.RUN, reason: '' });
    expect(await c.wrapper.reply()).toBeNull();
    expect(c.calls.decisions).toHaveLength(1);
    expect(c.calls.errors).toEqual([]);
    c.wrapper.close();
  });

  it('Deny: the rule\'s reason, nothing asked, nothing spawned', async () => {
    start();
    const c = connect({ decision: 'deny' });
    c.wrapper.send(request());
    await c.run();
    expect(await c.wrapper.reply()).toEqual({ type: 'decision', action: Action.DENY, reason: 'not pushes' });
    expect(c.calls.signal).toBeNull();
    expect(c.calls.proc).toBeNull();
    c.wrapper.close();
  });

  it('Notify: passes the event on and answers Run, without a plan', async () => {
    start();
    const c = connect({ decision: 'run' });
    c.wrapper.send(request({ kind: Kind.NOTIFY, file: Buffer.alloc(0), argv: [Buffer.from('notify'), Buffer.from('busy')] }));
    await c.run();
    expect(await c.wrapper.reply()).toMatchObject({ action: Action.RUN });
    expect(c.calls.notified).toEqual(['busy']);
    expect(c.calls.plans).toBe(0);
    c.wrapper.close();
  });

  it('Escalate: stdio first, only allowed variables cross, the command runs, its exit comes back and is audited', async () => {
    start();
    const c = connect({ decision: 'escalate' });
    c.wrapper.send(request());
    const done = c.run();
    const ask = await c.wrapper.reply();
    expect(ask).toMatchObject({ type: 'sendStdio' });
    expect((ask as unknown as { envAllow: string[] }).envAllow).toEqual(expect.arrayContaining(['TERM', 'LC_*', 'EXTRA_*']));
    const fds = stdioFds();
    c.wrapper.send(stdio(), fds);
    fds.forEach((f) => addon.close(f));
    expect(await c.wrapper.reply()).toEqual({ type: 'decision', action: Action.ESCALATE, reason: '' });
    expect([...c.calls.crossing!.keys()]).toEqual(['TERM']);
    expect(c.calls.spawnedWith).toHaveLength(3);
    c.wrapper.send({ type: 'signal', signo: 2 });
    c.wrapper.send({ type: 'signal', signo: 9 }); // SIGKILL is not forwardable
    c.wrapper.send({ type: 'resize', winsize: { rows: 30, cols: 100 } });
    await waitFor(() => c.calls.proc!.resized.length === 1);
    expect(c.calls.proc!.forwarded).toEqual([2]);
    c.calls.proc!.onStop(20);
    expect(await c.wrapper.reply()).toEqual({ type: 'stop', signal: 20 });
    c.calls.proc!.exit({ code: 7, signal: 0 });
    await done;
    expect(await c.wrapper.reply()).toEqual({ type: 'exit', code: 7, signal: 0 });
    expect(c.calls.completions).toEqual([expect.objectContaining({ outcome: 'exited', status: { code: 7, signal: 0 }, pid: 4242 })]);
    c.wrapper.close();
  });

  it('Escalate with the stdio sent ahead (stdio_follows): no SendStdio, the same filtering, the same exit', async () => {
    start();
    const c = escalateAhead({ decision: 'escalate' });
    const done = c.done;
    expect(await c.wrapper.reply()).toEqual({ type: 'decision', action: Action.ESCALATE, reason: '' });
    expect([...c.calls.crossing!.keys()]).toEqual(['TERM']);
    expect(c.calls.spawnedWith).toHaveLength(3);
    c.calls.proc!.exit({ code: 3, signal: 0 });
    await done;
    expect(await c.wrapper.reply()).toEqual({ type: 'exit', code: 3, signal: 0 });
    c.wrapper.close();
  });

  it('Escalate: the wrapper hears ESCALATE once the command has started, our copies of its stdio closed by then', async () => {
    start();
    const c = escalateAhead({ decision: 'escalate', startLater: true });
    const done = c.done;
    await waitFor(() => c.calls.proc !== null);
    const heldWhileStarting = openFds().size;
    // Not before the start: nothing to read yet. The broker's latency figure
    // ends at the hand-over, not at the command's start.
    expect(addon.recv(c.wrapper.fd, 64, 0)).toBeNull();
    expect(c.calls.replies).toEqual(['escalate']);
    c.calls.proc!.start(4242);
    expect(await c.wrapper.reply()).toEqual({ type: 'decision', action: Action.ESCALATE, reason: '' });
    expect(openFds().size).toBe(heldWhileStarting - 3);
    c.calls.proc!.exit({ code: 0, signal: 0 });
    await done;
    expect(await c.wrapper.reply()).toEqual({ type: 'exit', code: 0, signal: 0 });
    c.wrapper.close();
  });

  it('Escalate: a Stop reported with the start comes after ESCALATE; an end without a start still brings ESCALATE, then Exit', async () => {
    start();
    const c = escalateAhead({ decision: 'escalate', startLater: true });
    const done = c.done;
    await waitFor(() => c.calls.proc !== null);
    // As HostProcess does when "P" and "S" come in one read: the stop first.
    c.calls.proc!.onStop(19);
    c.calls.proc!.start(4242);
    expect(await c.wrapper.reply()).toEqual({ type: 'decision', action: Action.ESCALATE, reason: '' });
    expect(await c.wrapper.reply()).toEqual({ type: 'stop', signal: 19 });
    c.calls.proc!.exit({ code: 0, signal: 0 });
    await done;
    expect(await c.wrapper.reply()).toEqual({ type: 'exit', code: 0, signal: 0 });
    c.wrapper.close();

    const d = escalateAhead({ decision: 'escalate', startLater: true });
    const done2 = d.done;
    await waitFor(() => d.calls.proc !== null);
    // Could not start (HostProcess settles `started` with null, then `exited`).
    d.calls.proc!.start(null);
    d.calls.proc!.exit({ code: 126, signal: 0 });
    await done2;
    expect(await d.wrapper.reply()).toEqual({ type: 'decision', action: Action.ESCALATE, reason: '' });
    expect(await d.wrapper.reply()).toEqual({ type: 'exit', code: 126, signal: 0 });
    d.wrapper.close();
  });

  it('Run or Deny with the stdio sent ahead: answered at once, the Stdio and its fds dropped unread', async () => {
    for (const decision of ['run', 'deny'] as const) {
      start();
      const c = connect({ decision });
      const fds = stdioFds();
      c.wrapper.send(request({ stdioFollows: true }));
      c.wrapper.send(stdio(), fds);
      fds.forEach((f) => addon.close(f));
      await c.run();
      expect(await c.wrapper.reply()).toMatchObject({ type: 'decision', action: decision === 'run' ? Action.RUN : Action.DENY });
      expect(await c.wrapper.reply()).toBeNull();
      expect(c.calls.proc).toBeNull();
      expect(c.calls.errors).toEqual([]);
      c.wrapper.close();
      expect(openFds()).toEqual(before);
    }
  });

  it('stdio_follows with no Stdio behind it: the stdio deadline ends the connection, nothing spawned', async () => {
    start();
    const c = connect({ decision: 'escalate', deadlines: { requestMs: 5_000, stdioMs: 20 } });
    c.wrapper.send(request({ stdioFollows: true }));
    await c.run();
    expect(c.calls.errors).toEqual([expect.stringMatching(/no stdio within 20 ms/)]);
    expect(c.calls.proc).toBeNull();
    c.wrapper.close();
  });

  it('Prompt denied by a human: Deny with the reason; the stdio fds are closed, nothing spawned', async () => {
    start();
    const c = connect({ decision: 'prompt', verdict: async () => ({ approve: false, reason: 'not today', by: 'human:web' }) });
    c.wrapper.send(request());
    const done = c.run();
    await c.wrapper.reply();
    const fds = stdioFds();
    c.wrapper.send(stdio(), fds);
    fds.forEach((f) => addon.close(f));
    await done;
    expect(await c.wrapper.reply()).toEqual({ type: 'decision', action: Action.DENY, reason: 'not today' });
    expect(c.calls.proc).toBeNull();
    expect(c.calls.completions).toEqual([{ decidedBy: 'human:web', outcome: 'denied', reason: 'not today' }]);
    c.wrapper.close();
  });

  it('the wrapper going away while a human decides cancels the question', async () => {
    start();
    const c = connect({ decision: 'prompt', verdict: (signal) => new Promise((res) => signal.addEventListener('abort', () => res({ approve: false, reason: 'gone', by: 'cancelled' }))) });
    c.wrapper.send(request());
    const done = c.run();
    await c.wrapper.reply();
    const fds = stdioFds();
    c.wrapper.send(stdio(), fds);
    fds.forEach((f) => addon.close(f));
    await waitFor(() => c.calls.signal !== null);
    c.wrapper.close();
    await done;
    expect(c.calls.signal!.aborted).toBe(true);
    expect(c.calls.completions).toEqual([expect.objectContaining({ decidedBy: 'cancelled', outcome: 'denied' })]);
    expect(c.calls.proc).toBeNull();
  });

  it('a message while a human decides is a protocol error, and cancels the question', async () => {
    start();
    const c = connect({ decision: 'prompt', verdict: (signal) => new Promise((res) => signal.addEventListener('abort', () => res({ approve: true, by: 'human:web' }))) });
    c.wrapper.send(request());
    const done = c.run();
    await c.wrapper.reply();
    const fds = stdioFds();
    c.wrapper.send(stdio(), fds);
    fds.forEach((f) => addon.close(f));
    await waitFor(() => c.calls.signal !== null);
    c.wrapper.send({ type: 'signal', signo: 2 });
    await done;
    expect(c.calls.errors).toEqual(['signal while waiting for approval']);
    expect(c.calls.proc).toBeNull();
    c.wrapper.close();
  });

  it('the wrapper dying while its command runs ends the command', async () => {
    start();
    const c = connect({ decision: 'escalate' });
    c.wrapper.send(request());
    const done = c.run();
    await c.wrapper.reply();
    const fds = stdioFds();
    c.wrapper.send(stdio(), fds);
    fds.forEach((f) => addon.close(f));
    await c.wrapper.reply();
    c.wrapper.close();
    await done;
    expect(c.calls.proc!.terminated).toBeGreaterThan(0);
    expect(c.calls.completions).toEqual([expect.objectContaining({ outcome: 'exited', status: { code: 143, signal: 15 } })]);
  });

  it('a command that cannot start is denied with the reason', async () => {
    start();
    const c = connect({ decision: 'escalate', spawnThrows: true });
    c.wrapper.send(request());
    const done = c.run();
    await c.wrapper.reply();
    const fds = stdioFds();
    c.wrapper.send(stdio(), fds);
    fds.forEach((f) => addon.close(f));
    await done;
    expect(await c.wrapper.reply()).toEqual({ type: 'decision', action: Action.DENY, reason: 'could not start on the host: no such helper' });
    c.wrapper.close();
  });

  it('a refusal after the stdio came is sent once the stdio fds are closed: the wrapper that hears it finds none held', async () => {
    for (const script of [
      { decision: 'prompt', verdict: async () => ({ approve: false, reason: 'not today', by: 'human:web' }) },
      { decision: 'escalate', spawnThrows: true },
    ] as Script[]) {
      start();
      const c = connect(script);
      c.wrapper.send(request());
      const done = c.run();
      await c.wrapper.reply();
      // Each stdio fd the end of a pair whose other end we keep: it hangs up
      // once every copy of the first end is closed, ours and the broker's.
      const pairs = [0, 1, 2].map(() => addon.socketpair('stream'));
      let heldAtReply: boolean[] | null = null;
      const send = c.sock.send.bind(c.sock);
      c.sock.send = (frame: Buffer) => {
        heldAtReply ??= pairs.map(([, peer]) => !addon.hangup(peer!));
        return send(frame);
      };
      c.wrapper.send(stdio(), pairs.map(([end]) => end!));
      pairs.forEach(([end]) => addon.close(end!));
      await done;
      expect(await c.wrapper.reply()).toMatchObject({ type: 'decision', action: Action.DENY });
      expect(heldAtReply, script.decision).toEqual([false, false, false]);
      pairs.forEach(([, peer]) => addon.close(peer!));
      c.wrapper.close();
    }
  });

  it('every state has a deadline: no request, then no stdio', async () => {
    start();
    const a = connect({ decision: 'escalate', deadlines: { requestMs: 20, stdioMs: 20 } });
    await a.run();
    expect(a.calls.errors).toEqual(['no request within 20 ms']);
    expect(await a.wrapper.reply()).toBeNull();
    a.wrapper.close();

    const b = connect({ decision: 'escalate', deadlines: { requestMs: 5000, stdioMs: 20 } });
    b.wrapper.send(request());
    await b.run();
    expect(b.calls.errors).toEqual(['no stdio within 20 ms']);
    b.wrapper.close();
  });

  it('fds where none belong, or the wrong number of them, end the connection and are closed', async () => {
    start();
    const a = connect({ decision: 'run' });
    const extra = stdioFds();
    a.wrapper.send(request(), extra.slice(0, 2));
    extra.forEach((f) => addon.close(f));
    await a.run();
    expect(a.calls.errors).toEqual(['request carried 2 fds, expected 0']);
    a.wrapper.close();

    const b = connect({ decision: 'escalate' });
    b.wrapper.send(request());
    const done = b.run();
    await b.wrapper.reply();
    const one = stdioFds();
    b.wrapper.send(stdio(), one.slice(0, 1));
    one.forEach((f) => addon.close(f));
    await done;
    expect(b.calls.errors).toEqual(['stdio carried 1 fds, expected 3']);
    expect(b.calls.proc).toBeNull();
    b.wrapper.close();
  });

  it('messages out of order end the connection', async () => {
    start();
    const c = connect({ decision: 'run' });
    c.wrapper.send({ type: 'signal', signo: 2 });
    await c.run();
    expect(c.calls.errors).toEqual(['unexpected signal, expected request']);
    c.wrapper.close();
  });
});
