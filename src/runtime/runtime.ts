// The composition root: one running broker with everything around it — the
// policy store (hot reload), the audit log, the approval queue and its
// channels (the control socket for `execgate approve`, the tmux popup when
// the broker runs in tmux, the web page), and the broker itself. `execgate
// shell` and `execgate serve` each start one; the CLI only parses and prints.
import { join } from 'node:path';
import { ApprovalQueue } from '../approval/queue.js';
import { alwaysRuleText, appendRule } from '../approval/always-rule.js';
import { handleApprovalOp } from '../approval/control-channel.js';
import { TmuxChannel, TmuxClient, WindowMarker, tmuxTarget } from '../approval/tmux.js';
import { approveAll, type Approver, type RuleTarget } from '../approval/types.js';
import { AuditLog, noAudit } from '../audit/audit-log.js';
import { ControlServer, type ControlClient, type ControlMessage } from '../control/server.js';
import { handleWatchOp } from '../control/session-watch.js';
import type { Fd } from '../native/fd.js';
import { cliPath } from '../native/paths.js';
import { defaultPolicy, policyFileFor, userPolicyPath } from '../policy/policy-file.js';
import { PolicyStore } from '../policy/store.js';
import { policyLocationProblems } from '../policy/location.js';
import { Broker } from '../session/broker.js';
import type { WebChannel } from '../web/server.js';

export interface RuntimeOptions {
  policyFile?: string;
  auditFile?: string;
  approveAll?: boolean;
  /** Where messages for the human go (the broker's own stderr). */
  log: (line: string) => void;
  /** Serve the web approval page on 127.0.0.1. The URL (with its secret
   * token) is written to a 0600 file in the private control directory and
   * printed only when printUrl is set: a sandboxed shell's terminal is read
   * by the agent, so `execgate shell` prints the file's path instead. */
  web?: { port?: number; printUrl: boolean };
  /** Control-socket messages beyond the approval ops (serve adds sessions).
   * Returns false for what it does not handle; owns the fds when it does. */
  extraOps?: (client: ControlClient, message: ControlMessage, fds: Fd[]) => boolean;
  /** Keep a session made ahead for the next launch (serve). */
  spareSession?: boolean;
}

export interface Runtime {
  broker: Broker;
  queue: ApprovalQueue;
  control: ControlServer;
  store: PolicyStore;
  web: WebChannel | null;
  close(): Promise<void>;
}

export async function startRuntime(opts: RuntimeOptions): Promise<Runtime> {
  const store = new PolicyStore(
    policyFileFor(opts.policyFile),
    opts.policyFile ?? userPolicyPath(),
    (e) => opts.log(e.ok ? `execgate: policy reloaded from ${e.policy.source} (${e.policy.rules.length} rules)` : `execgate: policy not reloaded, keeping the last good one: ${e.error}`),
    { builtin: defaultPolicy },
  );
  store.watch();
  const audit = opts.auditFile ? AuditLog.open(opts.auditFile) : noAudit;

  const queue = new ApprovalQueue({
    timeoutDecision: () => store.current.timeoutDecision,
    writeAlways: (req, target: RuleTarget) => {
      if (target.args === null) throw new Error('its arguments are not valid UTF-8, so no rule can name them');
      const text = alwaysRuleText(target.program, target.args, req, { policy: store.current, writableRoots: target.writableRoots, named: target.named });
      appendRule(store.writePath, text);
      const reloaded = store.adoptWritePath();
      if (!reloaded.ok) throw new Error(`the new rule did not load: ${reloaded.error}`);
      return text;
    },
  });
  const approver: Approver = opts.approveAll ? approveAll : queue;
  const target = tmuxTarget();
  const tmux = target ? new TmuxClient(target) : null;
  const marker = tmux ? new WindowMarker(tmux) : null;

  const clientState = new WeakMap<ControlClient, { channel?: string }>();
  const control = ControlServer.listen((client, message, fds) => {
    if (message.kind === 'json') {
      let state = clientState.get(client);
      if (!state) clientState.set(client, (state = {}));
      if (handleApprovalOp(queue, client, message.op, state)) return fds.forEach((f) => f.close());
      if (handleWatchOp(broker, client, message.op)) return fds.forEach((f) => f.close());
      if (message.op.op === 'stats') {
        fds.forEach((f) => f.close());
        return client.send({ type: 'stats', ...broker.stats.snapshot() });
      }
    }
    if (opts.extraOps?.(client, message, fds)) return;
    fds.forEach((f) => f.close());
    client.send({ type: 'error', error: message.kind === 'json' ? `unknown op ${JSON.stringify(message.op.op)}` : 'this broker takes no launch requests' });
  });

  const broker = new Broker({
    policy: () => store.current,
    confinementProblems: (roots) => policyLocationProblems({ policyFile: store.path, writePath: store.writePath }, roots),
    audit,
    approver,
    dir: control.dir,
    log: opts.log,
    spareSession: opts.spareSession,
    onNotify: (_session, event) => {
      marker?.event(event).catch((err: Error) => opts.log(`execgate: tmux: ${err.message}`));
    },
  });
  broker.onSessionClosed((s) => queue.forgetSession(s.id));
  store.onReload((e) => {
    if (e.ok) broker.policyChanged();
  });
  // A reload is refused when the file now lies where a live sandbox writes.
  store.checkLocationWith((paths) => policyLocationProblems(paths, broker.writableRoots()));

  if (tmux && marker) {
    queue.register(new TmuxChannel(tmux, marker, [process.execPath, cliPath, 'approve', '--socket', control.path, '--channel', 'tmux'], (err) => opts.log(`execgate: tmux: ${err.message}`)));
  }
  // Tell the human (never the sandbox: this is the broker's stderr) how to
  // answer when no channel is there to show a request.
  queue.register({
    name: 'hint',
    onRequest: (req) => {
      if (queue.channelNames.filter((n) => n !== 'hint').length === 0) {
        opts.log(`execgate: waiting for a human to approve ${req.argv.join(' ').slice(0, 80)}: run \`execgate approve\` in another terminal`);
      }
    },
    onResolved: () => {},
  });

  let web: WebChannel | null = null;
  if (opts.web) {
    try {
      // Loaded only when asked for: the web server is most of start-up otherwise.
      const { startWeb } = await import('../web/server.js');
      web = await startWeb(queue, broker, { port: opts.web.port, urlFile: join(control.dir, 'web-url') });
    } catch (err) {
      // Nothing half-started may keep the process alive: undo, then report.
      store.close();
      await broker.close();
      await control.close();
      throw err;
    }
    opts.log(opts.web.printUrl ? `execgate: approval page: ${web.url}` : `execgate: approval page: open the URL written in ${web.urlFile}`);
  }

  return {
    broker,
    queue,
    control,
    store,
    web,
    async close() {
      await web?.close();
      store.close();
      await marker?.restore().catch(() => {});
      await broker.close();
      await control.close();
    },
  };
}
