// The `execgate` command: dispatch and error reporting. Every failure is one
// line on stderr and a documented exit status (README "Exit codes").
//
// Each command is imported when it is run, never before: a start-up pays
// only for the modules its command needs (`--help` and a usage error load
// none; `approve` never loads the broker; `shell` never loads the web page,
// the MCP server, the doctor or the approval terminal UI). Only the error
// classes are imported here, from modules that import nothing.
import { PolicyError } from '../policy/policy-error.js';
import { UsageError } from './args.js';
import { CliError, SetupError } from './errors.js';
import { USAGE } from './usage.js';
import { WebStartError } from '../web/errors.js';

const print = (l: string) => process.stdout.write(`${l}\n`);

async function run(command: string | undefined, rest: string[]): Promise<number> {
  switch (command) {
    case 'shell':
      return (await import('./shell.js')).shellCommand(rest);
    case 'serve':
      return (await import('./serve.js')).serveCommand(rest);
    case 'mcp':
      return (await import('./mcp.js')).mcpCommand(rest);
    case 'doctor':
      return (await import('./doctor.js')).doctorCommand(rest, print);
    case 'approve':
      return (await import('./approve.js')).approveCommand(rest, (s) => process.stdout.write(s));
    case 'shim-path':
      return (await import('./shim-path.js')).shimPathCommand(rest, print);
    case 'policy':
      if (rest[0] === 'explain') return (await import('./policy-explain.js')).policyExplain(rest.slice(1), print);
      if (rest[0] === 'check') return (await import('./policy-check.js')).policyCheck(rest.slice(1), print);
      throw new UsageError(`unknown policy command: ${rest[0] ?? '(none)'}`);
    case '-h':
    case '--help':
    case 'help':
      process.stdout.write(USAGE);
      return 0;
    default:
      throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    return await run(command, rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`execgate: ${err.message}\n${USAGE}`);
      return 2;
    }
    if (err instanceof CliError || err instanceof WebStartError) {
      process.stderr.write(`execgate: ${err.message}\n`);
      return err instanceof CliError ? err.exitCode : 1;
    }
    if (err instanceof PolicyError || err instanceof SetupError) {
      process.stderr.write(`execgate: ${err.message}\n`);
      return err instanceof PolicyError ? 3 : 4;
    }
    throw err;
  }
}
