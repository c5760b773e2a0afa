import { describe, expect, it } from 'vitest';
import { explainArgv, splitCommand, SplitError } from '../../../src/mcp/explain.js';
import { parsePolicy } from '../../../src/policy/load.js';

describe('splitCommand', () => {
  it('splits like a shell splits one simple command, expanding nothing', () => {
    expect(splitCommand(`git commit -m 'a b' --author="x \\"y\\"" a\\ b $HOME *.c ~ # comment`)).toEqual(['git', 'commit', '-m', 'a b', '--author=x "y"', 'a b', '$HOME', '*.c', '~']);
    expect(splitCommand("echo '' \"\"")).toEqual(['echo', '', '']);
    expect(splitCommand('  ')).toEqual([]);
  });

  it('refuses what is more than one simple command, and unterminated quotes', () => {
    for (const line of ['a | b', 'a; b', 'a && b', 'a > f', 'echo $(id)', 'echo `id`', 'echo "$(id)"', "echo 'open", 'echo "open']) {
      expect(() => splitCommand(line), line).toThrow(SplitError);
    }
  });
});

describe('explainArgv', () => {
  it('says the decision, what it means, the winning rule and its reason', () => {
    const policy = parsePolicy('[[rule]]\nid = "no-push"\nprogram = "git"\nargs = ["push", "**"]\ndecision = "deny"\nreason = "ask first"\n', 'p.toml');
    const text = explainArgv(policy, ['git', 'push', 'origin'], 'a note');
    expect(text).toMatch(/^decision: deny \(refused\)$/m);
    expect(text).toMatch(/^by: {7}rule "no-push" \(line 1\)$/m);
    expect(text).toMatch(/^reason: {3}ask first$/m);
    expect(text).toMatch(/^policy: {3}p\.toml \(a note\)$/m);
    expect(explainArgv(policy, ['git', 'status'])).toMatch(/^decision: run \(runs in the sandbox\)$/m);
  });
});
