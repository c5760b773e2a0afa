// Loads and validates a policy file. Every error names the file, the line and
// what is wrong; a policy that fails validation (or whose examples fail) is
// never half-loaded.
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { parse, TomlError } from 'smol-toml';
import { builtinGitRules } from './builtin-git.js';
import { checkExamples } from './evaluate.js';
import { compileArgs, GlobError } from './glob.js';
import { PolicyError } from './policy-error.js';
import { compileRegex, RegexError } from './regex.js';
import { DEFAULT_TRUSTED_PATH } from './resolve.js';
import { trustedPathEntry } from './trusted-path.js';
import { DECISIONS, type Decision, type Policy, type Rule } from './types.js';

export { PolicyError };

const DEFAULT_TIMEOUT_MS = 5 * 60 * 1000;
const TOP_KEYS = new Set(['default', 'explicit_default', 'env_allow', 'trusted_path', 'approval_timeout', 'timeout_decision', 'rule']);
const RULE_KEYS = new Set(['id', 'program', 'args', 'star_args', 'regex', 'decision', 'reason', 'match', 'not_match']);

/** The settings of a policy with no rules (the defaults of every file). */
export function emptyPolicy(): Policy {
  return {
    source: '(built-in)',
    default: 'run',
    explicitDefault: 'prompt',
    rules: [],
    envAllow: [],
    trustedPath: [...DEFAULT_TRUSTED_PATH],
    approvalTimeoutMs: DEFAULT_TIMEOUT_MS,
    timeoutDecision: 'deny',
  };
}

/** The policy used when no policy file exists: everything runs in the
 * sandbox. `gitRules`: add the built-in git rules (builtin-git.ts), for
 * --sandbox bwrap, where the project's .git is read-only inside; only when
 * the session pins escalated git to the project's repository (needsGitPin). */
export function builtinPolicy(opts: { gitRules?: boolean } = {}): Policy {
  const policy = emptyPolicy();
  if (opts.gitRules) policy.rules = [...builtinGitRules()];
  return policy;
}

export interface ParseOptions {
  /** What `~/` in trusted_path expands to (default: the broker's home). */
  home?: string;
}

export function loadPolicyFile(file: string): Policy {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new PolicyError(file, null, `cannot read: ${(err as Error).message}`);
  }
  return parsePolicy(text, file);
}

export function parsePolicy(text: string, file: string, opts: ParseOptions = {}): Policy {
  let doc: Record<string, unknown>;
  try {
    doc = parse(text) as Record<string, unknown>;
  } catch (err) {
    if (err instanceof TomlError) {
      throw new PolicyError(file, err.line, err.message.split('\n')[0]!.replace(/^Invalid TOML document: /, 'invalid TOML: '));
    }
    throw new PolicyError(file, null, (err as Error).message);
  }
  const lines = new LineFinder(text);
  const fail = (line: number | null, why: string): never => {
    throw new PolicyError(file, line, why);
  };

  for (const key of Object.keys(doc)) {
    if (!TOP_KEYS.has(key)) fail(lines.topKey(key), `unknown setting "${key}" (known: ${[...TOP_KEYS].join(', ')})`);
  }
  const policy = emptyPolicy();
  policy.source = file;
  if (doc.default !== undefined) policy.default = decisionOf(doc.default, () => fail(lines.topKey('default'), `default must be one of ${DECISIONS.join(', ')}`));
  if (doc.explicit_default !== undefined) {
    const d = decisionOf(doc.explicit_default, () => fail(lines.topKey('explicit_default'), `explicit_default must be one of escalate, prompt, deny`));
    if (d === 'run') fail(lines.topKey('explicit_default'), 'explicit_default cannot be "run": `execgate run` asks for the host');
    policy.explicitDefault = d;
  }
  if (doc.env_allow !== undefined) {
    policy.envAllow = stringList(doc.env_allow, () => fail(lines.topKey('env_allow'), 'env_allow must be a list of names (NAME or PREFIX*)'));
    for (const name of policy.envAllow) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*\*?$/.test(name)) fail(lines.topKey('env_allow'), `env_allow: "${name}" is not a variable name or NAME* prefix`);
    }
  }
  policy.settingLines = {};
  for (const key of ['trusted_path', 'env_allow'] as const) {
    const line = lines.topKey(key);
    if (line !== null) policy.settingLines[key] = line;
  }
  if (doc.trusted_path !== undefined) {
    const at = lines.topKey('trusted_path');
    const entries = stringList(doc.trusted_path, () => fail(at, 'trusted_path must be a list of directories (absolute or ~/...)'));
    const dirs = entries.map((e) => {
      const r = trustedPathEntry(e, opts.home ?? homedir());
      return r.ok ? r.dir : fail(at, `trusted_path: ${r.why}`);
    });
    policy.trustedPath = [...new Set([...dirs, ...DEFAULT_TRUSTED_PATH])];
  }
  if (doc.approval_timeout !== undefined) {
    policy.approvalTimeoutMs = parseDuration(doc.approval_timeout, (why) => fail(lines.topKey('approval_timeout'), why));
  }
  if (doc.timeout_decision !== undefined) {
    if (doc.timeout_decision !== 'deny' && doc.timeout_decision !== 'escalate') {
      fail(lines.topKey('timeout_decision'), 'timeout_decision must be "deny" or "escalate"');
    }
    policy.timeoutDecision = doc.timeout_decision as 'deny' | 'escalate';
  }

  const rawRules = doc.rule ?? [];
  if (!Array.isArray(rawRules)) fail(lines.topKey('rule'), 'rule must be an array of tables: write [[rule]]');
  const seen = new Map<string, number>();
  (rawRules as unknown[]).forEach((raw, index) => {
    const line = lines.ruleHeader(index);
    const at = (key: string) => lines.keyInRule(index, key) ?? line;
    if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail(line, 'a rule must be a table');
    const r = raw as Record<string, unknown>;
    for (const key of Object.keys(r)) {
      if (!RULE_KEYS.has(key)) fail(at(key), `unknown rule key "${key}" (known: ${[...RULE_KEYS].join(', ')})`);
    }
    if (typeof r.id !== 'string' || !/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(r.id)) {
      fail(at('id'), 'each rule needs an id: letters, digits, ".", "_", "-"');
    }
    const id = r.id as string;
    const earlier = seen.get(id);
    if (earlier !== undefined) fail(at('id'), `duplicate rule id "${id}" (first at line ${earlier})`);
    seen.set(id, line);
    if (typeof r.program !== 'string' || r.program === '') fail(at('program'), `rule "${id}": program is required (a bare name or an absolute path)`);
    const program = r.program as string;
    if (program.includes('/') && !program.startsWith('/')) {
      fail(at('program'), `rule "${id}": program "${program}" must be a bare name or an absolute path`);
    }
    const decision = decisionOf(r.decision, () => fail(at('decision'), `rule "${id}": decision must be one of ${DECISIONS.join(', ')}`));
    const rule: Rule = { id, program, decision, line };
    if (r.args !== undefined) {
      rule.args = stringList(r.args, () => fail(at('args'), `rule "${id}": args must be a list of strings`));
    }
    if (r.star_args !== undefined) {
      if (!rule.args?.includes('**')) fail(at('star_args'), `rule "${id}": star_args restricts what "**" in args stands for, and args has no "**"`);
      rule.starArgs = stringList(r.star_args, () => fail(at('star_args'), `rule "${id}": star_args must be a list of strings`));
    }
    for (const [key, globs] of [['args', rule.args], ['star_args', rule.starArgs]] as const) {
      try {
        if (globs) compileArgs(globs);
      } catch (err) {
        if (err instanceof GlobError) fail(at(key), `rule "${id}": ${err.message}`);
        throw err;
      }
    }
    if (r.regex !== undefined) {
      if (typeof r.regex !== 'string') fail(at('regex'), `rule "${id}": regex must be a string`);
      try {
        rule.regex = compileRegex(r.regex as string);
      } catch (err) {
        if (err instanceof RegexError) fail(at('regex'), `rule "${id}": bad regex: ${err.message}`);
        throw err;
      }
    }
    if (r.reason !== undefined) {
      if (typeof r.reason !== 'string') fail(at('reason'), `rule "${id}": reason must be a string`);
      rule.reason = r.reason as string;
    }
    for (const [key, prop] of [['match', 'match'], ['not_match', 'notMatch']] as const) {
      if (r[key] === undefined) continue;
      const v = r[key];
      if (!Array.isArray(v) || !v.every((ex) => Array.isArray(ex) && ex.every((t) => typeof t === 'string'))) {
        fail(at(key), `rule "${id}": ${key} must be a list of argument lists, e.g. [["push", "origin"]]`);
      }
      rule[prop] = v as string[][];
    }
    policy.rules.push(rule);
  });
  const failures = checkExamples(policy);
  if (failures.length > 0) {
    throw new PolicyError(file, failures[0]!.line, failures.map((f) => f.message).join('; '));
  }
  return policy;
}

