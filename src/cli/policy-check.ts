// `execgate policy check [--writable DIR]... FILE`: validates a policy file
// and runs its rules' inline examples (loading does both); prints a summary
// or the first error, then what each env_allow entry admits and the warnings
// for a sandbox that can write the given directories (default: the current
// directory, the project `execgate shell` would use).
import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { envAllowReport, startupWarnings } from '../exec/host-env.js';
import { loadPolicyFile } from '../policy/load.js';
import { policyLocationProblems } from '../policy/location.js';
import { warningsFor } from '../policy/warnings.js';
import { canonicalOrParent } from '../policy/writable.js';
import { parseArgs, UsageError, type Parsed } from './args.js';

/** The writable roots a check assumes: --writable DIR..., else the current
 * directory unless it is / or the home directory (which `execgate shell`
 * refuses as a project). */
export function assumedWritableRoots(flags: Parsed['flags']): string[] {
  const given = flags['--writable'] as string[] | undefined;
  if (given) return given.map(canonicalOrParent);
  const cwd = realpathSync(process.cwd());
  return cwd === '/' || cwd === realpathSync(homedir()) ? [] : [cwd];
}

export function policyCheck(argv: string[], out: (line: string) => void): number {
  const { flags, rest } = parseArgs(argv, { '--writable': 'strings' });
  if (rest.length !== 1) throw new UsageError('usage: execgate policy check [--writable DIR]... FILE');
  const file = rest[0]!;
  const policy = loadPolicyFile(file);
  const roots = assumedWritableRoots(flags);
  const examples = policy.rules.reduce((n, r) => n + (r.match?.length ?? 0) + (r.notMatch?.length ?? 0), 0);
  const timeout = policy.approvalTimeoutMs === null ? 'never' : `${policy.approvalTimeoutMs / 1000} s`;
  out(`${file}: ok: ${policy.rules.length} rules, ${examples} examples pass; default ${policy.default}; approval time-out ${timeout}, then ${policy.timeoutDecision}`);
  out(`trusted PATH: ${policy.trustedPath.join(':')}`);
  out(`sandbox can write: ${roots.length > 0 ? roots.join(', ') : '(nothing assumed)'}${flags['--writable'] ? '' : ' (assumed; --writable DIR to say)'}`);
  for (const entry of policy.envAllow) out(`env_allow ${envAllowReport(entry)}`);
  for (const p of policyLocationProblems({ policyFile: file, writePath: file }, roots)) out(`${file}: warning: execgate would refuse this policy for such a sandbox: ${p}`);
  for (const w of warningsFor(policy, roots)) out(w);
  for (const w of startupWarnings(process.env.PATH ?? '', roots)) out(w);
  return 0;
}
