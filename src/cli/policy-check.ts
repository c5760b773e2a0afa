// `execgate policy check FILE`: validates a policy file and runs its rules'
// inline examples (loading does both); prints a summary or the first error.
import { loadPolicyFile } from '../policy/load.js';
import { UsageError } from './args.js';

export function policyCheck(argv: string[], out: (line: string) => void): number {
  if (argv.length !== 1) throw new UsageError('usage: execgate policy check FILE');
  const policy = loadPolicyFile(argv[0]!);
  const examples = policy.rules.reduce((n, r) => n + (r.match?.length ?? 0) + (r.notMatch?.length ?? 0), 0);
  const timeout = policy.approvalTimeoutMs === null ? 'never' : `${policy.approvalTimeoutMs / 1000} s`;
  out(`${argv[0]}: ok: ${policy.rules.length} rules, ${examples} examples pass; default ${policy.default}; approval time-out ${timeout}, then ${policy.timeoutDecision}`);
  return 0;
}
