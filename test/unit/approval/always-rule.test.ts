import { chmodSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AlwaysRefused, alwaysRuleText, appendRule } from '../../../src/approval/always-rule.js';
import { evaluate } from '../../../src/policy/evaluate.js';
import { toLatin1 } from '../../../src/policy/glob.js';
import { emptyPolicy, parsePolicy } from '../../../src/policy/load.js';
import { findOnPath } from '../../../src/policy/resolve.js';
import type { PendingRequest } from '../../../src/approval/types.js';

const shPath = findOnPath('sh')!;
const shReal = realpathSync(shPath);
const req: PendingRequest = { id: 'ab.3', sessionId: 's', label: 'l', hostProgram: shReal, argv: [], cwd: '/', hostCwd: '/', env: {}, grantKey: 'k', ruleId: null, projectCode: null, reason: '', explicit: false, deadline: null };
const ctx = { policy: emptyPolicy(), writableRoots: [] as string[] };

describe('always rules', () => {
  it('match exactly the approved arguments, glob characters and all', () => {
    const args = ['-c', 'echo *', '[x]', '**', 'quote"s'];
    const text = alwaysRuleText(shReal, args, req, { ...ctx, named: shPath }, new Date('2026-01-02T03:04:05Z'));
    expect(text).toContain('id = "approved-20260102T030405-ab3"');
    expect(text).toContain('program = "sh"');
    const policy = parsePolicy(text, 'p.toml');
    const ev = (a: string[]) => evaluate(policy, { hostProgram: shPath, args: a.map(toLatin1), explicit: false });
    expect(ev(args).decision).toBe('escalate');
    expect(ev(['-c', 'echo x', '[x]', '**', 'quote"s']).decision).toBe('run');
    expect(ev(['-c', 'echo *', 'x', '**', 'quote"s']).decision).toBe('run');
    expect(ev(['-c', 'echo *', '[x]', 'a', 'b', 'quote"s']).decision).toBe('run');
  });

  it('append to an existing file without breaking its last line, or create one', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eg-always-'));
    const f = join(dir, 'p.toml');
    writeFileSync(f, 'default = "run"');
    appendRule(f, alwaysRuleText(shReal, ['-c', 'x'], req, ctx));
    expect(parsePolicy(readFileSync(f, 'utf8'), f).rules).toHaveLength(1);
    const g = join(dir, 'new', 'p.toml');
    appendRule(g, alwaysRuleText(shReal, [], req, ctx));
    expect(parsePolicy(readFileSync(g, 'utf8'), g).rules[0]!.args).toEqual([]);
  });

  // Finding 3: the prompt showed /usr/bin/id, the rule named the agent's
  // symlink PROJECT/bin/myid, the agent swapped it for a script.
  it('names the canonical program shown, not the project symlink the agent asked by', () => {
    const project = realpathSync(mkdtempSync(join(tmpdir(), 'eg-proj-')));
    mkdirSync(join(project, 'bin'));
    const myid = join(project, 'bin', 'myid');
    symlinkSync('/usr/bin/id', myid);
    const canonical = realpathSync(myid);
    const text = alwaysRuleText(canonical, ['-u'], { ...req, hostProgram: canonical }, { policy: emptyPolicy(), writableRoots: [project], named: myid });
    expect(text).toContain('program = "id"');
    const policy = parsePolicy(text, 'p.toml');
    expect(evaluate(policy, { hostProgram: '/usr/bin/id', args: ['-u'], explicit: false }).decision).toBe('escalate');
    rmSync(myid);
    writeFileSync(myid, '#!/bin/sh\necho pwned\n');
    chmodSync(myid, 0o755);
    expect(evaluate(policy, { hostProgram: myid, args: ['-u'], explicit: false })).toMatchObject({ decision: 'run', rule: null });
  });

  it('names the canonical absolute path when no trusted PATH name reaches it', () => {
    const tools = realpathSync(mkdtempSync(join(tmpdir(), 'eg-tools-')));
    const tool = join(tools, 'deploy');
    writeFileSync(tool, '#!/bin/sh\n');
    chmodSync(tool, 0o755);
    expect(alwaysRuleText(tool, [], { ...req, hostProgram: tool }, ctx)).toContain(`program = ${JSON.stringify(tool)}`);
  });

  it('refuses "always" for a program the sandbox can write, with a message every channel shows', () => {
    const project = realpathSync(mkdtempSync(join(tmpdir(), 'eg-proj-')));
    const script = join(project, 'build.sh');
    writeFileSync(script, '#!/bin/sh\n');
    chmodSync(script, 0o755);
    const attempt = () => alwaysRuleText(script, [], { ...req, hostProgram: script }, { policy: emptyPolicy(), writableRoots: [project] });
    expect(attempt).toThrow(AlwaysRefused);
    expect(attempt).toThrow(/"always" is refused for .*build\.sh: the sandbox can write .*; answer once or for this session/);
  });
});
