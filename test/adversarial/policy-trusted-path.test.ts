// Finding 4: the broker's PATH can reach into the project. `npx execgate
// shell` puts PROJECT/node_modules/.bin first on the broker's PATH; a bare
// rule `program = "git"` must still mean the host's git on the trusted PATH,
// never the agent's planted one, and `execgate run git` must run the host's.
import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliPath, execgateShell, rule, tempDir } from '../helpers/execgate.js';
import { spawnSync } from 'node:child_process';

function project(): { dir: string; bin: string } {
  const dir = tempDir('eg-proj-');
  const bin = join(dir, 'node_modules', '.bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(join(bin, 'git'), '#!/bin/sh\necho planted\n');
  chmodSync(join(bin, 'git'), 0o755);
  return { dir, bin };
}

describe('trusted PATH (adversarial)', () => {
  it('a git planted first on PATH does not match a bare "git" escalate rule', async () => {
    const { dir, bin } = project();
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const r = await execgateShell('git --version', { policy: rule('git-host', 'git', 'escalate'), env, cwd: dir });
    const decision = r.audit.find((a) => a.event === 'decision');
    expect(decision).toMatchObject({ decision: 'run', decided_by: 'default' });
    expect(String(decision?.program)).toBe(join(bin, 'git'));
  });

  it('`execgate run git` runs the host git from the trusted PATH, not the planted one', async () => {
    const { dir, bin } = project();
    const env = { PATH: `${bin}:${process.env.PATH}` };
    const r = await execgateShell('execgate run git --version', { policy: rule('git-host', 'git', 'escalate'), env, cwd: dir });
    expect(r.stdout.toString()).toMatch(/^git version /);
    expect(r.audit.find((a) => a.event === 'decision' && a.explicit === true)).toMatchObject({ decided_by: 'rule:git-host', host_program: '/usr/bin/git' });
  });

  it('`policy explain` does not match the planted git either', () => {
    const { dir, bin } = project();
    const policy = join(dir, '..', `${Date.now()}-p.toml`);
    writeFileSync(policy, rule('git-host', 'git', 'escalate'));
    const r = spawnSync(process.execPath, [cliPath, 'policy', 'explain', '--policy', policy, '--', join(bin, 'git'), 'status'], { encoding: 'utf8', env: { ...process.env, PATH: `${bin}:${process.env.PATH}` } });
    expect(r.stdout).toMatch(/decision: run/);
    expect(r.stdout).toMatch(/matched:\s+no rule/);
  });
});
