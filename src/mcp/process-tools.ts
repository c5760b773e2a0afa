// The tools for long-running and interactive commands: process_start,
// process_read, process_write, process_stop (processes.ts does the work).
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { MCP_COMMAND_MAX_BYTES, MCP_PROCESS_WAIT_MAX_MS } from '../protocol/limits.js';
import { shapeStream } from './output.js';
import { ProcessError, type ProcessRead, type ProcessStatus } from './processes.js';
import { CallRefused, type ShellSession } from './shell-session.js';

const text = (t: string, isError = false): CallToolResult => ({ content: [{ type: 'text', text: t }], isError });

function describeStatus(s: ProcessStatus): string {
  if (s.kind === 'running') return 'running';
  if (s.kind === 'exited') return `exited with code ${s.code}`;
  return s.why;
}

function readText(r: ProcessRead, redact: boolean): string {
  const lines = [`${r.name}: ${describeStatus(r.status)}`];
  let redactions = 0;
  for (const [name, c] of [['stdout', r.stdout], ['stderr', r.stderr]] as const) {
    if (c.total === 0) continue;
    const s = shapeStream(c, redact);
    redactions += s.redactions;
    lines.push(`--- ${name} (${c.total} new bytes${s.cut ? ', cut' : ''})`, s.text.replace(/\n$/, ''));
  }
  if (r.stdout.total === 0 && r.stderr.total === 0) lines.push('(no new output)');
  if (redactions) lines.push(`(execgate redacted ${redactions} secret-looking value${redactions === 1 ? '' : 's'} from this output)`);
  return lines.join('\n');
}

/** Runs `fn`, turning the errors a caller can act on into tool errors. */
async function guarded(fn: () => Promise<CallToolResult>): Promise<CallToolResult> {
  try {
    return await fn();
  } catch (err) {
    if (err instanceof ProcessError || err instanceof CallRefused) return text(err.message, true);
    throw err;
  }
}

export function registerProcessTools(server: McpServer, session: ShellSession, opts: { redact: boolean }): void {
  const id = z.string().min(1).describe('The process, as process_start named it (p1, p2...).');

  server.registerTool(
    'process_start',
    {
      title: 'Start a long-running command',
      description:
        'Start a command that keeps running (a dev server, a watcher, a REPL, a command that asks questions) in the same sandboxed shell, from the current directory and variables. Returns its name at once; read its output with process_read, type into it with process_write, end it with process_stop. `tty: true` gives it a terminal of its own (for programs that prompt on a terminal, such as sudo or ssh). What it runs is checked against the policy like any command.',
      inputSchema: {
        command: z.string().min(1).max(MCP_COMMAND_MAX_BYTES).describe('The bash command line.'),
        workdir: z.string().min(1).optional().describe('Directory to start in; inside the project.'),
        tty: z.boolean().optional().describe('Run it on a terminal of its own.'),
        login: z.boolean().optional().describe('Read the login files first.'),
      },
      annotations: { title: 'Start a process', destructiveHint: true, openWorldHint: true },
    },
    (args) =>
      guarded(async () => {
        if (args.command.includes('\0')) return text('the command contains a NUL character, which no shell command can hold', true);
        const workdir = args.workdir === undefined ? undefined : session.resolveWorkdir(args.workdir);
        const { name } = await session.processes.start({ command: args.command, workdir, login: args.login ?? false, tty: args.tty ?? false });
        return text(`Started ${name}. Read its output with process_read {"id": "${name}"}.`);
      }),
  );

  server.registerTool(
    'process_read',
    {
      title: 'Read a process\'s output',
      description: 'The output a process_start process wrote since the last read (waiting up to wait_ms for some), and whether it still runs.',
      inputSchema: { id, wait_ms: z.number().int().min(0).max(MCP_PROCESS_WAIT_MAX_MS).optional().describe('Wait this long for new output (default 1000).') },
      annotations: { title: 'Read a process', readOnlyHint: true, openWorldHint: false },
    },
    (args) => guarded(async () => text(readText(await session.processes.read(args.id, args.wait_ms ?? 1000), opts.redact))),
  );

  server.registerTool(
    'process_write',
    {
      title: 'Type into a process',
      description: 'Write text to a process_start process\'s input (add "\\n" to end a line); `eof: true` closes its input afterwards.',
      inputSchema: { id, input: z.string().max(1024 * 1024).describe('The text to write.'), eof: z.boolean().optional().describe('Close its input after.') },
      annotations: { title: 'Write to a process', destructiveHint: true, openWorldHint: true },
    },
    (args) =>
      guarded(async () => {
        const n = session.processes.write(args.id, args.input, args.eof ?? false);
        const all = Buffer.byteLength(args.input);
        return text(`${n === all ? `Wrote ${n} bytes` : `Wrote ${n} of ${all} bytes: it is not reading its input`}${args.eof ? '; its input is closed' : ''}.`, n !== all);
      }),
  );

  server.registerTool(
    'process_stop',
    {
      title: 'Stop a process',
      description: 'End a process_start process and whatever it started: SIGTERM (or the signal given), then SIGKILL after two seconds.',
      inputSchema: { id, signal: z.enum(['TERM', 'INT', 'HUP', 'KILL']).optional() },
      annotations: { title: 'Stop a process', destructiveHint: true, openWorldHint: false },
    },
    (args) => guarded(async () => text(`${args.id}: ${describeStatus(await session.processes.stop(args.id, `SIG${args.signal ?? 'TERM'}` as NodeJS.Signals))}`)),
  );
}
