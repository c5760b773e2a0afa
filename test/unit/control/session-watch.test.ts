// The "watch" op alone, with a fake broker and client: what it replies,
// what it forwards, and that it stops watching when the client goes.
import { describe, expect, it } from 'vitest';
import type { CompletionEvent } from '../../../src/audit/records.js';
import { handleWatchOp } from '../../../src/control/session-watch.js';
import type { ControlClient } from '../../../src/control/server.js';
import type { Broker, DecisionEvent, SessionWatcher } from '../../../src/session/broker.js';
import type { Session } from '../../../src/session/session.js';

function fakes(sessionIds: string[]) {
  const watchers = new Map<string, SessionWatcher>();
  const sessions = new Map(sessionIds.map((id) => [id, { id } as Session]));
  const broker = {
    sessionById: (id: string) => sessions.get(id),
    watchSession: (s: Session, w: SessionWatcher) => {
      watchers.set(s.id, w);
      return () => watchers.delete(s.id);
    },
  } as unknown as Broker;
  const sent: unknown[] = [];
  const onClose: (() => void)[] = [];
  const client: ControlClient = { peer: { pid: 1, uid: 0, gid: 0 }, send: (m) => void sent.push(m), close: () => onClose.forEach((cb) => cb()), onClose: (cb) => void onClose.push(cb) };
  return { broker, client, sent, watchers };
}

const decision: DecisionEvent = { id: 'r1', hostProgram: '/usr/bin/rm', argv: ['rm', 'x'], decision: 'deny', decidedBy: 'rule:no-rm', ruleId: 'no-rm', reason: 'not here', time: 1 };
const completion: CompletionEvent = { id: 'r2', sessionId: 's1', label: 'a', hostProgram: '/usr/bin/id', argv: ['id'], decidedBy: 'rule:host-id', outcome: 'exited', exitCode: 0, signal: null, time: 2 };

describe('handleWatchOp', () => {
  it('leaves other ops alone', () => {
    const { broker, client, sent } = fakes(['s1']);
    expect(handleWatchOp(broker, client, { op: 'stats' })).toBe(false);
    expect(sent).toEqual([]);
  });

  it('refuses a session the broker does not have', () => {
    const { broker, client, sent, watchers } = fakes(['s1']);
    expect(handleWatchOp(broker, client, { op: 'watch', session: 's2' })).toBe(true);
    expect(handleWatchOp(broker, client, { op: 'watch', session: 7 })).toBe(true);
    expect(sent).toEqual([
      { type: 'error', error: 'no session "s2" on this broker' },
      { type: 'error', error: 'no session "" on this broker' },
    ]);
    expect(watchers.size).toBe(0);
  });

  it('answers sync after every event it sent before, on the same connection', () => {
    const { broker, client, sent, watchers } = fakes(['s1']);
    handleWatchOp(broker, client, { op: 'watch', session: 's1' });
    watchers.get('s1')!.completion!(completion);
    expect(handleWatchOp(broker, client, { op: 'sync' })).toBe(true);
    expect(sent).toEqual([{ type: 'watching', session: 's1' }, { type: 'completion', event: completion }, { type: 'synced' }]);
  });

  it("forwards the session's decisions and completions after saying it watches, until the client goes", () => {
    const { broker, client, sent, watchers } = fakes(['s1']);
    expect(handleWatchOp(broker, client, { op: 'watch', session: 's1' })).toBe(true);
    watchers.get('s1')!.decision!(decision);
    watchers.get('s1')!.completion!(completion);
    expect(sent).toEqual([{ type: 'watching', session: 's1' }, { type: 'decision', event: decision }, { type: 'completion', event: completion }]);
    client.close();
    expect(watchers.size).toBe(0);
  });
});
