// Finding 8: one request must not freeze the broker. Token globs with two
// `**` backtracked (60,000 arguments froze a shared serve for a minute) and
// user regexes ran on JavaScript's backtracking engine. Complexity is checked
// by counting matcher steps against a linear budget, never by the clock.
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/policy/evaluate.js';
import { compileArgs, toLatin1 } from '../../../src/policy/glob.js';
import { parsePolicy } from '../../../src/policy/load.js';
import { findOnPath } from '../../../src/policy/resolve.js';
import { MAX_REGEX_SUBJECT } from '../../../src/protocol/limits.js';

const sh = findOnPath('sh')!;
const rules = (body: string) => parsePolicy(body, 'p.toml');
const ev = (policy: ReturnType<typeof rules>, args: string[]) => evaluate(policy, { hostProgram: sh, args, explicit: false });

describe('bounded policy evaluation', () => {
  it('matches two ** against 60,000 arguments in steps linear in parts x arguments', () => {
    const globs = ['push', '**', '--force', '**', 'main'];
    // Every argument is --force: a backtracking matcher tries each as the
    // first `--force` and rescans the rest for `main`, O(n^2) and worse.
    const args = ['push', ...Array.from({ length: 60_000 }, () => '--force')];
    const meter = { steps: 0 };
    expect(compileArgs(globs)(args, meter)).toBe(false);
    expect(meter.steps).toBeLessThanOrEqual(4 * globs.length * (args.length + 1));
    expect(meter.steps).toBeGreaterThan(0);
    // And through evaluate, with a deny rule that must still be found.
    const p = rules(`[[rule]]\nid = "no-force"\nprogram = "sh"\nargs = ${JSON.stringify(globs)}\ndecision = "deny"\n`);
    expect(ev(p, args).decision).toBe('run');
    expect(ev(p, [...args, 'main']).decision).toBe('deny');
  }, 10_000);

  it('matches a * glob on one long argument without backtracking blow-up', () => {
    const arg = 'a'.repeat(1 << 20);
    const meter = { steps: 0 };
    expect(compileArgs(['*a*a*a*a*a*b'])([arg], meter)).toBe(false);
    expect(meter.steps).toBeLessThanOrEqual(12 * arg.length);
  }, 10_000);

  it('evaluates a 4 MiB argv in steps linear in its bytes', () => {
    const args = Array.from({ length: 64 }, (_, i) => `${i}`.padEnd(64 * 1024, '*'));
    const meter = { steps: 0 };
    expect(compileArgs(['**', '*x*', '**'])(args, meter)).toBe(false);
    expect(meter.steps).toBeLessThanOrEqual(8 * 4 * 1024 * 1024);
  }, 10_000);

  it('runs user regexes on a linear-time engine: a catastrophic JS pattern answers at once', () => {
    const p = rules(`[[rule]]\nid = "evil"\nprogram = "sh"\nregex = '^sh (a|aa)+$'\ndecision = "deny"\n`);
    expect(ev(p, ['a'.repeat(64) + 'b']).decision).toBe('run');
    expect(ev(p, ['a'.repeat(64)]).decision).toBe('deny');
  }, 10_000);

  it('does not let padding evade a deny regex, and does not let it reach a run/escalate regex', () => {
    const p = rules(
      `[[rule]]\nid = "no-rm"\nprogram = "sh"\nregex = 'rm -rf'\ndecision = "deny"\n` +
        `[[rule]]\nid = "ok-echo"\nprogram = "sh"\nregex = '^sh -c .?echo'\ndecision = "escalate"\n`,
    );
    const pad = 'A'.repeat(MAX_REGEX_SUBJECT + 1);
    expect(ev(p, ['-c', 'echo hi']).rule?.id).toBe('ok-echo');
    // Beyond the cap the regex is not read: deny and prompt rules count as
    // matching (fail closed), run and escalate rules as not matching.
    expect(ev(p, ['-c', 'echo hi', pad]).rule?.id).toBe('no-rm');
    const escalateOnly = rules(`[[rule]]\nid = "ok-echo"\nprogram = "sh"\nregex = '^sh -c .?echo'\ndecision = "escalate"\n`);
    expect(ev(escalateOnly, ['-c', 'echo hi', pad])).toMatchObject({ decision: 'run', rule: null });
    expect(ev(p, ['-c', toLatin1('rm -rf /'), pad]).decision).toBe('deny');
  }, 10_000);

  it('never hands a regex more than MAX_REGEX_SUBJECT bytes of a 4 MiB argv', () => {
    const p = rules(
      `[[rule]]\nid = "no-rm"\nprogram = "sh"\nregex = 'rm -rf'\ndecision = "deny"\n` +
        `[[rule]]\nid = "ok"\nprogram = "sh"\nargs = ["**", "*x*", "**"]\nregex = '^sh'\ndecision = "escalate"\n`,
    );
    const seen: number[] = [];
    for (const r of p.rules) {
      const inner = r.regex!.test;
      r.regex!.test = (subject: string) => (seen.push(subject.length), inner(subject));
    }
    const big = Array.from({ length: 64 }, () => 'y'.repeat(64 * 1024));
    expect(ev(p, big)).toMatchObject({ decision: 'deny', rule: { id: 'no-rm' } });
    expect(ev(p, ['-c', 'echo x'])).toMatchObject({ decision: 'escalate' });
    expect(seen.length).toBeGreaterThan(0);
    expect(Math.max(...seen)).toBeLessThanOrEqual(MAX_REGEX_SUBJECT);
  });
});
