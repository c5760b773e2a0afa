// The `execgate` command: dispatch and error reporting. Every failure is one
// line on stderr and a documented exit status (README "Exit codes").
import { PolicyError } from '../policy/load.js';
import { UsageError } from './args.js';
import { CliError } from './errors.js';
import { WebStartError } from '../web/errors.js';
import { APPROVE_USAGE, approveCommand } from './approve.js';
import { DOCTOR_USAGE, doctorCommand } from './doctor.js';
import { MCP_USAGE, mcpCommand } from './mcp.js';
import { policyCheck } from './policy-check.js';
import { policyExplain } from './policy-explain.js';
import { serveCommand } from './serve.js';
import { SetupError, shellCommand } from './shell.js';

const USAGE = `usage:
  execgate shell [--sandbox none|bwrap] [--project DIR] [--no-network] [--bind SRC[:DEST]]... [--ro-bind SRC[:DEST]]...
                 [--sandbox-uid N] [--writable-git (unsafe)] [--pass-env NAME]...
                 [--policy FILE] [--audit FILE] [--web [--web-port N]] [--dangerously-approve-all]
                 [--broker SOCKET] [--label NAME] [-c SCRIPT | FILE ARGS...]
${MCP_USAGE}
  execgate serve [--policy FILE] [--audit FILE] [--web [--web-port N]] [--write-socket-path-to FILE] [--no-prompt]
  execgate policy explain [--policy FILE] [--explicit] -- CMD [ARGS...]
  execgate policy check FILE
${APPROVE_USAGE}
${DOCTOR_USAGE}
  execgate shim-path
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'shell':
        return await shellCommand(rest);
      case 'serve':
        return await serveCommand(rest);
      case 'mcp':
        return await mcpCommand(rest);
      case 'doctor':
        return doctorCommand(rest, (l) => process.stdout.write(`${l}\n`));
      case 'approve':
        return await approveCommand(rest, (s) => process.stdout.write(s));
      case 'shim-path':
        return (await import('./shim-path.js')).shimPathCommand(rest, (l) => process.stdout.write(`${l}\n`));
      case 'policy':
        if (rest[0] === 'explain') return policyExplain(rest.slice(1), (l) => process.stdout.write(`${l}\n`));
        if (rest[0] === 'check') return policyCheck(rest.slice(1), (l) => process.stdout.write(`${l}\n`));
        throw new UsageError(`unknown policy command: ${rest[0] ?? '(none)'}`);
      case '-h':
      case '--help':
      case 'help':
        process.stdout.write(USAGE);
        return 0;
      default:
        throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
    }
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
