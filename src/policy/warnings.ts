// Warnings (not errors) about a policy for one session's sandbox: what the
// agent could change under a rule, and what an escalation would run from the
// project. Shown by `policy check`, `policy explain`, and at load and reload.
import { basename } from 'node:path';
import { needsGitPin } from './builtin-git.js';
import { takesProjectCode } from './project-code.js';
import { realpathOrNull } from './resolve.js';
import { findTrusted } from './trusted-path.js';
import type { Policy, Rule } from './types.js';
import { sandboxCanChange } from './writable.js';

const BWRAP_GIT_NOTE = "under --sandbox bwrap the project's .git is read-only inside, which covers .git/config and hooks, not a nested .git elsewhere in the project nor config that points into the work tree";
const BWRAP_OTHER_NOTE = "--sandbox bwrap protects only the project's .git, not this";

function at(policy: Policy, line: number | undefined): string {
  return line === undefined ? policy.source : `${policy.source}:${line}`;
}

/** The host file a rule names, resolved on the full trusted PATH (entries
 * under writable roots included, so they can be warned about). */
function ruleFile(rule: Rule, policy: Policy): string | null {
  const target = rule.program.startsWith('/') ? rule.program : findTrusted(rule.program, policy);
  return target === null ? null : (realpathOrNull(target) ?? target);
}

export function warningsFor(policy: Policy, writableRoots: readonly string[]): string[] {
  const out: string[] = [];
  // Many rules name the same program (the built-in policy: 43 rules, all
  // `git`): each is looked up, and its path walked, once per call, not once
  // per rule (a session is warned at every launch).
  const programs = new Map<string, { file: string | null; named: string | null; hit: ReturnType<typeof sandboxCanChange> }>();
  const programOf = (rule: Rule) => {
    let p = programs.get(rule.program);
    if (p === undefined) {
      const file = ruleFile(rule, policy);
      const named = rule.program.startsWith('/') ? rule.program : file;
      programs.set(rule.program, (p = { file, named, hit: named === null ? null : sandboxCanChange(named, writableRoots) }));
    }
    return p;
  };
  for (const dir of policy.trustedPath) {
    const hit = sandboxCanChange(dir, writableRoots);
    if (hit) out.push(`${at(policy, policy.settingLines?.trusted_path)}: warning: trusted_path entry ${dir} can be changed from the sandbox (${hit.root} is writable inside it); it is skipped for this sandbox`);
  }
  for (const rule of policy.rules) {
    const where = `${at(policy, rule.line)}: warning: rule "${rule.id}"`;
    const { file, named, hit } = programOf(rule);
    if (hit && rule.decision !== 'deny') {
      out.push(`${where}: program ${named} can be changed from the sandbox (${hit.root} is writable inside it): the agent can replace it, and the rule would ${rule.decision === 'escalate' ? 'run' : 'offer to run'} what it puts there`);
    }
    // The built-in git rules are made for this (builtin-git.ts, pinned).
    if (rule.decision === 'escalate' && !needsGitPin(rule)) {
      const why = takesProjectCode(file ?? rule.program, rule.program);
      if (why !== null) {
        const name = basename(file ?? rule.program);
        out.push(`${where} escalates ${rule.program} without asking, and it runs code from the project: ${why}; ${name === 'git' ? BWRAP_GIT_NOTE : BWRAP_OTHER_NOTE}`);
      }
    }
  }
  return out;
}
