import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PolicyError, parsePolicy } from '../../../src/policy/load.js';
import { packageRoot } from '../../../src/native/paths.js';

function error(text: string): PolicyError {
  try {
    parsePolicy(text, 'p.toml');
  } catch (err) {
    expect(err).toBeInstanceOf(PolicyError);
    return err as PolicyError;
  }
  throw new Error('policy loaded but should not have');
}

describe('policy loading', () => {
  it('loads the documented format', () => {
    const p = parsePolicy(
      `default = "run"
approval_timeout = "90s"
env_allow = ["AWS_PROFILE", "MY_*"]

[[rule]]
id = "git-push"
program = "git"
args = ["push", "**"]
regex = '^git push'
decision = "prompt"
reason = "pushes need a human"
match = [["push", "origin", "main"]]
not_match = [["pull"]]
`,
      'p.toml',
    );
    expect(p.default).toBe('run');
    expect(p.approvalTimeoutMs).toBe(90_000);
    expect(p.envAllow).toEqual(['AWS_PROFILE', 'MY_*']);
    expect(p.rules).toHaveLength(1);
    expect(p.rules[0]).toMatchObject({ id: 'git-push', program: 'git', decision: 'prompt', line: 5 });
  });

  it('reports TOML syntax errors with file and line', () => {
    const e = error('default = "run"\n[[rule]\nid = "x"\n');
    expect(e.message).toMatch(/^p\.toml:2: invalid TOML/);
  });

  it('points at the line of a bad value', () => {
    const e = error('[[rule]]\nid = "a"\nprogram = "git"\ndecision = "maybe"\n');
    expect(e.line).toBe(4);
    expect(e.message).toContain('decision must be one of run, escalate, prompt, deny');
  });

  it('refuses duplicate ids, missing programs, relative programs and unknown keys', () => {
    expect(error('[[rule]]\nid = "a"\nprogram = "x"\ndecision = "run"\n[[rule]]\nid = "a"\nprogram = "y"\ndecision = "run"\n').message).toMatch(/:6: duplicate rule id "a" \(first at line 1\)/);
    expect(error('[[rule]]\nid = "a"\ndecision = "run"\n').message).toMatch(/program is required/);
    expect(error('[[rule]]\nid = "a"\nprogram = "./git"\ndecision = "run"\n').message).toMatch(/:3: .*bare name or an absolute path/);
    expect(error('[[rule]]\nid = "a"\nprogram = "git"\ndecision = "run"\nargz = []\n').message).toMatch(/:5: unknown rule key "argz"/);
    expect(error('defualt = "run"\n').message).toMatch(/:1: unknown setting "defualt"/);
  });

  it('refuses bad regexes and globs', () => {
    expect(error('[[rule]]\nid = "a"\nprogram = "git"\nregex = "("\ndecision = "run"\n').message).toMatch(/:4: .*bad regex/);
    expect(error('[[rule]]\nid = "a"\nprogram = "git"\nargs = ["[x"]\ndecision = "run"\n').message).toMatch(/:4: .*unclosed \[/);
  });

  it('does not load a policy whose examples fail', () => {
    const e = error('[[rule]]\nid = "push"\nprogram = "git"\nargs = ["push", "**"]\ndecision = "prompt"\nmatch = [["pull"]]\n');
    expect(e.line).toBe(1);
    expect(e.message).toMatch(/example git pull should match but does not/);
    const e2 = error('[[rule]]\nid = "push"\nprogram = "git"\nargs = ["push", "**"]\ndecision = "prompt"\nnot_match = [["push", "-f"]]\n');
    expect(e2.message).toMatch(/should not match but does/);
  });

  it('parses time-outs', () => {
    expect(parsePolicy('approval_timeout = "never"', 'p').approvalTimeoutMs).toBeNull();
    expect(parsePolicy('approval_timeout = 30', 'p').approvalTimeoutMs).toBe(30_000);
    expect(parsePolicy('approval_timeout = "2m"', 'p').approvalTimeoutMs).toBe(120_000);
    expect(error('approval_timeout = "soon"').message).toMatch(/:1: approval_timeout must be/);
    expect(error('explicit_default = "run"').message).toMatch(/cannot be "run"/);
  });
  it('refuses regexes RE2 cannot run in linear time, naming the line', () => {
    expect(error('[[rule]]\nid = "a"\nprogram = "git"\nregex = "(?=x)"\ndecision = "run"\n').message).toMatch(/:4: rule "a": bad regex: .*no lookaround, no backreferences/);
    expect(error('[[rule]]\nid = "a"\nprogram = "git"\nregex = \'(a)\\1\'\ndecision = "run"\n').message).toMatch(/:4: .*bad regex/);
    expect(error('[[rule]]\nid = "a"\nprogram = "git"\nregex = "a{1000}"\ndecision = "run"\n').message).toMatch(/:4: .*too complex/);
  });

  it('reads trusted_path: absolute or ~/, searched before the default', () => {
    const p = parsePolicy('trusted_path = ["/opt/tools/bin", "~/.local/bin"]\n', 'p.toml', { home: '/home/u' });
    expect(p.trustedPath).toEqual(['/opt/tools/bin', '/home/u/.local/bin', '/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']);
    expect(parsePolicy('', 'p.toml').trustedPath).toEqual(['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin']);
    expect(error('\ntrusted_path = ["bin"]\n').message).toMatch(/^p\.toml:2: trusted_path: "bin" is not an absolute path/);
    expect(error('trusted_path = ["~bob/bin"]\n').message).toMatch(/:1: trusted_path: .*only "~\/"/);
    expect(error('trusted_path = ["/a:/b"]\n').message).toMatch(/:1: trusted_path: .*contains ":"/);
    expect(error('trusted_path = "/bin"\n').message).toMatch(/:1: trusted_path must be a list/);
  });

  it('reads star_args only with a ** to restrict', () => {
    expect(parsePolicy('[[rule]]\nid = "a"\nprogram = "git"\nargs = ["add", "**"]\nstar_args = ["[!-]*"]\ndecision = "escalate"\n', 'p').rules[0]!.starArgs).toEqual(['[!-]*']);
    expect(error('[[rule]]\nid = "a"\nprogram = "git"\nargs = ["add"]\nstar_args = ["x"]\ndecision = "run"\n').message).toMatch(/:5: .*args has no "\*\*"/);
    expect(error('[[rule]]\nid = "a"\nprogram = "git"\nargs = ["add", "**"]\nstar_args = ["[x"]\ndecision = "run"\n').message).toMatch(/:5: .*unclosed \[/);
  });
});

describe('the policy examples in the README and the manual', () => {
  it.each(['README.md', 'docs/policy.md'])('%s: every toml block loads, examples and all', (file) => {
    const text = readFileSync(join(packageRoot, file), 'utf8');
    const blocks = [...text.matchAll(/```toml\n([\s\S]*?)```/g)].map((m) => m[1]!.replace(/^ {2}/gm, ''));
    expect(blocks.length).toBeGreaterThanOrEqual(1);
    for (const b of blocks) expect(() => parsePolicy(b, file)).not.toThrow();
  });
});
