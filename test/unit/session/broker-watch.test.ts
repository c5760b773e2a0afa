// Broker.watchSession and Session.onHostCommand over real sockets: what
// `execgate mcp` reads to say, per tool call, which commands were denied,
// escalated or asked about, and which host commands a timed-out call started.
import { mkdtempSync, openSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Approver } from '../../../src/approval/types.js';
import { noAudit } from '../../../src/audit/audit-log.js';
import { loadAddon } from '../../../src/native/addon.js';
import { parsePolicy } from '../../../src/policy/load.js';
import { HELLO_CONNECTION } from '../../../src/protocol/constants.js';
import { encodeFrame, FrameReader } from '../../../src/protocol/frame.js';
import { decodeToWrapper, encodeToBroker, Kind, type ToWrapper } from '../../../src/protocol/messages.js';
import { PathMap } from '../../../src/sandbox/path-map.js';
import { Broker, type DecisionEvent } from '../../../src/session/broker.js';
import type { CompletionEvent } from '../../../src/audit/records.js';
import type { HostCommand } from '../../../src/session/session-context.js';

const addon = loadAddon();
const tick = () => new Promise((res) => setImmediate(res));

const POLICY = `
[[rule]]
id = "no-rm"
program = "rm"
decision = "deny"
reason = "nothing is removed here"

[[rule]]
id = "ask-ls"
program = "ls"
decision = "prompt"
`;

/** A wrapper's side of one exec: the request, then the stdio (three fds of
 * /dev/null) if asked; resolves with the broker's final reply. */
async function exec(sessionSock: number, file: string, argv: string[]): Promise<ToWrapper | null> {
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

let broker: Broker | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
});

function start() {
  const denyAll: Approver = { ask: async () => ({ approve: false, reason: 'not today', by: 'human:test' }) };
  const policy = parsePolicy(POLICY, 'policy.toml');
  broker = new Broker({ policy: () => policy, audit: noAudit, approver: denyAll, dir: mkdtempSync(join(tmpdir(), 'eg-watch-')) });
  const open = () => {
    const session = broker!.openSession({ label: 't', pathMap: PathMap.identity() });
    return { session, shell: session.takeShellEnd() };
  };
  return { broker, open };
}

describe('Broker.watchSession', () => {
  it('reports the denials, prompts and completions of one session, and nothing of another or of runs', async () => {
    const { broker: b, open } = start();
    const a = open();
    const other = open();
    const decisions: DecisionEvent[] = [];
    const completions: CompletionEvent[] = [];
    const stop = b.watchSession(a.session, { decision: (d) => decisions.push(d), completion: (c) => completions.push(c) });

    expect(await exec(a.shell.fd, '/bin/true', ['true'])).toMatchObject({ type: 'decision', action: 1 });
    expect(await exec(other.shell.fd, '/bin/rm', ['rm', '-rf', '/x'])).toMatchObject({ type: 'decision', action: 3 });
    expect(decisions).toEqual([]);

    expect(await exec(a.shell.fd, '/bin/rm', ['rm', '-rf', '/x'])).toMatchObject({ type: 'decision', action: 3, reason: 'nothing is removed here' });
    expect(await exec(a.shell.fd, '/bin/ls', ['ls', '/'])).toMatchObject({ type: 'decision', action: 3, reason: 'not today' });
    expect(decisions.map((d) => [d.decision, d.ruleId, d.decidedBy, d.argv])).toEqual([
      ['deny', 'no-rm', 'rule:no-rm', ['rm', '-rf', '/x']],
      ['prompt', 'ask-ls', 'rule:ask-ls', ['ls', '/']],
    ]);
    expect(decisions[0]!.reason).toBe('nothing is removed here');
    expect(completions.map((c) => [c.outcome, c.decidedBy, c.reason])).toEqual([['denied', 'human:test', 'not today']]);

    stop();
    await exec(a.shell.fd, '/bin/rm', ['rm', 'y']);
    expect(decisions).toHaveLength(2);
    a.shell.close();
    other.shell.close();
  });

  it('forgets a session\'s watchers when it ends', async () => {
    const { broker: b, open } = start();
    const a = open();
    b.watchSession(a.session, { decision: () => {} });
    a.session.close();
    expect((b as unknown as { watchers: Map<unknown, unknown> }).watchers.size).toBe(0);
    a.shell.close();
  });
});

describe('Session.onHostCommand', () => {
  it('tells of each host command started from then on, until unsubscribed', () => {
    const { open } = start();
    const { session, shell } = open();
    // Ends when terminated, as a real one does (the broker waits for it).
    const cmd = (pid: number): HostCommand => {
      let end!: () => void;
      const exited = new Promise<{ code: number; signal: number }>((res) => (end = () => res({ code: 0, signal: 15 })));
      return { pid, exited, forward() {}, resize() {}, terminate: () => end(), onStop() {} };
    };
    session.own(cmd(1));
    const seen: (number | null)[] = [];
    const stop = session.onHostCommand((c) => seen.push(c.pid));
    session.own(cmd(2));
    stop();
    session.own(cmd(3));
    expect(seen).toEqual([2]);
    shell.close();
  });
});
