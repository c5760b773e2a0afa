import { describe, expect, it } from 'vitest';
import { ApprovalQueue } from '../../../src/approval/queue.js';
import type { PendingRequest, RuleTarget } from '../../../src/approval/types.js';
import type { Policy } from '../../../src/policy/types.js';
import type { CompletionEvent } from '../../../src/session/broker.js';
import { foldRecentArgv, RECENT_MAX, WebHub, type HubEvent } from '../../../src/web/hub.js';

/** What an "always" answer would name. */
const target: RuleTarget = { program: '/usr/bin/git', named: '/usr/bin/git', args: ['push'], writableRoots: [] };

function req(id: string, over: Partial<PendingRequest> = {}): PendingRequest {
  return { id, sessionId: 's1', label: 'alpha', hostProgram: '/usr/bin/git', argv: ['git', 'push'], cwd: '/w', hostCwd: '/w', env: { TERM: 'xterm' }, grantKey: `key-${id}`, ruleId: 'r', projectCode: null, reason: 'why', explicit: false, deadline: null, ...over };
}

function setup(timeoutDecision: 'deny' | 'escalate' = 'deny') {
  const q = new ApprovalQueue({ timeoutDecision: () => timeoutDecision, writeAlways: () => 'rule' });
  const listeners: ((e: CompletionEvent) => void)[] = [];
  const broker = {
    onCompletion: (l: (e: CompletionEvent) => void) => (listeners.push(l), () => listeners.splice(listeners.indexOf(l), 1)),
    policy: { timeoutDecision } as Policy,
  };
  const hub = new WebHub(q, broker);
  const events: HubEvent[] = [];
  hub.subscribe((e) => events.push(e));
  const complete = (e: Partial<CompletionEvent> & { id: string }) =>
    listeners.forEach((l) => l({ sessionId: 's1', label: 'alpha', hostProgram: '/usr/bin/git', argv: ['git', 'push'], decidedBy: 'human:web', outcome: 'exited', exitCode: 0, signal: null, time: Date.now(), ...e }));
  return { q, hub, events, complete, listeners };
}

describe('WebHub', () => {
  it('is a channel of the queue: sees requests already waiting and new ones, with what a time-out decides', () => {
    const { q, hub, events } = setup('escalate');
    void q.ask(req('s1.1'), new AbortController().signal, target);
    expect(hub.pending()).toMatchObject([{ id: 's1.1', onTimeout: 'escalate', folded: false }]);
    void q.ask(req('s1.2', { argv: ['sh', '-c', 'x'.repeat(161)] }), new AbortController().signal, target);
    expect(hub.pending()[1]).toMatchObject({ id: 's1.2', folded: true });
    q.answer('s1.2', { approve: false }, 't');
    expect(events[0]).toMatchObject({ type: 'request', request: { id: 's1.1', label: 'alpha', argv: ['git', 'push'] } });
    const late = new WebHub(q, { onCompletion: () => () => {}, policy: { timeoutDecision: 'deny' } as Policy });
    expect(late.pending().map((r) => r.id)).toEqual(['s1.1']);
    expect(q.channelNames).toEqual(['web', 'web']);
    late.close();
    expect(q.channelNames).toEqual(['web']);
  });

  it('answers as the "web" channel; an answer elsewhere resolves it here too, saying who', async () => {
    const { q, hub, events } = setup();
    const a = q.ask(req('s1.1'), new AbortController().signal, target);
    const b = q.ask(req('s1.2', { argv: ['git', 'pull'] }), new AbortController().signal, target);
    expect(hub.answer('s1.1', { approve: true, scope: 'once' })).toEqual({ ok: true });
    await expect(a).resolves.toEqual({ approve: true, scope: 'once', by: 'human:web' });
    q.answer('s1.2', { approve: false, reason: 'no' }, 'tmux');
    await expect(b).resolves.toMatchObject({ approve: false });
    expect(hub.pending()).toEqual([]);
    const resolved = events.filter((e) => e.type === 'resolved').map((e) => (e as { resolution: unknown }).resolution);
    expect(resolved).toEqual([
      { id: 's1.1', outcome: 'approved', scope: 'once', by: 'human:web' },
      { id: 's1.2', outcome: 'denied', reason: 'no', by: 'human:tmux' },
    ]);
    expect(hub.answer('s1.2', { approve: true, scope: 'once' })).toMatchObject({ ok: false });
  });

  it('recent decisions: an approval runs, its completion says how it ended; newest first; capped', () => {
    const { q, hub, complete } = setup();
    void q.ask(req('s1.1'), new AbortController().signal, target);
    hub.answer('s1.1', { approve: true, scope: 'session' });
    expect(hub.recent()).toMatchObject([{ id: 's1.1', state: 'running', scope: 'session', decidedBy: 'human:web' }]);
    complete({ id: 's1.1', exitCode: 3, durationMs: 40 });
    expect(hub.recent()).toMatchObject([{ id: 's1.1', state: 'exited', exitCode: 3, scope: 'session', durationMs: 40 }]);
    complete({ id: 's1.2', outcome: 'denied', reason: 'rule says no', decidedBy: 'rule:no', exitCode: null, time: Date.now() + 10 });
    expect(hub.recent().map((r) => [r.id, r.state])).toEqual([['s1.2', 'denied'], ['s1.1', 'exited']]);
    for (let i = 0; i < RECENT_MAX + 5; i++) complete({ id: `s2.${i}`, time: Date.now() + 100 + i });
    expect(hub.recent()).toHaveLength(RECENT_MAX);
    expect(hub.recent()[0]!.id).toBe(`s2.${RECENT_MAX + 4}`);
  });

  it('folds the history of long or many arguments', () => {
    const folded = foldRecentArgv(['x', 'A'.repeat(10_000), ...Array.from({ length: 100 }, (_, i) => String(i))]);
    expect(folded).toHaveLength(41);
    expect(folded[1]!.length).toBeLessThan(400);
    expect(folded[1]).toContain('more chars');
    expect(folded.at(-1)).toBe('…[62 more arguments]');
  });

  it('stops listening when closed', () => {
    const { q, hub, listeners } = setup();
    hub.close();
    expect(q.channelNames).toEqual([]);
    expect(listeners).toEqual([]);
  });
});
