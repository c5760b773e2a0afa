import { describe, expect, it } from 'vitest';
import { ApprovalQueue, type Resolution } from '../../../src/approval/queue.js';
import { grantKey } from '../../../src/approval/grant-key.js';
import type { PendingRequest, RuleTarget } from '../../../src/approval/types.js';

/** What an "always" answer would name. */
const target: RuleTarget = { program: '/usr/bin/git', named: '/usr/bin/git', args: ['push'], writableRoots: [] };

/** A request whose grant key is made from its argv as UTF-8 bytes (unless
 * the test gives one). */
function req(id: string, over: Partial<PendingRequest> = {}): PendingRequest {
  const base = { id, sessionId: 's1', label: 'l', hostProgram: '/usr/bin/git', argv: ['git', 'push'], cwd: '/w', hostCwd: '/w', env: {}, ruleId: 'r', projectCode: null, reason: 'why', explicit: false, deadline: null, ...over };
  return { grantKey: grantKey({ hostProgram: base.hostProgram, argv: base.argv.map((a) => Buffer.from(a)), hostCwd: base.hostCwd, env: new Map() }), ...base };
}

function queue(timeoutDecision: 'deny' | 'escalate' = 'deny') {
  const written: string[] = [];
  const q = new ApprovalQueue({ timeoutDecision: () => timeoutDecision, writeAlways: (r) => (written.push(r.id), `rule for ${r.id}`) });
  const seen: Resolution[] = [];
  const shown: string[] = [];
  q.register({ name: 'a', onRequest: (r) => shown.push(`a:${r.id}`), onResolved: (r) => seen.push(r) });
  q.register({ name: 'b', onRequest: (r) => shown.push(`b:${r.id}`), onResolved: () => {} });
  return { q, seen, shown, written };
}

describe('ApprovalQueue', () => {
  it('shows every request on every channel; the first answer wins, later ones are refused', async () => {
    const { q, seen, shown } = queue();
    const p = q.ask(req('1'), new AbortController().signal, target);
    expect(shown).toEqual(['a:1', 'b:1']);
    expect(q.answer('1', { approve: true, scope: 'once' }, 'web')).toEqual({ ok: true });
    expect(q.answer('1', { approve: false }, 'tmux')).toMatchObject({ ok: false });
    await expect(p).resolves.toEqual({ approve: true, scope: 'once', by: 'human:web' });
    expect(seen).toEqual([{ id: '1', outcome: 'approved', scope: 'once', by: 'human:web' }]);
    expect(q.list()).toEqual([]);
  });

  it('answers several pending requests independently, in any order', async () => {
    const { q } = queue();
    const p1 = q.ask(req('1'), new AbortController().signal, target);
    const p2 = q.ask(req('2', { argv: ['git', 'pull'] }), new AbortController().signal, target);
    expect(q.list().map((r) => r.id)).toEqual(['1', '2']);
    q.answer('2', { approve: false, reason: 'not that one' }, 'terminal');
    q.answer('1', { approve: true, scope: 'once' }, 'terminal');
    await expect(p2).resolves.toEqual({ approve: false, reason: 'not that one', by: 'human:terminal' });
    await expect(p1).resolves.toMatchObject({ approve: true });
  });

  it('times out with the configured decision', async () => {
    const { q, seen } = queue();
    const p = q.ask(req('1', { deadline: Date.now() + 30 }), new AbortController().signal, target);
    await expect(p).resolves.toEqual({ approve: false, reason: 'no answer before the time-out', by: 'timeout' });
    expect(seen[0]).toMatchObject({ outcome: 'timed-out', by: 'timeout' });
    const { q: q2 } = queue('escalate');
    await expect(q2.ask(req('2', { deadline: Date.now() + 10 }), new AbortController().signal, target)).resolves.toMatchObject({ approve: true, by: 'timeout' });
  });

  it('cancels when the requester goes away, and tells the channels', async () => {
    const { q, seen } = queue();
    const ac = new AbortController();
    const p = q.ask(req('1'), ac.signal, target);
    ac.abort();
    await expect(p).resolves.toMatchObject({ approve: false, by: 'cancelled' });
    expect(seen[0]).toMatchObject({ outcome: 'cancelled' });
  });

  it('remembers "session" answers for the same program and argv in the same session only', async () => {
    const { q } = queue();
    const p = q.ask(req('1'), new AbortController().signal, target);
    q.answer('1', { approve: true, scope: 'session' }, 'terminal');
    await p;
    await expect(q.ask(req('2'), new AbortController().signal, target)).resolves.toEqual({ approve: true, scope: 'session', by: 'session-grant' });
    const other = q.ask(req('3', { argv: ['git', 'push', '-f'] }), new AbortController().signal, target);
    const otherSession = q.ask(req('4', { sessionId: 's2' }), new AbortController().signal, target);
    expect(q.list().map((r) => r.id)).toEqual(['3', '4']);
    q.forgetSession('s1');
    const again = q.ask(req('5'), new AbortController().signal, target);
    expect(q.list().map((r) => r.id)).toContain('5');
    for (const id of ['3', '4', '5']) q.answer(id, { approve: false }, 't');
    await Promise.all([other, otherSession, again]);
  });

  it('a session grant is keyed on the grant key, never on what is displayed', async () => {
    const { q } = queue();
    // Two requests that display alike but are different bytes.
    const shown = ['sh', '\\x85'];
    const p = q.ask(req('1', { argv: shown, grantKey: 'bytes-c2-85' }), new AbortController().signal, target);
    q.answer('1', { approve: true, scope: 'session' }, 'terminal');
    await p;
    const other = q.ask(req('2', { argv: shown, grantKey: 'bytes-85' }), new AbortController().signal, target);
    expect(q.list().map((r) => r.id)).toEqual(['2']);
    q.answer('2', { approve: false }, 't');
    await expect(other).resolves.toMatchObject({ approve: false });
    await expect(q.ask(req('3', { argv: ['different', 'display'], grantKey: 'bytes-c2-85' }), new AbortController().signal, target)).resolves.toMatchObject({ by: 'session-grant' });
  });

  it('writes a rule for "always" and reports its text; a failing write leaves the request pending', async () => {
    const { q, written, seen } = queue();
    const p = q.ask(req('1'), new AbortController().signal, target);
    expect(q.answer('1', { approve: true, scope: 'always' }, 'tmux')).toEqual({ ok: true, ruleText: 'rule for 1' });
    await p;
    expect(written).toEqual(['1']);
    expect(seen[0]).toMatchObject({ scope: 'always', ruleText: 'rule for 1' });
    const failing = new ApprovalQueue({ timeoutDecision: () => 'deny', writeAlways: () => { throw new Error('disk full'); } });
    const p2 = failing.ask(req('2'), new AbortController().signal, target);
    expect(failing.answer('2', { approve: true, scope: 'always' }, 't')).toMatchObject({ ok: false, error: expect.stringContaining('disk full') });
    expect(failing.list()).toHaveLength(1);
    failing.answer('2', { approve: false }, 't');
    await p2;
  });

  it('a channel registered late is shown what is already waiting', () => {
    const { q } = queue();
    void q.ask(req('1'), new AbortController().signal, target);
    const late: string[] = [];
    q.register({ name: 'late', onRequest: (r) => late.push(r.id), onResolved: () => {} });
    expect(late).toEqual(['1']);
  });
});
