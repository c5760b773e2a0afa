// `execgate mcp`: an MCP server over stdio whose shell tool runs in the
// intercepted (sandboxed) bash. Wiring only: the broker (in process, or
// `execgate serve`), the session's shell, the tools, and the approval
// dialog when the client can show one. stdout carries MCP JSON-RPC and
// nothing else; every line for a human goes to stderr.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';
import { packageRoot } from '../native/paths.js';
import type { LaunchRequest } from '../runtime/launch.js';
import { attachedBroker, inProcessBroker, type BrokerLink } from './broker-link.js';
import { ElicitationChannel } from './elicitation.js';
import { ShellSession } from './shell-session.js';
import { registerProcessTools } from './process-tools.js';
import { registerTools } from './tools.js';

export interface McpServeOptions {
  launch: LaunchRequest;
  /** --broker: attach to `execgate serve` instead of a broker of our own. */
  brokerSocket?: string;
  policyFile?: string;
  auditFile?: string;
  approveAll: boolean;
  web?: { port?: number };
  redact: boolean;
  /** Send prompts to the client's dialog when it has one (--no-dialog: not,
   * for clients that answer every dialog by themselves, like `codex exec`). */
  dialog: boolean;
  log: (line: string) => void;
}

const INSTRUCTIONS = `This server is the user's shell. Run commands with the \`shell\` tool rather than any other way to run commands: it runs them in a sandbox where the user's policy decides, per program, what runs in the sandbox, what runs on the host, what needs a human's approval, and what is denied. \`explain\` says in advance what the policy would do with a command.`;

function version(): string {
  try {
    return (JSON.parse(readFileSync(join(packageRoot, 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}

/** Runs the server until the client goes away (or SIGTERM/SIGINT/SIGHUP);
 * resolves with the exit status. */
export async function serveMcp(opts: McpServeOptions): Promise<number> {
  const { log } = opts;
  const link: BrokerLink = opts.brokerSocket
    ? await attachedBroker(opts.brokerSocket, opts.policyFile)
    : await inProcessBroker({ policyFile: opts.policyFile, auditFile: opts.auditFile, approveAll: opts.approveAll, web: opts.web ? { port: opts.web.port, printUrl: false } : undefined, log });
  let session: ShellSession;
  try {
    session = await ShellSession.open(link, opts.launch, log);
  } catch (err) {
    await link.close();
    throw err;
  }

  const server = new McpServer({ name: 'execgate', version: version() }, { capabilities: { logging: {} }, instructions: INSTRUCTIONS });
  const dialog = () => opts.dialog && Boolean(server.server.getClientCapabilities()?.elicitation);
  const otherChannels = opts.brokerSocket
    ? "execgate serve's channels: `execgate approve` in another terminal, its web page or terminal"
    : ['`execgate approve` in another terminal', process.env.TMUX ? 'the tmux popup' : null, opts.web ? 'the web page' : null].filter(Boolean).join(', or ');
  registerTools(server, session, link, { redact: opts.redact, dialog, otherChannels }, log);
  registerProcessTools(server, session, { redact: opts.redact });

  const channel: { unregister?: () => void } = {};
  server.server.oninitialized = () => {
    const client = server.server.getClientVersion();
    if (!dialog()) {
      log(`execgate mcp: ${opts.dialog ? `${client?.name ?? 'the client'} shows no approval dialog (no elicitation)` : 'no approval dialog (--no-dialog)'}: prompts go to ${otherChannels}`);
      return;
    }
    // Our first request is a ping, never a dialog: the SDK's own client
    // drops a cancellation of request id 0 (`if (!requestId) return`), and
    // a dialog answered elsewhere must be withdrawable.
    server.server.ping().catch(() => {});
    const elicitation = new ElicitationChannel(
      (params, options) => server.server.elicitInput(params, options),
      link.approvals,
      () => session.sessionId,
      session.record,
      log,
    );
    channel.unregister = link.approvals.register(elicitation);
  };

  const transport = new StdioServerTransport();
  const closed = new Promise<void>((resolve) => {
    transport.onclose = () => resolve();
    process.stdin.once('end', () => resolve());
    for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) process.once(sig, () => resolve());
  });
  await server.connect(transport);
  log(`execgate mcp: serving session ${session.sessionId} (${opts.launch.sandbox === 'bwrap' ? 'sandbox: bwrap' : 'no sandbox'}), working directory ${session.cwd}`);
  await closed;
  channel.unregister?.();
  await session.close();
  await server.close().catch(() => {});
  await link.close();
  return 0;
}