function decisionOf(v: unknown, bad: () => never): Decision {
  if (typeof v === 'string' && (DECISIONS as readonly string[]).includes(v)) return v as Decision;
  return bad();
}

function stringList(v: unknown, bad: () => never): string[] {
  if (Array.isArray(v) && v.every((x) => typeof x === 'string')) return v as string[];
  return bad();
}

/** "never", a number of seconds, or "90s" / "5m" / "1h". */
export function parseDuration(v: unknown, bad: (why: string) => never): number | null {
  if (v === 'never') return null;
  if (typeof v === 'number' && Number.isFinite(v) && v > 0) return Math.round(v * 1000);
  if (typeof v === 'string') {
    const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)$/.exec(v.trim());
    if (m) {
      const n = Number(m[1]);
      const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] as 'ms' | 's' | 'm' | 'h'];
      if (n > 0) return Math.round(n * unit);
    }
  }
  return bad('approval_timeout must be "never", a positive number of seconds, or like "90s", "5m", "1h"');
}

/** Finds lines for keys, so semantic errors can point at the text. */
class LineFinder {
  private readonly lines: string[];
  private readonly ruleStarts: number[] = [];
  private readonly firstTable: number;

  constructor(text: string) {
    this.lines = text.split('\n');
    this.lines.forEach((l, i) => {
      if (/^\s*\[\[\s*rule\s*\]\]/.test(l)) this.ruleStarts.push(i);
    });
    const t = this.lines.findIndex((l) => /^\s*\[/.test(l));
    this.firstTable = t < 0 ? this.lines.length : t;
  }

  topKey(key: string): number | null {
    if (key === 'rule') return this.ruleStarts.length ? this.ruleStarts[0]! + 1 : null;
    return this.find(0, this.firstTable, key);
  }

  ruleHeader(index: number): number {
    const start = this.ruleStarts[index];
    return start === undefined ? 1 : start + 1;
  }

  keyInRule(index: number, key: string): number | null {
    const start = this.ruleStarts[index];
    if (start === undefined) return null;
    const next = this.lines.findIndex((l, i) => i > start && /^\s*\[/.test(l));
    return this.find(start + 1, next < 0 ? this.lines.length : next, key);
  }

  private find(from: number, to: number, key: string): number | null {
    const re = new RegExp(`^\\s*"?${key}"?\\s*=`);
    for (let i = from; i < to; i++) if (re.test(this.lines[i]!)) return i + 1;
    return null;
  }
}
