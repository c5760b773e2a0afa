// Where `execgate mcp` gets its broker: one in this process (startRuntime),
// or a running `execgate serve` (--broker SOCKET), which makes the session
// through the Launch protocol and asks its own channels. Either way the
// rest of src/mcp sees the same thing: how to start the session's shell,
// the session's id, a way into the approval queue, and the session's
// decisions and completions for the per-call record (the broker's own
// watcher in process; serve's "watch" op when attached).
import { ControlConnection } from '../control/client.js';
import { MCP_WATCH_SYNC_MAX_MS } from '../protocol/limits.js';
import { requestLaunch } from '../control/launch-client.js';
import type { Channel, Resolution } from '../approval/queue.js';
import type { HumanAnswer, PendingRequest } from '../approval/types.js';
import type { Fd } from '../native/fd.js';
import type { Policy } from '../policy/types.js';
import { loadPolicy } from '../policy/policy-file.js';
import { launchShell, type LaunchRequest } from '../runtime/launch.js';
import { startRuntime, type Runtime, type RuntimeOptions } from '../runtime/runtime.js';
import type { CompletionEvent } from '../audit/records.js';
import type { DecisionEvent, SessionWatcher } from '../session/broker.js';
import type { Session } from '../session/session.js';

/** A session, and how to start its shell. */
export interface LaunchedShell {
  sessionId: string;
  file: string;
  /** argv[0], then the arguments up to the shell's own. */
  argv: string[];
  env: NodeJS.ProcessEnv;
  /** The shell's end of the session socket (ours to close). */
  fd: Fd;
  /** In process only: the session, for its host commands. */
  session: Session | null;
  close(): void;
}

/** The approval queue, wherever it is: channels and answers. */
export interface ApprovalPort {
  register(channel: Channel): () => void;
  answer(id: string, answer: HumanAnswer, channel: string): Promise<{ ok: true; ruleText?: string } | { ok: false; error: string }>;
}

/** Watching one session's decisions and completions. */
export interface SessionWatch {
  stop(): void;
  /** Resolves once the watcher has had every decision and completion the
   * broker made before now (at once in process, where they come as they
   * are made; attached, after a round trip to serve, at most
   * MCP_WATCH_SYNC_MAX_MS). */
  caughtUp(): Promise<void>;
}

/** Watching nothing: a session not (yet) watched, or one with no broker
 * session to watch. */
export const NO_WATCH: SessionWatch = Object.freeze({ stop: () => {}, caughtUp: async () => {} });

export interface BrokerLink {
  approvals: ApprovalPort;
  /** The launched session's decisions and completions, as they happen,
   * from the broker's own record; resolves once watching (before the first
   * call can run). */
  watch(shell: LaunchedShell, watcher: SessionWatcher): Promise<SessionWatch>;
  /** The policy `explain` reads: the broker's own in process; attached,
   * the one `execgate policy explain` would load (serve may use another). */
  policy(): Policy;
  /** Says where the policy comes from, for explain's answer. */
  policyNote: string;
  launch(req: LaunchRequest, log: (line: string) => void): Promise<LaunchedShell>;
  close(): Promise<void>;
}

export async function inProcessBroker(opts: RuntimeOptions): Promise<BrokerLink> {
  const runtime: Runtime = await startRuntime(opts);
  return {
    approvals: {
      register: (channel) => runtime.queue.register(channel),
      answer: async (id, answer, channel) => runtime.queue.answer(id, answer, channel),
    },
    watch: async (shell, watcher) => (shell.session ? { stop: runtime.broker.watchSession(shell.session, watcher), caughtUp: NO_WATCH.caughtUp } : NO_WATCH),
    policy: () => runtime.store.current,
    policyNote: '',
    async launch(req, log) {
      const launch = launchShell(runtime.broker, req, log);
      const env = { ...process.env, ...launch.setEnv };
      for (const name of launch.unsetEnv) delete env[name];
      const fd = launch.session.takeShellEnd();
      return {
        sessionId: launch.session.id,
        file: launch.file,
        argv: launch.argv,
        env,
        fd,
        session: launch.session,
        close: () => {
          fd.close();
          launch.session.close();
        },
      };
    },
    close: () => runtime.close(),
  };
}

export async function attachedBroker(socket: string, policyFlag: string | undefined): Promise<BrokerLink> {
  const open = async () => {
    try {
      return await ControlConnection.open(socket);
    } catch (err) {
      throw new Error(`cannot reach the broker at ${socket}: ${(err as Error).message}`);
    }
  };
  let approvalConn: ControlConnection | null = null;
  return {
    approvals: {
      register(channel) {
        // A subscription is a channel of serve's queue, named as ours.
        let closed = false;
        void open().then(
          async (conn) => {
            if (closed) return conn.close();
            approvalConn = conn;
            conn.on((m) => {
              if (m.type === 'request') channel.onRequest(m.request as PendingRequest);
              if (m.type === 'resolved') channel.onResolved(m.resolution as Resolution);
            });
            await conn.request({ op: 'subscribe', channel: channel.name }, 'subscribed');
          },
          () => {},
        );
        return () => {
          closed = true;
          approvalConn?.close();
          approvalConn = null;
        };
      },
      async answer(id, answer, channel) {
        if (!approvalConn) return { ok: false, error: 'not connected to the broker' };
        const reply = await approvalConn.request({ op: 'answer', id, channel, ...answer }, 'answered');
        const m = reply.message;
        return m.ok === true ? { ok: true, ...(typeof m.ruleText === 'string' ? { ruleText: m.ruleText } : {}) } : { ok: false, error: String(m.error) };
      },
    },
    async watch(shell, watcher) {
      const conn = await open();
      conn.on((m) => {
        if (m.type === 'decision') watcher.decision?.(m.event as DecisionEvent);
        if (m.type === 'completion') watcher.completion?.(m.event as CompletionEvent);
      });
      try {
        await conn.request({ op: 'watch', session: shell.sessionId }, 'watching');
      } catch (err) {
        conn.close();
        throw new Error(`cannot watch session ${shell.sessionId} on the broker at ${socket}: ${(err as Error).message}`);
      }
      return {
        stop: () => conn.close(),
        async caughtUp() {
          let timer: NodeJS.Timeout | undefined;
          const late = new Promise<void>((resolve) => (timer = setTimeout(resolve, MCP_WATCH_SYNC_MAX_MS)));
          // A connection that has gone has nothing more to give.
          const synced = conn.request({ op: 'sync' }, 'synced').then(() => {}, () => {});
          await Promise.race([synced, late]);
          clearTimeout(timer);
        },
      };
    },
    policy: () => loadPolicy(policyFlag),
    policyNote: `execgate serve decides with its own policy; this is the one \`execgate policy explain\` loads here`,
    async launch(req, log) {
      const conn = await open();
      try {
        const shell = await requestLaunch(conn, req);
        log(`execgate mcp: attached to the broker at ${socket} as session ${shell.sessionId} ("${req.label}")`);
        return { ...shell, session: null, close: () => shell.fd.close() };
      } finally {
        conn.close();
      }
    },
    async close() {
      approvalConn?.close();
    },
  };
}
