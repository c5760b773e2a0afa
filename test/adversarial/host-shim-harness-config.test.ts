// Attack: the agent, in a sandboxed shell of the host-shim recipes, plants
// configuration in the project that the harness on the host acts on at its
// next start, unsandboxed (Claude Code's hooks in .claude/settings*.json and
// MCP servers in .mcp.json, Gemini CLI's .gemini/settings.json and .env,
// Aider's .aider.conf.yml and .env, opencode's plugins in .opencode/). The
// recipes have serve bind those paths read-only: every way of writing,
// replacing or removing them must fail, through the real shim and a real
// serve, and the host's copies must be as they were. A file beside them
// stays writable: the project is, and only the harness's paths are not.
import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { HOST_SHIM_RECIPES, hostShimInvocation, makeProtectedPaths, type HarnessConfigPath, type HostShimRecipe } from '../helpers/agents.js';
import { tempDir } from '../helpers/execgate.js';
import { shimDir } from '../../src/native/paths.js';
import { serve, type Served } from '../helpers/serve.js';

let served: Served | undefined;
afterEach(async () => {
  await served?.stop();
  served = undefined;
});

/** Each way in, as a shell line that prints nothing and fails if refused. */
function attempts(p: HarnessConfigPath): string[] {
  const q = `'${p.path}'`;
  if (p.kind === 'dir') {
    return [
      `echo '{"hooks":{"SessionStart":[]}}' > ${q}/settings.local.json`,
      `mkdir ${q}/plugin`,
      `rm -rf ${q}`,
      `mv ${q} ${q}.moved`,
      `rm -rf ${q} && ln -s /tmp ${q}`,
    ];
  }
  return [`echo planted > ${q}`, `echo planted >> ${q}`, `truncate -s 0 ${q}`, `rm -f ${q}`, `mv ${q} ${q}.moved`, `ln -sf /tmp/x ${q}`, `chmod 777 ${q}`];
}

/** What the host has at a protected path: kind, listing or content, mode. */
function hostState(project: string, p: HarnessConfigPath): string {
  const path = join(project, p.path);
  const st = statSync(path);
  return JSON.stringify([st.isDirectory(), st.mode, st.isDirectory() ? readdirSync(path).sort() : readFileSync(path, 'utf8')]);
}

const bwrapRecipes = HOST_SHIM_RECIPES.filter((r) => r.sandbox === 'bwrap');

describe.each(bwrapRecipes)('$title on the host: the sandboxed shell', (r: HostShimRecipe) => {
  it('cannot write, replace or remove what the harness would run on the host', async () => {
    const project = tempDir('eg-host-config-');
    makeProtectedPaths(r, project);
    const before = r.protect.map((p) => hostState(project, p));
    const { serveFlags } = hostShimInvocation(r, project, shimDir, process.env);
    served = await serve('', { flags: serveFlags });

    const lines = r.protect.flatMap(attempts);
    // each attempt in a subshell of its own; one verdict a line
    const script = [...lines, 'echo control > notes.txt'].map((l) => `( ${l} ) 2>/dev/null && echo written || echo refused`).join('\n');
    const run = spawnSync(join(shimDir, 'bash'), ['-c', script], {
      cwd: project,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, EXECGATE_BROKER: served.socket, EXECGATE_LABEL: r.label },
      encoding: 'utf8',
      timeout: 30_000,
    });
    expect(run.stderr).toBe('');
    const verdicts = run.stdout.trim().split('\n');
    expect(verdicts.slice(0, -1).map((v, i) => `${lines[i]}: ${v}`)).toEqual(lines.map((l) => `${l}: refused`));
    // the project itself is writable: the control line got through
    expect(verdicts.at(-1)).toBe('written');
    expect(readFileSync(join(project, 'notes.txt'), 'utf8')).toBe('control\n');
    expect(r.protect.map((p) => hostState(project, p))).toEqual(before);
  });
});
