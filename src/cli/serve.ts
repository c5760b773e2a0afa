// `execgate serve`: a long-lived broker for many sandboxes. Shells attach
// with `execgate shell --broker SOCKET` (the native launcher) or through the
// shell shim: each sends one Launch over the control socket, and gets back
// the session's socket as an fd and how to start the shell. A session ends
// when its shell ends (every copy of its socket closed); escalated commands
// still running for it are ended. Prompts go to every channel: the tmux
// popup, `execgate approve`, the web page, and this terminal when it is one.
import { publishFile } from '../runtime/publish-file.js';
import type { Resolution } from '../approval/queue.js';
import { runTerminalUi, type ApprovalSource } from '../approval/terminal-ui.js';
import type { PendingRequest } from '../approval/types.js';
import type { ControlClient, ControlMessage } from '../control/server.js';
import { loadAddon } from '../native/addon.js';
import { Fd } from '../native/fd.js';
import { decodeLaunch, encodeLaunched, type Launch, type Launched } from '../protocol/messages.js';
import { launchShell, type LaunchRequest } from '../runtime/launch.js';
import { startRuntime, type Runtime } from '../runtime/runtime.js';
import { parseArgs, portFlag, UsageError } from './args.js';
import { launchRequest, SANDBOX_FLAGS } from './launch-flags.js';
import { parseAnswer } from '../approval/answer.js';
import { MAX_SERVE_LINES_REMEMBERED_CHARS } from '../protocol/limits.js';
import { saidOnce } from './said-once.js';

/** A label shown in every prompt: short, printable. */
function label(text: string): string {
  return /^[\x20-\x7e]{1,64}$/.test(text) ? text : 'shell';
}

/** What a Launch asks for; an empty `sandbox` (the shell shim) takes every
 * sandbox setting from serve's own flags. */
function fromLaunch(m: Launch, defaults: LaunchRequest): LaunchRequest {
  const env: NodeJS.ProcessEnv = {};
  for (const kv of m.env) {
    const s = kv.toString();
    const eq = s.indexOf('=');
    if (eq > 0) env[s.slice(0, eq)] = s.slice(eq + 1);
  }
  const base = { label: label(m.label || 'shim'), cwd: m.cwd.toString() || '/', env };
  if (m.sandbox === '') return { ...defaults, ...base };
  if (m.sandbox !== 'none' && m.sandbox !== 'bwrap') throw new UsageError(`--sandbox must be none or bwrap, not ${m.sandbox}`);
  return {
    ...base,
    sandbox: m.sandbox,
    project: m.project.length ? m.project.toString() : undefined,
    binds: m.bind.map(String),
    roBinds: m.roBind.map(String),
    network: !m.noNetwork,
    passEnv: m.passEnv.map(String),
    writableGit: false,
  };
}

