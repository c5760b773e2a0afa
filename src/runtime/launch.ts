// How a session's shell is started, whoever asks: `execgate shell` in this
// process, or the native launcher (and the shell shim) through `execgate
// serve`'s control socket. The session is opened first, because its
// directory is part of the launch (bound into the sandbox, named in the
// shell's environment); then the launch is planned, the session is confined
// to the launch's path map, and the session's files are written. What comes
// back is the program and the argv up to the shell: the caller appends the
// shell's own arguments and puts the session socket at fd 87.
import { chmodSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { controlRoot } from '../control/paths.js';
import { patchedBashPath, sandboxBinDir, shimDir, wrapperPath } from '../native/paths.js';
import { ENV_EXEC_WRAPPER, ENV_SESSION_DIR, ENV_SESSION_FD, SESSION_FD } from '../protocol/constants.js';
import { bwrapLaunch, parseBind, SandboxConfigError, type Bind } from '../sandbox/bwrap.js';
import { checkBwrap } from '../sandbox/bwrap-check.js';
import { parseSandboxUid } from '../sandbox/identity.js';
import { passEnv } from '../sandbox/pass-env.js';
import { PathMap } from '../sandbox/path-map.js';
import type { Broker } from '../session/broker.js';
import { startupWarnings } from '../exec/host-env.js';
import { warningsFor } from '../policy/warnings.js';
import { trustedPathFor } from '../policy/trusted-path.js';
import type { Session } from '../session/session.js';

/** In the launching environment (the human's, never the sandbox's):
 * `off` starts the sandbox without the seccomp backstop. */
export const ENV_BACKSTOP = 'EXECGATE_BACKSTOP';

/** What a launch asks for: `execgate shell`'s flags, or a Launch message. */
export interface LaunchRequest {
  label: string;
  sandbox: 'none' | 'bwrap';
  /** --project; undefined: the launcher's working directory. */
  project?: string;
  binds: string[];
  roBinds: string[];
  network: boolean;
  passEnv: string[];
  sandboxUid?: string;
  writableGit: boolean;
  /** The launcher's working directory and environment (host). */
  cwd: string;
  env: NodeJS.ProcessEnv;
}

/** A launch that cannot be made: a usage error (the request is wrong) or a
 * setup error (the machine lacks something); the message says which. */
export class LaunchError extends Error {
  override name = 'LaunchError';
  constructor(
    message: string,
    readonly kind: 'usage' | 'setup',
  ) {
    super(message);
  }
}

export interface ShellLaunch {
  session: Session;
  /** The program to exec, and its argv up to the shell (arguments follow). */
  file: string;
  argv: string[];
  /** Set on the launcher's environment (none: the wrapper, the session). */
  setEnv: Record<string, string>;
  /** Removed from it: what would make the shell start another session. */
  unsetEnv: string[];
}

/** Opens a session on `broker` for `req` and plans its shell. On a refusal
 * the session is closed again and LaunchError says why. `log` gets lines
 * for the human (warnings), never for the sandbox. `later` runs what only
 * tells the human (the policy's warnings, which look programs up on disk):
 * at once by default; serve runs it after its reply, off the launcher's wait. */
export function launchShell(broker: Broker, req: LaunchRequest, log: (line: string) => void, later: (work: () => void) => void = (work) => work()): ShellLaunch {
  const session = broker.openSession({ label: req.label });
  try {
    const launch = plan(broker, session, req, log);
    const problems = broker.confinementProblems(session);
    if (problems.length > 0) throw new LaunchError(`refusing this sandbox: ${problems.join('; ')}`, 'usage');
    const roots = session.writableRoots;
    later(() => {
      for (const w of [...warningsFor(broker.policy, roots), ...startupWarnings(req.env.PATH ?? '', roots)]) log(w);
    });
    return { session, ...launch };
  } catch (err) {
    session.close();
    if (err instanceof SandboxConfigError) throw new LaunchError(err.message, 'usage');
    throw err;
  }
}

function plan(broker: Broker, session: Session, req: LaunchRequest, log: (line: string) => void): Omit<ShellLaunch, 'session'> {
  let pass;
  try {
    pass = passEnv(req.passEnv, req.env);
  } catch (err) {
    throw new LaunchError((err as Error).message, 'usage');
  }
  for (const name of pass.unset) log(`execgate: --pass-env ${name}: not set in this environment, so not passed`);

  if (req.sandbox === 'none') {
    for (const [flag, given] of [['--project', req.project !== undefined], ['--no-network', !req.network], ['--bind', req.binds.length > 0], ['--ro-bind', req.roBinds.length > 0], ['--sandbox-uid', req.sandboxUid !== undefined], ['--writable-git', req.writableGit]] as const) {
      if (given) throw new LaunchError(`${flag} needs --sandbox bwrap`, 'usage');
    }
    log('execgate: no sandbox (--sandbox none): the shell and everything it runs act as you, unconfined; only the policy stands between them and the host. Use --sandbox bwrap to contain them.');
    session.confine(PathMap.identity());
    // --pass-env changes nothing here: the shell inherits the whole environment.
    const path = (req.env.PATH ?? '/usr/bin:/bin').split(':').filter((d) => d !== shimDir && d !== sandboxBinDir);
    return {
      file: patchedBashPath,
      argv: [patchedBashPath],
      setEnv: {
        [ENV_EXEC_WRAPPER]: wrapperPath,
        [ENV_SESSION_FD]: String(SESSION_FD),
        [ENV_SESSION_DIR]: session.dir,
        PATH: [sandboxBinDir, ...path].join(':'),
        // A shell that starts a shell reaches this session, never a new one.
        SHELL: patchedBashPath,
      },
      unsetEnv: ['EXECGATE_BROKER', 'EXECGATE_LABEL'],
    };
  }

  // bwrap from the trusted PATH: one planted in the project (node_modules/.bin)
  // by an earlier session would run unsandboxed.
  const bwrap = checkBwrap(trustedPathFor(broker.policy, []));
  if (!bwrap.ok) throw new LaunchError(bwrap.problem, 'setup');
  let sandboxUid: number | null = null;
  if (req.sandboxUid !== undefined) {
    try {
      sandboxUid = parseSandboxUid(req.sandboxUid);
    } catch (err) {
      throw new LaunchError((err as Error).message, 'usage');
    }
  }
  let project: string;
  let cwd: string;
  try {
    project = realpathSync(req.project ?? req.cwd);
    cwd = realpathSync(req.cwd);
  } catch (err) {
    throw new LaunchError(`--project: ${(err as Error).message}`, 'usage');
  }
  if (project === '/' || project === realpathSync(homedir())) {
    throw new LaunchError(`--project ${project}: the project must not be / or your home directory (the sandbox's HOME is kept empty)`, 'usage');
  }
  const binds = (list: string[]): Bind[] =>
    list.map((s) => {
      try {
        return parseBind(s);
      } catch (err) {
        throw new LaunchError((err as Error).message, 'usage');
      }
    });
  // The broker's private directory must exist now to be hidden: made after
  // the sandbox starts, it would show wherever its parent is bound.
  const hide = controlRoot();
  mkdirSync(hide, { recursive: true, mode: 0o700 });
  const b = bwrapLaunch({
    project,
    binds: binds(req.binds),
    roBinds: binds(req.roBinds),
    network: req.network,
    patchedBash: patchedBashPath,
    wrapper: wrapperPath,
    sandboxBin: sandboxBinDir,
    sessionFd: SESSION_FD,
    sessionDir: session.dir,
    bashArgs: [],
    cwd: cwd === project || cwd.startsWith(`${project}/`) ? cwd : project,
    env: req.env,
    passEnv: pass.values,
    hide: [hide],
    sandboxUid,
    writableGit: req.writableGit,
    shimPolicy: broker.policy,
    backstop: req.env[ENV_BACKSTOP] !== 'off',
  });
  if (req.env[ENV_BACKSTOP] === 'off') log(`execgate: ${ENV_BACKSTOP}=off: no seccomp backstop; programs started other than from the shell are asked about only where a rule names them (their shims)`);
  if (req.writableGit) log('execgate: --writable-git: the sandbox can write the git metadata, and git commands escalated to the host run what it writes there (hooks, core.fsmonitor, ...)');
  session.confine(new PathMap(b.pathMap), project);
  session.mediate({ shims: new Set(b.shims.map((s) => s.program)), replaced: new Set(b.replaced), backstop: b.backstop });
  for (const f of b.files) {
    const path = join(session.dir, f.name);
    writeFileSync(path, f.data, { mode: f.mode });
    chmodSync(path, f.mode);
  }
  return { file: bwrap.path, argv: [bwrap.path, ...b.args], setEnv: {}, unsetEnv: [] };
}
