// The MCP shell tool beside Codex's (@openai/codex-shell-tool-mcp), both
// driven by the MCP SDK's own client over stdio, both without a sandbox of
// their own so that what is measured is the tool: execgate mcp with its
// built-in policy (everything runs), Codex's with its sandbox state set to
// full access (so it runs without codex-linux-sandbox) and no .rules.
//   per call   one `true`, client to result and back (a tool call's overhead)
//   per exec   a 1000-exec loop timed inside bash ($EPOCHREALTIME): the Run
//              path's cost per exec under each tool's interception
// Codex's package is installed once, pinned, into ~/.cache/execgate/bench/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { z } from 'zod';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const PEER = '@openai/codex-shell-tool-mcp';
export const PEER_VERSION = '0.97.0';

/** Codex's server, installed once (a scratch directory renamed into place);
 * also what bench/peer.mjs drives. */
export function peerLauncher() {
  const dir = join(homedir(), '.cache', 'execgate', 'bench', `codex-shell-tool-mcp@${PEER_VERSION}`);
  const launcher = join(dir, 'node_modules', PEER, 'bin', 'mcp-server.js');
  if (existsSync(launcher)) return launcher;
  const scratch = `${dir}.partial-${process.pid}`;
  mkdirSync(scratch, { recursive: true });
  console.log(`bench: installing ${PEER}@${PEER_VERSION} into ${dir} ...`);
  execFileSync('npm', ['install', '--prefix', scratch, '--no-audit', '--no-fund', '--no-save', '--no-package-lock', '--loglevel=warn', `${PEER}@${PEER_VERSION}`], { stdio: 'inherit' });
  rmSync(dir, { recursive: true, force: true });
  execFileSync('mv', [scratch, dir]);
  return launcher;
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const loop = (n) => `s=$EPOCHREALTIME; for ((i=0;i<${n};i++)); do /bin/true; done; e=$EPOCHREALTIME; echo "LOOP $s $e"`;

async function connect(command, args, cwd) {
  const client = new Client({ name: 'execgate-bench', version: '1.0.0' }, { capabilities: {} });
  await client.connect(new StdioClientTransport({ command, args, cwd, stderr: 'ignore' }));
  return client;
}

/** The text of a call's result (both tools return text). */
async function call(client, args) {
  const r = await client.callTool({ name: 'shell', arguments: args }, undefined, { timeout: 600_000 });
  if (r.isError) throw new Error(`shell ${JSON.stringify(args)} failed: ${JSON.stringify(r.content)}`);
  return r.content.map((c) => c.text ?? '').join('');
}

async function measure(name, client, args, calls, execs, rounds) {
  for (let i = 0; i < 5; i++) await call(client, { ...args, command: 'true' }); // warm
  const perCall = [];
  for (let i = 0; i < calls; i++) {
    const t = performance.now();
    await call(client, { ...args, command: 'true' });
    perCall.push(performance.now() - t);
  }
  const perExec = [];
  for (let r = 0; r < rounds; r++) {
    const m = /LOOP ([\d.]+) ([\d.]+)/.exec(await call(client, { ...args, command: loop(execs) }));
    perExec.push(((Number(m[2]) - Number(m[1])) / execs) * 1e6);
  }
  return { name, call: median(perCall), exec: median(perExec) };
}

export async function benchMcp({ calls = 200, execs = 1000, rounds = 5 } = {}) {
  const project = mkdtempSync(join(tmpdir(), 'eg-bench-mcp-'));
  const cli = join(root, 'bin', 'execgate.js');
  const rows = [];
  try {
    for (const [name, flags] of [['execgate mcp', []], ['execgate mcp --sandbox bwrap', ['--sandbox', 'bwrap']]]) {
      const client = await connect(process.execPath, [cli, 'mcp', ...flags], project);
      try {
        rows.push(await measure(name, client, {}, calls, execs, rounds));
      } finally {
        await client.close();
      }
    }
    const peer = await connect(process.execPath, [peerLauncher()], project);
    try {
      await peer.request({ method: 'codex/sandbox-state/update', params: { sandboxPolicy: { type: 'danger-full-access' }, sandboxCwd: project } }, z.object({}).passthrough());
      rows.push(await measure(`codex-shell-tool-mcp ${PEER_VERSION}`, peer, { workdir: project, login: false }, calls, execs, rounds));
    } finally {
      await peer.close();
    }
  } finally {
    rmSync(project, { recursive: true, force: true });
  }
  console.log(`MCP shell tool: median of ${calls} calls of \`true\`; a ${execs}-exec loop, median of ${rounds}`);
  for (const r of rows) console.log(`  ${r.name.padEnd(30)} ${r.call.toFixed(2).padStart(7)} ms/call  ${r.exec.toFixed(0).padStart(6)} us/exec`);
  return rows;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchMcp();
