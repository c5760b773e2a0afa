// Warnings for one sandbox: rules whose program the agent can replace
// (finding 3), escalations of programs that run code from the project
// (finding 6), trusted_path entries the sandbox can write (finding 4).
import { chmodSync, mkdirSync, mkdtempSync, realpathSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { evaluate } from '../../../src/policy/evaluate.js';
import { builtinPolicy, parsePolicy } from '../../../src/policy/load.js';
import { takesProjectCode } from '../../../src/policy/project-code.js';
import { warningsFor } from '../../../src/policy/warnings.js';

function project() {
  const dir = realpathSync(mkdtempSync(join(tmpdir(), 'eg-proj-')));
  mkdirSync(join(dir, 'bin'));
  const tool = join(dir, 'bin', 'deploy');
  writeFileSync(tool, '#!/bin/sh\n');
  chmodSync(tool, 0o755);
  return { dir, tool };
}

describe('warningsFor', () => {
  it('warns on a hand-written rule whose program lies under a writable root, and only then', () => {
    const { dir, tool } = project();
    const p = parsePolicy(`[[rule]]\nid = "deploy"\nprogram = "${tool}"\ndecision = "escalate"\n`, 'p.toml');
    expect(warningsFor(p, [dir])).toEqual([
      `p.toml:1: warning: rule "deploy": program ${tool} can be changed from the sandbox (${dir} is writable inside it): the agent can replace it, and the rule would run what it puts there`,
    ]);
    expect(warningsFor(p, [])).toEqual([]);
    const viaLink = join(realpathSync(mkdtempSync(join(tmpdir(), 'eg-ln-'))), 'deploy');
    symlinkSync(tool, viaLink);
    const q = parsePolicy(`[[rule]]\nid = "d"\nprogram = "${viaLink}"\ndecision = "prompt"\n`, 'q.toml');
    expect(warningsFor(q, [dir])[0]).toMatch(/rule "d": program .* can be changed from the sandbox .* would offer to run/);
  });

  it('warns on a trusted_path entry the sandbox can write, and skips it when resolving', () => {
    const { dir } = project();
    const p = parsePolicy(`trusted_path = ["${dir}/bin"]\n[[rule]]\nid = "deploy"\nprogram = "deploy"\ndecision = "escalate"\n`, 'p.toml');
    const w = warningsFor(p, [dir]);
    expect(w[0]).toBe(`p.toml:1: warning: trusted_path entry ${dir}/bin can be changed from the sandbox (${dir} is writable inside it); it is skipped for this sandbox`);
    expect(w[1]).toMatch(/rule "deploy": program .*deploy can be changed from the sandbox/);
    const tool = join(dir, 'bin', 'deploy');
    expect(evaluate(p, { hostProgram: tool, args: [], explicit: false }).decision).toBe('escalate');
    expect(evaluate(p, { hostProgram: tool, args: [], explicit: false, writableRoots: [dir] }).decision).toBe('run');
  });

  it('warns on escalate rules for programs that take code from the project, with the .git note', () => {
    const p = parsePolicy('[[rule]]\nid = "m"\nprogram = "make"\ndecision = "escalate"\n[[rule]]\nid = "g"\nprogram = "git"\nargs = ["status"]\ndecision = "escalate"\n[[rule]]\nid = "ask"\nprogram = "make"\ndecision = "prompt"\n', 'p.toml');
    const w = warningsFor(p, []);
    expect(w).toHaveLength(2);
    expect(w[0]).toMatch(/^p\.toml:1: warning: rule "m" escalates make without asking, and it runs code from the project: make runs the recipes .*; --sandbox bwrap protects only the project's \.git, not this$/);
    expect(w[1]).toMatch(/^p\.toml:5: warning: rule "g" escalates git .*under --sandbox bwrap the project's \.git is read-only inside, which covers \.git\/config and hooks/);
    expect(warningsFor(builtinPolicy({ gitRules: true }), [])).toEqual([]);
  });
});

describe('takesProjectCode', () => {
  it('knows the programs that run code from the working directory, by path or name', () => {
    for (const p of ['/usr/bin/git', 'make', '/usr/bin/npm', '/usr/share/nodejs/npm/bin/npm-cli.js', 'cargo', 'go', 'pip3', '/usr/bin/python3.11', 'bundle', 'rake', 'gradle', 'mvn', 'direnv', 'docker', 'just', 'task', 'yarn', 'pnpm', 'bun', 'npx']) {
      expect(takesProjectCode(p), p).not.toBeNull();
    }
    expect(takesProjectCode('/usr/bin/id')).toBeNull();
    expect(takesProjectCode('/usr/bin/gh')).toBeNull();
    expect(takesProjectCode('/usr/share/nodejs/x.js', '/usr/bin/npm')).toMatch(/package\.json scripts/);
  });
});
