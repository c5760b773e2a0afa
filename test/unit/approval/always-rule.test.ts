import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { alwaysRuleText, appendRule } from '../../../src/approval/always-rule.js';
import { evaluate } from '../../../src/policy/evaluate.js';
import { toLatin1 } from '../../../src/policy/glob.js';
import { parsePolicy } from '../../../src/policy/load.js';
import type { PendingRequest } from '../../../src/approval/types.js';

const req: PendingRequest = { id: 'ab.3', sessionId: 's', label: 'l', hostProgram: '/bin/sh', argv: [], cwd: '/', hostCwd: '/', env: {}, grantKey: 'k', ruleId: null, reason: '', explicit: false, deadline: null };

describe('always rules', () => {
  it('match exactly the approved arguments, glob characters and all', () => {
    const args = ['-c', 'echo *', '[x]', '**', 'quote"s'];
    const text = alwaysRuleText('/bin/sh', args, req, new Date('2026-01-02T03:04:05Z'));
    expect(text).toContain('id = "approved-20260102T030405-ab3"');
    const policy = parsePolicy(text, 'p.toml');
    const ev = (a: string[]) => evaluate(policy, { hostProgram: '/bin/sh', args: a.map(toLatin1), explicit: false });
    expect(ev(args).decision).toBe('escalate');
    expect(ev(['-c', 'echo x', '[x]', '**', 'quote"s']).decision).toBe('run');
    expect(ev(['-c', 'echo *', 'x', '**', 'quote"s']).decision).toBe('run');
    expect(ev(['-c', 'echo *', '[x]', 'a', 'b', 'quote"s']).decision).toBe('run');
  });

  it('append to an existing file without breaking its last line, or create one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eg-always-'));
    const f = join(dir, 'p.toml');
    writeFileSync(f, 'default = "run"');
    appendRule(f, alwaysRuleText('sh', ['-c', 'x'], req));
    expect(parsePolicy(readFileSync(f, 'utf8'), f).rules).toHaveLength(1);
    const g = join(dir, 'new', 'p.toml');
    appendRule(g, alwaysRuleText('/bin/sh', [], req));
    expect(parsePolicy(readFileSync(g, 'utf8'), g).rules[0]!.args).toEqual([]);
  });
});
