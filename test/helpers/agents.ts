// The recipes: how each agent runs inside `execgate shell --sandbox bwrap`,
// in one table that the tests run and docs/agents.md shows (the doc's
// recipe block is generated from this table and checked against it, so the
// two cannot drift). Run this file with --write to regenerate the block:
//   npx tsx test/helpers/agents.ts --write
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
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

// ---- execgate as the agent's shell on the host ------------------------------
// The other way round: the harness runs on the host and only its shell tool
// is mediated. Each shell it starts is the shim (`execgate shim-path`), which
// asks a running `execgate serve` for a session and becomes that session's
// shell, sandboxed as serve's own flags say. The tests run these recipes
// (test/agents/host-shim*.test.ts) and docs/agents.md shows them (a second
// generated block).

/** A path in the project that the harness, on the host, reads and acts on
 * (hooks, MCP servers, plugins, env files). The sandboxed shell can write
 * the project, and what it planted there would run on the host, unsandboxed,
 * the next time the harness started: serve binds these read-only into every
 * sandbox. bwrap binds only what exists, so the recipe makes them first. */
export interface HarnessConfigPath {
  /** Relative to the project. */
  path: string;
  kind: 'dir' | 'file';
  /** A file's content when the recipe makes it: "nothing configured". */
  empty?: string;
}

export interface HostShimRecipe {
  id: 'claude-code' | 'gemini-cli' | 'aider-style' | 'opencode-style' | 'sandbox-none';
  title: string;
  /** The in-sandbox recipe whose package, dialect, config files (written into
   * HOME on the host here) and tool-result format this one shares. */
  agent?: AgentRecipe['id'];
  /** serve's sandbox for shells that do not say (the shim never says). */
  sandbox: 'bwrap' | 'none';
  /** How the harness finds its shell: the variable it reads and the value,
   * `$SHIM` standing for `$(execgate shim-path)`. */
  shellVar: 'CLAUDE_CODE_SHELL' | 'SHELL' | 'PATH';
  shellValue: string;
  /** What serve binds read-only (sandbox bwrap only). */
  protect: HarnessConfigPath[];
  /** What the tests write into the project beyond the recipe: where the
   * harness must find the stand-in's address once the recipe's files shadow
   * its own (`url`). */
  projectFiles?(url: string): Record<string, string>;
  /** The harness's command line on the host as the tests run it (a fixture
   * file by name), and as the doc shows it when that differs (the real
   * harness a stand-in stands for). */
  command: string[];
  docCommand?: string[];
  /** EXECGATE_LABEL: what the prompts and the audit log call its sessions. */
  label: string;
  /** The exit status as the harness reports it in a tool result. */
  reportedStatus(toolResult: string): number | null;
  /** For docs/agents.md: how it starts its shell, what the shim changes. */
  shell: string;
  /** Where its protected paths come from, and what else to know. */
  notes: string;
}

const jsonExit = (text: string): number | null => (JSON.parse(text) as { exit: number | null }).exit;

