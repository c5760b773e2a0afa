// `execgate policy check` and `policy explain` through the real CLI: the
// warnings a human needs before giving a sandbox this policy (findings 3-7).
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cliPath, tempDir } from '../helpers/execgate.js';

function setup() {
  const project = realpathSync(tempDir('eg-proj-'));
  mkdirSync(join(project, 'bin'));
  const tool = join(project, 'bin', 'deploy');
  writeFileSync(tool, '#!/bin/sh\n');
  chmodSync(tool, 0o755);
  const policy = join(project, 'policy.toml');
  writeFileSync(policy, `env_allow = ["GIT_*", "AWS_PROFILE"]\n[[rule]]\nid = "deploy"\nprogram = "${tool}"\ndecision = "escalate"\n[[rule]]\nid = "make"\nprogram = "make"\ndecision = "escalate"\n`);
  return { project, tool, policy };
}

const cli = (args: string[], cwd: string, env: Record<string, string> = {}) => spawnSync(process.execPath, [cliPath, ...args], { cwd, encoding: 'utf8', env: { ...process.env, ...env } });

describe('policy check and explain (adversarial)', () => {
  it('policy check warns about a policy the sandbox could rewrite, replaceable programs, project code, env_allow and PATH', () => {
    const { project, tool, policy } = setup();
    const r = cli(['policy', 'check', policy], project, { PATH: `${project}/node_modules/.bin:${process.env.PATH}` });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain(`sandbox can write: ${project} (assumed; --writable DIR to say)`);
    expect(r.stdout).toContain('env_allow GIT_*: admits only GIT_AUTHOR_NAME, GIT_AUTHOR_EMAIL');
    expect(r.stdout).toContain('env_allow AWS_PROFILE: admits AWS_PROFILE');
    expect(r.stdout).toMatch(/policy\.toml: warning: execgate would refuse this policy for such a sandbox: the policy file .* can be changed from the sandbox/);
    expect(r.stdout).toContain(`policy.toml:2: warning: rule "deploy": program ${tool} can be changed from the sandbox`);
    expect(r.stdout).toMatch(/policy\.toml:6: warning: rule "make" escalates make without asking, and it runs code from the project/);
    expect(r.stdout).toContain(`execgate: warning: your PATH includes ${project}/node_modules/.bin, which the sandbox can write`);
    // Another sandbox (--writable elsewhere): only what does not depend on it.
    const other = cli(['policy', 'check', '--writable', tempDir(), policy], project);
    expect(other.stdout).not.toContain('can be changed from the sandbox');
    expect(other.stdout).toMatch(/rule "make" escalates make/);
  });

  it('policy explain shows the warnings for the rule that decides', () => {
    const { project, tool, policy } = setup();
    const r = cli(['policy', 'explain', '--policy', policy, '--', tool], project);
    expect(r.stdout).toMatch(/decision: escalate/);
    expect(r.stdout).toContain(`warning: rule "deploy": program ${tool} can be changed from the sandbox`);
    const m = cli(['policy', 'explain', '--policy', policy, '--', 'make', 'all'], project);
    expect(m.stdout).toMatch(/warning:  runs code from the project: make runs the recipes/);
  });
});
