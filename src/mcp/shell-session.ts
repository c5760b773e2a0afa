// One MCP session's shell: its broker session (one for the whole MCP
// session, so "this session" grants last as long as it), its sandboxed
// shell, the per-call record of what the broker decided, and the checks a
// call's arguments get before anything runs.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { join, posix } from 'node:path';
import { patchedBashPath, wrapperPath } from '../native/paths.js';
import { SANDBOX_EXECGATE_DIR, SANDBOX_WRAPPER } from '../sandbox/bwrap.js';
import type { LaunchRequest } from '../runtime/launch.js';
import type { HostCommand } from '../session/session-context.js';
import { type BrokerLink, type LaunchedShell, NO_WATCH, type SessionWatch } from './broker-link.js';
import { callFilesBase } from './call-files.js';
import { CallRecord, type HostRequest } from './call-record.js';
import { ProcessTable } from './processes.js';
import { preludePath, SandboxShell, type CallRequest, type CallResult } from './shell-host.js';

/** Where the I/O directory and the prelude are seen inside bwrap. */
const IO_INSIDE = join(SANDBOX_EXECGATE_DIR, 'mcp');
const PRELUDE_INSIDE = join(SANDBOX_EXECGATE_DIR, 'mcp-prelude.bash');

/** A call's arguments that cannot be run, with the reason (a tool error). */
export class CallRefused extends Error {
  override name = 'CallRefused';
}

/** A directory a call may start in: its path in the sandbox and on the host. */
interface Root {
  sandbox: string;
  host: string;
}

const under = (path: string, root: string) => path === root || path.startsWith(root === '/' ? '/' : `${root}/`);

export class ShellSession {
  private queue: Promise<unknown> = Promise.resolve();
  /** Background processes (process_start ...). */
  readonly processes: ProcessTable;

  private constructor(
    private readonly launched: LaunchedShell,
    private readonly shell: SandboxShell,
    private readonly dir: string,
    /** The project and what was bound into the sandbox. */
    readonly roots: Root[],
    private readonly watch: SessionWatch,
    /** What the broker decides during each call. */
    readonly record: CallRecord,
  ) {
    this.processes = new ProcessTable(shell);
  }

  /** Opens the broker session and starts its shell. `req` is what
   * `execgate shell` would launch with the same flags. */
  static async open(link: BrokerLink, req: LaunchRequest, log: (line: string) => void): Promise<ShellSession> {
    const dir = mkdtempSync(join(callFilesBase(), 'execgate-mcp-'));
    const io = join(dir, 'io');
    mkdirSync(io, { mode: 0o700 });
    const bwrap = req.sandbox === 'bwrap';
    // Without a sandbox the shell sees the host's paths; in bwrap, the I/O
    // directory (writable: the calls write their output there) and the
    // prelude (read-only: it sets the wrapper again) are bound in.
    const launchReq: LaunchRequest = bwrap
      ? { ...req, binds: [...req.binds, `${io}:${IO_INSIDE}`], roBinds: [...req.roBinds, `${preludePath}:${PRELUDE_INSIDE}`] }
      : { ...req, project: undefined, cwd: req.project ?? req.cwd };
    let launched: LaunchedShell | null = null;
    let watch: SessionWatch = NO_WATCH;
    const record = new CallRecord();
    try {
      launched = await link.launch(launchReq, log);
      // Watching before the shell starts: nothing it decides goes unrecorded.
      watch = await link.watch(launched, { decision: (e) => record.decision(e), completion: (e) => record.completion(e) });
      const project = realpathSync(req.project ?? req.cwd);
      const roots: Root[] = [{ sandbox: project, host: project }];
      if (bwrap) {
        for (const spec of [...req.binds, ...req.roBinds]) {
          const i = spec.indexOf(':');
          const src = realpathSync(i < 0 ? spec : spec.slice(0, i));
          roots.push({ sandbox: i < 0 ? src : posix.resolve(spec.slice(i + 1)), host: src });
        }
      }
      const shell = await SandboxShell.start({
        program: { file: launched.file, argv: launched.argv, env: bwrap ? {} : launched.env, sessionFd: launched.fd, sandbox: req.sandbox, cwd: bwrap ? undefined : project },
        ioDir: io,
        inside: bwrap ? { ioDir: IO_INSIDE, bash: '/bin/bash', prelude: PRELUDE_INSIDE, wrapper: SANDBOX_WRAPPER } : { ioDir: io, bash: patchedBashPath, prelude: preludePath, wrapper: wrapperPath },
        log,
      });
      return new ShellSession(launched, shell, dir, roots, watch, record);
    } catch (err) {
      watch.stop();
      launched?.close();
      rmSync(dir, { recursive: true, force: true });
      throw err;
    }
  }

  get sessionId(): string {
    return this.launched.sessionId;
  }

  get cwd(): string {
    return this.shell.cwd;
  }

  /** The sandbox directory `workdir` names (relative: to the current
   * directory), if it is in the project or a bound path and exists. */
  resolveWorkdir(workdir: string): string {
    const path = posix.resolve(this.shell.cwd, workdir);
    const root = this.roots.filter((r) => under(path, r.sandbox)).sort((a, b) => b.sandbox.length - a.sandbox.length)[0];
    if (!root) {
      throw new CallRefused(`workdir ${path} is outside the project (${this.roots[0]!.sandbox})${this.roots.length > 1 ? ` and every path bound into the sandbox (${this.roots.slice(1).map((r) => r.sandbox).join(', ')})` : ''}: use a directory inside it, or cd there in the command`);
    }
    const host = root.host + path.slice(root.sandbox.length);
    let isDir = false;
    try {
      isDir = statSync(host).isDirectory();
    } catch {
      // missing: said below
    }
    if (!isDir) throw new CallRefused(`workdir ${path} is not a directory${host !== path ? ` (${host} on the host)` : ''}`);
    return path;
  }

  /** Runs one call; what the broker decided during it comes with it. */
  run(req: Omit<CallRequest, 'onKill'>): Promise<{ result: CallResult; requests: HostRequest[] }> {
    const next = this.queue.then(async () => {
      const started: HostCommand[] = [];
      const off = this.launched.session?.onHostCommand((c) => started.push(c)) ?? (() => {});
      this.record.begin();
      try {
        // Killing the call's process group kills the wrappers, whose host
        // commands the broker then ends; in process they are ended at once.
        const result = await this.shell.run({ ...req, onKill: () => started.forEach((c) => c.terminate()) });
        // The call's end came from the shell; how its last host command
        // ended may still be on its way from the broker.
        await this.watch.caughtUp();
        return { result, requests: this.record.end() };
      } finally {
        off();
        this.record.end();
      }
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  reset(): Promise<void> {
    const next = this.queue.then(() => {
      this.processes.closeAll();
      return this.shell.reset();
    });
    this.queue = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    this.watch.stop();
    this.processes.closeAll();
    await this.shell.close();
    this.launched.close();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
