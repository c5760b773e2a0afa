// `execgate policy explain -- CMD ARGS...`: what the broker would decide for
// that command, which rule wins, and every rule that matched.
import { isAbsolute, resolve } from 'node:path';
import { evaluate } from '../policy/evaluate.js';
import { toLatin1 } from '../policy/glob.js';
import { findOnPath, realpathOrNull } from '../policy/resolve.js';
import { shellJoin } from '../policy/shell-quote.js';
import { tmuxTarget } from '../approval/tmux.js';
import { parseArgs, UsageError } from './args.js';
import { loadPolicy } from '../policy/policy-file.js';

export function policyExplain(argv: string[], out: (line: string) => void): number {
  const { flags, rest } = parseArgs(argv, { '--policy': 'string', '--explicit': 'boolean' });
  if (rest.length === 0) throw new UsageError('usage: execgate policy explain [--policy FILE] [--explicit] -- CMD [ARGS...]');
  const policy = loadPolicy(flags['--policy'] as string | undefined);
  const [cmd, ...args] = rest as [string, ...string[]];
  const found = cmd.includes('/') ? resolve(cmd) : findOnPath(cmd);
  const real = found && isAbsolute(found) ? realpathOrNull(found) : null;
  const ev = evaluate(policy, { hostProgram: real ? found : null, args: args.map(toLatin1), explicit: Boolean(flags['--explicit']) });

  out(`command:  ${shellJoin(rest)}`);
  out(`program:  ${real ? (real === found ? real : `${found} -> ${real}`) : `(not found on the host: ${cmd})`}`);
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
  return 0;
}