export const HOST_SHIM_RECIPES: HostShimRecipe[] = [
  {
    id: 'claude-code',
    title: 'Claude Code',
    agent: 'claude-code',
    sandbox: 'bwrap',
    shellVar: 'CLAUDE_CODE_SHELL',
    shellValue: '$SHIM/bash',
    protect: [
      { path: '.claude', kind: 'dir' },
      { path: '.mcp.json', kind: 'file', empty: '{}' },
    ],
    command: ['claude', '-p', TASK, '--allowedTools', 'Bash'],
    label: 'claude-code',
    reportedStatus: statusFrom(/^(?:\[is_error\] )?Exit code (\d+)$/m, true),
    shell:
      'Takes `$CLAUDE_CODE_SHELL` if its path contains `bash` or `zsh` and is executable. At start `SHELL -c env` (the environment probe) and ' +
      "`SHELL -c -l SNAPSHOT-SCRIPT`, which writes `~/.claude/shell-snapshots/snapshot-bash-*.sh`; then per command `SHELL -c 'source SNAPSHOT && eval CMD < /dev/null && pwd -P >| /tmp/claude-ID-cwd'`, " +
      'its own process group, stdout and stderr into a file under /tmp/claude-UID. Under the shim each of these is a session of its own. ' +
      'The snapshot script runs in the sandbox, where `~/.claude` does not exist (HOME is empty): it fails, Claude Code finds no snapshot on the host ' +
      "and runs every command as `SHELL -c -l 'CMD'` instead (\"falling back to login shell\"), execgate's /etc/profile putting `/.execgate/bin` first on PATH. " +
      'The cwd file lands in the sandbox\'s own /tmp, so a `cd` does not carry over to the next command.',
    notes:
      'Claude Code runs, unsandboxed and without asking in `-p` mode, the hooks, `apiKeyHelper` and status line of `.claude/settings.json` and `.claude/settings.local.json`, ' +
      "and the MCP servers of `.mcp.json` (checked by hand with 2.1.332: a hook in each settings file, an MCP server and an `apiKeyHelper` each ran on the host at the next `claude -p`). " +
      '`{}` is an empty `.mcp.json` to it. Its own checks ask before a Bash command that redirects into `.claude/`; the read-only bind holds whatever the command.',
  },
  {
    id: 'gemini-cli',
    title: 'Gemini CLI',
    agent: 'gemini-cli',
    sandbox: 'bwrap',
    shellVar: 'PATH',
    shellValue: '$SHIM:$PATH',
    protect: [
      { path: '.gemini', kind: 'dir' },
      { path: '.env', kind: 'file', empty: '' },
    ],
    // Gemini CLI reads the first .env it finds, the project's before
    // ~/.gemini/.env: the recipe's .env shadows the one agentState wrote.
    projectFiles: (url) => ({ '.env': `GOOGLE_GEMINI_BASE_URL=${url}\n` }),
    command: ['gemini', '-p', TASK, '--yolo'],
    label: 'gemini-cli',
    reportedStatus: statusFrom(/^Exit Code: (\d+)$/m, true),
    shell:
      "`run_shell_command` runs `bash -c WRAPPED-CMD` with `bash` looked up on PATH (neither `$SHELL` nor a fixed path: checked), so the shim's directory goes first on PATH " +
      '(the shim takes it off again for the shell it starts). The wrapped command writes its background pids to `/tmp/gemini-shell-*/bgpids.tmp` on exit, ' +
      'which is in the sandbox\'s own /tmp: every tool result ends with `bash: line 1: /tmp/gemini-shell-*/bgpids.tmp: No such file or directory` (the status is unchanged) ' +
      'and Gemini CLI logs "missing background pid output". Sharing that directory would let the sandbox name host pids for it to act on: not done.',
    notes:
      'Gemini CLI starts the MCP servers of `.gemini/settings.json` in the project (checked by hand with 0.61.0: one planted there ran on the host) and loads the first `.env` it finds, ' +
      'looking from the working directory up before `~/.gemini/.env`, into its own environment: its API endpoint, among others. ' +
      'So the recipe\'s empty `.env` shadows `~/.gemini/.env` (the test puts the stand-in\'s address into the project\'s `.env` for that reason): keep `GEMINI_API_KEY` in the environment, ' +
      'never in a file of the project, which the sandbox reads. ' +
      'Checked in `-p` mode; interactive mode runs the shell on a pty (node-pty), looked up the same way.',
  },
  {
    id: 'aider-style',
    title: 'An Aider-style harness ($SHELL -c)',
    sandbox: 'bwrap',
    shellVar: 'SHELL',
    shellValue: '$SHIM/bash',
    protect: [
      { path: '.aider.conf.yml', kind: 'file', empty: '' },
      { path: '.env', kind: 'file', empty: '' },
    ],
    command: ['python3', 'aider-style.py'],
    docCommand: ['aider'],
    label: 'aider',
    reportedStatus: jsonExit,
    shell:
      "Aider's `run_cmd` (aider/run_cmd.py): `subprocess.Popen(cmd, shell=True, executable=$SHELL)`, argv `[$SHELL, \"-c\", cmd]`, stdout and stderr together; " +
      'with a terminal `pexpect.spawn($SHELL, [\"-c\", cmd])` on a pty, the same argv. `test/fixtures/agents/aider-style.py` does the former.',
    notes:
      'Aider reads `.aider.conf.yml` and `.env` from the git root and the working directory (as well as HOME): options, commands it runs (`lint-cmd`, `test-cmd`) ' +
      'and environment variables for itself and everything it starts (`set-env`, and every line of `.env`: `SHELL` and `EXECGATE_BROKER` as well as any other). ' +
      'Those paths are from its documentation: the tests run the stand-in, not Aider.',
  },
  {
    id: 'opencode-style',
    title: 'An opencode-style harness (spawn with shell: $SHELL)',
    sandbox: 'bwrap',
    shellVar: 'SHELL',
    shellValue: '$SHIM/bash',
    protect: [
      { path: '.opencode', kind: 'dir' },
      { path: 'opencode.json', kind: 'file', empty: '{}' },
    ],
    command: ['node', 'opencode-style.mjs'],
    docCommand: ['opencode'],
    label: 'opencode',
    reportedStatus: jsonExit,
    shell:
      "opencode's bash tool (packages/opencode/src/tool/bash.ts): `child_process.spawn(command, { shell })` with `$SHELL` (unless fish or nu), argv `[$SHELL, '-c', command]`, " +
      'detached (its own process group, which it signals on a timeout), stdin ignored. `test/fixtures/agents/opencode-style.mjs` does the same.',
    notes:
      "opencode loads plugins (JavaScript, run in its own process) and commands from `.opencode/`, and MCP servers from `opencode.json` (or `opencode.jsonc`: protect it likewise if you use it). " +
      'Those paths are from its documentation: the tests run the stand-in, not opencode.',
  },
  {
    id: 'sandbox-none',
    title: 'With `--sandbox none`',
    sandbox: 'none',
    shellVar: 'SHELL',
    shellValue: '$SHIM/bash',
    protect: [],
    command: ['python3', 'aider-style.py'],
    docCommand: ['aider'],
    label: 'aider',
    reportedStatus: jsonExit,
    shell:
      'The same shim; serve starts the patched bash on the host, unconfined, with the harness\'s whole environment (API keys included). Every program that shell starts is decided by the policy; ' +
      'a shell it starts by a path of its own (`/bin/sh -c`, the host\'s dash) is the host\'s, and what that runs is not seen. ' +
      'It can write everything you can: the project, `~/.claude`, `~/.bashrc`, the harness\'s config. Claude Code can be pointed at it the same way (not run here: its snapshot is then made and sourced on the host).',
    notes: 'Nothing to bind read-only: nothing is contained. Use it where the policy alone is the point (a human answering for `git push` and the like), never to contain an agent.',
  },
];

