// Finding 4a: bare rule names resolve against a trusted PATH, never the
// broker's inherited one (`npx execgate shell` puts PROJECT/node_modules/.bin
// first, where the agent can plant a `git`).
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/policy/evaluate.js';
import { parsePolicy } from '../../../src/policy/load.js';
import { findOnPath } from '../../../src/policy/resolve.js';

const savedPath = process.env.PATH;
afterEach(() => {
  process.env.PATH = savedPath;
});

function plantedGit(): { project: string; git: string } {
  const project = mkdtempSync(join(tmpdir(), 'eg-proj-'));
  const bin = join(project, 'node_modules', '.bin');
  mkdirSync(bin, { recursive: true });
  const git = join(bin, 'git');
  writeFileSync(git, '#!/bin/sh\necho planted\n');
  chmodSync(git, 0o755);
  return { project, git };
}

describe('trusted PATH', () => {
  it('a git planted first on the broker PATH does not match a bare "git" rule', () => {
    const { project, git } = plantedGit();
    process.env.PATH = `${join(project, 'node_modules', '.bin')}:${savedPath}`;
    const p = parsePolicy('[[rule]]\nid = "git-host"\nprogram = "git"\ndecision = "escalate"\n', 'p.toml');
    expect(evaluate(p, { hostProgram: git, args: ['status'], explicit: false })).toMatchObject({ decision: 'run', rule: null });
    expect(evaluate(p, { hostProgram: '/usr/bin/git', args: ['status'], explicit: false }).rule?.id).toBe('git-host');
  });

  it('`execgate run NAME` resolves NAME on the trusted PATH', () => {
    const { project } = plantedGit();
    process.env.PATH = `${join(project, 'node_modules', '.bin')}:${savedPath}`;
    expect(findOnPath('git')).toBe('/usr/bin/git');
  });
});
