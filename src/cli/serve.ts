// `execgate serve`: a long-lived broker for many sandboxes. Shells attach
// with `execgate shell --broker SOCKET`: they ask over the control socket
// for a session and get its socket as an fd. A session ends when its shell
// ends or its launcher's control connection drops (escalated commands still
// running for it are ended). Prompts go to every channel: the tmux popup,
// `execgate approve`, the web page, and this terminal when it is one.
import { writeFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import { parseAnswer } from '../approval/answer.js';
import type { Resolution } from '../approval/queue.js';
import { runTerminalUi, type ApprovalSource } from '../approval/terminal-ui.js';
import type { PendingRequest } from '../approval/types.js';
import type { ControlClient } from '../control/server.js';
import { loadAddon } from '../native/addon.js';
import { PathMap, type PathMapping } from '../sandbox/path-map.js';
import type { Session } from '../session/session.js';
import { parseArgs, portFlag, UsageError } from './args.js';
import { startRuntime, type Runtime } from './runtime.js';

function parsePathMap(v: unknown): PathMapping[] | null {
  if (!Array.isArray(v) || v.length === 0 || v.length > 256) return null;
  const out: PathMapping[] = [];
  for (const e of v) {
    const m = e as Record<string, unknown>;
    if (typeof m?.sandbox !== 'string' || typeof m.host !== 'string' || !isAbsolute(m.sandbox) || !isAbsolute(m.host)) return null;
    out.push({ sandbox: m.sandbox, host: m.host });
  }
  return out;
}

/** Control op `open-session {label, pathMap}` -> `session {id}` + 1 fd. */
function sessionOps(getRuntime: () => Runtime, log: (l: string) => void) {
  const byClient = new WeakMap<ControlClient, Set<Session>>();
  return (client: ControlClient, msg: Record<string, unknown>, fds: number[]): boolean => {
    if (msg.op !== 'open-session') return false;
    fds.forEach((fd) => loadAddon().close(fd));
    const label = typeof msg.label === 'string' && msg.label.length <= 64 ? msg.label : 'shell';
    const pathMap = parsePathMap(msg.pathMap);
    if (!pathMap) {
      client.send({ type: 'error', error: 'open-session needs a pathMap: a list of {sandbox, host} absolute paths' });
      return true;
    }
    const session = getRuntime().broker.openSession({ label, pathMap: new PathMap(pathMap) });
    let owned = byClient.get(client);
    if (!owned) {
      byClient.set(client, (owned = new Set()));
      // The launcher holds the session's lifetime: when it goes, so does the
      // session (a shell orphaned by a killed launcher fails closed).
      client.onClose(() => owned!.forEach((s) => s.close()));
    }
    owned.add(session);
    session.onClose(() => owned!.delete(session));
    const fd = session.takeShellEnd();
    try {
      client.send({ type: 'session', id: session.id, label }, [fd]);
    } finally {
      loadAddon().close(fd);
    }
    log(`execgate: session ${session.id} ("${label}") attached`);
    session.onClose(() => log(`execgate: session ${session.id} ("${label}") ended`));
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
  });
  if (rest.length) throw new UsageError(`unexpected argument: ${rest[0]}`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  let runtime!: Runtime;
  runtime = await startRuntime({
    policyFile: flags['--policy'] as string | undefined,
    auditFile: flags['--audit'] as string | undefined,
    approveAll: Boolean(flags['--dangerously-approve-all']),
    web: flags['--web'] ? { port: portFlag(flags['--web-port']), printUrl: true } : undefined,
    log,
    extraOps: sessionOps(() => runtime, log),
  });
  const path = runtime.control.path;
  process.stdout.write(`${path}\n`);
  if (flags['--write-socket-path-to']) writeFileSync(flags['--write-socket-path-to'] as string, `${path}\n`, { mode: 0o600 });
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
