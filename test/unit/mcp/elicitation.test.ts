// The dialog channel with a scripted dialog and a scripted queue: which
// requests it shows, what it answers, and what the call's record says when
// the dialog loses or is withdrawn.
import { describe, expect, it } from 'vitest';
import type { HumanAnswer, PendingRequest } from '../../../src/approval/types.js';
import { CallRecord } from '../../../src/mcp/call-record.js';
import { answerFrom, ElicitationChannel, type Elicit } from '../../../src/mcp/elicitation.js';
import type { ApprovalPort } from '../../../src/mcp/broker-link.js';

const pending = (over: Partial<PendingRequest> = {}): PendingRequest => ({
  id: 's1.1',
  sessionId: 's1',
  label: 'mcp',
  hostProgram: '/usr/bin/ls',
  argv: ['ls', '/'],
  cwd: '/p',
  hostCwd: '/p',
  env: {},
  grantKey: 'k',
  projectCode: null,
  ruleId: 'ask-ls',
  reason: 'rule ask-ls',
  explicit: false,
  deadline: Date.now() + 60_000,
  ...over,
});

const tick = () => new Promise((r) => setImmediate(r));

function setup(result: (signal: AbortSignal) => Promise<Awaited<ReturnType<Elicit>>>, answerResult: { ok: true } | { ok: false; error: string } = { ok: true }) {
  const shown: string[] = [];
  const answers: HumanAnswer[] = [];
  const signals: AbortSignal[] = [];
  const elicit: Elicit = (params, options) => {
    shown.push(params.message);
    signals.push(options.signal);
    return result(options.signal);
  };
  const port: ApprovalPort = { register: () => () => {}, answer: async (_id, a) => (answers.push(a), answerResult) };
  const record = new CallRecord();
  record.begin();
  const channel = new ElicitationChannel(elicit, port, () => 's1', record, () => {});
  return { shown, answers, signals, record, channel };
}

describe('answerFrom', () => {
  it('maps the dialog\'s answers to the queue\'s', () => {
    expect(answerFrom({ action: 'accept', content: { decision: 'session' } })).toEqual({ approve: true, scope: 'session' });
    expect(answerFrom({ action: 'accept', content: { decision: 'deny', reason: '  not now ' } })).toEqual({ approve: false, reason: 'not now' });
    expect(answerFrom({ action: 'accept', content: { decision: 'bogus' } })).toEqual({ approve: false, reason: 'denied in the approval dialog' });
    expect(answerFrom({ action: 'decline' })).toEqual({ approve: false, reason: 'declined in the approval dialog' });
    expect(answerFrom({ action: 'cancel' })).toBeNull();
  });
});

describe('ElicitationChannel', () => {
  it('shows only its own session\'s requests, once each, and answers the queue', async () => {
    const s = setup(async () => ({ action: 'accept', content: { decision: 'once' } }));
    s.channel.onRequest(pending({ sessionId: 'other', id: 'o.1' }));
    s.channel.onRequest(pending());
    s.channel.onRequest(pending());
    await tick();
    expect(s.shown).toHaveLength(1);
    expect(s.shown[0]).toContain('  argv     ls /');
    expect(s.answers).toEqual([{ approve: true, scope: 'once' }]);
  });

  it('withdraws the dialog when another channel answers first, and notes it', async () => {
    const s = setup((signal) => new Promise((_res, rej) => signal.addEventListener('abort', () => rej(new Error('cancelled')))));
    s.channel.onRequest(pending());
    s.channel.onResolved({ id: 's1.1', outcome: 'approved', scope: 'once', by: 'human:web' });
    await tick();
    expect(s.signals[0]!.aborted).toBe(true);
    expect(s.answers).toEqual([]);
    expect(s.record.end()[0]!.notes).toEqual(['the approval dialog was withdrawn: human:web answered first']);
  });

  it('notes an answer from the dialog that lost the race in the queue', async () => {
    const s = setup(async () => ({ action: 'accept', content: { decision: 'once' } }), { ok: false, error: 'no pending request s1.1 (answered elsewhere, timed out, or unknown)' });
    s.channel.onRequest(pending());
    await tick();
    await tick();
    expect(s.record.end()[0]!.notes).toEqual(['the answer in the approval dialog (approve once) lost: no pending request s1.1 (answered elsewhere, timed out, or unknown)']);
  });

  it('a dialog dismissed without a choice answers nothing: the request waits for the other channels', async () => {
    const s = setup(async () => ({ action: 'cancel' }));
    s.channel.onRequest(pending());
    await tick();
    expect(s.answers).toEqual([]);
    s.channel.onResolved({ id: 's1.1', outcome: 'approved', scope: 'once', by: 'human:terminal' });
    expect(s.record.end()[0]!.notes).toEqual(['the approval dialog was dismissed without an answer, so it waited for the other channels']);
  });

  it('a timed-out request withdraws the dialog too', async () => {
    const s = setup((signal) => new Promise((_res, rej) => signal.addEventListener('abort', () => rej(new Error('x')))));
    s.channel.onRequest(pending());
    s.channel.onResolved({ id: 's1.1', outcome: 'timed-out', by: 'timeout', reason: 'no answer before the time-out' });
    await tick();
    expect(s.signals[0]!.aborted).toBe(true);
    expect(s.record.end()[0]).toMatchObject({ outcome: { kind: 'denied', by: 'timeout' }, notes: ['the approval dialog was withdrawn: the request timed out'] });
  });
});
