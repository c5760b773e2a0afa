// `execgate shell`: one session and the patched bash, with the session
// socket inherited at SESSION_FD. The broker is in this process, or a
// running `execgate serve` (--broker SOCKET) makes the session and says how
// to start the shell (the same Launch the native launcher sends: bin/execgate
// hands `shell --broker` to it, so this path is for `node bin/execgate.js`).
// The shell runs unconfined (--sandbox none, the default, said plainly) or
// inside bubblewrap (--sandbox bwrap). Exits with the shell's status.
import { existsSync } from 'node:fs';
import { constants } from 'node:os';
import { ControlConnection } from '../control/client.js';
import { Child } from '../exec/child.js';
import { requestLaunch, type AttachedShell } from '../control/launch-client.js';
import type { Fd } from '../native/fd.js';
import { patchedBashPath, spawnHelperPath, wrapperPath } from '../native/paths.js';
import { SESSION_FD } from '../protocol/constants.js';
import { LaunchError, launchShell, type LaunchRequest } from '../runtime/launch.js';
import { BROKER_ONLY, launchRequest, SHELL_FLAGS } from './launch-flags.js';
import { startRuntime } from '../runtime/runtime.js';
import { parseArgs, portFlag, UsageError } from './args.js';
import { CliError, SetupError } from './errors.js';
import { writeStderr } from './stderr.js';

export function requireBuilt(): void {
  const missing: string[] = [];
  if (!existsSync(wrapperPath) || !existsSync(spawnHelperPath)) missing.push(`the wrapper (${wrapperPath}): run \`npm install\` (or \`npm run build:native\`)`);
  if (!existsSync(patchedBashPath)) missing.push(`the patched bash (${patchedBashPath}): run \`npm run build:bash\``);
  if (missing.length) throw new SetupError(`execgate is not built yet; missing ${missing.join('; and ')}`);
}

interface Started {
  file: string;
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** The shell's end of the session socket (ours to close once passed on). */
  fd: Fd;
  done: () => Promise<void>;
}

/** A session from this process's own broker. */
async function ownBroker(flags: Record<string, unknown>, req: LaunchRequest, log: (l: string) => void): Promise<Started> {
  const runtime = await startRuntime({
    policyFile: flags['--policy'] as string | undefined,
    auditFile: flags['--audit'] as string | undefined,
    approveAll: Boolean(flags['--dangerously-approve-all']),
    web: flags['--web'] ? { port: portFlag(flags['--web-port']), printUrl: false } : undefined,
    log,
  });
  let launch;
  try {
    launch = launchShell(runtime.broker, req, log);
  } catch (err) {
    await runtime.close();
    throw err;
  }
  const env = { ...process.env, ...launch.setEnv };
  for (const name of launch.unsetEnv) delete env[name];
  return {
    file: launch.file,
    argv: launch.argv,
    env: launch.file === patchedBashPath ? env : {},
    fd: launch.session.takeShellEnd(),
    done: async () => {
      launch.session.close();
      await runtime.close();
    },
  };
}

/** A session from a running `execgate serve`: the Launch protocol. */
async function attached(socket: string, req: LaunchRequest, log: (l: string) => void): Promise<Started> {
  let conn: ControlConnection;
  try {
    conn = await ControlConnection.open(socket);
  } catch (err) {
    throw new CliError(`cannot reach the broker at ${socket}: ${(err as Error).message}`);
  }
  try {
    let shell: AttachedShell;
    try {
      shell = await requestLaunch(conn, req);
    } catch (err) {
      throw new CliError((err as Error).message);
    }
    log(`execgate: attached to the broker at ${socket} as session ${shell.sessionId} ("${req.label}")`);
    return { file: shell.file, argv: shell.argv, env: shell.env, fd: shell.fd, done: async () => {} };
  } finally {
    conn.close();
  }
}

export async function shellCommand(args: string[]): Promise<number> {
  const { flags, rest } = parseArgs(args, SHELL_FLAGS);
  requireBuilt();
  const log = (line: string) => writeStderr(`${line}\n`);
  const socket = flags['--broker'] as string | undefined;
  for (const f of socket === undefined ? [] : BROKER_ONLY) {
    if (flags[f] !== undefined) throw new UsageError(`${f} belongs to the broker: give it to \`execgate serve\`, not to a shell attached with --broker`);
  }
  if (flags['--dangerously-approve-all']) log('execgate: --dangerously-approve-all: every prompt is approved without asking');
  const shellArgs = flags['-c'] !== undefined ? ['-c', flags['-c'] as string, ...rest] : rest;
  const req = launchRequest(flags);
  let started: Started;
  try {
    started = socket === undefined ? await ownBroker(flags, req, log) : await attached(socket, req, log);
  } catch (err) {
    if (err instanceof LaunchError) throw err.kind === 'usage' ? new UsageError(err.message) : new SetupError(err.message);
    throw err;
  }

  // Our stdio as the shell's, the session at SESSION_FD, nothing else.
  const fds = [0, 1, 2];
  while (fds.length < SESSION_FD) fds.push(-1);
  fds.push(started.fd.fd);
  const child = new Child(started.file, [...started.argv, ...shellArgs], { env: started.env, fds });
  // The shell has its copy now: ours must go, so that its exit is the
  // session's end of file.
  started.fd.close();

  // The shell owns the terminal: Ctrl-C and Ctrl-\ are for it and its
  // commands, not for the broker they depend on. Hang-ups and terminations
  // are passed on, and we end with the shell.
  const ignore = () => {};
  process.on('SIGINT', ignore);
  process.on('SIGQUIT', ignore);
  const forward = (sig: NodeJS.Signals) => child.kill(sig);
  process.on('SIGTERM', forward);
  process.on('SIGHUP', forward);

  const { code, signal } = await child.exited;
  await started.done();
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
