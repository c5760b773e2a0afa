// Finding 5: a policy file the sandbox can write is rewritten by the agent
// and hot-reloaded. policyLocationProblems is what start, reload and session
// attach refuse on.
import { mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { policyLocationProblems } from '../../../src/policy/location.js';

function layout() {
  const base = realpathSync(mkdtempSync(join(tmpdir(), 'eg-loc-')));
  const project = join(base, 'project');
  const config = join(base, 'config');
  mkdirSync(project);
  mkdirSync(config);
  writeFileSync(join(config, 'policy.toml'), '');
  return { base, project, config };
}

describe('policyLocationProblems', () => {
  it('accepts a policy outside every writable root', () => {
    const { project, config } = layout();
    const f = join(config, 'policy.toml');
    expect(policyLocationProblems({ policyFile: f, writePath: f }, [project])).toEqual([]);
    expect(policyLocationProblems({ policyFile: null, writePath: join(config, 'new', 'policy.toml') }, [project])).toEqual([]);
  });

  it('refuses a policy file inside the project', () => {
    const { project } = layout();
    const f = join(project, 'policy.toml');
    writeFileSync(f, '');
    const problems = policyLocationProblems({ policyFile: f, writePath: f }, [project]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^the policy file .*policy\.toml can be changed from the sandbox: .*project is writable inside it/);
  });

  it('refuses a path through a symlink the sandbox can re-point, even when the target is safe', () => {
    const { project, config } = layout();
    symlinkSync(config, join(project, 'cfg'));
    const f = join(project, 'cfg', 'policy.toml');
    expect(policyLocationProblems({ policyFile: f, writePath: f }, [project])).toHaveLength(1);
  });

  it('refuses a safe-looking path that is a symlink into the project', () => {
    const { project, config } = layout();
    writeFileSync(join(project, 'real.toml'), '');
    const link = join(config, 'linked.toml');
    symlinkSync(join(project, 'real.toml'), link);
    expect(policyLocationProblems({ policyFile: link, writePath: link }, [project])[0]).toMatch(/linked\.toml can be changed/);
  });

  it('judges a path that does not exist yet by its nearest existing parent', () => {
    const { project, config } = layout();
    const inside = join(project, 'a', 'b', 'policy.toml');
    expect(policyLocationProblems({ policyFile: null, writePath: inside }, [project])[0]).toMatch(/^the file "always" answers write to/);
    expect(policyLocationProblems({ policyFile: null, writePath: join(config, 'x', 'y.toml') }, [project])).toEqual([]);
  });

  it('checks the "always" target separately from the policy file', () => {
    const { project, config } = layout();
    const f = join(config, 'policy.toml');
    const problems = policyLocationProblems({ policyFile: f, writePath: join(project, 'always.toml') }, [project]);
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/always\.toml/);
  });

  it('treats a writable bind of the config directory itself as writable', () => {
    const { project, config } = layout();
    const f = join(config, 'policy.toml');
    expect(policyLocationProblems({ policyFile: f, writePath: f }, [project, config])).toHaveLength(1);
  });
});
