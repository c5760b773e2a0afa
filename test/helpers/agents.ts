// The recipes: how each agent runs inside `execgate shell --sandbox bwrap`,
// in one table that the tests run and docs/agents.md shows (the doc's
// recipe block is generated from this table and checked against it, so the
// two cannot drift). Run this file with --write to regenerate the block:
//   npx tsx test/helpers/agents.ts --write
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { shellQuote } from '../../src/policy/shell-quote.js';
import { packageRoot } from '../../src/native/paths.js';
import { AGENT_PACKAGES, binPath, installDir, type AgentPackage } from './agents-install.js';
import { anthropicMessages } from './model-api/anthropic.js';
import { gemini } from './model-api/gemini.js';
import { openaiResponses } from './model-api/openai-responses.js';
import type { Dialect } from './model-api/server.js';

/** The task every agent is given; the stand-in model ignores it. */
export const TASK = 'Run the commands the task needs.';

export const fixturesDir = join(packageRoot, 'test', 'fixtures', 'agents');

export interface AgentRecipe {
  id: 'claude-code' | 'codex' | 'gemini-cli' | 'python-harness';
  title: string;
  /** The published package, when there is one (the Python harness is a fixture). */
  pkg?: AgentPackage;
  /** The agent's command line inside the sandbox. */
  command: string[];
  /** The variable holding the API key, crossing with --pass-env. */
  keyEnv?: string;
  /** The agent's own state (config, sessions, logins) lives in a directory
   * of its own on the host (`~`: HOME), bound where the agent looks for it
   * inside: never the host's own ~/.claude, ~/.codex or ~/.gemini, which the
   * agent inside could then write, planting hooks, MCP servers or notify
   * commands that would run on the host the next time the agent ran there. */
  state?: { dir: string; entries: { name: string; kind: 'dir' | 'json' }[] };
  dialect?: Dialect;
  /** The agent's config, relative to its state directory (which it sees as
   * its HOME), as the tests write it: what a user needs, plus what points
   * at the stand-in (`url`). */
  stateFiles(url: string): Record<string, string>;
  /** The exit status as the harness reports it in a tool result. */
  reportedStatus(toolResult: string): number | null;
  /** For docs/agents.md: how it spawns its shell, and its own sandbox. */
  shell: string;
  ownSandbox: string;
}

const statusFrom = (re: RegExp, absentMeansZero: boolean) => (text: string): number | null => {
  const m = re.exec(text);
  if (m) return Number(m[1]);
  return absentMeansZero ? 0 : null;
};

