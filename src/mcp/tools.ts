// The tools: `shell` (one command in the sandboxed shell), `reset` (a fresh
// shell), `explain` (what the policy would do with a command). Arguments
// the schema lets through but that cannot run (a NUL, a workdir outside the
// project) are tool errors that say why; nothing here throws past the SDK.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import { z } from 'zod';
import { shellJoin } from '../policy/shell-quote.js';
import { MCP_COMMAND_MAX_BYTES, MCP_TIMEOUT_MAX_MS } from '../protocol/limits.js';
import type { BrokerLink } from './broker-link.js';
import type { HostRequest } from './call-record.js';
import { explainArgv, splitCommand, SplitError } from './explain.js';
import { shapeResult } from './output.js';
import { CallRefused, type ShellSession } from './shell-session.js';

type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

export interface ToolOptions {
  /** Redact secret-looking values from results (on unless --no-redact). */
  redact: boolean;
  /** Whether the client shows prompts in its own dialog (elicitation). */
  dialog: () => boolean;
  /** How a human answers when there is no dialog, for the waiting note. */
  otherChannels: string;
}

const SHELL_DESCRIPTION = `Run a bash command in the user's shell, inside execgate's sandbox.
Each call runs \`bash -c COMMAND\` in a fresh shell that starts where the last call ended: the working directory and exported variables carry over (functions, aliases and unexported variables do not); background jobs keep running until \`reset\`. stdin is empty, so nothing can be typed into a prompt. Every program it starts is checked against the user's policy: most run in the sandbox; some run on the host (git push, docker...), some only after a human approves (the call waits for the answer), some are denied.
The result gives the exit code, stdout and stderr separately (long output is cut in the middle, with the number of bytes cut), and which commands ran on the host, were asked about, or were denied and by which rule. A denied command will be denied again: do not retry it; change approach or ask the user. Use \`explain\` to see what the policy would do with a command before running it.`;

const toolError = (text: string): CallToolResult => ({ content: [{ type: 'text', text }], isError: true });

/** Tells the client, while a call runs, that it runs (progress keeps its
 * request time-out from firing) and what it waits for. */
function progress(extra: Extra) {
  const token = extra._meta?.progressToken;
  let n = 0;
  return (message: string) => {
    if (token === undefined) return;
    n += 1;
    extra.sendNotification({ method: 'notifications/progress', params: { progressToken: token, progress: n, message } }).catch(() => {});
  };
}

export function registerTools(server: McpServer, session: ShellSession, link: BrokerLink, opts: ToolOptions, log: (line: string) => void): void {
  server.registerTool(
    'shell',
    {
      title: 'Shell (execgate sandbox)',
      description: SHELL_DESCRIPTION,
      inputSchema: {
        command: z.string().min(1).max(MCP_COMMAND_MAX_BYTES).describe('The bash command line (several lines are fine).'),
        workdir: z.string().min(1).optional().describe('Directory to run in (absolute, or relative to the current one); inside the project. It stays the working directory afterwards unless the command changes it.'),
        timeout_ms: z.number().int().positive().max(MCP_TIMEOUT_MAX_MS).optional().describe('Kill the command (and whatever it started, on the host too) after this many milliseconds.'),
        login: z.boolean().optional().describe('Read the login files (/etc/profile, ~/.profile) first, as `bash -l` does.'),
      },
      annotations: { title: 'Shell', destructiveHint: true, openWorldHint: true },
    },
    async (args, extra) => {
      if (args.command.includes('\0')) return toolError('the command contains a NUL character, which no shell command can hold');
      let workdir: string | undefined;
      try {
        workdir = args.workdir === undefined ? undefined : session.resolveWorkdir(args.workdir);
      } catch (err) {
        if (err instanceof CallRefused) return toolError(err.message);
        throw err;
      }
      const say = progress(extra);
      const waiting = session.record.onChange((req: HostRequest, what) => {
        if (what !== 'asked') return;
        const how = opts.dialog() ? 'in the approval dialog, or ' : '';
        const line = `waiting for a human to approve running \`${shellJoin(req.argv).slice(0, 120)}\` on the host (${how}${opts.otherChannels})`;
        say(line);
        log(`execgate mcp: ${line}`);
        if (!opts.dialog()) req.notes.push(`no approval dialog in this client: asked through ${opts.otherChannels}`);
      });
      try {
        const { result, requests } = await session.run({
          command: args.command,
          workdir,
          login: args.login ?? false,
          timeoutMs: args.timeout_ms,
          signal: extra.signal,
          onTick: (ms) => say(`running for ${Math.round(ms / 1000)} s`),
        });
        const shaped = shapeResult(result, requests, { redact: opts.redact });
        return { content: [{ type: 'text', text: shaped.text }], isError: shaped.isError };
      } finally {
        waiting();
      }
    },
  );

  server.registerTool(
    'reset',
    {
      title: 'Reset the shell',
      description: 'Start a fresh shell: background jobs and the sandbox\'s /tmp are gone, the working directory and variables are as at the start. Approvals given "for this session" are kept.',
      annotations: { title: 'Reset the shell', destructiveHint: true, idempotentHint: true, openWorldHint: false },
    },
    async () => {
      await session.reset();
      return { content: [{ type: 'text', text: `A fresh shell; working directory ${session.cwd}` }] };
    },
  );

  server.registerTool(
    'explain',
    {
      title: 'Explain the policy',
      description:
        'What the user\'s execgate policy would do with one command: run it in the sandbox, run it on the host, ask a human, or deny it, and which rule decides. Give `command` (split into words like one simple shell command, without expanding $VARS or globs) or `argv`.',
      inputSchema: {
        command: z.string().min(1).optional().describe('One simple command, e.g. `git push origin main`.'),
        argv: z.array(z.string()).min(1).optional().describe('The command as words, e.g. ["git", "push", "origin", "main"].'),
      },
      annotations: { title: 'Explain the policy', readOnlyHint: true, openWorldHint: false },
    },
    async (args) => {
      if ((args.command === undefined) === (args.argv === undefined)) return toolError('give exactly one of `command` or `argv`');
      let argv: string[];
      try {
        argv = args.argv ?? splitCommand(args.command!);
      } catch (err) {
        if (err instanceof SplitError) return toolError(`cannot split the command: ${err.message}`);
        throw err;
      }
      if (argv.length === 0) return toolError('the command has no words');
      try {
        return { content: [{ type: 'text', text: explainArgv(link.policy(), argv, link.policyNote) }] };
      } catch (err) {
        return toolError(`the policy could not be read: ${(err as Error).message}`);
      }
    },
  );
}
