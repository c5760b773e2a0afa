// The published agent CLIs (and a Python harness), each run by its recipe
// inside `execgate shell --sandbox bwrap` against a stand-in of its model
// API. The stand-in's model calls the agent's own shell tool three times:
// a command a rule escalates (it reads a file only the host has), one a rule
// sends to a human (answered with `execgate approve --answer ID once`), and
// one a rule denies. What the agent sent back as tool results, and the audit
// log, say what happened.
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { RECIPES, recipeInvocation, writeStateFiles, type AgentRecipe } from '../helpers/agents.js';
import { removeVarTmpDirs, rule, startShell, tempDir, varTmpDir, type LiveShell, type PendingJson, type RunResult } from '../helpers/execgate.js';
import { startModelApi, type ModelApi } from '../helpers/model-api/server.js';

const PUSH_REASON = 'pushes go through the human, not the agent';


function filesUnder(dir: string): number {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).length;
}

/** A host HOME outside /tmp (which the sandbox replaces); removed after. */
const fakeHome = () => varTmpDir('eg-agent-home-');

/** Waits for the prompt; fails at once with what execgate said if the
 * shell ends first (a usage error, an agent that could not start), and
 * stops asking the broker then (each look is a Node start). */
async function promptOrExit(live: LiveShell): Promise<PendingJson> {
  const shell: { ended?: RunResult } = {};
  void live.done.then((r) => (shell.ended = r));
  const until = Date.now() + 120_000;
  for (;;) {
    const listed = await live.approve(['--list', '--json']);
    if (listed.code === 0) {
      const [p] = JSON.parse(listed.stdout.toString()) as PendingJson[];
      if (p) return p;
    }
    if (shell.ended) throw new Error(`the shell ended (status ${shell.ended.code}) before any prompt:\n${shown(shell.ended)}`);
    if (Date.now() > until) throw new Error(`no prompt after 120 s: ${listed.stdout}${listed.stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What went wrong, as far as the test can see: execgate's output and the
 * tool results the agent sent the stand-in. */
function shown(r: RunResult): string {
  const results = api ? `\n--- tool results the agent sent\n${api.toolResults().map((t) => t.output).join('\n---\n')}` : '';
  return `--- stdout\n${r.stdout.toString().slice(-3000)}\n--- stderr\n${r.stderr.slice(-3000)}${results}`;
}

let api: ModelApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
  removeVarTmpDirs();
});

describe.each(RECIPES)('$title in execgate shell --sandbox bwrap', (r: AgentRecipe) => {
  it('its shell tool escalates, asks a human, and is denied as the policy says', async () => {
    const home = fakeHome();
    const project = tempDir('eg-agent-project-');
    // Host-only: the sandbox has its own /tmp.
    const hostDir = tempDir('eg-agent-host-');
    const marker = `host-only-${randomBytes(6).toString('hex')}`;
    writeFileSync(join(hostDir, 'host-only.txt'), `${marker}\n`);
    const commands = [`cat ${hostDir}/host-only.txt`, `ls ${hostDir}`, 'git push origin main'];
    const policy =
      'approval_timeout = "2m"\n' +
      rule('host-cat', 'cat', 'escalate', `args = ["${hostDir}/host-only.txt"]`) +
      rule('ask-ls', 'ls', 'prompt', `args = ["${hostDir}"]`) +
      rule('no-push', 'git', 'deny', `args = ["push", "**"]\nreason = "${PUSH_REASON}"`);

    if (r.dialect) {
      api = await startModelApi(r.dialect, commands);
      writeStateFiles(r, home, api.url);
    }
    const written = r.state ? filesUnder(join(home, r.state.dir.slice(2))) : 0;
    const { flags, script } = recipeInvocation(r, home);
    const live = startShell(script, {
      policy,
      flags,
      cwd: project,
      env: { HOME: home, ...(r.keyEnv ? { [r.keyEnv]: 'sk-stand-in' } : {}) },
      // The Python harness reads its commands; the CLIs get an empty stdin.
      input: r.dialect ? '' : `${commands.join('\n')}\n`,
      timeoutMs: 170_000,
    });

    const pending = await promptOrExit(live);
    expect(pending.argv).toEqual(['ls', hostDir]);
    expect((await live.approve(['--answer', pending.id, 'once'])).code).toBe(0);
    const run = await live.done;

    const results = api ? api.toolResults().map((t) => t.output) : run.stdout.toString().split('\n').filter(Boolean);
    expect(results, `the agent's tool results\n${shown(run)}`).toHaveLength(3);
    const [escalated, prompted, denied] = results as [string, string, string];

    expect(escalated).toContain(marker);
    expect(r.reportedStatus(escalated)).toBe(0);
    expect(prompted).toContain('host-only.txt');
    expect(r.reportedStatus(prompted)).toBe(0);
    expect(denied).toContain(`execgate: denied: git: ${PUSH_REASON}`);
    expect(r.reportedStatus(denied)).toBe(126);

    const decision = (by: string) => run.audit.find((a) => a.event === 'decision' && a.decided_by === by);
    const completionOf = (d: Record<string, unknown> | undefined) => run.audit.find((a) => a.event === 'completion' && a.request === d?.request);
    const cat = decision('rule:host-cat');
    expect(cat).toMatchObject({ decision: 'escalate', argv: ['cat', `${hostDir}/host-only.txt`], host_cwd: project });
    expect(completionOf(cat)).toMatchObject({ outcome: 'exited', exit_code: 0 });
    const ls = decision('rule:ask-ls');
    expect(ls).toMatchObject({ decision: 'prompt', argv: ['ls', hostDir] });
    expect(completionOf(ls)).toMatchObject({ outcome: 'exited', exit_code: 0, decided_by: 'human:terminal' });
    expect(decision('rule:no-push')).toMatchObject({ decision: 'deny', argv: ['git', 'push', 'origin', 'main'] });

    // The agent kept its state in the recipe's own directory, and never
    // reached the host's own config (~/.claude and the like).
    if (r.state) {
      for (const e of r.state.entries) expect(existsSync(join(home, e.name)), `~/${e.name} on the host`).toBe(false);
      expect(filesUnder(join(home, r.state.dir.slice(2)))).toBeGreaterThan(written);
    }
  }, 180_000);
});
