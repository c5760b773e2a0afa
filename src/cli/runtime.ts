// One running broker with everything around it: the policy store (hot
// reload), the approval queue and its channels (control socket for
// `execgate approve`, tmux popup when the broker runs in tmux), and the
// audit log. `execgate shell` and `execgate serve` both start one.
import { ApprovalQueue } from '../approval/queue.js';
import { alwaysRuleText, appendRule } from '../approval/always-rule.js';
import { handleApprovalOp } from '../approval/control-channel.js';
import { TmuxChannel, TmuxClient, WindowMarker, tmuxTarget } from '../approval/tmux.js';
import { approveAll, type Approver } from '../approval/types.js';
import { AuditLog, noAudit } from '../audit/audit-log.js';
import { ControlServer, type ControlClient } from '../control/server.js';
import { loadAddon } from '../native/addon.js';
import { PolicyStore } from '../policy/store.js';
import { Broker } from '../session/broker.js';
import { cliPath } from './self.js';
import { policyFileFor, userPolicyPath } from './policy-file.js';
import { dirname, join } from 'node:path';
import { startWeb, type WebChannel } from '../web/server.js';

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
  /** Extra control-socket ops (serve adds session requests). */
  extraOps?: (client: ControlClient, msg: Record<string, unknown>, fds: number[]) => boolean;
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
  const store = new PolicyStore(policyFileFor(opts.policyFile), opts.policyFile ?? userPolicyPath(), (e) =>
    opts.log(e.ok ? `execgate: policy reloaded from ${e.policy.source} (${e.policy.rules.length} rules)` : `execgate: policy not reloaded, keeping the last good one: ${e.error}`),
  );
  store.watch();
  const audit = opts.auditFile ? AuditLog.open(opts.auditFile) : noAudit;

  // The queue writes "always" rules with the exact arguments, which only the
  // broker keeps (displayed argv is escaped): the two refer to each other.
  let broker: Broker;
  const queue = new ApprovalQueue({
    timeoutDecision: () => store.current.timeoutDecision,
    writeAlways: (req) => {
      const target = broker.alwaysTarget(req.id);
      if (target === null) throw new Error('the request is no longer waiting');
      if (target.args === null) throw new Error('its arguments are not valid UTF-8, so no rule can name them');
      // TODO(lead): pass the requesting session's writable roots.
      const text = alwaysRuleText(req.hostProgram, target.args, req, { policy: store.current, writableRoots: [], named: target.named });
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
  broker = new Broker({
    addon: loadAddon(),
    policy: () => store.current,
    audit,
    approver,
    onNotify: (_session, event) => {
      marker?.event(event).catch((err: Error) => opts.log(`execgate: tmux: ${err.message}`));
    },
  });
  broker.onSessionClosed = (s) => queue.forgetSession(s.id);

  const clientState = new WeakMap<ControlClient, { channel?: string }>();
  const control = await ControlServer.listen((client, msg, fds) => {
    let state = clientState.get(client);
    if (!state) clientState.set(client, (state = {}));
    if (handleApprovalOp(queue, client, msg, state)) {
      fds.forEach((fd) => loadAddon().close(fd));
      return;
    }
    if (opts.extraOps?.(client, msg, fds)) return;
    fds.forEach((fd) => loadAddon().close(fd));
    client.send({ type: 'error', error: `unknown op ${JSON.stringify(msg.op)}` });
  });

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
      web = await startWeb(queue, broker, { port: opts.web.port, urlFile: join(dirname(control.path), 'web-url') });
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
