// `execgate shell`: a broker in this process, one session, and the patched
// bash with the session socket inherited. Exits with the shell's status.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { patchedBashPath, sandboxBinDir, spawnHelperPath, wrapperPath } from '../native/paths.js';
import { PathMap } from '../sandbox/path-map.js';
import { parseArgs, UsageError } from './args.js';
import { startRuntime } from './runtime.js';

/** The fd number the shell inherits its session socket at. High, so that
 * scripts' own `exec 3>file` and friends never land on it. */
export const SESSION_FD = 87;

export class SetupError extends Error {
  override name = 'SetupError';
}

export function requireBuilt(): void {
  const missing: string[] = [];
  if (!existsSync(wrapperPath) || !existsSync(spawnHelperPath)) missing.push(`the wrapper (${wrapperPath}): run \`npm install\` (or \`npm run build:native\`)`);
  if (!existsSync(patchedBashPath)) missing.push(`the patched bash (${patchedBashPath}): run \`npm run build:bash\``);
  if (missing.length) throw new SetupError(`execgate is not built yet; missing ${missing.join('; and ')}`);
}

export async function shellCommand(argv: string[]): Promise<number> {
  const { flags, rest } = parseArgs(argv, {
    '--policy': 'string',
    '--audit': 'string',
    '--label': 'string',
    '--dangerously-approve-all': 'boolean',
    '--web': 'boolean',
    '--web-port': 'string',
    '-c': 'string',
  });
  requireBuilt();
  const approveEverything = Boolean(flags['--dangerously-approve-all']);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (approveEverything) log('execgate: --dangerously-approve-all: every prompt is approved without asking');
  const runtime = await startRuntime({
    policyFile: flags['--policy'] as string | undefined,
    auditFile: flags['--audit'] as string | undefined,
    approveAll: approveEverything,
    web: flags['--web'] ? { port: portFlag(flags['--web-port']), printUrl: false } : undefined,
    log,
  });
  const session = runtime.broker.openSession({ label: (flags['--label'] as string | undefined) ?? 'shell', pathMap: PathMap.identity() });

  const bashArgs = flags['-c'] !== undefined ? ['-c', flags['-c'] as string, ...rest] : rest;
  const stdio: ('inherit' | 'ignore' | number)[] = ['inherit', 'inherit', 'inherit'];
  while (stdio.length < SESSION_FD) stdio.push('ignore');
  stdio.push(session.shellEnd);
  const child = spawn(patchedBashPath, bashArgs, {
    stdio,
    env: {
      ...process.env,
      EXEC_WRAPPER: wrapperPath,
      EXECGATE_SOCKET: String(SESSION_FD),
      PATH: `${sandboxBinDir}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    },
  });
  session.releaseShellFd();

  // The shell owns the terminal: Ctrl-C and Ctrl-\ are for it and its
  // commands, not for the broker they depend on. Hang-ups and terminations
  // are passed on, and we end with the shell.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);

  const { code, signal } = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (c, s) => resolve({ code: c, signal: s }));
  });
  session.close();
  await runtime.close();
  process.off('SIGINT', ignore);
  process.off('SIGQUIT', ignore);
  process.off('SIGTERM', forward);
  process.off('SIGHUP', forward);
  if (signal) {
    // Die the way the shell died, so whoever started us sees the same.
    process.kill(process.pid, signal);
    return 128 + (constants.signals[signal] ?? 0);
  }
  return code ?? 1;
}

export function portFlag(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--web-port must be a port number, not ${String(v)}`);
  return n;
}
