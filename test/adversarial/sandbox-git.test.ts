// Red-team finding: an escalated `git status` in the project runs
// core.fsmonitor from .git/config, which the agent wrote (likewise hooks,
// core.sshCommand, ...). Under --sandbox bwrap the project's git metadata is
// read-only: the agent's writes fail, and git escalated to the host
// afterwards runs nothing the agent planted (a marker file would show it).
import { execFileSync } from 'node:child_process';
import { chownSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rule } from '../helpers/execgate.js';
import { removeUserDirs, sandboxUsers, shellAs, userDir, type SandboxUser } from './sandbox-users.js';

afterAll(removeUserDirs);

function git(user: SandboxUser, cwd: string, ...args: string[]): string {
  const asUser = user.prefix.length ? [...user.prefix, 'git'] : ['git'];
  return execFileSync(asUser[0]!, [...asUser.slice(1), '-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd, encoding: 'utf8', env: { ...process.env, HOME: cwd } });
}

/** What the agent plants: a program that leaves a marker when the host runs it. */
function plant(user: SandboxUser, project: string): { program: string; marker: string } {
  const markers = userDir(user, 'eg-marker-');
  const marker = join(markers, 'ran');
  const program = join(project, 'planted.sh');
  writeFileSync(program, `#!/bin/sh\necho "$0 $*" >> ${marker}\nexit 1\n`, { mode: 0o755 });
  chownSync(program, user.uid, user.gid);
  return { program, marker };
}

/** The broker's HOME, where host git finds an identity for commits. */
function brokerHome(user: SandboxUser): string {
  const home = userDir(user, 'eg-home-');
  writeFileSync(join(home, '.gitconfig'), '[user]\n\tname = Host\n\temail = host@example.com\n');
  chownSync(join(home, '.gitconfig'), user.uid, user.gid);
  return home;
}

/** The agent's writes into the git metadata at GITDIR (relative to the
 * shell's cwd), each reporting its status, then git escalated to the host. */
function attack(gitdir: string, program: string): string {
  return [
    `printf '[core]\\n\\tfsmonitor = ${program}\\n\\tsshCommand = ${program}\\n[alias]\\n\\tst = !${program}\\n' >> ${gitdir}/config 2>/dev/null; echo "config $?"`,
    `printf '#!/bin/sh\\n${program} hook\\n' > ${gitdir}/hooks/pre-commit 2>/dev/null; echo "hook $?"`,
    `git status >/dev/null 2>&1; echo "status $?"`,
    `git commit -q --allow-empty -m escalated >/dev/null 2>&1; echo "commit $?"`,
    `git ls-remote ssh://127.0.0.1:1/nothing >/dev/null 2>&1; echo "ls-remote done"`,
  ].join('\n');
}

const bwrap = (project: string, ...more: string[]) => ['--sandbox', 'bwrap', '--project', project, ...more];

describe.each(sandboxUsers())('git metadata under --sandbox bwrap, started by $label', (user) => {
  it.skipIf(user.skip !== null)(`a repository's .git is read-only inside, and host git runs nothing planted (${user.skip ?? 'runs'})`, async () => {
    const project = userDir(user, 'eg-proj-');
    git(user, project, 'init', '-q');
    git(user, project, 'commit', '-q', '--allow-empty', '-m', 'first');
    const config = readFileSync(join(project, '.git', 'config'), 'utf8');
    const { program, marker } = plant(user, project);
    const policyDir = userDir(user, 'eg-policy-');
    writeFileSync(join(policyDir, 'policy.toml'), rule('git-host', 'git', 'escalate'));
    const r = await shellAs(user, attack('.git', program), {
      flags: [...bwrap(project), '--policy', join(policyDir, 'policy.toml')],
      cwd: project,
      env: { HOME: brokerHome(user) },
    });
    expect(r.stdout).toBe('config 1\nhook 1\nstatus 0\ncommit 0\nls-remote done\n');
    expect(readFileSync(join(project, '.git', 'config'), 'utf8')).toBe(config);
    expect(existsSync(join(project, '.git', 'hooks', 'pre-commit'))).toBe(false);
    expect(existsSync(marker) ? readFileSync(marker, 'utf8') : 'no marker').toBe('no marker');
    // The escalated commit did reach the host repository.
    expect(git(user, project, 'log', '--format=%s')).toBe('escalated\nfirst\n');
  });

  it.skipIf(user.skip !== null)('a linked worktree (.git file): the file, its git directory and the main repository are read-only inside', async () => {
    const main = userDir(user, 'eg-main-');
    git(user, main, 'init', '-q');
    git(user, main, 'commit', '-q', '--allow-empty', '-m', 'first');
    const worktree = join(userDir(user, 'eg-wts-'), 'wt');
    git(user, main, 'worktree', 'add', '-q', worktree);
    const dotGit = readFileSync(join(worktree, '.git'), 'utf8');
    const config = readFileSync(join(main, '.git', 'config'), 'utf8');
    const { program, marker } = plant(user, worktree);
    const policyDir = userDir(user, 'eg-policy-');
    writeFileSync(join(policyDir, 'policy.toml'), rule('git-host', 'git', 'escalate'));
    // The main repository is writable inside too (--bind): its .git must not be.
    const script = [
      // Point the worktree at a git directory of the agent's making.
      `echo "gitdir: ${worktree}/evil" > .git 2>/dev/null; echo "dotgit $?"`,
      `printf '[core]\\n\\tfsmonitor = ${program}\\n' > $(cat .git | sed 's/^gitdir: //')/config.worktree 2>/dev/null; echo "worktree-config $?"`,
      attack(`${main}/.git`, program),
    ].join('\n');
    const r = await shellAs(user, script, {
      flags: [...bwrap(worktree, '--bind', main), '--policy', join(policyDir, 'policy.toml')],
      cwd: worktree,
      env: { HOME: brokerHome(user) },
    });
    expect(r.stdout).toBe('dotgit 1\nworktree-config 1\nconfig 1\nhook 1\nstatus 0\ncommit 0\nls-remote done\n');
    expect(readFileSync(join(worktree, '.git'), 'utf8')).toBe(dotGit);
    expect(readFileSync(join(main, '.git', 'config'), 'utf8')).toBe(config);
    expect(existsSync(marker) ? readFileSync(marker, 'utf8') : 'no marker').toBe('no marker');
  });

  it.skipIf(user.skip !== null)('--writable-git says plainly that it is unsafe, and leaves .git writable', async () => {
    const project = userDir(user, 'eg-proj-');
    git(user, project, 'init', '-q');
    const r = await shellAs(user, `echo '# agent' >> .git/config; echo "config $?"`, { flags: bwrap(project, '--writable-git'), cwd: project });
    expect(r.stdout).toBe('config 0\n');
    expect(r.stderr).toContain('execgate: --writable-git: the sandbox can write the git metadata, and git commands escalated to the host run what it writes there');
    expect(readFileSync(join(project, '.git', 'config'), 'utf8')).toContain('# agent\n');
  });
});
