// `execgate shell`: one session and the patched bash, with the session
// socket inherited at SESSION_FD. The broker is in this process, or a
// running `execgate serve` (--broker SOCKET) hands us a session over its
// control socket. The shell runs unconfined (--sandbox none, the default,
// said plainly) or inside bubblewrap (--sandbox bwrap). Exits with the
// shell's status.
import { spawn } from 'node:child_process';
import { existsSync, realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { constants } from 'node:os';
import { ControlConnection } from '../control/client.js';
import { controlRoot } from '../control/paths.js';
import { loadAddon } from '../native/addon.js';
import { patchedBashPath, sandboxBinDir, spawnHelperPath, wrapperPath } from '../native/paths.js';
import { findOnPath } from '../policy/resolve.js';
import { bwrapLaunch, parseBind, type Bind } from '../sandbox/bwrap.js';
import { PathMap, type PathMapping } from '../sandbox/path-map.js';
import { parseArgs, UsageError } from './args.js';
import { CliError } from './errors.js';
import { startRuntime, type Runtime } from './runtime.js';

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

export function portFlag(v: unknown): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new UsageError(`--web-port must be a port number, not ${String(v)}`);
  return n;
}

interface Launch {
  file: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  pathMap: PathMapping[];
}

const SHELL_FLAGS = {
  '--policy': 'string',
  '--audit': 'string',
  '--label': 'string',
  '--dangerously-approve-all': 'boolean',
  '--web': 'boolean',
  '--web-port': 'string',
  '--sandbox': 'string',
  '--project': 'string',
  '--no-network': 'boolean',
  '--bind': 'strings',
  '--ro-bind': 'strings',
  '--broker': 'string',
  '-c': 'string',
} as const;

function launchFor(flags: Record<string, unknown>, bashArgs: string[], log: (l: string) => void): Launch {
  const sandbox = (flags['--sandbox'] as string | undefined) ?? 'none';
  if (sandbox === 'none') {
    for (const f of ['--project', '--no-network', '--bind', '--ro-bind']) {
      if (flags[f] !== undefined) throw new UsageError(`${f} needs --sandbox bwrap`);
    }
    log('execgate: no sandbox (--sandbox none): the shell and everything it runs act as you, unconfined; only the policy stands between them and the host. Use --sandbox bwrap to contain them.');
    return {
      file: patchedBashPath,
      args: bashArgs,
      env: { ...process.env, EXEC_WRAPPER: wrapperPath, EXECGATE_SOCKET: String(SESSION_FD), PATH: `${sandboxBinDir}:${process.env.PATH ?? '/usr/bin:/bin'}` },
      pathMap: PathMap.identity().roots(),
    };
  }
  if (sandbox !== 'bwrap') throw new UsageError(`--sandbox must be none or bwrap, not ${sandbox}`);
  // The inherited PATH, as before findOnPath's default became the trusted
  // PATH. TODO(lead): a bwrap planted in PROJECT/node_modules/.bin by an
  // earlier session is found first here; use the trusted PATH.
  if (findOnPath('bwrap', process.env.PATH ?? '') === null) {
    throw new SetupError('--sandbox bwrap needs bubblewrap, which is not installed: `sudo apt-get install bubblewrap` (Debian/Ubuntu) or `sudo dnf install bubblewrap`');
  }
  const project = realpathSync((flags['--project'] as string | undefined) ?? process.cwd());
  if (project === '/' || project === realpathSync(homedir())) {
    throw new UsageError(`--project ${project}: the project must not be / or your home directory (the sandbox's HOME is kept empty)`);
  }
  const cwd = realpathSync(process.cwd());
  const binds = (list: unknown): Bind[] => ((list as string[] | undefined) ?? []).map((s) => {
    try {
      return parseBind(s);
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
  });
  const b = bwrapLaunch({
    project,
    binds: binds(flags['--bind']),
    roBinds: binds(flags['--ro-bind']),
    network: !flags['--no-network'],
    patchedBash: patchedBashPath,
    wrapper: wrapperPath,
    sandboxBin: sandboxBinDir,
    sessionFd: SESSION_FD,
    bashArgs,
    cwd: cwd === project || cwd.startsWith(`${project}/`) ? cwd : project,
    env: process.env,
    hide: [controlRoot()],
  });
  return { file: b.file, args: b.args, env: {}, pathMap: b.pathMap };
}

/** A session from this process's own broker, or from `execgate serve`. */
async function openSession(flags: Record<string, unknown>, label: string, pathMap: PathMapping[], log: (l: string) => void): Promise<{ fd: number; done: () => Promise<void> }> {
  const socket = flags['--broker'] as string | undefined;
  if (socket !== undefined) {
    for (const f of ['--policy', '--audit', '--dangerously-approve-all', '--web', '--web-port']) {
      if (flags[f] !== undefined) throw new UsageError(`${f} belongs to the broker: give it to \`execgate serve\`, not to a shell attached with --broker`);
    }
    let conn: ControlConnection;
    try {
      conn = await ControlConnection.open(socket);
    } catch (err) {
      throw new CliError(`cannot reach the broker at ${socket}: ${(err as Error).message}`);
    }
    const { message, fds } = await conn.request({ op: 'open-session', label, pathMap }, 'session');
    if (fds.length !== 1) {
      fds.forEach((fd) => loadAddon().close(fd));
      conn.close();
      throw new CliError('the broker did not hand over a session socket');
    }
    log(`execgate: attached to the broker at ${socket} as session ${String(message.id)} ("${label}")`);
    return { fd: fds[0]!, done: async () => conn.close() };
  }
  const runtime: Runtime = await startRuntime({
    policyFile: flags['--policy'] as string | undefined,
    auditFile: flags['--audit'] as string | undefined,
    approveAll: Boolean(flags['--dangerously-approve-all']),
    web: flags['--web'] ? { port: portFlag(flags['--web-port']), printUrl: false } : undefined,
    log,
  });
  const session = runtime.broker.openSession({ label, pathMap: new PathMap(pathMap) });
  return {
    fd: session.takeShellEnd(),
    done: async () => {
      session.close();
      await runtime.close();
    },
  };
}

export async function shellCommand(argv: string[]): Promise<number> {
  const { flags, rest } = parseArgs(argv, SHELL_FLAGS);
  requireBuilt();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  if (flags['--dangerously-approve-all']) log('execgate: --dangerously-approve-all: every prompt is approved without asking');
  const bashArgs = flags['-c'] !== undefined ? ['-c', flags['-c'] as string, ...rest] : rest;
  const launch = launchFor(flags, bashArgs, log);
  const label = (flags['--label'] as string | undefined) ?? 'shell';
  const session = await openSession(flags, label, launch.pathMap, log);

  const stdio: ('inherit' | 'ignore' | number)[] = ['inherit', 'inherit', 'inherit'];
  while (stdio.length < SESSION_FD) stdio.push('ignore');
  stdio.push(session.fd);
  const child = spawn(launch.file, launch.args, { stdio, env: launch.env });
  // The shell has its copy now: ours must go, so that its exit is the
  // session's end of file.
  loadAddon().close(session.fd);

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
  await session.done();
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
