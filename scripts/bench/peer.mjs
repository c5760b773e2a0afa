// Codex's shell-escalation peer, side by side with execgate: the npm package
// @openai/codex-shell-tool-mcp (its patched bash, codex-execve-wrapper, and
// the MCP server codex-exec-mcp-server that starts one bash per tool call and
// decides every exec that bash makes over a socket). Installed once, pinned,
// by the MCP part of the bench (mcp.mjs: peerLauncher); driven here by a
// small MCP client of our own for the Run-path loops and start-up.
//
// How it is set up (from its README and bin/mcp-server.js): the launcher
// picks the binaries for this machine and runs the server on stdio; the
// server declares the experimental capability "codex/sandbox-state", and a
// request "codex/sandbox-state/update" with sandboxPolicy
// {"type":"danger-full-access"} makes it start bash without
// codex-linux-sandbox (not shipped in the package). CODEX_HOME is an empty
// directory: no .rules, so every exec is decided "run in place" by the
// server, a round trip each (it has no fast path). The tool is `shell`
// {command, workdir, login, timeout_ms}; login false runs `bash -c`, as
// execgate's loops do. Nothing is elicited for runs; the client still
// declares elicitation and declines any request for it.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { peerLauncher, PEER_VERSION } from './mcp.mjs';

/** The installed launcher (bin/mcp-server.js), installing it when missing;
 * or a reason why there is none. */
export function installPeer() {
  try {
    return { launcher: peerLauncher(), version: PEER_VERSION };
  } catch (err) {
    return { why: `could not install @openai/codex-shell-tool-mcp@${PEER_VERSION}: ${err.message.split('\n')[0]}` };
  }
}

/** A running peer: its MCP server, initialized, sandbox state set. */
export async function startPeer(launcher, { env = process.env } = {}) {
  let sdk;
  try {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const { StdioClientTransport } = await import('@modelcontextprotocol/sdk/client/stdio.js');
    const { ElicitRequestSchema, EmptyResultSchema } = await import('@modelcontextprotocol/sdk/types.js');
    sdk = { Client, StdioClientTransport, ElicitRequestSchema, EmptyResultSchema };
  } catch (err) {
    throw new Error(`@modelcontextprotocol/sdk is not installed (a devDependency): ${err.message}`);
  }
  const home = mkdtempSync(join(tmpdir(), 'eg-bench-codex-home-'));
  const workdir = mkdtempSync(join(tmpdir(), 'eg-bench-codex-work-'));
  const transport = new sdk.StdioClientTransport({
    command: process.execPath,
    args: [launcher],
    env: { ...env, CODEX_HOME: home },
    stderr: 'pipe',
  });
  const client = new sdk.Client({ name: 'execgate-bench', version: '1' }, { capabilities: { elicitation: {} } });
  client.setRequestHandler(sdk.ElicitRequestSchema, async () => ({ action: 'decline' }));
  await client.connect(transport);
  const caps = client.getServerCapabilities();
  if (!caps?.experimental?.['codex/sandbox-state']) throw new Error('the peer does not declare codex/sandbox-state');
  await client.request(
    { method: 'codex/sandbox-state/update', params: { sandboxPolicy: { type: 'danger-full-access' }, codexLinuxSandboxExe: null, sandboxCwd: workdir } },
    sdk.EmptyResultSchema.passthrough(),
  );

  /** Runs `command` with `bash -c` in the peer; returns its output. */
  async function shell(command) {
    const r = await client.callTool({ name: 'shell', arguments: { command, workdir, login: false, timeout_ms: 3_600_000 } }, undefined, { timeout: 3_600_000 });
    const text = r.content?.find((c) => c.type === 'text')?.text ?? '';
    let result;
    try {
      result = JSON.parse(text);
    } catch {
      throw new Error(`the peer's shell tool answered ${JSON.stringify(text.slice(0, 300))}`);
    }
    if (r.isError || result.exit_code !== 0) throw new Error(`the peer's shell failed (${result.exit_code}): ${String(result.output).slice(-500)}`);
    return String(result.output);
  }

  const bash = (await shell('echo "$BASH"')).trim();
  return {
    /** The peer's own patched bash (for its floor: that bash, no wrapper). */
    bash,
    shell,
    async close() {
      await client.close();
      rmSync(home, { recursive: true, force: true });
      rmSync(workdir, { recursive: true, force: true });
    },
  };
}
