// `execgate policy explain -- CMD ARGS...`: what the broker would decide for
// that command, which rule wins, every rule that matched, and the warnings
// that concern it (a program the sandbox can write, code from the project).
// A bare CMD is looked up on the policy's trusted PATH, as `execgate run`
// does; the writable roots are assumed as for `policy check`.
import { isAbsolute, resolve } from 'node:path';
import { evaluate } from '../policy/evaluate.js';
import { toLatin1 } from '../policy/glob.js';
import { takesProjectCode } from '../policy/project-code.js';
import { realpathOrNull } from '../policy/resolve.js';
import { alwaysRefusal } from '../policy/rule-program.js';
import { shellJoin } from '../policy/shell-quote.js';
import { findTrusted } from '../policy/trusted-path.js';
import { warningsFor } from '../policy/warnings.js';
import { tmuxTarget } from '../approval/tmux.js';
import { parseArgs, UsageError } from './args.js';
import { assumedWritableRoots } from './policy-check.js';
import { loadPolicy } from '../policy/policy-file.js';

export function policyExplain(argv: string[], out: (line: string) => void): number {
  const { flags, rest } = parseArgs(argv, { '--policy': 'string', '--explicit': 'boolean', '--writable': 'strings' });
  if (rest.length === 0) throw new UsageError('usage: execgate policy explain [--policy FILE] [--explicit] [--writable DIR]... -- CMD [ARGS...]');
  const policy = loadPolicy(flags['--policy'] as string | undefined);
  const roots = assumedWritableRoots(flags);
  const [cmd, ...args] = rest as [string, ...string[]];
  const found = cmd.includes('/') ? resolve(cmd) : findTrusted(cmd, policy, roots);
  const real = found && isAbsolute(found) ? realpathOrNull(found) : null;
  const ev = evaluate(policy, { hostProgram: real ? found : null, args: args.map(toLatin1), explicit: Boolean(flags['--explicit']), writableRoots: roots });

  out(`command:  ${shellJoin(rest)}`);
  out(`program:  ${real ? (real === found ? real : `${found} -> ${real}`) : `(not found on the host${cmd.includes('/') ? '' : "'s trusted PATH"}: ${cmd})`}`);
  out(`policy:   ${policy.source}`);
  out(`decision: ${ev.decision}`);
  out(`by:       ${ev.rule ? `rule "${ev.rule.id}" (line ${ev.rule.line})` : ev.reason}`);
  if (ev.rule?.reason) out(`reason:   ${ev.rule.reason}`);
  out(ev.matched.length ? 'matched:' : 'matched:  no rule');
  for (const r of ev.matched) out(`  ${r.id} (line ${r.line}): ${r.decision}${r === ev.rule ? '  <- wins' : ''}`);
  if (ev.decision === 'prompt') {
    const timeout = policy.approvalTimeoutMs === null ? 'never times out' : `times out after ${policy.approvalTimeoutMs / 1000} s, then ${policy.timeoutDecision}`;
    const channels = [tmuxTarget() ? 'a tmux popup in this tmux window' : null, '`execgate approve` in another terminal'].filter(Boolean);
    out(`asks:     ${channels.join(', or ')}; ${timeout}`);
  }
  if (real && (ev.decision === 'escalate' || ev.decision === 'prompt')) {
    const code = takesProjectCode(real, found ?? undefined);
    if (code !== null) out(`warning:  runs code from the project: ${code}`);
    const refusal = alwaysRefusal(real, roots);
    if (refusal !== null && ev.decision === 'prompt') out(`warning:  ${refusal}`);
  }
  const ids = new Set(ev.matched.map((r) => `rule "${r.id}"`));
  for (const w of warningsFor(policy, roots)) {
    if ([...ids].some((id) => w.includes(`${id}:`) || w.includes(`${id} `))) out(w);
  }
  return 0;
}
