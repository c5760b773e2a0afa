// The built-in git rules, explain-style: what escalates without a prompt,
// what asks, and what must never escalate (argv that makes git run code,
// open an editor or pager, or read or write a file outside the repository).
import { mkdirSync, mkdtempSync, realpathSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { builtinGitToml, needsGitPin } from '../../../src/policy/builtin-git.js';
import { checkExamples, evaluate } from '../../../src/policy/evaluate.js';
import { pinGitRepository } from '../../../src/policy/git-repository.js';
import { toLatin1 } from '../../../src/policy/glob.js';
import { builtinPolicy, parsePolicy } from '../../../src/policy/load.js';
import { findOnPath } from '../../../src/policy/resolve.js';

const git = findOnPath('git')!;
const policy = builtinPolicy({ gitRules: true });
const explain = (line: string[]) => evaluate(policy, { hostProgram: git, args: line.map(toLatin1), explicit: false });

const ESCALATE: string[][] = [
  ['add', '.'], ['add', '-A'], ['add', '--', 'a b.ts'],
  ['commit', '-m', 'fix: thing'], ['commit', '-am', 'msg'], ['commit', '-a', '-m', 'subject', '-m', 'body'], ['commit', '--amend', '--no-edit'],
  ['commit', '--message=msg'], ['commit', '-m', 'msg', '--', 'file'],
  ['rm', '--cached', 'x'], ['mv', 'a', 'b'], ['restore', '--staged', 'x'], ['switch', '-c', 'topic'], ['checkout', 'main'], ['checkout', '--', 'f'],
  ['branch', 'topic'], ['branch', '-d', 'topic'], ['tag', 'v1'], ['tag', '-a', 'v1', '-m', 'release'],
  ['stash'], ['stash', 'push', '-m', 'wip'], ['stash', 'pop'], ['reset', 'HEAD', 'x'],
];

const NEVER_ESCALATE: string[][] = [
  // Options before the subcommand: config, exec path, other repositories.
  ['-c', 'core.fsmonitor=/proj/evil', 'add', '.'], ['-c', 'alias.add=!sh', 'add', '.'], ['--exec-path=/proj', 'add', '.'], ['-C', '/etc', 'add', '.'],
  ['--git-dir=/proj/evil.git', 'commit', '-m', 'x'], ['--work-tree=/', 'add', '.'], ['--config-env=core.pager=X', 'add', '.'],
  // Files named by options.
  ['commit', '-F', '/etc/shadow'], ['commit', '-m', 'x', '-F', '/etc/shadow'], ['commit', '-m', 'x', '--file=/etc/shadow'], ['commit', '-m', 'x', '--fil=/etc/shadow'],
  ['commit', '-m', 'x', '-aF', '/etc/shadow'], ['commit', '-m', 'x', '-t', '/etc/shadow'], ['commit', '-m', 'x', '--template=/etc/shadow'],
  ['add', '--pathspec-from-file=/etc/shadow'], ['diff', '--output=/home/u/.bashrc'], ['format-patch', '-o', '/home/u'], ['init', '--template=/proj/t'],
  // Editors, pagers, interactive modes (a shell for whoever types).
  ['commit'], ['commit', '--amend'], ['commit', '-m', 'x', '-e'], ['commit', '-c', 'HEAD'], ['tag', '-a', 'v1'], ['add', '-p'], ['add', '-i'], ['add', '-e'],
  ['branch'], ['tag', '-l'], ['stash', 'list'], ['stash', 'show'], ['log'], ['diff'],
  // Programs git runs on request.
  ['rebase', '--exec', 'sh', 'main'], ['rebase', '-i', 'main'], ['config', 'core.hooksPath', '/proj'], ['submodule', 'update', '--init'],
  ['fetch', '--upload-pack=/proj/evil', 'origin'], ['push', '--receive-pack=/proj/evil'], ['clone', '--upload-pack=touch /tmp/x', 'x'],
  ['commit', '-m', 'x', '--no-verify'], ['commit', '-m', 'x', '-S'], ['difftool'], ['mergetool'],
  // Destructive beyond the work tree.
  ['reset', '--hard'], ['branch', '-D', 'main'], ['switch', '-C', 'main'],
];

const ASKS: string[][] = [['push', 'origin', 'main'], ['fetch'], ['pull'], ['merge', 'topic'], ['rebase', '--exec', 'sh', 'main'], ['cherry-pick', 'abc'], ['submodule', 'update'], ['worktree', 'add', 'x']];

describe('built-in git rules', () => {
  it.each(ESCALATE.map((l) => [l.join(' '), l]))('escalates git %s without a prompt', (_, line) => {
    const e = explain(line as string[]);
    expect(e.decision).toBe('escalate');
    expect(needsGitPin(e.rule)).toBe(true);
  });

  it.each(NEVER_ESCALATE.map((l) => [l.join(' '), l]))('never escalates git %s unasked', (_, line) => {
    expect(explain(line as string[]).decision).not.toBe('escalate');
  });

  it.each(ASKS.map((l) => [l.join(' '), l]))('asks a human for git %s', (_, line) => {
    const e = explain(line as string[]);
    expect(e.decision).toBe('prompt');
    expect(needsGitPin(e.rule)).toBe(false);
  });

  it('are off unless asked for', () => {
    expect(builtinPolicy().rules).toEqual([]);
  });

  // Start-up makes them from data, unparsed and unchecked: this is where
  // they meet the full loader, validation and every example.
  it('are exactly what their policy-file form loads to, examples and all', () => {
    const loaded = parsePolicy(builtinGitToml(), '(built-in git rules)');
    expect(loaded.rules).toEqual(policy.rules);
    expect(loaded.rules.every((r) => r.decision === 'prompt' || (r.match?.length && r.notMatch?.length))).toBe(true);
    expect(checkExamples(policy)).toEqual([]);
  });

  it('would not load if an example failed', () => {
    const text = builtinGitToml();
    const broken = text.replace('match = [["add", "."],', 'match = [["add", "-p"],');
    expect(broken).not.toBe(text);
    expect(() => parsePolicy(broken, '(built-in git rules)')).toThrow(/rule "git-add": example git add -p should match but does not/);
  });

  it('are made once: needsGitPin knows them by identity', () => {
    expect(builtinPolicy({ gitRules: true }).rules[0]).toBe(policy.rules[0]);
    const lookalike = parsePolicy(builtinGitToml(), 'x').rules[0]!;
    expect(needsGitPin(lookalike)).toBe(false);
    expect(needsGitPin(policy.rules[0]!)).toBe(true);
  });
});

describe('pinGitRepository', () => {
  function repo() {
    const base = realpathSync(mkdtempSync(join(tmpdir(), 'eg-pin-')));
    const project = join(base, 'project');
    mkdirSync(join(project, '.git'), { recursive: true });
    mkdirSync(join(project, 'sub'));
    return { base, project };
  }

  it('pins to the project .git when it is bound read-only inside', () => {
    const { project } = repo();
    const pin = pinGitRepository({ project, hostCwd: join(project, 'sub'), writableRoots: [project], readOnly: [join(project, '.git')] });
    expect(pin).toEqual({ ok: true, env: new Map([['GIT_DIR', join(project, '.git')], ['GIT_WORK_TREE', project]]) });
  });

  it('refuses a .git the sandbox can write (no read-only bind), a cwd outside the project, a missing .git', () => {
    const { base, project } = repo();
    expect(pinGitRepository({ project, hostCwd: project, writableRoots: [project], readOnly: [] })).toMatchObject({ ok: false, why: expect.stringContaining('can be changed from the sandbox') });
    expect(pinGitRepository({ project, hostCwd: base, writableRoots: [project], readOnly: [join(project, '.git')] })).toMatchObject({ ok: false, why: expect.stringContaining('outside the project') });
    const bare = join(base, 'bare');
    mkdirSync(bare);
    expect(pinGitRepository({ project: bare, hostCwd: bare, writableRoots: [bare], readOnly: [] })).toMatchObject({ ok: false, why: expect.stringContaining('has no .git') });
  });

  it('follows a gitfile and refuses one that points into a writable bind', () => {
    const { base } = repo();
    const elsewhere = join(base, 'main-repo', '.git', 'worktrees', 'p');
    mkdirSync(elsewhere, { recursive: true });
    const wt = join(base, 'wt');
    mkdirSync(wt);
    writeFileSync(join(wt, '.git'), `gitdir: ${elsewhere}\n`);
    expect(pinGitRepository({ project: wt, hostCwd: wt, writableRoots: [wt], readOnly: [join(wt, '.git')] })).toMatchObject({ ok: true });
    expect(pinGitRepository({ project: wt, hostCwd: wt, writableRoots: [wt, join(base, 'main-repo')], readOnly: [join(wt, '.git')] })).toMatchObject({ ok: false });
  });
});