/** Harnesses that cannot be pointed at the shim. */
export const HOST_SHIM_UNREACHABLE: { title: string; why: string }[] = [
  {
    title: 'Codex CLI',
    why:
      'It runs every command as `PW_SHELL -lc CMD`, `PW_SHELL` being the shell of the password database (`/bin/bash` for most users): ' +
      'neither `$SHELL` nor `PATH` changes it (checked: with the shim as `$SHELL` and first on PATH, commands still ran in `/bin/bash` on the host). ' +
      "Mediate it from inside (`execgate shell --sandbox bwrap -c 'codex ...'`, the recipe above) or through `execgate mcp`.",
  },
];

export function hostShimRecipe(id: HostShimRecipe['id']): HostShimRecipe {
  const r = HOST_SHIM_RECIPES.find((x) => x.id === id);
  if (!r) throw new Error(`no host-shim recipe ${id}`);
  return r;
}

/** Where serve writes its control socket's path in the recipes: under HOME,
 * which the sandbox never sees; never in the project, where the sandbox
 * could put a path to a socket of its own. */
export const BROKER_PATH_FILE = '~/.execgate-broker';

/** serve's flags as a user types them, in the project directory. */
export function hostShimServeFlags(r: HostShimRecipe): string[] {
  const flags = ['--sandbox', r.sandbox];
  if (r.sandbox === 'bwrap') flags.push('--project', '.');
  for (const p of r.protect) flags.push('--ro-bind', p.path);
  return flags;
}

/** The one-time set-up in the project: the protected paths made. */
export function hostShimSetup(r: HostShimRecipe): string | null {
  if (r.protect.length === 0) return null;
  return r.protect
    .map((p) => (p.kind === 'dir' ? `mkdir -p ${p.path}` : p.empty ? `{ [ -e ${p.path} ] || echo '${p.empty}' > ${p.path}; }` : `touch ${p.path}`))
    .join(' && ');
}

