// Built-in rules for local git writes. Under --sandbox bwrap the project's
// .git is read-only inside, so `git add` and `git commit` fail there; these
// rules run the common local writes on the host without a prompt each time,
// in forms whose arguments cannot make git run a program, open an editor or a
// pager (each a shell for whoever types into it), or read or write a file
// outside the repository:
// - the subcommand comes first: no -c, -C, --git-dir, --work-tree,
//   --exec-path, --config-env or alias before it (git never lets an alias
//   shadow a built-in subcommand);
// - every other argument is an exact option token from star_args (no
//   abbreviations, no clusters but the ones listed: git accepts unique
//   prefixes of long options, so `--fil=` would be `--file=`), or does not
//   start with "-" (paths, revisions, names, message text);
// - so never -F/--file, -t/--template, --pathspec-from-file, -p/-i/-e
//   (interactive, editor), --exec, -c/-C (reuse a message in an editor),
//   --no-verify, -S (signing), and commit and annotated tag carry a message.
// Everything else of git that writes .git asks a human (prompt rules below);
// other forms of these subcommands run in the sandbox and fail there on the
// read-only .git (`execgate run git ...` asks a human for them).
// The repository must be the project's own (session: pinGitRepository):
// a nested .git the agent made elsewhere in the project would otherwise give
// the host git its config (core.fsmonitor runs a program).
// The rules are data here, made into Rules directly at start-up: parsing
// them from TOML and checking their 94 examples cost several milliseconds of
// every start. builtinGitToml() writes the same rules as a policy file would;
// the tests load that text with the full loader (validation and every
// example) and check that it gives exactly builtinGitRules().
import type { Rule } from './types.js';

/** One built-in rule as a policy file says it; the program is always git. */
interface GitRule {
  id: string;
  args: string[];
  starArgs?: string[];
  decision: 'escalate' | 'prompt';
  match?: string[][];
  notMatch?: string[][];
}

const NON_OPTION = '[!-]*';

const stashSub = (sub: 'pop' | 'apply' | 'drop'): GitRule => ({
  id: `git-stash-${sub}`,
  args: ['stash', sub, '**'],
  starArgs: [...(sub === 'drop' ? [] : ['--index']), '-q', '--quiet', NON_OPTION],
  decision: 'escalate',
  match: [['stash', sub], ['stash', sub, 'stash@{1}']],
  notMatch: [['stash', sub, '-p']],
});

const asks = (sub: string): GitRule => ({ id: `git-${sub}-asks`, args: [sub, '**'], decision: 'prompt' });