export const RECIPES: AgentRecipe[] = [
  {
    id: 'claude-code',
    title: 'Claude Code',
    pkg: AGENT_PACKAGES['claude-code'],
    command: ['claude', '-p', TASK, '--allowedTools', 'Bash'],
    keyEnv: 'ANTHROPIC_API_KEY',
    state: { dir: '~/.local/share/execgate/claude', entries: [{ name: '.claude', kind: 'dir' }, { name: '.claude.json', kind: 'json' }] },
    dialect: anthropicMessages,
    stateFiles: (url) => ({
      '.claude/settings.json': `${JSON.stringify(
        {
          env: { ANTHROPIC_BASE_URL: url, CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1', DISABLE_AUTOUPDATER: '1' },
          sandbox: { enabled: false },
        },
        null,
        2,
      )}\n`,
    }),
    // "Exit code N" heads the result of a failed command; success says nothing.
    reportedStatus: statusFrom(/^(?:\[is_error\] )?Exit code (\d+)$/m, true),
    shell:
      'Bun runtime; marks every fd from 3 up close-on-exec (`close_range(3, ~0, CLOSE_RANGE_CLOEXEC)`) before each spawn. ' +
      'Shell: `$CLAUDE_CODE_SHELL`, else `$SHELL` if it names bash or zsh, else bash/zsh on PATH, else /bin/bash. ' +
      'Once per session `SHELL -c -l SNAPSHOT-SCRIPT` (a login shell: /etc/profile runs) writes ~/.claude/shell-snapshots/*.sh; ' +
      "each command is then `SHELL -c 'source SNAPSHOT && eval CMD < /dev/null && pwd -P >| /tmp/claude-*-cwd'`, stdout and stderr to a file under /tmp/claude-UID.",
    ownSandbox:
      'Its own Bash sandbox (bubblewrap) is off unless `sandbox.enabled` is true in settings.json: keep it false (the recipe writes it). ' +
      '`--allowedTools Bash` lets the Bash tool run without asking in `-p` mode, as root too; `--dangerously-skip-permissions` refuses to run as root unless `IS_SANDBOX=1`.',
  },
  {
    id: 'codex',
    title: 'Codex CLI',
    pkg: AGENT_PACKAGES.codex,
    command: ['codex', 'exec', '--sandbox', 'danger-full-access', '--skip-git-repo-check', TASK],
    keyEnv: 'OPENAI_API_KEY',
    state: { dir: '~/.local/share/execgate/codex', entries: [{ name: '.codex', kind: 'dir' }] },
    dialect: openaiResponses,
    stateFiles: (url) => ({
      '.codex/config.toml': [
        'approval_policy = "never"',
        'sandbox_mode = "danger-full-access"',
        'check_for_update_on_startup = false',
        'model = "stand-in"',
        'model_provider = "stand-in"',
        '',
        '[analytics]',
        'enabled = false',
        '',
        '[model_providers.stand-in]',
        'name = "stand-in"',
        `base_url = "${url}/v1"`,
        'env_key = "OPENAI_API_KEY"',
        'wire_api = "responses"',
        'request_max_retries = 0',
        'stream_max_retries = 0',
        '',
      ].join('\n'),
    }),
    reportedStatus: statusFrom(/^Process exited with code (\d+)$/m, false),
    shell:
      'Rust; the `exec_command` tool (unified exec, plain pipes) re-executes codex itself (`/proc/self/exe --codex-run-as-process-setup`), which calls `setsid()` and ' +
      '`close_range(3, ~0, CLOSE_RANGE_CLOEXEC)`, then execs `SHELL -lc CMD` (a login shell), SHELL being the user\'s shell from the password database (not `$SHELL`). ' +
      'Once per session `SHELL -lc SNAPSHOT-SCRIPT` sources ~/.bashrc and writes ~/.codex/shell_snapshots/.',
    ownSandbox:
      'Its own sandbox (bubblewrap and seccomp, or Landlock) is off with `--sandbox danger-full-access` (or `sandbox_mode = "danger-full-access"` in config.toml); ' +
      '`approval_policy = "never"` runs commands without asking (the default for `codex exec`). `--dangerously-bypass-approvals-and-sandbox` does both.',
  },
  {
    id: 'gemini-cli',
    title: 'Gemini CLI',
    pkg: AGENT_PACKAGES['gemini-cli'],
    command: ['gemini', '-p', TASK, '--yolo'],
    keyEnv: 'GEMINI_API_KEY',
    state: { dir: '~/.local/share/execgate/gemini', entries: [{ name: '.gemini', kind: 'dir' }] },
    dialect: gemini,
    stateFiles: (url) => ({
      '.gemini/settings.json': `${JSON.stringify(
        {
          security: { auth: { selectedType: 'gemini-api-key' }, folderTrust: { enabled: false } },
          privacy: { usageStatisticsEnabled: false },
          general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
          tools: { sandbox: false },
        },
        null,
        2,
      )}\n`,
      // Gemini CLI reads ~/.gemini/.env; with the variable in the
      // environment instead, it would pick the "gateway" auth and refuse.
      '.gemini/.env': `GOOGLE_GEMINI_BASE_URL=${url}\n`,
    }),
    // "Exit Code: N" only when it is not 0.
    reportedStatus: statusFrom(/^Exit Code: (\d+)$/m, true),
    shell:
      'Node; relaunches itself once (`node --max-old-space-size=N`), then `run_shell_command` runs `bash -c WRAPPED-CMD` (bash from PATH: /usr/bin/bash) with ' +
      'child_process.spawn, detached (its own session): Node closes no fd it inherited. node-pty is used instead in interactive mode.',
    ownSandbox:
      'Its own sandbox (docker, podman or macOS seatbelt) is off unless `--sandbox`, `GEMINI_SANDBOX` or `tools.sandbox` asks for it. `--yolo` runs tools without asking, ' +
      'but only in a trusted folder: `security.folderTrust.enabled: false` (or `GEMINI_CLI_TRUST_WORKSPACE=true`).',
  },
  {
    id: 'python-harness',
    title: 'A Python harness (Aider, OpenHands, SWE-agent style)',
    command: ['python3', 'harness.py'],
    stateFiles: () => ({}),
    reportedStatus: (text) => (JSON.parse(text) as { exit: number }).exit,
    shell:
      '`subprocess.run(cmd, shell=True)`: `/bin/sh -c CMD` with `close_fds=True` (the default), so every fd from 3 up is closed in the child. ' +
      '`test/fixtures/agents/harness.py` also has `--spawn argv` (`bash -c` from PATH), `user-shell` (`$SHELL -c`), `login` (the passwd shell, `-lc`, new session), ' +
      '`daemon` (double fork, setsid, closerange) and `tmux` (a pane of a tmux server started inside).',
    ownSandbox: 'None.',
  },
];

export function recipe(id: AgentRecipe['id']): AgentRecipe {
  const r = RECIPES.find((x) => x.id === id);
  if (!r) throw new Error(`no recipe ${id}`);
  return r;
}

