// The broker on its own, with a scripted audit log and approver: fast-path
// records, the prompt cap, run tables that follow the policy, and the
// checks a launch asks of it.
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Approver, PendingRequest, RuleTarget } from '../../../src/approval/types.js';
import type { Audit, AuditRecord } from '../../../src/audit/audit-log.js';
import { parsePolicy } from '../../../src/policy/load.js';
import type { Policy } from '../../../src/policy/types.js';
import { RUN_TABLE_NAME } from '../../../src/protocol/constants.js';
import { MAX_AUDIT_BACKLOG_BYTES, MAX_PENDING_PROMPTS_PER_SESSION } from '../../../src/protocol/limits.js';
import { Kind, type Request } from '../../../src/protocol/messages.js';
import { decodeRunTable } from '../../../src/protocol/run-table.js';
import { PathMap } from '../../../src/sandbox/path-map.js';
import { Broker } from '../../../src/session/broker.js';

class FakeAudit implements Audit {
  readonly enabled: boolean;
  backlogBytes = 0;
  records: AuditRecord[] = [];
  constructor(enabled = true) {
    this.enabled = enabled;
  }
  write(r: AuditRecord) {
    this.records.push(r);
  }
  close = async () => {};
}

function req(file: string, argv: string[] = [file]): Request {
  const a = argv.map((x) => Buffer.from(x));
  return { kind: Kind.EXEC, file: Buffer.from(file), argv: a, cwd: Buffer.from('/'), pid: 5, argc: a.length };
}

let broker: Broker | null = null;
afterEach(async () => {
  await broker?.close();
  broker = null;
});

function setup(policyText: string, opts: { audit?: FakeAudit; approver?: Approver; problems?: (roots: readonly string[]) => string[]; spareSession?: boolean } = {}) {
  let policy: Policy = parsePolicy(policyText, 'p.toml');
  const audit = opts.audit ?? new FakeAudit();
  const asked: { req: PendingRequest; target: RuleTarget }[] = [];
  const approver: Approver = opts.approver ?? { ask: (r, _s, target) => (asked.push({ req: r, target }), new Promise(() => {})) };
  const dir = mkdtempSync(join(tmpdir(), 'eg-broker-'));
  broker = new Broker({ policy: () => policy, audit, approver, dir, confinementProblems: opts.problems, spareSession: opts.spareSession });
  return { broker, audit, asked, dir, setPolicy: (t: string) => (policy = parsePolicy(t, 'p.toml')) };
}