const GIT_RULES: readonly GitRule[] = [
  {
    id: 'git-add',
    args: ['add', '**'],
    starArgs: ['-A', '--all', '-u', '--update', '-N', '--intent-to-add', '-f', '--force', '-v', '--verbose', '-n', '--dry-run', '--', NON_OPTION],
    decision: 'escalate',
    match: [['add', '.'], ['add', '-A'], ['add', '--', 'src/a.ts', 'b c']],
    notMatch: [['add', '-p'], ['add', '-i'], ['add', '-e'], ['add', '--pathspec-from-file=/etc/passwd'], ['add', '--pathspec-from-file', 'x'], ['add', '--renormalize']],
  },
  {
    id: 'git-commit',
    args: ['commit', '**', '-m*', '**'],
    starArgs: ['-a', '--all', '-q', '--quiet', '-s', '--signoff', '--amend', '--no-edit', '--allow-empty', '-m*', '-am*', '--message=*', '--', NON_OPTION],
    decision: 'escalate',
    match: [['commit', '-m', 'fix: x'], ['commit', '-a', '-m', 'msg', '-m', 'body'], ['commit', '--amend', '-m', 'msg'], ['commit', '-mmsg', '--', 'file']],
    notMatch: [
      ['commit'], ['commit', '-m', 'x', '-F', '/etc/passwd'], ['commit', '-F', '/etc/passwd', '-m', 'x'], ['commit', '-m', 'x', '--file=/etc/passwd'],
      ['commit', '-m', 'x', '-t', '/etc/passwd'], ['commit', '-m', 'x', '--template=/etc/passwd'], ['commit', '-m', 'x', '-e'], ['commit', '-m', 'x', '--no-verify'],
      ['commit', '-m', 'x', '-S'], ['commit', '-m', 'x', '--pathspec-from-file=/etc/x'], ['commit', '-m', 'x', '-aF', '/etc/passwd'], ['commit', '-m', 'x', '--fil=/etc/passwd'],
    ],
  },
  {
    id: 'git-commit-am',
    args: ['commit', '**', '-am*', '**'],
    starArgs: ['-q', '--quiet', '-s', '--signoff', '--amend', '--allow-empty', '-m*', '-am*', '--', NON_OPTION],
    decision: 'escalate',
    match: [['commit', '-am', 'msg']],
    notMatch: [['commit', '-am', 'msg', '-e']],
  },
  {
    id: 'git-commit-message',
    args: ['commit', '**', '--message=*', '**'],
    starArgs: ['-a', '--all', '-q', '--quiet', '-s', '--signoff', '--amend', '--allow-empty', '--message=*', '--', NON_OPTION],
    decision: 'escalate',
    match: [['commit', '--message=fix']],
    notMatch: [['commit', '--message=x', '--edit']],
  },
  {
    id: 'git-commit-no-edit',
    args: ['commit', '**', '--no-edit', '**'],
    starArgs: ['-a', '--all', '-q', '--quiet', '--amend', '--no-edit', '--', NON_OPTION],
    decision: 'escalate',
    match: [['commit', '--amend', '--no-edit'], ['commit', '-a', '--amend', '--no-edit']],
    notMatch: [['commit', '--amend'], ['commit', '--no-edit', '-c', 'HEAD']],
  },
  {
    id: 'git-rm',
    args: ['rm', '**'],
    starArgs: ['-r', '-f', '-rf', '-fr', '--force', '--cached', '-q', '--quiet', '-n', '--dry-run', '--ignore-unmatch', '--', NON_OPTION],
    decision: 'escalate',
    match: [['rm', '--cached', 'a'], ['rm', '-rf', 'dir']],
    notMatch: [['rm', '--pathspec-from-file=/etc/passwd']],
  },
  {
    id: 'git-mv',
    args: ['mv', '**'],
    starArgs: ['-f', '--force', '-k', '-n', '--dry-run', '-v', '--verbose', '--', NON_OPTION],
    decision: 'escalate',
    match: [['mv', 'a', 'b']],
    notMatch: [['mv', '--', '-x', 'b']],
  },
  {
    id: 'git-restore',
    args: ['restore', '**'],
    starArgs: ['--staged', '-S', '--worktree', '-W', '-q', '--quiet', '-s', '--source=*', '--', NON_OPTION],
    decision: 'escalate',
    match: [['restore', '--staged', 'a'], ['restore', '-s', 'HEAD~1', '--', 'a']],
    notMatch: [['restore', '-p'], ['restore', '--pathspec-from-file=/etc/passwd']],
  },
  {
    id: 'git-switch',
    args: ['switch', '**'],
    starArgs: ['-c', '--create', '-d', '--detach', '-q', '--quiet', '--discard-changes', '-', NON_OPTION],
    decision: 'escalate',
    match: [['switch', 'main'], ['switch', '-c', 'feature'], ['switch', '-']],
    notMatch: [['switch', '-C', 'main'], ['switch', '--orphan', 'x']],
  },
  {
    id: 'git-checkout',
    args: ['checkout', '**'],
    starArgs: ['-b', '-q', '--quiet', '-', '--', NON_OPTION],
    decision: 'escalate',
    match: [['checkout', 'main'], ['checkout', '-b', 'feature'], ['checkout', '--', 'file']],
    notMatch: [['checkout', '-p'], ['checkout', '-B', 'main'], ['checkout', '--pathspec-from-file=/etc/passwd']],
  },
  {
    id: 'git-branch',
    args: ['branch', '**', NON_OPTION, '**'],
    starArgs: ['-d', '--delete', '-m', '--move', '-c', '--copy', NON_OPTION],
    decision: 'escalate',
    match: [['branch', 'feature'], ['branch', '-d', 'old'], ['branch', '-m', 'old', 'new']],
    notMatch: [['branch'], ['branch', '-a'], ['branch', '--list', 'x'], ['branch', '-D', 'x'], ['branch', '-M', 'x'], ['branch', '--edit-description', 'x']],
  },
  {
    id: 'git-tag',
    args: ['tag', '**', NON_OPTION, '**'],
    starArgs: ['-d', '--delete', NON_OPTION],
    decision: 'escalate',
    match: [['tag', 'v1'], ['tag', '-d', 'v1']],
    notMatch: [['tag'], ['tag', '-l'], ['tag', '-a', 'v1'], ['tag', '-f', 'v1']],
  },
  {
    id: 'git-tag-annotated',
    args: ['tag', '**', '-m*', '**'],
    starArgs: ['-a', '--annotate', '-m*', NON_OPTION],
    decision: 'escalate',
    match: [['tag', '-a', 'v1', '-m', 'release']],
    notMatch: [['tag', '-a', 'v1', '-F', '/etc/passwd', '-m', 'x'], ['tag', '-s', 'v1', '-m', 'x']],
  },
  {
    id: 'git-stash',
    args: ['stash', '**'],
    starArgs: ['-u', '--include-untracked', '-k', '--keep-index', '-q', '--quiet'],
    decision: 'escalate',
    match: [['stash'], ['stash', '-u']],
    notMatch: [['stash', 'list'], ['stash', 'show'], ['stash', '-p']],
  },
  {
    id: 'git-stash-push',
    args: ['stash', 'push', '**'],
    starArgs: ['-u', '--include-untracked', '-k', '--keep-index', '-q', '--quiet', '-m*', '--message=*', '--', NON_OPTION],
    decision: 'escalate',
    match: [['stash', 'push', '-m', 'wip']],
    notMatch: [['stash', 'push', '-p'], ['stash', 'push', '--pathspec-from-file=/etc/passwd']],
  },
  stashSub('pop'),
  stashSub('apply'),
  stashSub('drop'),
  {
    id: 'git-reset',
    args: ['reset', '**'],
    starArgs: ['--soft', '--mixed', '-q', '--quiet', '--', NON_OPTION],
    decision: 'escalate',
    match: [['reset'], ['reset', 'HEAD', 'a'], ['reset', '--soft', 'HEAD~1']],
    notMatch: [['reset', '--hard'], ['reset', '-p'], ['reset', '--pathspec-from-file=/etc/passwd']],
  },
  ...['push', 'pull', 'fetch', 'merge', 'rebase', 'cherry-pick', 'revert', 'am', 'submodule', 'worktree', 'gc', 'prune', 'repack', 'update-ref', 'update-index', 'symbolic-ref', 'filter-branch', 'replace', 'notes', 'bisect', 'lfs', 'sparse-checkout', 'maintenance', 'pack-refs'].map(asks),
];

