// How each agent takes `execgate mcp` as its shell, in one table that the
// tests run (test/agents/mcp-recipes.test.ts) and docs/mcp.md shows: the
// doc's config blocks are rendered from here and checked against it
// (test/agents/mcp-recipes.test.ts), so the two cannot drift.
import { AGENT_PACKAGES, type AgentPackage } from './agents-install.js';
import { anthropicMessagesWith } from './model-api/anthropic.js';
import { geminiWith } from './model-api/gemini.js';
import { openaiResponsesWith } from './model-api/openai-responses.js';
import type { Dialect } from './model-api/server.js';

/** The server's command line: `execgate mcp ...` for a user; the tests put
 * the compiled CLI (and a policy, an audit log) in its place. */
export interface Server {
  command: string;
  args: string[];
}

export const USER_SERVER: Server = { command: 'execgate', args: ['mcp', '--sandbox', 'bwrap'] };

export interface McpRecipe {
  id: 'claude-code' | 'codex' | 'gemini-cli';
  title: string;
  pkg: AgentPackage;
  /** The agent's command line (headless, as the tests run it). */
  command: string[];
  keyEnv: string;
  /** What the stand-in model calls: the name the agent gives the MCP tool. */
  dialect: Dialect;
  /** Files under HOME: what a user writes (url null), or what a test writes
   * (the stand-in's address added). */
  files(server: Server, url: string | null): Record<string, string>;
  /** How a prompt is answered when the agent runs headless. */
  headlessPrompts: string;
}

const toml = (s: string) => JSON.stringify(s);

export const MCP_RECIPES: McpRecipe[] = [
  {
    id: 'claude-code',
    title: 'Claude Code',
    pkg: AGENT_PACKAGES['claude-code'],
    command: ['claude', '-p', 'TASK', '--mcp-config', '~/.claude/execgate-mcp.json', '--strict-mcp-config', '--allowedTools', 'mcp__execgate__shell', '--disallowedTools', 'Bash'],
    keyEnv: 'ANTHROPIC_API_KEY',
    dialect: anthropicMessagesWith({ name: 'mcp__execgate__shell', input: (command) => ({ command }) }),
    files: (server, url) => ({
      '.claude/execgate-mcp.json': `${JSON.stringify({ mcpServers: { execgate: { command: server.command, args: server.args } } }, null, 2)}\n`,
      '.claude/settings.json': `${JSON.stringify(
        {
          // Print mode: wait for the server before the first request, and
          // send its tools rather than deferring them behind a tool search.
          env: { ...(url ? { ANTHROPIC_BASE_URL: url, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1' } : {}), MCP_CONNECTION_NONBLOCKING: '0', ENABLE_TOOL_SEARCH: 'false' },
        },
        null,
        2,
      )}\n`,
      ...(url ? { '.claude.json': '{}\n' } : {}),
    }),
    headlessPrompts: "print mode dismisses MCP dialogs, so a prompt waits for `execgate approve` (or an `Elicitation` hook in settings.json answers it: Claude Code's own elicitation path)",
  },
  {
    id: 'codex',
    title: 'Codex CLI',
    pkg: AGENT_PACKAGES.codex,
    command: ['codex', 'exec', '--skip-git-repo-check', 'TASK'],
    keyEnv: 'OPENAI_API_KEY',
    // Codex offers an MCP server's tools in one namespace tool.
    dialect: openaiResponsesWith({ name: 'shell', offered: 'mcp__execgate', call: { namespace: 'mcp__execgate' }, input: (command) => ({ command }) }),
    files: (server, url) => ({
      '.codex/config.toml': [
        ...(url
          ? ['approval_policy = "never"', 'check_for_update_on_startup = false', 'model = "stand-in"', 'model_provider = "stand-in"', '']
          : []),
        '[features]',
        'shell_tool = false',
        '',
        '[mcp_servers.execgate]',
        `command = ${toml(server.command)}`,
        // codex exec declines every dialog by itself: prompts go to execgate's own channels.
        `args = [${[...server.args, '--no-dialog'].map(toml).join(', ')}]`,
        // Codex starts MCP servers with a cleared environment: these find the
        // broker for `execgate approve` and the tmux popup.
        'env_vars = ["XDG_RUNTIME_DIR", "TMUX", "TMUX_PANE"]',
        // A prompt waits for a human: longer than the 60 s default.
        'tool_timeout_sec = 600',
        'default_tools_approval_mode = "approve"',
        '',
        ...(url
          ? ['[analytics]', 'enabled = false', '', '[model_providers.stand-in]', 'name = "stand-in"', `base_url = "${url}/v1"`, 'env_key = "OPENAI_API_KEY"', 'wire_api = "responses"', 'request_max_retries = 0', 'stream_max_retries = 0', '']
          : []),
      ].join('\n'),
    }),
    headlessPrompts: '`codex exec` declines MCP dialogs by itself, so the recipe passes `--no-dialog` and a prompt waits for `execgate approve` (the interactive TUI shows MCP dialogs itself: there `--no-dialog` can go; not tested here)',
  },
  {
    id: 'gemini-cli',
    title: 'Gemini CLI',
    pkg: AGENT_PACKAGES['gemini-cli'],
    command: ['gemini', '-p', 'TASK', '--yolo'],
    keyEnv: 'GEMINI_API_KEY',
    dialect: geminiWith({ name: 'mcp_execgate_shell', input: (command) => ({ command }) }),
    files: (server, url) => ({
      '.gemini/settings.json': `${JSON.stringify(
        {
          ...(url
            ? {
                security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: false } },
                privacy: { usageStatisticsEnabled: false },
                general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
              }
            : {}),
          tools: { exclude: ['run_shell_command'] },
          mcpServers: { execgate: { command: server.command, args: server.args, timeout: 600000, trust: true } },
        },
        null,
        2,
      )}\n`,
      ...(url ? { '.gemini/.env': `GOOGLE_GEMINI_BASE_URL=${url}\n` } : {}),
    }),
    headlessPrompts: 'Gemini CLI shows no MCP dialogs: a prompt waits for `execgate approve` (or the tmux popup, the web page)',
  },
];

// ---- docs/mcp.md: the generated recipe block ------------------------------

export const BEGIN = '<!-- mcp recipes: generated from test/helpers/mcp-recipes.ts; checked by test/agents/mcp-recipes.test.ts -->';
export const END = '<!-- end of mcp recipes -->';

export function renderMcpRecipes(): string {
  const lines = [BEGIN, ''];
  for (const r of MCP_RECIPES) {
    lines.push(`### ${r.title}`, '');
    for (const [rel, text] of Object.entries(r.files(USER_SERVER, null))) {
      const lang = rel.endsWith('.toml') ? 'toml' : 'json';
      lines.push(`\`~/${rel}\`:`, '', `\`\`\`${lang}`, text.trimEnd(), '```', '');
    }
    lines.push('```sh', r.command.map((w) => (/[\s'"]/.test(w) ? `'${w}'` : w)).join(' '), '```', '', `Prompts when headless: ${r.headlessPrompts}.`, '');
  }
  lines.push(END);
  return lines.join('\n');
}
