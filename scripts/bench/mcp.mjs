// The MCP shell tool beside Codex's (@openai/codex-shell-tool-mcp), both
// driven by the MCP SDK's own client over stdio, both without a sandbox of
// their own so that what is measured is the tool: execgate mcp with its
// built-in policy (everything runs), Codex's with its sandbox state set to
// full access (so it runs without codex-linux-sandbox) and no .rules.
//   per call   one `true`, client to result and back (a tool call's overhead),
//              back to back, and spaced 20 ms apart (as an agent's calls
//              come, each after a model turn: every hop then wakes an idle
//              CPU, which costs more on this VM than the work itself)
//   per exec   a 1000-exec loop timed inside bash ($EPOCHREALTIME): the Run
//              path's cost per exec under each tool's interception
// The tools take turns within each round, and the figures are medians over
// rounds, with execgate's ratio to the peer taken within each round.
// Codex's package is installed once, pinned, into ~/.cache/execgate/bench/.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { z } from 'zod';
import { median, paired, range, ratios } from './common.mjs';

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

/** Between two spaced calls: a model's turn is longer; this is enough for
 * the machine to go quiet, as between an agent's calls. */
const SPACING_MS = 20;
/** Back-to-back calls per turn of a tool: a turn of 40 took 80 ms, and a
 * burst of noise fell on one tool's turn and not the other's. */
const BACK_TO_BACK_SLICE = 20;
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

/** Per round and tool: the mean of `slices` x `calls` back-to-back calls of `true`;
 * the median of `spacedCalls` calls, each after SPACING_MS of quiet; and
 * one `execs`-exec loop. Tools take turns within a round (paired), the
 * order turning each round. */
async function measure(tools, { calls, slices, spacedCalls, execs, rounds }) {
  const per = Object.fromEntries(tools.map((t) => [t.name, { call: [], spaced: [], exec: [] }]));
  for (const t of tools) for (let i = 0; i < 5; i++) await call(t.client, { ...t.args, command: 'true' }); // warm
  const turn = async (r, f) => {
    for (let k = 0; k < tools.length; k++) await f(tools[(r + k) % tools.length]);
  };
  // The round's spaced calls and exec loop, after its calls back to back.
  const spacedAndLoop = async (r) => {
    const spaced = Object.fromEntries(tools.map((t) => [t.name, []]));
    for (let i = 0; i < spacedCalls; i++) {
      await turn(r + i, async (t) => {
        await new Promise((res) => setTimeout(res, SPACING_MS));
        const t0 = performance.now();
        await call(t.client, { ...t.args, command: 'true' });
        spaced[t.name].push(performance.now() - t0);
      });
    }
    for (const t of tools) per[t.name].spaced.push(median(spaced[t.name]));
    await turn(r, async (t) => {
      const m = /LOOP ([\d.]+) ([\d.]+)/.exec(await call(t.client, { ...t.args, command: loop(execs) }));
      per[t.name].exec.push(((Number(m[2]) - Number(m[1])) / execs) * 1e6);
    });
  };
  // Back to back in slices of a few calls, the tools taking turns (paired).
  const backToBack = Object.fromEntries(
    tools.map((t) => [
      t.name,
      async () => {
        const t0 = performance.now();
        for (let i = 0; i < calls; i++) await call(t.client, { ...t.args, command: 'true' });
        return (performance.now() - t0) / calls;
      },
    ]),
  );
  const perCall = await paired(rounds, backToBack, { slices, onRound: spacedAndLoop });
  for (const t of tools) per[t.name].call = perCall[t.name];
  return per;
}

const PEER_NAME = `codex-shell-tool-mcp ${PEER_VERSION}`;

export async function benchMcp({ calls = 200, execs = 1000, rounds = 5, table = null } = {}) {
  const project = mkdtempSync(join(tmpdir(), 'eg-bench-mcp-'));
  const cli = join(root, 'bin', 'execgate.js');
  const tools = [];
  // Back to back: `calls` a run, BACK_TO_BACK_SLICE at a time.
  const slices = Math.max(1, Math.round(calls / rounds / BACK_TO_BACK_SLICE));
  const perSlice = Math.min(BACK_TO_BACK_SLICE, Math.max(1, Math.round(calls / rounds)));
  const spacedPerRound = Math.max(1, Math.round(Math.min(calls, 100) / rounds));
  let per;
  try {
    for (const [name, flags] of [['execgate mcp', []], ['execgate mcp --sandbox bwrap', ['--sandbox', 'bwrap']]]) {
      tools.push({ name, client: await connect(process.execPath, [cli, 'mcp', ...flags], project), args: {} });
    }
    const peer = await connect(process.execPath, [peerLauncher()], project);
    tools.push({ name: PEER_NAME, client: peer, args: { workdir: project, login: false } });
    await peer.request({ method: 'codex/sandbox-state/update', params: { sandboxPolicy: { type: 'danger-full-access' }, sandboxCwd: project } }, z.object({}).passthrough());
    per = await measure(tools, { calls: perSlice, slices, spacedCalls: spacedPerRound, execs, rounds });
  } finally {
    await Promise.all(tools.map((t) => t.client.close()));
    rmSync(project, { recursive: true, force: true });
  }
  const vs = (name, key) => ratios(per[name][key], per[PEER_NAME][key]);
  const show = (r) => `${r.median.toFixed(2)} (${range(r.lo, r.hi)})`;
  console.log(`MCP shell tool: ${rounds} rounds, the tools taking turns; per round ${slices * perSlice} calls of \`true\` back to back (${perSlice} at a time; their mean), ${spacedPerRound} spaced ${SPACING_MS} ms apart (their median), one ${execs}-exec loop; medians over rounds, x the peer within each round`);
  for (const t of tools) {
    const p = per[t.name];
    const x = t.name === PEER_NAME ? '' : `  x peer: ${show(vs(t.name, 'call'))}, spaced ${show(vs(t.name, 'spaced'))}, per exec ${show(vs(t.name, 'exec'))}`;
    console.log(`  ${t.name.padEnd(30)} ${median(p.call).toFixed(2).padStart(6)} ms/call  ${median(p.spaced).toFixed(2).padStart(6)} ms/call spaced  ${median(p.exec).toFixed(0).padStart(5)} us/exec${x}`);
  }
  if (table) {
    const ms = (name, key) => `${median(per[name][key]).toFixed(2)} ms`;
    table.side('MCP tool call, back to back', { peer: ms(PEER_NAME, 'call'), execgate: ms('execgate mcp', 'call') }, vs('execgate mcp', 'call'));
    table.side(`  spaced ${SPACING_MS} ms apart`, { peer: ms(PEER_NAME, 'spaced'), execgate: ms('execgate mcp', 'spaced') }, vs('execgate mcp', 'spaced'));
    table.side('  back to back, --sandbox bwrap', { peer: '', execgate: ms('execgate mcp --sandbox bwrap', 'call') }, vs('execgate mcp --sandbox bwrap', 'call'));
    table.side('MCP per exec (1000-exec loop)', { peer: `${median(per[PEER_NAME].exec).toFixed(0)} µs`, execgate: `${median(per['execgate mcp'].exec).toFixed(0)} µs` }, vs('execgate mcp', 'exec'));
  }
  return per;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await benchMcp();