/** The built-in rules as a policy file writes them, and the line of each
 * rule's [[rule]] header in that text (what a Rule's `line` says). */
function asToml(): { text: string; lines: number[] } {
  const list = (xs: readonly string[]) => `[${xs.map((x) => JSON.stringify(x)).join(', ')}]`;
  const out: string[] = [];
  const lines: number[] = [];
  for (const r of GIT_RULES) {
    out.push('');
    lines.push(out.length + 1);
    out.push('[[rule]]', `id = ${JSON.stringify(r.id)}`, 'program = "git"', `args = ${list(r.args)}`);
    if (r.starArgs) out.push(`star_args = ${list(r.starArgs)}`);
    out.push(`decision = ${JSON.stringify(r.decision)}`);
    if (r.match) out.push(`match = [${r.match.map(list).join(', ')}]`);
    if (r.notMatch) out.push(`not_match = [${r.notMatch.map(list).join(', ')}]`);
  }
  return { text: `${out.join('\n')}\n`, lines };
}

/** The built-in rules as TOML, for the full loader (the tests). */
export function builtinGitToml(): string {
  return asToml().text;
}

let made: Rule[] | null = null;
const builtinRules = new WeakSet<Rule>();

/** The built-in git rules, made once (each a fresh copy of the data). */
export function builtinGitRules(): Rule[] {
  if (made === null) {
    const { lines } = asToml();
    made = GIT_RULES.map((r, i) => {
      const rule: Rule = { id: r.id, program: 'git', decision: r.decision, line: lines[i]!, args: [...r.args] };
      if (r.starArgs) rule.starArgs = [...r.starArgs];
      if (r.match) rule.match = r.match.map((m) => [...m]);
      if (r.notMatch) rule.notMatch = r.notMatch.map((m) => [...m]);
      return rule;
    });
    made.forEach((r) => builtinRules.add(r));
  }
  return made;
}

/** Was this escalation decided by a built-in git rule without a human? Then
 * the session must pin the repository (pinGitRepository) or ask instead. */
export function needsGitPin(rule: Rule | null): boolean {
  return rule !== null && builtinRules.has(rule) && rule.decision === 'escalate';
}
