// Decides a request against a policy. Pure apart from looking up rule
// programs on the host (resolve.ts, on the trusted PATH). Fast path: a
// request whose program name no rule mentions is decided by the default
// without touching the disk. Bounded: token globs match in O(parts x args)
// (glob.ts), regexes run on RE2 over at most MAX_REGEX_SUBJECT bytes.
import { basename } from 'node:path';
import { compileArgs, isLiteralGlob, toLatin1, type ArgsMatcher } from './glob.js';
import { matchesUnread, regexSubject } from './regex.js';
import { sameProgram } from './resolve.js';
import { shellJoin } from './shell-quote.js';
import { findTrusted } from './trusted-path.js';
import { PRECEDENCE, type Evaluation, type Policy, type PolicyInput, type Rule } from './types.js';

interface CompiledRule {
  rule: Rule;
  args: ArgsMatcher | null;
  /** Names one exact argument list (args given, every token literal). */
  exact: boolean;
}

const compiledRules = new WeakMap<Rule, CompiledRule>();
const byNameIndex = new WeakMap<Policy, Map<string, CompiledRule[]>>();

function compileRule(rule: Rule): CompiledRule {
  let c = compiledRules.get(rule);
  if (!c) {
    c = { rule, args: rule.args ? compileArgs(rule.args, rule.starArgs) : null, exact: rule.args !== undefined && rule.args.every(isLiteralGlob) };
    compiledRules.set(rule, c);
  }
  return c;
}

/** Rules indexed by the file name of their program (latin1). */
function rulesByName(policy: Policy): Map<string, CompiledRule[]> {
  let index = byNameIndex.get(policy);
  if (!index) {
    index = new Map();
    for (const rule of policy.rules) {
      const name = toLatin1(basename(rule.program));
      index.set(name, [...(index.get(name) ?? []), compileRule(rule)]);
    }
    byNameIndex.set(policy, index);
  }
  return index;
}

/** The command line a regex reads, made at most once per request. */
class Subject {
  private made = false;
  private text: string | null = null;
  constructor(private readonly words: () => string[]) {}
  get(): string | null {
    if (!this.made) {
      this.text = regexSubject(this.words());
      this.made = true;
    }
    return this.text;
  }
}

/** Does the rule's argument part (args globs and regex) match? The program
 * part is checked separately, because it needs the host's file system. */
export function argsMatch(rule: Rule, programName: string, args: string[]): boolean {
  return matchParts(compileRule(rule), args, new Subject(() => [programName, ...args]));
}

function matchParts(c: CompiledRule, args: string[], subject: Subject): boolean {
  if (c.args && !c.args(args)) return false;
  if (c.rule.regex) {
    const text = subject.get();
    if (text === null) return matchesUnread(c.rule.decision);
    if (!c.rule.regex.test(text)) return false;
  }
  return true;
}

/** The host file a rule's program names (a bare name on the policy's
 * trusted PATH), or null if it names none. */
export function ruleTarget(rule: Rule, policy: Policy, writableRoots: readonly string[] = []): string | null {
  return rule.program.startsWith('/') ? rule.program : findTrusted(rule.program, policy, writableRoots);
}

export function evaluate(policy: Policy, input: PolicyInput): Evaluation {
  const matched: Rule[] = [];
  if (input.hostProgram !== null) {
    const name = toLatin1(basename(input.hostProgram));
    const subject = new Subject(() => [name, ...input.args]);
    for (const c of rulesByName(policy).get(name) ?? []) {
      if (!matchParts(c, input.args, subject)) continue;
      const target = ruleTarget(c.rule, policy, input.writableRoots);
      if (target !== null && sameProgram(input.hostProgram, target, input.hostReal)) matched.push(c.rule);
    }
  }
  let winner: Rule | null = null;
  for (const rule of matched) {
    if (!winner || outranks(rule, winner)) winner = rule;
  }
  if (winner) {
    // `execgate run` asks for the host: a rule saying "run in the sandbox"
    // cannot answer that, so a human is asked instead.
    const decision = input.explicit && winner.decision === 'run' ? 'prompt' : winner.decision;
    return { decision, rule: winner, matched, reason: winner.reason ?? `rule ${winner.id}` };
  }
  const decision = input.explicit ? policy.explicitDefault : policy.default;
  return { decision, rule: null, matched, reason: input.explicit ? 'explicit request (default)' : 'default' };
}

/** Does `a` win over `b` (which comes earlier in the file)? */
function outranks(a: Rule, b: Rule): boolean {
  if ((a.decision === 'deny') !== (b.decision === 'deny')) return a.decision === 'deny';
  const ea = compileRule(a).exact;
  const eb = compileRule(b).exact;
  if (ea !== eb) return ea;
  return PRECEDENCE[a.decision] > PRECEDENCE[b.decision];
}

/** Runs every rule's inline examples; returns the failures. */
export function checkExamples(policy: Policy): { line: number; message: string }[] {
  const failures: { line: number; message: string }[] = [];
  for (const rule of policy.rules) {
    const name = toLatin1(basename(rule.program));
    for (const ex of rule.match ?? []) {
      if (!argsMatch(rule, name, ex.map(toLatin1))) failures.push({ line: rule.line, message: `rule "${rule.id}": example ${shellJoin([rule.program, ...ex])} should match but does not` });
    }
    for (const ex of rule.notMatch ?? []) {
      if (argsMatch(rule, name, ex.map(toLatin1))) failures.push({ line: rule.line, message: `rule "${rule.id}": example ${shellJoin([rule.program, ...ex])} should not match but does` });
    }
  }
  return failures;
}

/** Could any rule apply to a program of this file name (latin1)? When not,
 * the decision is the default and nothing needs resolving on the host. */
export function mentionsProgram(policy: Policy, name: string): boolean {
  return rulesByName(policy).has(name);
}
