// Claude Code (the published package) with `execgate mcp --sandbox bwrap`
// as its MCP server and its own Bash tool disallowed, against a stand-in of
// the Anthropic Messages API whose model calls mcp__execgate__shell three
// times: a command a rule escalates (it reads a file only the host has),
// one a rule sends to a human, one a rule denies. The human is Claude Code's
// own elicitation path: an Elicitation hook (how a headless `claude -p`
// answers an MCP server's dialog; without one, print mode dismisses the
// dialog and the prompt waits for `execgate approve`: mcp-recipes.test.ts).
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_PACKAGES, binPath } from '../helpers/agents-install.js';
import { cliPath, removeVarTmpDirs, rule, tempDir, varTmpDir as varTmp } from '../helpers/execgate.js';
import { anthropicMessagesWith } from '../helpers/model-api/anthropic.js';
import { startModelApi, type ModelApi } from '../helpers/model-api/server.js';
import { runCollecting, type Ran } from '../helpers/run.js';
import { waitFor } from '../helpers/wait.js';

const PUSH_REASON = 'pushes go through the human, not the agent';
const SHELL = { name: 'mcp__execgate__shell', input: (command: string) => ({ command }) };

let api: ModelApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
  removeVarTmpDirs();
});


interface Setup {
  home: string;
  project: string;
  hostDir: string;
  marker: string;
  runtimeDir: string;
  audit: string;
  hookInput: string;
  mcpConfig: string;
}

/** The project, a host-only file, the policy, audit log and MCP config
 * outside the project (the sandbox must not reach the policy). */
function prepare(): Setup {
  const home = varTmp('eg-claude-home-');
  const project = tempDir('eg-claude-proj-');
  const hostDir = tempDir('eg-claude-host-');
  const marker = `host-only-${randomBytes(6).toString('hex')}`;
  writeFileSync(join(hostDir, 'host-only.txt'), `${marker}\n`);
  const etc = varTmp('eg-claude-etc-');
  const policy = join(etc, 'policy.toml');
  writeFileSync(
    policy,
    'approval_timeout = "2m"\n' +
      rule('host-cat', 'cat', 'escalate', `args = ["${hostDir}/host-only.txt"]`) +
      rule('ask-ls', 'ls', 'prompt', `args = ["${hostDir}"]`) +
      rule('no-push', 'git', 'deny', `args = ["push", "**"]\nreason = "${PUSH_REASON}"`),
  );
  const audit = join(etc, 'audit.jsonl');
  const mcpConfig = join(etc, 'mcp.json');
  writeFileSync(mcpConfig, JSON.stringify({ mcpServers: { execgate: { command: process.execPath, args: [cliPath, 'mcp', '--sandbox', 'bwrap', '--policy', policy, '--audit', audit] } } }));
  return { home, project, hostDir, marker, runtimeDir: tempDir('eg-xdg-'), audit, hookInput: join(etc, 'elicitation.json'), mcpConfig };
}

/** Claude Code's files in the fake HOME: the stand-in's URL, and the hook
 * that plays the human in the dialog when asked for. */
function writeClaudeFiles(s: Setup, url: string, withHook: boolean): void {
  const { home, hookInput } = s;
  const settings: Record<string, unknown> = {
    // MCP_CONNECTION_NONBLOCKING=0: print mode waits for the server before the
    // first request; ENABLE_TOOL_SEARCH=false: the tools are sent, not deferred.
    env: { ANTHROPIC_BASE_URL: url, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1', MCP_CONNECTION_NONBLOCKING: '0', ENABLE_TOOL_SEARCH: 'false' },
  };
  if (withHook) {
    // The human in the dialog: reads what it is shown, answers "once".
    const answer = JSON.stringify({ hookSpecificOutput: { hookEventName: 'Elicitation', action: 'accept', content: { decision: 'once' } } });
    settings.hooks = { Elicitation: [{ matcher: 'execgate', hooks: [{ type: 'command', command: `cat > ${hookInput}; echo '${answer}'` }] }] };
  }
  mkdirSync(join(home, '.claude'), { recursive: true });
  writeFileSync(join(home, '.claude', 'settings.json'), `${JSON.stringify(settings, null, 2)}\n`);
  writeFileSync(join(home, '.claude.json'), '{}\n');
}

function claude(s: Setup): { done: Promise<Ran> } {
  const done = runCollecting(
    binPath(AGENT_PACKAGES['claude-code']),
    ['-p', 'Run the commands the task needs.', '--mcp-config', s.mcpConfig, '--strict-mcp-config', '--allowedTools', 'mcp__execgate__shell', '--disallowedTools', 'Bash'],
    { cwd: s.project, env: { ...process.env, HOME: s.home, ANTHROPIC_API_KEY: 'sk-stand-in', XDG_RUNTIME_DIR: s.runtimeDir, TMUX: '', TMUX_PANE: '' }, timeoutMs: 150_000 },
  );
  return { done };
}

const records = (audit: string) => (existsSync(audit) ? readFileSync(audit, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : []);

/** The three results, in the order the stand-in asked for them. */
async function results(run: Promise<{ code: number | null; stdout: string; stderr: string }>): Promise<[string, string, string]> {
  const r = await run;
  const out = api!.toolResults().map((t) => t.output);
  expect(out, `tool results\n${out.join('\n---\n')}\n--- claude stdout\n${r.stdout.slice(-2000)}\n--- stderr\n${r.stderr.slice(-2000)}`).toHaveLength(3);
  return out as [string, string, string];
}

describe('Claude Code with execgate mcp as its shell', () => {
  it('escalates, asks the human through its own elicitation path, and is denied with the rule named', async () => {
    const s = prepare();
    api = await startModelApi(anthropicMessagesWith(SHELL), [`cat ${s.hostDir}/host-only.txt`, `ls ${s.hostDir}`, 'git push origin main']);
    writeClaudeFiles(s, api.url, true);

    const [escalated, prompted, denied] = await results(claude(s).done);
    expect(escalated).toContain(s.marker);
    expect(escalated).toContain(`ran on the host (rule "host-cat"): cat ${s.hostDir}/host-only.txt: exit code 0`);
    expect(prompted).toMatch(/^Exit code 0 /);
    expect(prompted).toContain('host-only.txt');
    expect(prompted).toContain(`asked a human (rule "ask-ls"): ls ${s.hostDir}: approved by human:elicitation, exit code 0`);
    expect(denied).toMatch(/^Exit code 126 /);
    expect(denied).toContain(`execgate: denied: git: ${PUSH_REASON}`);
    expect(denied).toContain(`denied: git push origin main: rule "no-push" says: ${PUSH_REASON}.`);

    // What Claude Code's dialog (here its hook) was shown.
    const shown = JSON.parse(readFileSync(s.hookInput, 'utf8')) as { mcp_server_name: string; message: string; requested_schema: { properties: Record<string, unknown> } };
    expect(shown.mcp_server_name).toBe('execgate');
    expect(shown.message).toContain(`  argv     ls ${s.hostDir}`);
    expect(shown.message).toContain('  program  /usr/bin/ls');
    expect(Object.keys(shown.requested_schema.properties)).toEqual(['decision', 'reason']);
    // The server writes its audit log behind the results.
    await waitFor(() => records(s.audit).some((a) => a.event === 'completion' && a.decided_by === 'human:elicitation'), { what: 'the audit of the dialog\'s answer' });
    expect(records(s.audit).find((a) => a.event === 'completion' && a.decided_by === 'human:elicitation')).toMatchObject({ outcome: 'exited', exit_code: 0 });
  }, 180_000);
});
