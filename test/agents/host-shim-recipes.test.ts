// execgate as the agent's shell on the host: each harness of the host-shim
// table (test/helpers/agents.ts) runs on the host, pointed at the shim by
// its recipe, against a running `execgate serve` with the recipe's flags.
// The real CLIs talk to a stand-in of their model API, which calls the shell
// tool once per command; the stand-in harnesses read their commands on
// stdin. A command a rule escalates (it reads a file only the host has), one
// a rule sends to a human (answered with `execgate approve --answer ID once`
// against serve's socket), one a rule denies; then what the recipe says the
// sandbox can or cannot do to the host. The tool results and serve's audit
// log say what happened.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HOST_SHIM_RECIPES, hostShimInvocation, makeProtectedPaths, recipe, type HostShimRecipe } from '../helpers/agents.js';
import { cliPath, removeVarTmpDirs, rule, tempDir, varTmpDir, type PendingJson } from '../helpers/execgate.js';
import { startModelApi, type ModelApi } from '../helpers/model-api/server.js';
import { serve, type Served } from '../helpers/serve.js';
import { waitFor } from '../helpers/wait.js';
import { runCollecting, type Ran } from '../helpers/run.js';

const PUSH_REASON = 'pushes go through the human, not the agent';

let api: ModelApi | undefined;
let served: Served | undefined;
afterEach(async () => {
  await api?.close();
  await served?.stop();
  api = served = undefined;
  removeVarTmpDirs();
});

/** A host HOME outside /tmp (which the sandbox replaces); removed after. */
const fakeHome = () => varTmpDir('eg-host-home-');

function execgate(args: string[], env: NodeJS.ProcessEnv): Promise<Ran> {
  return runCollecting(process.execPath, [cliPath, ...args], { env });
}

interface Harness {
  done: Promise<Ran>;
  ended: boolean;
}

function startHarness(argv: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; input: string }): Harness {
  const h: Harness = { ended: false, done: Promise.resolve({ code: null, stdout: '', stderr: '' }) };
  h.done = runCollecting(argv[0]!, argv.slice(1), { cwd: opts.cwd, env: opts.env, input: opts.input, timeoutMs: 160_000 }).then((r) => {
    h.ended = true;
    return r;
  });
  return h;
}