/** The harness's command line as the doc shows it: the shim in the variable
 * it reads, serve named by EXECGATE_BROKER, a label for the prompts. */
export function hostShimAgentLine(r: HostShimRecipe): string {
  const value = r.shellValue.replace('$SHIM', '$(execgate shim-path)');
  return `EXECGATE_BROKER=$(cat ${BROKER_PATH_FILE}) EXECGATE_LABEL=${r.label} ${r.shellVar}=${value} ${commandLine(r.docCommand ?? r.command)}`;
}

/** Makes the protected paths in `project`, as hostShimSetup says. */
export function makeProtectedPaths(r: HostShimRecipe, project: string): void {
  for (const p of r.protect) {
    const path = join(project, p.path);
    if (p.kind === 'dir') mkdirSync(path, { recursive: true });
    else if (!existsSync(path)) writeFileSync(path, p.empty ? `${p.empty}\n` : '');
  }
}

/** What a test runs for a recipe: serve's flags with the project's absolute
 * paths; the harness's argv (the program at its install, a fixture at its
 * path) and the shim in its variable, `shim` being what `execgate shim-path`
 * printed. */
export function hostShimInvocation(r: HostShimRecipe, project: string, shim: string, env: NodeJS.ProcessEnv): { serveFlags: string[]; argv: string[]; shellEnv: Record<string, string> } {
  const serveFlags = hostShimServeFlags(r).map((f) => (f === '.' ? project : r.protect.some((p) => p.path === f) ? join(project, f) : f));
  const pkg = r.agent ? recipe(r.agent).pkg : undefined;
  const argv = r.command.map((w, i) => {
    if (i === 0 && pkg) return binPath(pkg);
    if (/\.(py|mjs)$/.test(w)) return join(fixturesDir, w);
    return w;
  });
  const value = r.shellValue.replace('$SHIM', shim).replace('$PATH', env.PATH ?? '/usr/bin:/bin');
  return { serveFlags, argv, shellEnv: { [r.shellVar]: value } };
}

export function renderHostShim(): string {
  const lines = [HOST_BEGIN, ''];
  for (const r of HOST_SHIM_RECIPES) {
    lines.push(`### ${r.title}`, '', '```sh');
    const setup = hostShimSetup(r);
    if (setup) lines.push(`${setup}   # once, in the project`);
    lines.push(`execgate serve ${hostShimServeFlags(r).join(' ')} --write-socket-path-to ${BROKER_PATH_FILE}   # in the project, a terminal of its own: it prompts there`);
    lines.push(`${hostShimAgentLine(r)}   # in the project, another terminal`, '```', '');
    if (r.protect.length) lines.push(`- **Read-only for the sandbox:** ${r.protect.map((p) => `\`${p.path}${p.kind === 'dir' ? '/' : ''}\``).join(', ')}. ${r.notes}`);
    else lines.push(`- **Read-only for the sandbox:** nothing. ${r.notes}`);
    lines.push(`- **Its shell:** ${r.shell}`, '');
  }
  lines.push('### Not reachable this way', '');
  for (const u of HOST_SHIM_UNREACHABLE) lines.push(`- **${u.title}.** ${u.why}`);
  lines.push('', HOST_END);
  return lines.join('\n');
}

const HOST_BEGIN = '<!-- host-shim recipes: generated from test/helpers/agents.ts; `npx tsx test/helpers/agents.ts --write` -->';
const HOST_END = '<!-- end of host-shim recipes -->';

/** The host-shim block as docs/agents.md has it now. */
export function hostShimInDoc(doc: string): string | null {
  const a = doc.indexOf(HOST_BEGIN);
  const b = doc.indexOf(HOST_END);
  return a < 0 || b < a ? null : doc.slice(a, b + HOST_END.length);
}

// ---- npx tsx test/helpers/agents.ts --write --------------------------------

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === '--write') {
  let doc = readFileSync(docPath, 'utf8');
  for (const [what, inDoc, render] of [
    ['recipe', recipesInDoc, renderRecipes],
    ['host-shim recipe', hostShimInDoc, renderHostShim],
  ] as const) {
    const old = inDoc(doc);
    if (old === null) throw new Error(`${docPath}: no ${what} block`);
    doc = doc.replace(old, render());
  }
  writeFileSync(docPath, doc);
  console.log(`wrote the recipes into ${docPath}`);
}
