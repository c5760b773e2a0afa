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
import { parsePolicy } from './load.js';
import type { Rule } from './types.js';

const NON_OPTION = '"[!-]*"';

/** The name the built-in rules' errors give as their file. */
export const BUILTIN_GIT_SOURCE = '(built-in git rules)';

export const BUILTIN_GIT_RULES = `
[[rule]]
id = "git-add"
program = "git"
args = ["add", "**"]
star_args = ["-A", "--all", "-u", "--update", "-N", "--intent-to-add", "-f", "--force", "-v", "--verbose", "-n", "--dry-run", "--", ${NON_OPTION}]
decision = "escalate"
match = [["add", "."], ["add", "-A"], ["add", "--", "src/a.ts", "b c"]]
not_match = [["add", "-p"], ["add", "-i"], ["add", "-e"], ["add", "--pathspec-from-file=/etc/passwd"], ["add", "--pathspec-from-file", "x"], ["add", "--renormalize"]]

[[rule]]
id = "git-commit"
program = "git"
args = ["commit", "**", "-m*", "**"]
star_args = ["-a", "--all", "-q", "--quiet", "-s", "--signoff", "--amend", "--no-edit", "--allow-empty", "-m*", "-am*", "--message=*", "--", ${NON_OPTION}]
decision = "escalate"
match = [["commit", "-m", "fix: x"], ["commit", "-a", "-m", "msg", "-m", "body"], ["commit", "--amend", "-m", "msg"], ["commit", "-mmsg", "--", "file"]]
not_match = [["commit"], ["commit", "-m", "x", "-F", "/etc/passwd"], ["commit", "-F", "/etc/passwd", "-m", "x"], ["commit", "-m", "x", "--file=/etc/passwd"], ["commit", "-m", "x", "-t", "/etc/passwd"], ["commit", "-m", "x", "--template=/etc/passwd"], ["commit", "-m", "x", "-e"], ["commit", "-m", "x", "--no-verify"], ["commit", "-m", "x", "-S"], ["commit", "-m", "x", "--pathspec-from-file=/etc/x"], ["commit", "-m", "x", "-aF", "/etc/passwd"], ["commit", "-m", "x", "--fil=/etc/passwd"]]

[[rule]]
id = "git-commit-am"
program = "git"
args = ["commit", "**", "-am*", "**"]
star_args = ["-q", "--quiet", "-s", "--signoff", "--amend", "--allow-empty", "-m*", "-am*", "--", ${NON_OPTION}]
decision = "escalate"
match = [["commit", "-am", "msg"]]
not_match = [["commit", "-am", "msg", "-e"]]

[[rule]]
id = "git-commit-message"
program = "git"
args = ["commit", "**", "--message=*", "**"]
star_args = ["-a", "--all", "-q", "--quiet", "-s", "--signoff", "--amend", "--allow-empty", "--message=*", "--", ${NON_OPTION}]
decision = "escalate"
match = [["commit", "--message=fix"]]
not_match = [["commit", "--message=x", "--edit"]]

[[rule]]
id = "git-commit-no-edit"
program = "git"
args = ["commit", "**", "--no-edit", "**"]
star_args = ["-a", "--all", "-q", "--quiet", "--amend", "--no-edit", "--", ${NON_OPTION}]
decision = "escalate"
match = [["commit", "--amend", "--no-edit"], ["commit", "-a", "--amend", "--no-edit"]]
not_match = [["commit", "--amend"], ["commit", "--no-edit", "-c", "HEAD"]]

[[rule]]
id = "git-rm"
program = "git"
args = ["rm", "**"]
star_args = ["-r", "-f", "-rf", "-fr", "--force", "--cached", "-q", "--quiet", "-n", "--dry-run", "--ignore-unmatch", "--", ${NON_OPTION}]
decision = "escalate"
match = [["rm", "--cached", "a"], ["rm", "-rf", "dir"]]
not_match = [["rm", "--pathspec-from-file=/etc/passwd"]]

[[rule]]
id = "git-mv"
program = "git"
args = ["mv", "**"]
star_args = ["-f", "--force", "-k", "-n", "--dry-run", "-v", "--verbose", "--", ${NON_OPTION}]
decision = "escalate"
match = [["mv", "a", "b"]]
not_match = [["mv", "--", "-x", "b"]]

[[rule]]
id = "git-restore"
program = "git"
args = ["restore", "**"]
star_args = ["--staged", "-S", "--worktree", "-W", "-q", "--quiet", "-s", "--source=*", "--", ${NON_OPTION}]
decision = "escalate"
match = [["restore", "--staged", "a"], ["restore", "-s", "HEAD~1", "--", "a"]]
not_match = [["restore", "-p"], ["restore", "--pathspec-from-file=/etc/passwd"]]

[[rule]]
id = "git-switch"
program = "git"
args = ["switch", "**"]
star_args = ["-c", "--create", "-d", "--detach", "-q", "--quiet", "--discard-changes", "-", ${NON_OPTION}]
decision = "escalate"
match = [["switch", "main"], ["switch", "-c", "feature"], ["switch", "-"]]
not_match = [["switch", "-C", "main"], ["switch", "--orphan", "x"]]

[[rule]]
id = "git-checkout"
program = "git"
args = ["checkout", "**"]
star_args = ["-b", "-q", "--quiet", "-", "--", ${NON_OPTION}]
decision = "escalate"
match = [["checkout", "main"], ["checkout", "-b", "feature"], ["checkout", "--", "file"]]
not_match = [["checkout", "-p"], ["checkout", "-B", "main"], ["checkout", "--pathspec-from-file=/etc/passwd"]]

[[rule]]
id = "git-branch"
program = "git"
args = ["branch", "**", ${NON_OPTION}, "**"]
star_args = ["-d", "--delete", "-m", "--move", "-c", "--copy", ${NON_OPTION}]
decision = "escalate"
match = [["branch", "feature"], ["branch", "-d", "old"], ["branch", "-m", "old", "new"]]
not_match = [["branch"], ["branch", "-a"], ["branch", "--list", "x"], ["branch", "-D", "x"], ["branch", "-M", "x"], ["branch", "--edit-description", "x"]]

[[rule]]
id = "git-tag"
program = "git"
args = ["tag", "**", ${NON_OPTION}, "**"]
star_args = ["-d", "--delete", ${NON_OPTION}]
decision = "escalate"
match = [["tag", "v1"], ["tag", "-d", "v1"]]
not_match = [["tag"], ["tag", "-l"], ["tag", "-a", "v1"], ["tag", "-f", "v1"]]

[[rule]]
id = "git-tag-annotated"
program = "git"
args = ["tag", "**", "-m*", "**"]
star_args = ["-a", "--annotate", "-m*", ${NON_OPTION}]
decision = "escalate"
match = [["tag", "-a", "v1", "-m", "release"]]
not_match = [["tag", "-a", "v1", "-F", "/etc/passwd", "-m", "x"], ["tag", "-s", "v1", "-m", "x"]]

[[rule]]
id = "git-stash"
program = "git"
args = ["stash", "**"]
star_args = ["-u", "--include-untracked", "-k", "--keep-index", "-q", "--quiet"]
decision = "escalate"
match = [["stash"], ["stash", "-u"]]
not_match = [["stash", "list"], ["stash", "show"], ["stash", "-p"]]

[[rule]]
id = "git-stash-push"
program = "git"
args = ["stash", "push", "**"]
star_args = ["-u", "--include-untracked", "-k", "--keep-index", "-q", "--quiet", "-m*", "--message=*", "--", ${NON_OPTION}]
decision = "escalate"
match = [["stash", "push", "-m", "wip"]]
not_match = [["stash", "push", "-p"], ["stash", "push", "--pathspec-from-file=/etc/passwd"]]

${['pop', 'apply', 'drop']
  .map((sub) => `[[rule]]\nid = "git-stash-${sub}"\nprogram = "git"\nargs = ["stash", "${sub}", "**"]\nstar_args = [${sub === 'drop' ? '' : '"--index", '}"-q", "--quiet", ${NON_OPTION}]\ndecision = "escalate"\nmatch = [["stash", "${sub}"], ["stash", "${sub}", "stash@{1}"]]\nnot_match = [["stash", "${sub}", "-p"]]\n\n`)
  .join('')}[[rule]]
id = "git-reset"
program = "git"
args = ["reset", "**"]
star_args = ["--soft", "--mixed", "-q", "--quiet", "--", ${NON_OPTION}]
decision = "escalate"
match = [["reset"], ["reset", "HEAD", "a"], ["reset", "--soft", "HEAD~1"]]
not_match = [["reset", "--hard"], ["reset", "-p"], ["reset", "--pathspec-from-file=/etc/passwd"]]
${['push', 'pull', 'fetch', 'merge', 'rebase', 'cherry-pick', 'revert', 'am', 'submodule', 'worktree', 'gc', 'prune', 'repack', 'update-ref', 'update-index', 'symbolic-ref', 'filter-branch', 'replace', 'notes', 'bisect', 'lfs', 'sparse-checkout', 'maintenance', 'pack-refs']
  .map((sub) => `\n[[rule]]\nid = "git-${sub}-asks"\nprogram = "git"\nargs = ["${sub}", "**"]\ndecision = "prompt"\n`)
  .join('')}`;

let parsed: Rule[] | null = null;
const builtinRules = new WeakSet<Rule>();

/** The built-in git rules, parsed once. Their examples are checked by the
 * tests (builtin-git.test.ts), not at every start-up: the text is a constant. */
export function builtinGitRules(): Rule[] {
  if (parsed === null) {
    parsed = parsePolicy(BUILTIN_GIT_RULES, BUILTIN_GIT_SOURCE, { skipExamples: true }).rules;
    parsed.forEach((r) => builtinRules.add(r));
  }
  return parsed;
}

/** Was this escalation decided by a built-in git rule without a human? Then
 * the session must pin the repository (pinGitRepository) or ask instead. */
export function needsGitPin(rule: Rule | null): boolean {
  return rule !== null && builtinRules.has(rule) && rule.decision === 'escalate';
}
