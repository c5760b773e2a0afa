import { chmodSync, mkdtempSync, symlinkSync, writeFileSync, copyFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/policy/evaluate.js';
import { toLatin1 } from '../../../src/policy/glob.js';
import { parsePolicy } from '../../../src/policy/load.js';
import { findOnPath } from '../../../src/policy/resolve.js';

const policy = parsePolicy(
  `default = "run"
[[rule]]
id = "sh-any"
program = "sh"
decision = "run"

[[rule]]
id = "sh-c"
program = "sh"
args = ["-c", "**"]
decision = "escalate"

[[rule]]
id = "sh-danger"
program = "sh"
args = ["-c", "rm *"]
decision = "deny"
reason = "no"

[[rule]]
id = "sh-regex"
program = "sh"
regex = "^sh -c 'echo"
decision = "prompt"
`,
  'p.toml',
);
const sh = findOnPath('sh')!;
const ev = (program: string | null, args: string[], explicit = false) =>
  evaluate(policy, { hostProgram: program, args: args.map(toLatin1), explicit });

describe('evaluate', () => {
  it('uses the default when nothing matches', () => {
    const e = ev('/usr/bin/env', ['x']);
    expect(e).toMatchObject({ decision: 'run', rule: null, reason: 'default' });
    expect(e.matched).toEqual([]);
  });

  it('lets the most demanding matching rule win: deny > prompt > escalate > run', () => {
    expect(ev(sh, ['-c', 'ls']).rule?.id).toBe('sh-c');
    expect(ev(sh, ['-c', 'rm -rf /']).decision).toBe('deny');
    expect(ev(sh, ['-c', 'rm -rf /']).reason).toBe('no');
    expect(ev(sh, ['-c', 'echo hi']).rule?.id).toBe('sh-regex');
    expect(ev(sh, ['-c', 'echo hi']).matched.map((r) => r.id)).toEqual(['sh-any', 'sh-c', 'sh-regex']);
    expect(ev(sh, []).rule?.id).toBe('sh-any');
  });

  it('never matches a workspace copy or a differently named link of a bare-named program', () => {
    const dir = mkdtempSync(join(tmpdir(), 'eg-eval-'));
    const copy = join(dir, 'sh');
    copyFileSync(sh, copy);
    chmodSync(copy, 0o755);
    expect(ev(copy, ['-c', 'ls'])).toMatchObject({ decision: 'run', rule: null });
    const script = join(dir, 'sh2');
    writeFileSync(script, '#!/bin/sh\n');
    const link = join(dir, 'other');
    symlinkSync(sh, link);
    expect(ev(link, ['-c', 'ls']).rule).toBeNull();
  });

  it('turns run into prompt for explicit `execgate run` requests and uses explicit_default', () => {
    expect(ev(sh, [], true).decision).toBe('prompt');
    expect(ev('/usr/bin/env', [], true)).toMatchObject({ decision: 'prompt', rule: null });
  });

  it('lets a rule naming the exact arguments beat broader ones, but never a deny', () => {
    const p = parsePolicy(
      `[[rule]]\nid = "ask"\nprogram = "sh"\nargs = ["**"]\ndecision = "prompt"\n` +
        `[[rule]]\nid = "exact"\nprogram = "sh"\nargs = ["-c", "echo \\\\*"]\ndecision = "escalate"\n` +
        `[[rule]]\nid = "glob"\nprogram = "sh"\nargs = ["-c", "echo*"]\ndecision = "run"\n`,
      'p',
    );
    const e = (args: string[]) => evaluate(p, { hostProgram: sh, args: args.map(toLatin1), explicit: false });
    expect(e(['-c', 'echo *']).rule?.id).toBe('exact');
    expect(e(['-c', 'echo x']).rule?.id).toBe('ask');
    const withDeny = parsePolicy(`[[rule]]\nid = "no"\nprogram = "sh"\ndecision = "deny"\n[[rule]]\nid = "exact"\nprogram = "sh"\nargs = ["-c", "x"]\ndecision = "escalate"\n`, 'p');
    expect(evaluate(withDeny, { hostProgram: sh, args: ['-c', 'x'], explicit: false }).rule?.id).toBe('no');
  });

  it('matches absolute-path rules', () => {
    const p = parsePolicy(`[[rule]]\nid = "abs"\nprogram = "${sh}"\ndecision = "deny"\n`, 'p');
    expect(evaluate(p, { hostProgram: sh, args: [], explicit: false }).decision).toBe('deny');
  });

  it('a request that resolves to no host program matches no rule', () => {
    expect(ev(null, ['-c', 'rm x']).rule).toBeNull();
  });
});