describe('Broker', () => {
  it('with spareSession, hands the next launch a session made ahead: new label, its own audit lines, its table following reloads', async () => {
    const { broker: b, audit, dir, setPolicy } = setup('', { spareSession: true });
    const sessionDirs = () => readdirSync(dir).filter((n) => n.startsWith('session-')).sort();
    const first = b.openSession({ label: 'one' });
    // The spare is made after the launch is answered, not during it.
    expect(sessionDirs()).toEqual([`session-${first.id}`]);
    await new Promise((r) => setImmediate(r));
    const made = sessionDirs().filter((n) => n !== `session-${first.id}`);
    expect(made).toHaveLength(1);
    // Nothing audits a session nobody has.
    expect(audit.records.map((r) => r.event)).toEqual(['session-start']);
    // A reload reaches the spare's table too.
    setPolicy('[[rule]]\nid = "g"\nprogram = "git"\ndecision = "prompt"\n');
    b.policyChanged();
    expect(decodeRunTable(readFileSync(join(dir, made[0]!, RUN_TABLE_NAME)))?.names.map(String)).toEqual(['git']);
    const second = b.openSession({ label: 'two' });
    expect(`session-${second.id}`).toBe(made[0]);
    expect(second.label).toBe('two');
    expect(audit.records.filter((r) => r.event === 'session-start')).toEqual([
      expect.objectContaining({ session: first.id, label: 'one' }),
      expect.objectContaining({ session: second.id, label: 'two' }),
    ]);
    second.close();
    expect(audit.records.at(-1)).toEqual(expect.objectContaining({ event: 'session-end', session: second.id, label: 'two' }));
    await second.removed();
    // Closing the broker takes the spare made for the third launch with it.
    await new Promise((r) => setImmediate(r));
    expect(sessionDirs()).toHaveLength(2);
    await b.close();
    broker = null;
    expect(sessionDirs()).toEqual([]);
  });

  it('audits a fast-path record as decided by the fast path, and one for a named program as a forgery', () => {
    const { broker: b, audit } = setup('[[rule]]\nid = "g"\nprogram = "git"\ndecision = "prompt"\n');
    const s = b.openSession({ label: 't', pathMap: PathMap.identity() });
    b.record(s, req('/bin/ls', ['ls', '-l']));
    b.record(s, req('/usr/bin/git', ['git', 'push']));
    const decisions = audit.records.filter((r) => r.event === 'decision');
    expect(decisions).toEqual([expect.objectContaining({ program: '/bin/ls', argv: ['ls', '-l'], decision: 'run', decided_by: 'fast-path' })]);
    expect(audit.records.filter((r) => r.event === 'protocol-error').map((r) => r.what)).toEqual(['fast-path record for /usr/bin/git, which the policy names']);
  });

  it('drops records while the audit log is behind, counts them, and says so once it catches up', () => {
    const { broker: b, audit } = setup('');
    const s = b.openSession({ label: 't', pathMap: PathMap.identity() });
    audit.backlogBytes = MAX_AUDIT_BACKLOG_BYTES + 1;
    for (let i = 0; i < 5; i++) b.record(s, req('/bin/true'));
    expect(audit.records.filter((r) => r.event === 'decision')).toHaveLength(0);
    audit.backlogBytes = 0;
    b.record(s, req('/bin/true'));
    expect(audit.records.filter((r) => r.event === 'records-dropped')).toEqual([expect.objectContaining({ count: 5 })]);
    expect(audit.records.filter((r) => r.event === 'decision')).toHaveLength(1);
  });

  it('without an audit log, records cost nothing and write nothing', () => {
    const audit = new FakeAudit(false);
    const { broker: b } = setup('', { audit });
    const s = b.openSession({ label: 't', pathMap: PathMap.identity() });
    b.record(s, req('/bin/true'));
    expect(audit.records.filter((r) => r.event !== 'session-start')).toEqual([]);
  });

  it('publishes each session\'s run table, and a new one when the policy changes', () => {
    const { broker: b, setPolicy } = setup('[[rule]]\nid = "g"\nprogram = "git"\ndecision = "deny"\n');
    const s = b.openSession({ label: 't', pathMap: PathMap.identity() });
    const read = () => decodeRunTable(readFileSync(join(s.dir, RUN_TABLE_NAME)))!;
    const first = read();
    expect(first).toMatchObject({ localRun: true, record: true });
    expect(first.names.map(String)).toEqual(['git']);
    setPolicy('default = "prompt"\n[[rule]]\nid = "m"\nprogram = "/usr/bin/make"\ndecision = "run"\n');
    b.policyChanged();
    const second = read();
    expect(second.generation).toBeGreaterThan(first.generation);
    // default prompt: nothing may run without asking.
    expect(second.localRun).toBe(false);
    expect(second.names.map(String)).toEqual(['make']);
  });

  it('asks a human with everything a channel shows and an "always" needs, and caps what one session may have waiting', async () => {
    const { broker: b, asked } = setup(`approval_timeout = "never"\n[[rule]]\nid = "p"\nprogram = "env"\ndecision = "prompt"\n`);
    const s = b.openSession({ label: 'agent', pathMap: PathMap.identity() });
    const ctx = b.context(s);
    const plan = ctx.plan(req('/usr/bin/env', ['env', 'X=1']));
    expect(plan.decision).toBe('prompt');
    const waiting = Array.from({ length: MAX_PENDING_PROMPTS_PER_SESSION }, () => ctx.authorize(plan, new Map([['TERM', Buffer.from('xterm')]]), new AbortController().signal));
    expect(asked).toHaveLength(MAX_PENDING_PROMPTS_PER_SESSION);
    expect(asked[0]!.req).toMatchObject({ label: 'agent', argv: ['env', 'X=1'], env: { TERM: 'xterm' }, ruleId: 'p', deadline: null });
    expect(asked[0]!.req.grantKey).toMatch(/^[0-9a-f]{64}$/);
    expect(asked[0]!.target).toMatchObject({ args: ['X=1'], writableRoots: [] });
    await expect(ctx.authorize(plan, new Map(), new AbortController().signal)).resolves.toMatchObject({ approve: false, by: 'limit' });
    // Another session has its own allowance.
    const other = b.openSession({ label: 'other', pathMap: PathMap.identity() });
    void b.context(other).authorize(plan, new Map(), new AbortController().signal);
    expect(asked).toHaveLength(MAX_PENDING_PROMPTS_PER_SESSION + 1);
    void waiting;
  });

  it('tells a launch what is wrong with a sandbox\'s writable roots', () => {
    const seen: (readonly string[])[] = [];
    const { broker: b } = setup('', { problems: (roots) => (seen.push(roots), roots.length ? ['the policy file lies there'] : []) });
    const s = b.openSession({ label: 't' });
    s.confine(new PathMap([{ sandbox: '/p', host: '/srv/p', writable: true }, { sandbox: '/usr', host: '/usr', writable: false }]), '/srv/p');
    expect(b.confinementProblems(s)).toEqual(['the policy file lies there']);
    expect(seen).toEqual([['/srv/p']]);
    expect(b.writableRoots()).toEqual(['/srv/p']);
    // Unconfined (the identity map): nothing is contained, no roots to check.
    s.confine(PathMap.identity());
    expect(b.confinementProblems(s)).toEqual([]);
  });
});
