// `execgate doctor [--policy FILE]`: checks what a sandboxed session needs,
// one line per check (✓ or ✗, and for ✗ what to do), and exits 1 if any
// check failed.
import { parseArgs, UsageError } from './args.js';
import { allChecks } from './doctor-checks.js';

export function doctorCommand(argv: string[], out: (line: string) => void): number {
  const { flags, rest } = parseArgs(argv, { '--policy': 'string' });
  if (rest.length) throw new UsageError(`execgate doctor takes no arguments, not ${rest.join(' ')}`);
  const checks = allChecks(flags['--policy'] as string | undefined);
  for (const c of checks) out(`${c.ok ? '✓' : '✗'} ${c.line}`);
  const failed = checks.filter((c) => !c.ok).length;
  out(failed ? `${failed} check${failed === 1 ? '' : 's'} failed` : 'all checks passed');
  return failed ? 1 : 0;
}
