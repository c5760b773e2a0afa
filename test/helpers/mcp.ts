// A real `execgate mcp` (the compiled CLI) driven by the MCP SDK's own
// client over stdio, with its own XDG_RUNTIME_DIR (so `execgate approve`
// finds exactly its broker), policy file and audit log.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { ElicitRequestSchema, type ElicitRequest, type ElicitResult } from '@modelcontextprotocol/sdk/types.js';
import { cliPath, tempDir, type PendingJson } from './execgate.js';
import { waitFor } from './wait.js';
import { runCollecting, type Ran } from './run.js';

export interface ToolText {
  text: string;
  isError: boolean;
}

export type ElicitHandler = (req: ElicitRequest, signal: AbortSignal) => Promise<ElicitResult>;

export interface McpOptions {
  policy?: string;
  flags?: string[];
  /** Advertise elicitation and answer with this. */
  elicit?: ElicitHandler;
  cwd?: string;
  env?: Record<string, string>;
}

export interface LiveMcp {
  client: Client;
  runtimeDir: string;
  auditFile: string;
  stderr: () => string;
  shell(args: Record<string, unknown>): Promise<ToolText>;
  tool(name: string, args?: Record<string, unknown>): Promise<ToolText>;
  /** `execgate approve ARGS` against this server's broker. */
  approve(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }>;
  waitPending(n: number): Promise<PendingJson[]>;
  audit(): Record<string, unknown>[];
  close(): Promise<void>;
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return runCollecting(process.execPath, [cliPath, ...args], { env });
}

export async function startMcp(opts: McpOptions = {}): Promise<LiveMcp> {
  const runtimeDir = tempDir('eg-xdg-');
  const dir = tempDir('eg-mcp-');
  const policyFile = join(dir, 'policy.toml');
  writeFileSync(policyFile, opts.policy ?? '');
  const auditFile = join(dir, 'audit.jsonl');
  const env: Record<string, string> = { ...(process.env as Record<string, string>), XDG_RUNTIME_DIR: runtimeDir, ...opts.env };
  delete env.TMUX;
  delete env.TMUX_PANE;
  const attached = opts.flags?.includes('--broker') ?? false;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: [cliPath, 'mcp', ...(attached ? [] : ['--policy', policyFile, '--audit', auditFile]), ...(opts.flags ?? [])],
    cwd: opts.cwd,
    env,
    stderr: 'pipe',
  });
  let err = '';
  transport.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const client = new Client({ name: 'execgate-test', version: '1.0.0' }, { capabilities: opts.elicit ? { elicitation: {} } : {} });
  if (opts.elicit) {
    const handler = opts.elicit;
    client.setRequestHandler(ElicitRequestSchema, (req, extra) => handler(req, extra.signal));
  }
  try {
    await client.connect(transport);
  } catch (e) {
    throw new Error(`execgate mcp did not start: ${(e as Error).message}\n${err}`);
  }
  const tool = async (name: string, args: Record<string, unknown> = {}): Promise<ToolText> => {
    const r = await client.callTool({ name, arguments: args }, undefined, { timeout: 120_000 });
    const content = r.content as { type: string; text?: string }[];
    return { text: content.map((c) => c.text ?? '').join('\n'), isError: r.isError === true };
  };
  const approve = (args: string[]) => run(['approve', ...args], env);
  return {
    client,
    runtimeDir,
    auditFile,
    stderr: () => err,
    shell: (args) => tool('shell', args),
    tool,
    approve,
    async waitPending(n) {
      let list: PendingJson[] = [];
      await waitFor(
        async () => {
          const r = await approve(['--list', '--json']);
          list = r.code === 0 ? (JSON.parse(r.stdout) as PendingJson[]) : [];
          return list.length >= n;
        },
        { what: `${n} pending requests`, timeoutMs: 30_000, everyMs: 100 },
      );
      return list;
    },
    audit: () => (existsSync(auditFile) ? readFileSync(auditFile, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : []),
    close: () => client.close(),
  };
}

/** The status line's exit code ("Exit code N · ..."), or null. */
export function exitCodeOf(text: string): number | null {
  const m = /^Exit code (\d+) ·/m.exec(text);
  return m ? Number(m[1]) : null;
}

/** One section of a result ("stdout", "stderr", "execgate"), or ''. */
export function section(text: string, name: string): string {
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l === `--- ${name}` || l.startsWith(`--- ${name} (`));
  if (start < 0) return '';
  const body: string[] = [];
  for (const l of lines.slice(start + 1)) {
    if (l.startsWith('--- ') || l.startsWith('(execgate redacted ')) break;
    body.push(l);
  }
  return body.join('\n');
}

/** Whether a process whose argv is exactly `argv` runs, seen from here
 * (whatever pid namespace it is in). */
export function runningWithArgv(argv: string[]): boolean {
  const want = `${argv.join('\0')}\0`;
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .some((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'latin1') === want;
      } catch {
        return false;
      }
    });
}

/** Whether process `pid` runs: a zombie still answers kill(0), so its
 * state is read. */
export function processAlive(pid: number): boolean {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'latin1'));
  } catch {
    return false;
  }
}
