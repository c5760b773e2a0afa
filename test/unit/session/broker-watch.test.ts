// Broker.watchSession and Session.onHostCommand over real sockets: what
// `execgate mcp` reads to say, per tool call, which commands were denied,
// escalated or asked about, and which host commands a timed-out call started.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Approver } from '../../../src/approval/types.js';
import { noAudit } from '../../../src/audit/audit-log.js';
import { parsePolicy } from '../../../src/policy/load.js';
import { PathMap } from '../../../src/sandbox/path-map.js';
import { Broker, type DecisionEvent } from '../../../src/session/broker.js';
import type { CompletionEvent } from '../../../src/audit/records.js';
import type { HostCommand } from '../../../src/session/session-context.js';
import { execOverSession } from '../../helpers/wrapper-exec.js';


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

    expect(await execOverSession(a.shell.fd, '/bin/true', ['true'])).toMatchObject({ type: 'decision', action: 1 });
    expect(await execOverSession(other.shell.fd, '/bin/rm', ['rm', '-rf', '/x'])).toMatchObject({ type: 'decision', action: 3 });
    expect(decisions).toEqual([]);

    expect(await execOverSession(a.shell.fd, '/bin/rm', ['rm', '-rf', '/x'])).toMatchObject({ type: 'decision', action: 3, reason: 'nothing is removed here' });
    expect(await execOverSession(a.shell.fd, '/bin/ls', ['ls', '/'])).toMatchObject({ type: 'decision', action: 3, reason: 'not today' });
    expect(decisions.map((d) => [d.decision, d.ruleId, d.decidedBy, d.argv])).toEqual([
      ['deny', 'no-rm', 'rule:no-rm', ['rm', '-rf', '/x']],
      ['prompt', 'ask-ls', 'rule:ask-ls', ['ls', '/']],
    ]);
    expect(decisions[0]!.reason).toBe('nothing is removed here');
    expect(completions.map((c) => [c.outcome, c.decidedBy, c.reason])).toEqual([['denied', 'human:test', 'not today']]);

    stop();
    await execOverSession(a.shell.fd, '/bin/rm', ['rm', 'y']);
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
      return { pid, started: Promise.resolve(pid), exited, forward() {}, resize() {}, terminate: () => end(), onStop() {} };
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