/** Waits for serve's one prompt; fails at once if the harness ends first. */
async function prompted(h: Harness, env: NodeJS.ProcessEnv, what: () => string): Promise<PendingJson> {
  const until = Date.now() + 120_000;
  for (;;) {
    const listed = await execgate(['approve', '--list', '--json'], env);
    if (listed.code === 0) {
      const [p] = JSON.parse(listed.stdout) as PendingJson[];
      if (p) return p;
    }
    if (h.ended) throw new Error(`the harness ended before any prompt:\n${what()}`);
    if (Date.now() > until) throw new Error(`no prompt after 120 s: ${listed.stdout}${listed.stderr}\n${what()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What each protected path holds on the host: listings and contents. */
function snapshotOf(project: string, r: HostShimRecipe): string {
  return JSON.stringify(
    r.protect.map((p) => {
      const path = join(project, p.path);
      return p.kind === 'dir' ? readdirSync(path, { recursive: true }) : readFileSync(path, 'utf8');
    }),
  );
}

/** One command that tries to write each protected path, from the project:
 * through python, as an agent would to get past a harness's own checks of
 * shell redirections (Claude Code asks before `> .claude/...`). One line:
 * the stand-ins read one command a line. */
function plantCommand(r: HostShimRecipe): string {
  const targets = r.protect.map((p) => (p.kind === 'dir' ? `${p.path}/planted.json` : p.path));
  return `for p in ${targets.join(' ')}; do python3 -c 'import sys; open(sys.argv[1], "a").write("planted")' "$p" 2>&1 | tail -n 1; done`;
}

describe.each(HOST_SHIM_RECIPES)('$title on the host, its shell the shim', (r: HostShimRecipe) => {
  it('escalates, asks a human and is denied as the policy says; the sandbox is what the recipe says', async () => {
    const home = fakeHome();
    const project = tempDir('eg-host-project-');
    // Host-only: the sandbox has its own /tmp.
    const hostDir = tempDir('eg-host-only-');
    const marker = `host-only-${randomBytes(6).toString('hex')}`;
    writeFileSync(join(hostDir, 'host-only.txt'), `${marker}\n`);

    // bwrap: the agent tries to plant what the harness would run on the host.
    // none: it writes the host's HOME, and a shell of the host's runs what it is given, unseen.
    const extra = r.sandbox === 'bwrap' ? [plantCommand(r)] : [`echo planted > ${home}/planted-by-agent`, `/bin/sh -c 'ls ${hostDir}'`];
    const commands = [`cat ${hostDir}/host-only.txt`, `ls ${hostDir}`, 'git push origin main', ...extra];
    const policy =
      'approval_timeout = "2m"\n' +
      rule('host-cat', 'cat', 'escalate', `args = ["${hostDir}/host-only.txt"]`) +
      rule('ask-ls', 'ls', 'prompt', `args = ["${hostDir}"]`) +
      rule('no-push', 'git', 'deny', `args = ["push", "**"]\nreason = "${PUSH_REASON}"`);

    const agent = r.agent ? recipe(r.agent) : undefined;
    if (agent?.dialect) {
      api = await startModelApi(agent.dialect, commands);
      // On the host the agent's config is the user's own: in HOME.
      for (const [rel, text] of Object.entries(agent.stateFiles(api.url))) {
        mkdirSync(dirname(join(home, rel)), { recursive: true });
        writeFileSync(join(home, rel), text);
      }
    }
    for (const [rel, text] of Object.entries(r.projectFiles?.(api!.url) ?? {})) writeFileSync(join(project, rel), text);
    makeProtectedPaths(r, project);
    const before = snapshotOf(project, r);
    const shim = await execgate(['shim-path'], process.env);
    expect(shim.code, shim.stderr).toBe(0);
    const baseEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH, HOME: home, LANG: 'C.UTF-8' };
    const { serveFlags, argv, shellEnv } = hostShimInvocation(r, project, shim.stdout.trim(), baseEnv);
    served = await serve(policy, { flags: serveFlags, env: { HOME: home } });
    const s = served;
    const approveEnv = { ...process.env, XDG_RUNTIME_DIR: s.runtimeDir };

    const env: NodeJS.ProcessEnv = {
      ...baseEnv,
      ...(agent?.keyEnv ? { [agent.keyEnv]: 'sk-stand-in' } : {}),
      EXECGATE_BROKER: s.socket,
      EXECGATE_LABEL: r.label,
      ...shellEnv,
    };
    const h = startHarness(argv, { cwd: project, env, input: agent ? '' : `${commands.join('\n')}\n` });
    let ran: Awaited<Harness['done']> | undefined;
    void h.done.then((x) => (ran = x));
    const shown = () =>
      `--- harness stdout\n${ran?.stdout.slice(-3000) ?? ''}\n--- harness stderr\n${ran?.stderr.slice(-3000) ?? ''}\n--- serve\n${s.stderr().slice(-3000)}` +
      (api ? `\n--- tool results\n${api.toolResults().map((t) => t.output).join('\n---\n')}` : '');

    const pending = await prompted(h, approveEnv, shown);
    expect(pending.argv).toEqual(['ls', hostDir]);
    expect(pending.label).toBe(r.label);
    expect((await execgate(['approve', '--answer', pending.id, 'once'], approveEnv)).code).toBe(0);
    ran = await h.done;

    const results = api ? api.toolResults().map((t) => t.output) : ran.stdout.split('\n').filter((l) => l.startsWith('{'));
    expect(results, `the harness's tool results\n${shown()}`).toHaveLength(commands.length);
    const [escalated, asked, denied, ...rest] = results as [string, string, string, ...string[]];
    expect(escalated).toContain(marker);
    expect(r.reportedStatus(escalated)).toBe(0);
    expect(asked).toContain('host-only.txt');
    expect(r.reportedStatus(asked)).toBe(0);
    expect(denied).toContain(`execgate: denied: git: ${PUSH_REASON}`);
    expect(r.reportedStatus(denied)).toBe(126);

    if (r.sandbox === 'bwrap') {
      // Every protected path refused the write; the host's copies are as they were.
      const [planted] = rest as [string];
      expect(planted.match(/Read-only file system/g), planted).toHaveLength(r.protect.length);
      expect(snapshotOf(project, r)).toBe(before);
    } else {
      // Not contained: the agent wrote the host's HOME, and the host's sh ran
      // ls without a prompt (the policy's one prompt was the one answered).
      const [wrote, nested] = rest as [string, string];
      expect(r.reportedStatus(wrote)).toBe(0);
      expect(readFileSync(join(home, 'planted-by-agent'), 'utf8')).toBe('planted\n');
      expect(nested).toContain('host-only.txt');
      expect(r.reportedStatus(nested)).toBe(0);
    }

    // serve's audit log: each decision, under the recipe's label.
    const decision = (by: string) => s.records().find((a) => a.event === 'decision' && a.decided_by === by);
    const completionOf = (d: Record<string, unknown> | undefined) => s.records().find((a) => a.event === 'completion' && a.request === d?.request);
    // Written as they come (a denial the wrapper made from its run table
    // arrives as a record of its own): wait for all three.
    await waitFor(() => ['rule:host-cat', 'rule:ask-ls'].every((by) => completionOf(decision(by)) !== undefined) && decision('rule:no-push') !== undefined, {
      what: 'the audit log to record the three decisions',
    });
    const cat = decision('rule:host-cat');
    expect(cat).toMatchObject({ decision: 'escalate', argv: ['cat', `${hostDir}/host-only.txt`], host_cwd: project, label: r.label });
    expect(completionOf(cat)).toMatchObject({ outcome: 'exited', exit_code: 0 });
    const ls = decision('rule:ask-ls');
    expect(ls).toMatchObject({ decision: 'prompt', argv: ['ls', hostDir], label: r.label });
    expect(completionOf(ls)).toMatchObject({ outcome: 'exited', exit_code: 0 });
    expect(decision('rule:no-push')).toMatchObject({ decision: 'deny', argv: ['git', 'push', 'origin', 'main'], label: r.label });
    expect(s.records().filter((a) => a.event === 'decision' && a.decided_by === 'rule:ask-ls')).toHaveLength(1);

    if (r.id === 'claude-code' && r.sandbox === 'bwrap') {
      // Its shell snapshot was never made where the host would read it: the
      // snapshot script ran in the sandbox, whose HOME is empty.
      const snapshots = join(home, '.claude', 'shell-snapshots');
      expect(existsSync(snapshots) ? readdirSync(snapshots) : []).toEqual([]);
    }
  }, 180_000);
});
