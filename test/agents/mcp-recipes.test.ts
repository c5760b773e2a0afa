// Each agent CLI by its docs/mcp.md recipe, with `execgate mcp --sandbox
// bwrap` as its only shell (its own shell tool turned off), against a
// stand-in of its model API whose model calls the MCP shell tool three
// times: a command a rule escalates (it reads a file only the host has),
// one a rule sends to a human (answered with `execgate approve`: all three
// run headless), one a rule denies. And the doc shows exactly these recipes.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { packageRoot } from '../../src/native/paths.js';
import { binPath } from '../helpers/agents-install.js';
import { cliPath, removeVarTmpDirs, rule, tempDir, varTmpDir as varTmp, type PendingJson } from '../helpers/execgate.js';
import { BEGIN, END, MCP_RECIPES, renderMcpRecipes, type McpRecipe } from '../helpers/mcp-recipes.js';
import { startModelApi, type ModelApi } from '../helpers/model-api/server.js';
import { waitFor } from '../helpers/wait.js';
import { runCollecting } from '../helpers/run.js';

const PUSH_REASON = 'pushes go through the human, not the agent';

let api: ModelApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
  removeVarTmpDirs();
});



describe.each(MCP_RECIPES)('$title with execgate mcp as its shell', (r: McpRecipe) => {
  it('escalates, asks a human, and is denied with the rule named', async () => {
    const home = varTmp('eg-mcp-agent-home-');
    const etc = varTmp('eg-mcp-agent-etc-');
    const project = tempDir('eg-mcp-agent-proj-');
    const hostDir = tempDir('eg-mcp-agent-host-');
    const runtimeDir = tempDir('eg-xdg-');
    const marker = `host-only-${randomBytes(6).toString('hex')}`;
    writeFileSync(join(hostDir, 'host-only.txt'), `${marker}\n`);
    const policy = join(etc, 'policy.toml');
    writeFileSync(
      policy,
      'approval_timeout = "2m"\n' +
        rule('host-cat', 'cat', 'escalate', `args = ["${hostDir}/host-only.txt"]`) +
        rule('ask-ls', 'ls', 'prompt', `args = ["${hostDir}"]`) +
        rule('no-push', 'git', 'deny', `args = ["push", "**"]\nreason = "${PUSH_REASON}"`),
    );
    const audit = join(etc, 'audit.jsonl');
    api = await startModelApi(r.dialect, [`cat ${hostDir}/host-only.txt`, `ls ${hostDir}`, 'git push origin main']);
    const server = { command: process.execPath, args: [cliPath, 'mcp', '--sandbox', 'bwrap', '--policy', policy, '--audit', audit] };
    for (const [rel, text] of Object.entries(r.files(server, api.url))) {
      mkdirSync(dirname(join(home, rel)), { recursive: true });
      writeFileSync(join(home, rel), text);
    }
    const env = { ...process.env, HOME: home, [r.keyEnv]: 'sk-stand-in', XDG_RUNTIME_DIR: runtimeDir, TMUX: '', TMUX_PANE: '' };
    const args = r.command.slice(1).map((w) => (w === 'TASK' ? 'Run the commands the task needs.' : w.startsWith('~/') ? join(home, w.slice(2)) : w));
    const agent = runCollecting(binPath(r.pkg), args, { cwd: project, env, timeoutMs: 170_000 });
    const ended: { r?: { code: number | null; stdout: string; stderr: string } } = {};
    void agent.then((x) => (ended.r = x));

    // The human, in another terminal.
    let pending: PendingJson | undefined;
    await waitFor(
      async () => {
        if (ended.r) throw new Error(`${r.title} ended (status ${ended.r.code}) before any prompt:\n${ended.r.stdout.slice(-2000)}\n${ended.r.stderr.slice(-3000)}\n${api!.toolResults().map((t) => t.output).join('\n---\n')}`);
        const listed = await runCollecting(process.execPath, [cliPath, 'approve', '--list', '--json'], { env, timeoutMs: 30_000 });
        pending = listed.code === 0 ? (JSON.parse(listed.stdout) as PendingJson[])[0] : undefined;
        return pending !== undefined;
      },
      { what: 'the prompt', timeoutMs: 150_000, everyMs: 250 },
    );
    expect(pending!.argv).toEqual(['ls', hostDir]);
    expect((await runCollecting(process.execPath, [cliPath, 'approve', '--answer', pending!.id, 'once'], { env, timeoutMs: 30_000 })).code).toBe(0);
    const done = await agent;

    const results = api.toolResults().map((t) => t.output);
    expect(results, `tool results\n${results.join('\n---\n')}\n--- stdout\n${done.stdout.slice(-2000)}\n--- stderr\n${done.stderr.slice(-3000)}`).toHaveLength(3);
    const [escalated, prompted, denied] = results as [string, string, string];
    expect(escalated).toContain(marker);
    expect(escalated).toContain(`ran on the host (rule "host-cat"): cat ${hostDir}/host-only.txt: exit code 0`);
    expect(prompted).toContain('host-only.txt');
    expect(prompted).toContain(`asked a human (rule "ask-ls"): ls ${hostDir}: approved by human:terminal, exit code 0`);
    expect(denied).toContain(`execgate: denied: git: ${PUSH_REASON}`);
    expect(denied).toContain(`denied: git push origin main: rule "no-push" says: ${PUSH_REASON}.`);
    const records = () => (existsSync(audit) ? readFileSync(audit, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>) : []);
    // The server writes its audit log behind the results.
    await waitFor(() => records().some((a) => a.event === 'completion' && a.decided_by === 'human:terminal'), { what: 'the audit of the answer' });
    expect(records().find((a) => a.event === 'completion' && a.decided_by === 'human:terminal')).toMatchObject({ outcome: 'exited', exit_code: 0 });
  }, 180_000);
});

it('docs/mcp.md shows exactly these recipes', () => {
  const doc = readFileSync(join(packageRoot, 'docs', 'mcp.md'), 'utf8');
  const a = doc.indexOf(BEGIN);
  const b = doc.indexOf(END);
  expect(a, 'docs/mcp.md has the recipe block').toBeGreaterThanOrEqual(0);
  expect(doc.slice(a, b + END.length)).toBe(renderMcpRecipes());
});