/** A command line as the shell reads it; words with spaces in double
 * quotes where that needs no escapes, so that the recipe reads well inside
 * the single quotes of -c. */
function commandLine(words: string[]): string {
  return words.map((w) => (/^[^"$`\\!']*\s[^"$`\\!']*$/.test(w) ? `"${w}"` : shellQuote(w))).join(' ');
}

/** `execgate shell` flags, as a user types them: `~` and `$HOME` are theirs
 * (the shell expands `~` only at the start of a word, so not after the colon). */
export function recipeFlags(r: AgentRecipe): string[] {
  const flags = ['--sandbox', 'bwrap'];
  if (r.keyEnv) flags.push('--pass-env', r.keyEnv);
  for (const e of r.state?.entries ?? []) flags.push('--bind', `${r.state!.dir}/${e.name}:$HOME/${e.name}`);
  return flags;
}

/** The line the README and docs/agents.md show. */
export function recipeLine(r: AgentRecipe): string {
  return `execgate shell ${recipeFlags(r).join(' ')} -c ${shellQuote(commandLine(r.command))}`;
}

/** `~/...` and `$HOME` as the shell would expand them for `home`. */
function expandHome(word: string, home: string): string {
  return word.replace(/^~(?=\/)/, home).replaceAll('$HOME', home);
}

/** What a test runs for a recipe: the same flags with `home` as HOME, plus a
 * read-only bind of the test's install directory (or of the fixtures, for
 * the harness: the checkout may sit under HOME or /tmp, which the sandbox
 * hides); the same command with the program (and the harness file) at their
 * absolute paths, since the tests install into ~/.cache rather than onto PATH. */
export function recipeInvocation(r: AgentRecipe, home: string): { flags: string[]; script: string } {
  const flags = recipeFlags(r).map((f) => expandHome(f, home));
  flags.push('--ro-bind', r.pkg ? installDir(r.pkg) : fixturesDir);
  const command = r.command.map((w, i) => {
    if (i === 0 && r.pkg) return binPath(r.pkg);
    if (w === 'harness.py') return join(fixturesDir, w);
    return w;
  });
  return { flags, script: commandLine(command) };
}

/** Makes the recipe's state directory under `home`, as the doc's set-up
 * line does, and writes the agent's config files into it. */
export function writeStateFiles(r: AgentRecipe, home: string, url: string): void {
  if (!r.state) return;
  const dir = expandHome(r.state.dir, home);
  for (const e of r.state.entries) {
    if (e.kind === 'dir') mkdirSync(join(dir, e.name), { recursive: true });
    else writeFileSync(join(dir, e.name), '{}\n');
  }
  for (const [rel, text] of Object.entries(r.stateFiles(url))) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
}

/** The one-time set-up of a recipe's state directory, for the doc. */
function stateSetup(r: AgentRecipe): string | null {
  if (!r.state) return null;
  const { dir, entries } = r.state;
  return entries.map((e) => (e.kind === 'dir' ? `mkdir -p ${dir}/${e.name}` : `echo '{}' > ${dir}/${e.name}`)).join(' && ');
}

// ---- docs/agents.md: the generated recipe block ---------------------------

export const docPath = join(packageRoot, 'docs', 'agents.md');
const BEGIN = '<!-- recipes: generated from test/helpers/agents.ts; `npx tsx test/helpers/agents.ts --write` -->';
const END = '<!-- end of recipes -->';

export function renderRecipes(): string {
  const lines = [BEGIN, ''];
  for (const r of RECIPES) {
    const setup = stateSetup(r);
    lines.push(`### ${r.title}`, '', '```sh');
    if (setup) lines.push(`${setup}   # once`);
    lines.push(recipeLine(r), '```', '');
    const files = Object.entries(r.stateFiles('http://127.0.0.1:PORT'));
    if (files.length) {
      lines.push(
        `What the tests write into \`${r.state!.dir}\` (a user's files are the same without what points at the stand-in: its address, and for Codex its provider and model):`,
        '',
      );
      for (const [rel, text] of files) lines.push(`\`${rel}\`:`, '', '```', text.trimEnd(), '```', '');
    }
    lines.push(`- **Its shell:** ${r.shell}`, `- **Its own sandbox:** ${r.ownSandbox}`, '');
  }
  lines.push(END);
  return lines.join('\n');
}

/** The recipe block as docs/agents.md has it now. */
export function recipesInDoc(doc: string): string | null {
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  return a < 0 || b < a ? null : doc.slice(a, b + END.length);
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--write') {
  const doc = readFileSync(docPath, 'utf8');
  const old = recipesInDoc(doc);
  if (old === null) throw new Error(`${docPath}: no recipe block (${BEGIN} ... ${END})`);
  writeFileSync(docPath, doc.replace(old, renderRecipes()));
  console.log(`wrote the recipes into ${docPath}`);
}