/** Control frames that are not JSON: Launch -> Launched (+ the session fd). */
function launchOps(getRuntime: () => Runtime, defaults: LaunchRequest, log: (l: string) => void) {
  // The launch's own lines (warnings) once each; the attach and end of each
  // session, every time.
  const sayOnce = saidOnce(log, MAX_SERVE_LINES_REMEMBERED_CHARS);
  return (client: ControlClient, message: ControlMessage, fds: Fd[]): boolean => {
    if (message.kind !== 'binary') return false;
    fds.forEach((fd) => fd.close());
    let reply: Launched;
    let fd: Fd | null = null;
    // What is only said to the human waits until the launcher has its reply.
    const after: (() => void)[] = [];
    const logAfter = (line: string) => after.push(() => log(line));
    const warnAfter = (line: string) => after.push(() => sayOnce(line));
    try {
      const launch = launchShell(getRuntime().broker, fromLaunch(decodeLaunch(message.payload), defaults), warnAfter, (work) => after.push(work));
      const s = launch.session;
      // The launcher execs the shell (or starts it and waits for it): the
      // session lasts as long as that process, however it treats fd 87.
      try {
        s.endWith(new Fd(loadAddon().pidfdOpen(client.peer.pid)));
      } catch (err) {
        s.close();
        throw new Error(`the launcher is gone (${(err as Error).message})`);
      }
      fd = s.takeShellEnd();
      reply = {
        error: '',
        sessionId: s.id,
        file: Buffer.from(launch.file),
        argv: launch.argv.map((a) => Buffer.from(a)),
        setEnv: Object.entries(launch.setEnv).map(([k, v]) => Buffer.from(`${k}=${v}`)),
        unsetEnv: launch.unsetEnv.map((n) => Buffer.from(n)),
      };
      logAfter(`execgate: session ${s.id} ("${s.label}") attached`);
      s.onClose(() => log(`execgate: session ${s.id} ("${s.label}") ended`));
    } catch (err) {
      reply = { error: (err as Error).message, sessionId: '', file: Buffer.alloc(0), argv: [], setEnv: [], unsetEnv: [] };
    }
    try {
      client.send(encodeLaunched(reply), fd ? [fd] : []);
    } finally {
      fd?.close();
      // (Indexed: the work adds lines as it runs.)
      if (after.length > 0) setImmediate(() => {
        for (let i = 0; i < after.length; i++) after[i]!();
      });
    }
    return true;
  };
}

/** The queue as seen by a terminal UI in this process (one channel). */
function queueSource(runtime: Runtime): ApprovalSource {
  const requests: ((r: PendingRequest) => void)[] = [];
  const resolved: ((r: Resolution) => void)[] = [];
  runtime.queue.register({
    name: 'serve-terminal',
    onRequest: (r) => requests.forEach((cb) => cb(r)),
    onResolved: (r) => resolved.forEach((cb) => cb(r)),
  });
  return {
    onRequest: (cb) => void requests.push(cb),
    onResolved: (cb) => void resolved.push(cb),
    onClose: () => {},
    answer: async (id, fields) => {
      const parsed = parseAnswer(fields);
      return parsed.ok ? runtime.queue.answer(id, parsed.answer, 'serve-terminal') : parsed;
    },
  };
}

export async function serveCommand(argv: string[]): Promise<number> {
  const { flags, rest } = parseArgs(argv, {
    '--policy': 'string',
    '--audit': 'string',
    '--web': 'boolean',
    '--web-port': 'string',
    '--write-socket-path-to': 'string',
    '--dangerously-approve-all': 'boolean',
    '--no-prompt': 'boolean',
    // The sandbox of shells that do not say (the shell shim).
    ...SANDBOX_FLAGS,
  });
  if (rest.length) throw new UsageError(`unexpected argument: ${rest[0]}`);
  const defaults = launchRequest(flags);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let runtime!: Runtime;
  runtime = await startRuntime({
    policyFile: flags['--policy'] as string | undefined,
    auditFile: flags['--audit'] as string | undefined,
    approveAll: Boolean(flags['--dangerously-approve-all']),
    web: flags['--web'] ? { port: portFlag(flags['--web-port']), printUrl: true } : undefined,
    log,
    extraOps: launchOps(() => runtime, defaults, log),
    spareSession: true,
  });
  const path = runtime.control.path;
  process.stdout.write(`${path}\n`);
  if (flags['--write-socket-path-to']) publishFile(flags['--write-socket-path-to'] as string, `${path}\n`);
  log(`execgate: serving; attach shells with: execgate shell --broker ${path} [--sandbox bwrap] [--label NAME]`);

  const stopped = new Promise<void>((resolve) => {
    for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.once(sig, () => resolve());
  });
  // This terminal is the human's (not a sandbox's): it can prompt too.
  const ui = process.stdin.isTTY && !flags['--no-prompt'] ? runTerminalUi(queueSource(runtime), { input: process.stdin, output: process.stderr, watch: true }) : new Promise<void>(() => {});
  await Promise.race([stopped, ui]);
  await runtime.close();
  return 0;
}
