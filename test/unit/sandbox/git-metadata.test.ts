import { afterAll, describe, expect, it } from 'vitest';
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitMetadata } from '../../../src/sandbox/git-metadata.js';

const made: string[] = [];
function dir(): string {
  const d = realpathSync(mkdtempSync(join(tmpdir(), 'eg-gm-')));
  made.push(d);
  return d;
}
afterAll(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

describe('git metadata of a writable tree', () => {
  it('is the .git directory of a repository', () => {
    const r = dir();
    mkdirSync(join(r, '.git'));
    expect(gitMetadata(r)).toEqual([join(r, '.git')]);
  });

  it('is nothing without a repository', () => {
    expect(gitMetadata(dir())).toEqual([]);
  });

  it('for a linked worktree: the .git file, its git directory and the common directory', () => {
    const main = dir();
    mkdirSync(join(main, '.git', 'worktrees', 'wt'), { recursive: true });
    writeFileSync(join(main, '.git', 'worktrees', 'wt', 'commondir'), '../..\n');
    const wt = dir();
    writeFileSync(join(wt, '.git'), `gitdir: ${main}/.git/worktrees/wt\n`);
    expect(gitMetadata(wt).sort()).toEqual([join(main, '.git'), join(main, '.git', 'worktrees', 'wt'), join(wt, '.git')].sort());
  });

  it('follows a relative gitdir, and the submodules .gitmodules lists inside the tree only', () => {
    const r = dir();
    mkdirSync(join(r, '.git', 'modules', 'lib'), { recursive: true });
    mkdirSync(join(r, 'lib'));
    writeFileSync(join(r, 'lib', '.git'), 'gitdir: ../.git/modules/lib\n');
    const outside = dir();
    mkdirSync(join(outside, '.git'));
    symlinkSync(outside, join(r, 'escape'));
    writeFileSync(join(r, '.gitmodules'), `[submodule "lib"]\n\tpath = lib\n[submodule "x"]\n\tpath = ../${outside.split('/').pop()}\n[submodule "y"]\n\tpath = escape\n`);
    expect(gitMetadata(r).sort()).toEqual([join(r, '.git'), join(r, '.git', 'modules', 'lib'), join(r, 'lib', '.git')].sort());
  });
});
