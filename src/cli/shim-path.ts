// `execgate shim-path`: the directory holding the shell shim, `bash` and
// `sh` (links to the native launcher), for a harness's shell variable:
//   CLAUDE_CODE_SHELL=$(execgate shim-path)/bash claude
// Each shell started through it attaches to the `execgate serve` named by
// $EXECGATE_BROKER (docs/agents.md, "execgate as the agent's shell on the host").
import { accessSync, constants } from 'node:fs';
import { join } from 'node:path';
import { shimDir } from '../native/paths.js';
import { UsageError } from './args.js';
import { CliError } from './errors.js';

/** A link that resolves to something we may execute. */
function runnable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export function shimPathCommand(argv: string[], out: (line: string) => void): number {
  if (argv.length) throw new UsageError(`execgate shim-path takes no arguments, not ${argv.join(' ')}`);
  const missing = ['bash', 'sh'].map((n) => join(shimDir, n)).filter((p) => !runnable(p));
  // 4, as every "not built yet" (README, "Exit codes")
  if (missing.length) throw new CliError(`the shell shim is not built yet; missing ${missing.join(' and ')}: run \`npm run build:native\``, 4);
  out(shimDir);
  return 0;
}
