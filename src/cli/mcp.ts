// `execgate mcp`: flags only; the server is src/mcp/server.ts.
import { LaunchError } from '../runtime/launch.js';
import { serveMcp } from '../mcp/server.js';
import { parseArgs, portFlag, UsageError } from './args.js';
import { CliError, SetupError } from './errors.js';
import { BROKER_ONLY, launchRequest, SESSION_FLAGS } from './launch-flags.js';
import { requireBuilt } from './shell.js';

const FLAGS = {
  ...SESSION_FLAGS,
  '--no-redact': 'boolean',
  '--no-dialog': 'boolean',
} as const;

export async function mcpCommand(args: string[]): Promise<number> {
  const { flags, rest } = parseArgs(args, FLAGS);
  if (rest.length) throw new UsageError(`unexpected argument: ${rest[0]}`);
  requireBuilt();
  // stdout is the MCP channel: every line for a human goes to stderr.
  const log = (line: string) => process.stderr.write(`${line}\n`);
  const socket = flags['--broker'] as string | undefined;
  for (const f of socket === undefined ? [] : BROKER_ONLY.filter((x) => x !== '--policy')) {
    if (flags[f] !== undefined) throw new UsageError(`${f} belongs to the broker: give it to \`execgate serve\`, not to \`execgate mcp --broker\``);
  }
  if (flags['--dangerously-approve-all']) log('execgate: --dangerously-approve-all: every prompt is approved without asking');
  const launch = { ...launchRequest(flags), label: (flags['--label'] as string | undefined) ?? 'mcp' };
  if (launch.sandbox === 'none' && launch.project !== undefined) {
    // Without a sandbox, --project is where the shell starts and the root
    // a call's workdir must stay in; nothing is bound.
    for (const f of ['--bind', '--ro-bind', '--no-network', '--sandbox-uid', '--writable-git'] as const) {
      if (flags[f] !== undefined) throw new UsageError(`${f} needs --sandbox bwrap`);
    }
  }
  try {
    return await serveMcp({
      launch,
      brokerSocket: socket,
      policyFile: flags['--policy'] as string | undefined,
      auditFile: flags['--audit'] as string | undefined,
      approveAll: Boolean(flags['--dangerously-approve-all']),
      web: flags['--web'] ? { port: portFlag(flags['--web-port']) } : undefined,
      redact: !flags['--no-redact'],
      dialog: !flags['--no-dialog'],
      log,
    });
  } catch (err) {
    if (err instanceof LaunchError) throw err.kind === 'usage' ? new UsageError(err.message) : new SetupError(err.message);
    if (err instanceof Error && /^cannot reach the broker/.test(err.message)) throw new CliError(err.message);
    throw err;
  }
}
