// The conformance table (issue 7): small scripts that must behave under
// `execgate shell` exactly as under the unpatched bash, once with every exec
// Run in the sandbox and once with every exec Escalated to the host, plus the
// execs the broker must have decided.
//
// Every expectation here is written by hand from what bash, the kernel and
// the programs do; nothing is taken from a run of the system under test.
//
// Reading a case:
// - `run`: the execs the broker decides when every exec is Run (multiset:
//   pipelines and background jobs reach it in any order). A bare program
//   name matches any path with that file name; a name with a slash must
//   match exactly. argv is the real bytes (the test applies the audit log's
//   display escaping); {project} in an argument is the project directory.
// - `escalate`: the same under Escalate, when it differs.
// - `knownDifferences`: what cannot be identical, and why. With `expected`,
//   the test checks that the mode does exactly that instead ({project} is
//   the project directory); without, that field is not compared. A listed
//   stdout/stderr/status difference that disappears fails the test too, so
//   the list stays true. `record` entries document why a mode's record is
//   what it is (the record itself is always checked).
// - `sandbox: 'bwrap'` with `bwrapBecause`: the case needs /bin/sh and
//   /bin/bash to be the patched bash (bound over them inside bubblewrap), so
//   that the commands of nested shells are intercepted. Everything else runs
//   with --sandbox none. Under bwrap the `run` record also holds the execs
//   the seccomp backstop decided (those made without the shell: xargs's,
//   find's, make's own); under Escalate those programs run on the host.
import { x, xp, type ExpectedExec, type FileSpec, type Sandbox } from '../helpers/conformance.js';

export type Field = 'stderr' | 'stdout' | 'status' | 'after' | 'record';

export interface KnownDifference {
  mode: 'run' | 'escalate';
  what: Field;
  reason: string;
  /** What the mode does instead: text for stdout/stderr ({project} = the
   * project directory), a number for status. Omitted: not compared. */
  expected?: string | number | RegExp;
}

export interface ConformanceCase {
  name: string;
  /** bash text, run as `bash -c SCRIPT conf` (so $0 and message prefixes are `conf`). */
  script: string;
  /** Files created in a fresh project directory (the cwd) before the run. */
  files?: Record<string, FileSpec>;
  stdin?: string;
  /** A snippet run on the host in the project directory once the shell has
   * exited (see RunSpec.after); its stdout is compared like stdout. */
  after?: string;
  sandbox?: Sandbox;
  bwrapBecause?: string;
  run: ExpectedExec[];
  escalate?: ExpectedExec[];
  knownDifferences?: KnownDifference[];
  /** What the record leaves out and why (for the README). */
  note?: string;
  timeoutMs?: number;
}

const exe = (content: string | Buffer, mode = 0o755): FileSpec => ({ content, mode });

// Reasons shared by several cases.
const HOST_SHELL =
  'an escalated shell, script, make, find or xargs runs on the host, whose /bin/sh and /bin/bash are the ordinary unpatched shells: the commands it starts are not intercepted (they run on the host, which is what escalating it asked for)';
const NOT_A_SHELL =
  'programs that start programs themselves without a shell (env, xargs, find -exec, make for a recipe line without shell syntax, a #! interpreter) do not go through the wrapper (only the patched bash does): with --sandbox none nothing sees their execs; under --sandbox bwrap the seccomp backstop decides each one (audited with via "seccomp"), and the programs rules name are shims that ask as the wrapper does';
const STDIO_ONLY = 'an escalated command gets the caller\'s fds 0, 1 and 2 only; any other fd, and so /dev/fd/N for N > 2 (process substitution), does not exist on the host';
const WRAPPER_EXPLAINS =
  'bash has already exec\'d the wrapper when the kernel refuses the file, so the wrapper reports the failure itself: it cannot know the shell\'s name and line ("conf: line N:"), so the message starts with "execgate:"';
const BROKER_EXPLAINS = 'the host refuses the file; the broker reports it with the host path and the strerror text, as "execgate: PATH: ERROR"';

export const cases: ConformanceCase[] = [
  {
    name: 'simple commands',
    script: `echo builtin
/bin/echo absolute
ls -d /
/usr/bin/printf '%s|' a 'b c' ''
echo
/bin/true; echo "true $?"
/bin/false; echo "false $?"`,
    run: [x('/bin/echo', 'absolute'), x('ls', '-d', '/'), x('/usr/bin/printf', '%s|', 'a', 'b c', ''), x('/bin/true'), x('/bin/false')],
  },
  {
    name: 'arguments byte for byte, globs',
    script: `/usr/bin/printf '[%s]\\n' '' 'a b' $'tab\\there' $'new\\nline' '*' '$HOME' 'back\\slash' 'ünïcødé' $'\\xff\\xfe'
ls *.txt`,
    files: { 'a.txt': '', 'b.txt': '' },
    run: [x('/usr/bin/printf', '[%s]\\n', '', 'a b', 'tab\there', 'new\nline', '*', '$HOME', 'back\\slash', 'ünïcødé', Buffer.from([0xff, 0xfe])), x('ls', 'a.txt', 'b.txt')],
  },
  {
    name: 'exit statuses of commands, && and ||',
    script: `/bin/false; echo "st $?"
sh -c 'exit 3'; echo "st $?"
ls /nonexistent-eg-conf 2>/dev/null; echo "st $?"
! /bin/true; echo "st $?"
/bin/true && /bin/echo and || /bin/echo or
/bin/false || /bin/echo "or $?"`,
    run: [x('/bin/false'), x('/bin/false'), x('sh', '-c', 'exit 3'), x('ls', '/nonexistent-eg-conf'), x('/bin/true'), x('/bin/true'), x('/bin/echo', 'and'), x('/bin/echo', 'or 1')],
  },
  {
    name: 'a single command is exec\'d in place of the shell',
    script: 'ls -d / /nonexistent-eg-conf',
    run: [x('ls', '-d', '/', '/nonexistent-eg-conf')],
  },
  {
    name: 'not found, not executable, directories: decided by bash before any exec',
    script: `./missing; echo "st $?"
./notexec; echo "st $?"
./adir; echo "st $?"
/etc/passwd; echo "st $?"
nonexistent_cmd_eg; echo "st $?"
hash -p /nonexistent/eg stale; stale; echo "st $?"
exec ./missing
echo unreachable`,
    files: { notexec: { content: 'echo hi\n', mode: 0o644 }, adir: { dir: true } },
    run: [],
    note: 'bash finds these out before it would exec (the patch\'s preflight), so the broker never hears of them',
  },
  {
    name: 'a missing or unusable #! interpreter, a bad binary',
    script: `./badinterp; echo "st $?"
./deniedinterp; echo "st $?"
./badelf; echo "st $?"`,
    files: {
      badinterp: exe('#!/nonexistent/interp\necho hi\n'),
      deniedinterp: exe('#!/etc/passwd\necho hi\n'),
      badelf: exe(Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01', 'latin1'), Buffer.alloc(9), Buffer.from('garbage')])),
    },
    run: [x('./badinterp'), x('./deniedinterp'), x('./badelf')],
    knownDifferences: [
      {
        mode: 'run',
        what: 'stderr',
        reason: WRAPPER_EXPLAINS,
        expected: 'execgate: ./badinterp: cannot execute: required file not found\nexecgate: ./deniedinterp: /etc/passwd: bad interpreter: Permission denied\nexecgate: ./badelf: cannot execute binary file: Exec format error\n',
      },
      {
        mode: 'escalate',
        what: 'stderr',
        reason: BROKER_EXPLAINS,
        expected: 'execgate: {project}/badinterp: No such file or directory\nexecgate: {project}/deniedinterp: Permission denied\nexecgate: {project}/badelf: Exec format error\n',
      },
    ],
  },
  {
    name: 'pipelines, PIPESTATUS, pipefail',
    script: `printf 'b\\na\\nc\\n' | sort | tr a-z A-Z | cat -n
/bin/false | /bin/true; echo "\${PIPESTATUS[*]}"
set -o pipefail
ls -d / | /bin/false; echo "pipefail $?"`,
    run: [x('sort'), x('tr', 'a-z', 'A-Z'), x('cat', '-n'), x('/bin/false'), x('/bin/true'), x('ls', '-d', '/'), x('/bin/false')],
  },
  {
    name: 'subshells',
    script: `( cd /usr && ls -d bin; /bin/echo "in subshell" )
(exit 4); echo "st $?"
x=outer; ( x=inner; /bin/echo "$x" ); echo "$x"
( ( /bin/echo nested ) | cat )`,
    run: [x('ls', '-d', 'bin'), x('/bin/echo', 'in subshell'), x('/bin/echo', 'inner'), x('/bin/echo', 'nested'), x('cat')],
  },
  {
    name: 'command substitution',
    script: `x=$(ls -d /usr); echo "got $x"
y=$(/bin/echo a; /bin/echo b); echo "$y"
echo "n=$(/usr/bin/printf '%s' "$(basename /a/b/c)")"
z=$(/bin/false); echo "st $?"
echo "$(/bin/echo \`/bin/echo backticks\`)"`,
    run: [
      x('ls', '-d', '/usr'),
      x('/bin/echo', 'a'),
      x('/bin/echo', 'b'),
      x('basename', '/a/b/c'),
      x('/usr/bin/printf', '%s', 'c'),
      x('/bin/false'),
      x('/bin/echo', 'backticks'),
      x('/bin/echo', 'backticks'),
    ],
  },
  {
    name: 'process substitution',
    // The last `wait` waits for every process substitution (bash 5.2 does,
    // though its manual names only the last): the session ends with the shell,
    // so one still escalating then would be ended and say "lost connection to
    // the broker" (a CI run did, under load); "background jobs that outlive
    // the shell" is the case for that.
    script: `cat <(/bin/echo from-procsub); echo "st $?"
paste <(seq 1 3) <(seq 4 6); echo "st $?"
{ /bin/echo "to procsub"; } > >(tr a-z A-Z); wait $!
wait`,
    run: [
      x('cat', '/dev/fd/63'),
      x('/bin/echo', 'from-procsub'),
      x('paste', '/dev/fd/63', '/dev/fd/62'),
      x('seq', '1', '3'),
      x('seq', '4', '6'),
      x('/bin/echo', 'to procsub'),
      x('tr', 'a-z', 'A-Z'),
    ],
    knownDifferences: [
      { mode: 'escalate', what: 'stdout', reason: `${STDIO_ONLY}; \`> >(cmd)\` works, since bash dups the pipe onto fd 1 (the group { } makes the parent shell own the process substitution, so that \`wait $!\` waits for it)`, expected: 'st 1\nst 1\nTO PROCSUB\n' },
      {
        mode: 'escalate',
        what: 'stderr',
        reason: STDIO_ONLY,
        expected: 'cat: /dev/fd/63: No such file or directory\npaste: /dev/fd/63: No such file or directory\n',
      },
    ],
  },
  {
    name: 'exec',
    script: `/bin/echo before
(exec ls -d /)
(exec /bin/echo "exec in subshell")
exec 3>&1
/bin/echo via-fd3 >&3
exec /bin/echo replaced
echo never`,
    run: [x('/bin/echo', 'before'), x('ls', '-d', '/'), x('/bin/echo', 'exec in subshell'), x('/bin/echo', 'via-fd3'), x('/bin/echo', 'replaced')],
  },
  {
    name: 'exec -a and exec -l set argv[0]',
    script: `(exec -a renamed cat /proc/self/cmdline) | tr '\\0' ' '; echo
(exec -l cat /proc/self/cmdline) | tr '\\0' ' '; echo`,
    run: [xp('cat', ['renamed', '/proc/self/cmdline']), xp('cat', ['-cat', '/proc/self/cmdline']), x('tr', '\\0', ' '), x('tr', '\\0', ' ')],
  },
  {
    name: 'exec -c (an empty environment)',
    script: `(exec -c /bin/echo "empty environment"); echo "st $?"
(exec -c ls -d /); echo "st $?"`,
    run: [x('/bin/echo', 'empty environment'), x('ls', '-d', '/')],
    note: '`exec -c` removes $EXECGATE_SOCKET too: the wrapper then finds the session at fd 87 (patches/README.md: a wrapper must not depend on environment variables alone). Failed with "EXECGATE_SOCKET: not set" before 275eb5c',
  },
  {
    name: 'command, command -p, command -v',
    script: `command ls -d /
command -p ls -d /usr
command /bin/echo via-command
command -v ls
type -P cat`,
    run: [x('ls', '-d', '/'), x('ls', '-d', '/usr'), x('/bin/echo', 'via-command')],
  },
  {
    name: 'hashed paths',
    script: `hash -p /bin/echo fake; fake hello
hash -p /usr/bin/printf pf; pf '%s\\n' from-pf
type fake
ls -d / >/dev/null; hash -t ls`,
    run: [xp('/bin/echo', ['fake', 'hello']), xp('/usr/bin/printf', ['pf', '%s\\n', 'from-pf']), x('ls', '-d', '/')],
  },
  {
    name: 'functions and sourced files',
    script: `f() { /bin/echo "in f $1"; ls -d "$1"; return 3; }
f /; echo "st $?"
g() { f "$@" | cat; }
g /usr
. ./lib.sh arg
lsd /usr/share`,
    files: { 'lib.sh': '/bin/echo "sourced $1"\nlsd() { ls -d "$@"; }\n' },
    run: [x('/bin/echo', 'in f /'), x('ls', '-d', '/'), x('/bin/echo', 'in f /usr'), x('ls', '-d', '/usr'), x('cat'), x('/bin/echo', 'sourced arg'), x('ls', '-d', '/usr/share')],
  },
  {
    name: 'traps: EXIT, ERR, a signal',
    script: `trap '/bin/echo "exit trap $?"' EXIT
trap '/bin/echo got-usr1' USR1
kill -USR1 $$
trap '/bin/echo "err trap $?"' ERR
/bin/false
trap - ERR
/bin/echo main
exit 3`,
    run: [x('/bin/echo', 'got-usr1'), x('/bin/false'), x('/bin/echo', 'err trap 1'), x('/bin/echo', 'main'), x('/bin/echo', 'exit trap 3')],
  },
  {
    name: '#!/bin/sh and #!/bin/bash scripts',
    script: `./script.sh one; echo "st $?"
./script.bash two; echo "st $?"
sh ./script.sh three; echo "st $?"`,
    files: {
      'script.sh': exe('#!/bin/sh\n/bin/echo "script.sh $1 $#"\nls -d /\nexit 5\n'),
      'script.bash': exe('#!/bin/bash\na=(x y z)\n[[ ${#a[@]} == 3 ]] && /bin/echo "script.bash $1 ${a[1]}"\n'),
    },
    sandbox: 'bwrap',
    bwrapBecause: 'the scripts\' interpreters /bin/sh and /bin/bash must be the patched bash for their commands to be intercepted',
    run: [
      x('./script.sh', 'one'),
      x('/bin/echo', 'script.sh one 1'),
      x('ls', '-d', '/'),
      x('./script.bash', 'two'),
      x('/bin/echo', 'script.bash two y'),
      x('sh', './script.sh', 'three'),
      x('/bin/echo', 'script.sh three 1'),
      x('ls', '-d', '/'),
    ],
    escalate: [x('./script.sh', 'one'), x('./script.bash', 'two'), x('sh', './script.sh', 'three')],
    knownDifferences: [{ mode: 'escalate', what: 'record', reason: HOST_SHELL }],
  },
  {
    name: 'other #! interpreters (env python3, awk -f)',
    script: `./hello.py a b; echo "st $?"
./hello.awk x`,
    files: {
      'hello.py': exe('#!/usr/bin/env python3\nimport sys\nprint("py", sys.argv[1:])\nsys.exit(2)\n'),
      'hello.awk': exe('#!/usr/bin/awk -f\nBEGIN { print "awk", ARGV[1] }\n'),
    },
    run: [x('./hello.py', 'a', 'b'), x('./hello.awk', 'x')],
    note: `the interpreter is started by the kernel (and env by the kernel, python3 by env): ${NOT_A_SHELL}`,
  },
  {
    name: 'shebang-less scripts and empty files: bash runs them itself',
    script: `./noshebang a b; echo "st $?"
./noshebang | cat
x=$(./noshebang c); echo "[$x]"
./empty; echo "empty $?"`,
    files: { noshebang: exe('/bin/echo "noshebang $0 $# $1"\nls -d /\nexit 4\n'), empty: exe('') },
    run: [
      x('/bin/echo', 'noshebang ./noshebang 2 a'),
      x('ls', '-d', '/'),
      x('/bin/echo', 'noshebang ./noshebang 0 '),
      x('ls', '-d', '/'),
      x('cat'),
      x('/bin/echo', 'noshebang ./noshebang 1 c'),
      x('ls', '-d', '/'),
    ],
    note: 'the script file itself is never exec\'d (the kernel could not run it), so only its commands reach the broker, in both modes',
  },
  {
    name: 'sh -c',
    script: `sh -c '/bin/echo "in sh $0 $1"; ls -d /' zero one; echo "st $?"
sh -c 'exit 7'; echo "st $?"
echo piped | sh -c 'read -r l; /bin/echo "sh read $l"'`,
    sandbox: 'bwrap',
    bwrapBecause: 'sh must be the patched bash for the commands of `sh -c` to be intercepted',
    run: [
      x('sh', '-c', '/bin/echo "in sh $0 $1"; ls -d /', 'zero', 'one'),
      x('/bin/echo', 'in sh zero one'),
      x('ls', '-d', '/'),
      x('sh', '-c', 'exit 7'),
      x('sh', '-c', 'read -r l; /bin/echo "sh read $l"'),
      x('/bin/echo', 'sh read piped'),
    ],
    escalate: [x('sh', '-c', '/bin/echo "in sh $0 $1"; ls -d /', 'zero', 'one'), x('sh', '-c', 'exit 7'), x('sh', '-c', 'read -r l; /bin/echo "sh read $l"')],
    knownDifferences: [{ mode: 'escalate', what: 'record', reason: HOST_SHELL }],
  },
  {
    name: 'sh -c error messages',
    script: `sh -c 'nonexistent_cmd_eg'; echo "st $?"`,
    sandbox: 'bwrap',
    bwrapBecause: 'it shows what /bin/sh is inside the sandbox',
    run: [x('sh', '-c', 'nonexistent_cmd_eg')],
    knownDifferences: [
      {
        mode: 'run',
        what: 'stderr',
        reason: 'inside the sandbox /bin/sh is the patched bash (bound over the host\'s dash so that sh -c stays intercepted), so sh\'s own messages are bash\'s; escalated, sh is the host\'s dash again',
        expected: 'sh: line 1: nonexistent_cmd_eg: command not found\n',
      },
    ],
  },
  {
    name: 'nested bash -c',
    script: `bash -c '/bin/echo "level1 $0"; bash -c "ls -d /; /bin/echo level2 \\$0" L2' L1; echo "st $?"`,
    sandbox: 'bwrap',
    bwrapBecause: 'bash must be the patched bash for nested shells\' commands to be intercepted',
    run: [
      x('bash', '-c', '/bin/echo "level1 $0"; bash -c "ls -d /; /bin/echo level2 \\$0" L2', 'L1'),
      x('/bin/echo', 'level1 L1'),
      x('bash', '-c', 'ls -d /; /bin/echo level2 $0', 'L2'),
      x('ls', '-d', '/'),
      x('/bin/echo', 'level2', 'L2'),
    ],
    escalate: [x('bash', '-c', '/bin/echo "level1 $0"; bash -c "ls -d /; /bin/echo level2 \\$0" L2', 'L1')],
    knownDifferences: [{ mode: 'escalate', what: 'record', reason: HOST_SHELL }],
  },
  {
    name: 'env X=1 cmd',
    script: `env X=1 sh -c 'echo "X=$X"'
env -u HOME /usr/bin/printenv LC_ALL
env -i /usr/bin/printenv; echo "st $?"
env /bin/echo via-env`,
    run: [x('env', 'X=1', 'sh', '-c', 'echo "X=$X"'), x('env', '-u', 'HOME', '/usr/bin/printenv', 'LC_ALL'), x('env', '-i', '/usr/bin/printenv'), x('env', '/bin/echo', 'via-env')],
    note: NOT_A_SHELL,
  },
  {
    name: 'assignments and exports: the environment of a command',
    script: `X=2 printenv X; echo "st $?"
export Y=3; printenv Y; echo "st $?"
LC_EG=allowed printenv LC_EG`,
    run: [x('printenv', 'X'), x('printenv', 'Y'), x('printenv', 'LC_EG')],
    knownDifferences: [
      {
        mode: 'escalate',
        what: 'stdout',
        reason: 'only the allowlisted part of the environment crosses to the host (TERM, LANG, LC_*, TZ, ... and env_allow): X and Y do not, LC_EG does (by design: the sandbox must not steer host programs through their environment)',
        expected: 'st 1\nst 1\nallowed\n',
      },
    ],
  },
  {
    name: 'xargs',
    script: `printf 'a\\nb\\n' | xargs /bin/echo got
printf '1\\n2\\n' | xargs -n1 sh -c '/bin/echo "item $0"'
printf 'usr\\n' | xargs -I{} ls -d /{}`,
    sandbox: 'bwrap',
    bwrapBecause: 'the sh that xargs starts must be the patched bash for its commands to be intercepted',
    run: [
      x('xargs', '/bin/echo', 'got'),
      x('xargs', '-n1', 'sh', '-c', '/bin/echo "item $0"'),
      x('/bin/echo', 'item 1'),
      x('/bin/echo', 'item 2'),
      x('xargs', '-I{}', 'ls', '-d', '/{}'),
      // xargs's own execs, decided by the seccomp backstop
      x('/bin/echo', 'got', 'a', 'b'),
      x('sh', '-c', '/bin/echo "item $0"', '1'),
      x('sh', '-c', '/bin/echo "item $0"', '2'),
      x('ls', '-d', '/usr'),
    ],
    escalate: [x('xargs', '/bin/echo', 'got'), x('xargs', '-n1', 'sh', '-c', '/bin/echo "item $0"'), x('xargs', '-I{}', 'ls', '-d', '/{}')],
    note: `${NOT_A_SHELL}; the sh that xargs starts is the patched bash in the sandbox, so its commands are`,
    knownDifferences: [{ mode: 'escalate', what: 'record', reason: HOST_SHELL }],
  },
  {
    name: 'find -exec',
    script: `find d -type f -exec /bin/echo found {} \\; | sort
find d -type f -exec sh -c '/bin/echo "sh sees $1"' _ {} \\; | sort`,
    files: { 'd/a': '', 'd/b': '' },
    sandbox: 'bwrap',
    bwrapBecause: 'the sh that find -exec starts must be the patched bash for its commands to be intercepted',
    run: [
      x('find', 'd', '-type', 'f', '-exec', '/bin/echo', 'found', '{}', ';'),
      x('sort'),
      x('find', 'd', '-type', 'f', '-exec', 'sh', '-c', '/bin/echo "sh sees $1"', '_', '{}', ';'),
      x('sort'),
      x('/bin/echo', 'sh sees d/a'),
      x('/bin/echo', 'sh sees d/b'),
      // find's own execs, decided by the seccomp backstop
      x('/bin/echo', 'found', 'd/a'),
      x('/bin/echo', 'found', 'd/b'),
      x('sh', '-c', '/bin/echo "sh sees $1"', '_', 'd/a'),
      x('sh', '-c', '/bin/echo "sh sees $1"', '_', 'd/b'),
    ],
    escalate: [x('find', 'd', '-type', 'f', '-exec', '/bin/echo', 'found', '{}', ';'), x('sort'), x('find', 'd', '-type', 'f', '-exec', 'sh', '-c', '/bin/echo "sh sees $1"', '_', '{}', ';'), x('sort')],
    note: NOT_A_SHELL,
    knownDifferences: [{ mode: 'escalate', what: 'record', reason: HOST_SHELL }],
  },
  {
    name: 'make',
    script: 'make',
    files: {
      Makefile: 'all: out.txt\n\t@/bin/echo direct\n\t@/bin/echo "built $$(cat out.txt)"\n\t@for i in 1 2; do /bin/echo "loop $$i"; done\nout.txt:\n\t@printf \'made\\n\' > out.txt\n',
    },
    sandbox: 'bwrap',
    bwrapBecause: 'make runs recipes with /bin/sh, which must be the patched bash for their commands to be intercepted',
    run: [
      x('make'),
      x('cat', 'out.txt'),
      x('/bin/echo', 'built made'),
      x('/bin/echo', 'loop 1'),
      x('/bin/echo', 'loop 2'),
      // make's own execs, decided by the seccomp backstop
      x('/bin/echo', 'direct'),
      x('/bin/sh', '-c', "printf 'made\\n' > out.txt"),
      x('/bin/sh', '-c', '/bin/echo "built $(cat out.txt)"'),
      x('/bin/sh', '-c', 'for i in 1 2; do /bin/echo "loop $i"; done'),
    ],
    escalate: [x('make')],
    note: `\`@/bin/echo direct\` has no shell syntax, so make execs it itself: ${NOT_A_SHELL}`,
    knownDifferences: [{ mode: 'escalate', what: 'record', reason: HOST_SHELL }],
  },
  {
    name: 'here-documents and here-strings into commands',
    script: `cat <<'EOF'
literal $HOME \`x\`
EOF
cat <<EOF | tr a-z A-Z
expanded $((1+2))
EOF
wc -c <<< "here string"
cat <<EOF | wc -c
$(head -c 200000 /dev/zero | tr '\\0' x)
EOF`,
    run: [x('cat'), x('cat'), x('tr', 'a-z', 'A-Z'), x('wc', '-c'), x('cat'), x('wc', '-c'), x('head', '-c', '200000', '/dev/zero'), x('tr', '\\0', 'x')],
  },
  {
    name: 'the shell\'s stdin, shared with its commands',
    script: `head -1; read -r l; echo "read $l"; cat`,
    stdin: 'first\nsecond\nthird\n',
    run: [x('head', '-1'), x('cat')],
  },
  {
    name: 'redirections',
    script: `/bin/echo x > f.txt; ls -d / >> f.txt; cat < f.txt
ls /nonexistent-eg-conf 2> err.txt; echo "st $?"; wc -l < err.txt
exec 4< f.txt; cat <&4; exec 4<&-
{ /bin/echo grouped; ls -d /nonexistent-eg-conf; } > g.txt 2>&1; cat g.txt
{ /bin/echo a; ls /nonexistent-eg-conf; /bin/echo b; } 2>&1 | cat
/bin/echo to-stderr >&2`,
    run: [
      x('/bin/echo', 'x'),
      x('ls', '-d', '/'),
      x('cat'),
      x('ls', '/nonexistent-eg-conf'),
      x('wc', '-l'),
      x('cat'),
      x('/bin/echo', 'grouped'),
      x('ls', '-d', '/nonexistent-eg-conf'),
      x('cat', 'g.txt'),
      x('/bin/echo', 'a'),
      x('ls', '/nonexistent-eg-conf'),
      x('/bin/echo', 'b'),
      x('cat'),
      x('/bin/echo', 'to-stderr'),
    ],
  },
  {
    name: 'file descriptors other than 0, 1, 2',
    script: `exec 4< f.txt
cat /dev/fd/4; echo "st $?"
sh -c 'cat <&4'; echo "st $?"`,
    files: { 'f.txt': 'content\n' },
    run: [x('cat', '/dev/fd/4'), x('sh', '-c', 'cat <&4')],
    knownDifferences: [
      { mode: 'escalate', what: 'stdout', reason: STDIO_ONLY, expected: 'st 1\nst 2\n' },
      { mode: 'escalate', what: 'stderr', reason: STDIO_ONLY, expected: 'cat: /dev/fd/4: No such file or directory\nsh: 1: 4: Bad file descriptor\n' },
    ],
  },
  {
    name: 'closed stdin, stdout, stderr',
    script: `cat <&-; echo "st $?"
/bin/echo x >&-; echo "st $?"
ls -d / /nonexistent-eg-conf 2>&-; echo "st $?"`,
    run: [x('cat'), x('/bin/echo', 'x'), x('ls', '-d', '/', '/nonexistent-eg-conf')],
  },
  {
    name: 'SIGPIPE: yes | head -1',
    script: `yes | head -1; echo "\${PIPESTATUS[*]}"
seq 1 1000000 | head -2; echo "\${PIPESTATUS[*]}"`,
    run: [x('yes'), x('head', '-1'), x('seq', '1', '1000000'), x('head', '-2')],
    timeoutMs: 20_000,
  },
  {
    name: 'an ignored SIGPIPE',
    script: `trap '' PIPE
yes | head -1; echo "\${PIPESTATUS[*]}"`,
    run: [x('yes'), x('head', '-1')],
    knownDifferences: [
      {
        mode: 'escalate',
        what: 'stdout',
        reason: 'escalated commands start with every signal at its default disposition (the broker is Node, which ignores SIGPIPE; its children must not inherit that): a signal the shell ignores is not ignored on the host, so `yes` dies of SIGPIPE instead of failing with EPIPE',
        expected: 'y\n141 0\n',
      },
      { mode: 'escalate', what: 'stderr', reason: 'as for stdout: `yes` never sees EPIPE, so it never says "Broken pipe"', expected: '' },
    ],
  },
  {
    name: 'umask',
    script: `umask 027
touch f; stat -c %a f
mkdir dd; stat -c %a dd`,
    run: [x('touch', 'f'), x('stat', '-c', '%a', 'f'), x('mkdir', 'dd'), x('stat', '-c', '%a', 'dd')],
    knownDifferences: [
      {
        mode: 'escalate',
        what: 'stdout',
        reason: 'the umask is not passed: escalated commands get the broker\'s (022 in these tests), not the shell\'s',
        expected: '644\n755\n',
      },
    ],
  },
  {
    name: 'resource limits',
    script: `ulimit -S -n 200; sh -c 'ulimit -n'`,
    run: [x('sh', '-c', 'ulimit -n')],
    knownDifferences: [{ mode: 'escalate', what: 'stdout', reason: 'resource limits are not passed: escalated commands get the broker\'s' }],
  },
  {
    name: 'an argument list too long',
    script: `/bin/echo $(head -c 300000 /dev/zero | tr '\\0' a) | wc -c; echo "st \${PIPESTATUS[*]}"
/bin/echo $(seq 1 400000) | wc -c; echo "st \${PIPESTATUS[*]}"`,
    run: [x('head', '-c', '300000', '/dev/zero'), x('tr', '\\0', 'a'), x('wc', '-c'), x('seq', '1', '400000'), x('wc', '-c')],
    note: 'bash reports E2BIG itself before the wrapper would be exec\'d (the patch predicts it), so /bin/echo never reaches the broker',
  },
  {
    name: 'large outputs: 100 MB through pipes, 20 MB to stdout',
    script: `head -c 100000000 /dev/zero | wc -c
yes | head -c 100000000 | wc -c
head -c 100000000 /dev/zero | cat | wc -c
head -c 20000000 /dev/zero | tr '\\0' a`,
    run: [
      x('head', '-c', '100000000', '/dev/zero'),
      x('wc', '-c'),
      x('yes'),
      x('head', '-c', '100000000'),
      x('wc', '-c'),
      x('head', '-c', '100000000', '/dev/zero'),
      x('cat'),
      x('wc', '-c'),
      x('head', '-c', '20000000', '/dev/zero'),
      x('tr', '\\0', 'a'),
    ],
    timeoutMs: 60_000,
  },
  {
    name: 'background jobs and wait',
    script: `ls -d / & wait $!; echo "st $?"
(sleep 0.3; /bin/echo bg-done) & /bin/echo fg; wait
sh -c 'exit 9' & wait $!; echo "st $?"`,
    run: [x('ls', '-d', '/'), x('sleep', '0.3'), x('/bin/echo', 'bg-done'), x('/bin/echo', 'fg'), x('sh', '-c', 'exit 9')],
  },
  {
    name: 'coprocesses',
    // The coprocess waits for a line before it exits: bash unsets CP when it
    // reaps a finished coprocess, so one that ended before the read would
    // make the read fail (a race in plain bash too).
    script: `coproc CP { /bin/echo from-coproc; read -r _; }
read -r line <&"\${CP[0]}"; echo "got $line"; echo done >&"\${CP[1]}"; wait`,
    run: [x('/bin/echo', 'from-coproc')],
  },
  {
    name: 'enable -n: a disabled builtin becomes an exec',
    script: `enable -n echo; echo now-external; enable echo; echo builtin-again`,
    run: [x('echo', 'now-external')],
  },
  {
    name: 'set -e',
    script: `set -e
/bin/echo start
/bin/false
/bin/echo never`,
    run: [x('/bin/echo', 'start'), x('/bin/false')],
  },
  {
    name: 'line numbers in messages, a multi-line script',
    script: `
/bin/echo one
nonexistent_cmd_eg
ls /nonexistent-eg-conf
/bin/echo "line $LINENO"`,
    run: [x('/bin/echo', 'one'), x('ls', '/nonexistent-eg-conf'), x('/bin/echo', 'line 5')],
  },
  {
    name: 'working directory of commands',
    script: `cd /usr/share && /bin/pwd
cd - >/dev/null
mkdir -p sub/dir && cd sub/dir && /bin/pwd | sed 's|.*/sub/|sub/|'`,
    run: [x('/bin/pwd'), x('mkdir', '-p', 'sub/dir'), x('/bin/pwd'), x('sed', 's|.*/sub/|sub/|')],
  },
  {
    name: 'a long pipeline: 32 commands at once',
    script: `seq 1 1000 | ${Array.from({ length: 30 }, () => 'cat').join(' | ')} | wc -l`,
    run: [x('seq', '1', '1000'), ...Array.from({ length: 30 }, () => x('cat')), x('wc', '-l')],
  },
  {
    name: 'a logical working directory (cd into a symlink)',
    script: `ln -s real link; cd link
basename "$(/bin/pwd -L)"; basename "$(/bin/pwd -P)"; basename "$PWD"`,
    files: { real: { dir: true } },
    run: [x('ln', '-s', 'real', 'link'), x('/bin/pwd', '-L'), x('/bin/pwd', '-P'), x('basename', '{project}/link'), x('basename', '{project}/real'), x('basename', '{project}/link')],
    escalate: [x('ln', '-s', 'real', 'link'), x('/bin/pwd', '-L'), x('/bin/pwd', '-P'), x('basename', '{project}/real'), x('basename', '{project}/real'), x('basename', '{project}/link')],
    knownDifferences: [
      { mode: 'escalate', what: 'record', reason: 'follows from stdout: basename gets the physical path' },
      {
        mode: 'escalate',
        what: 'stdout',
        reason: 'PWD does not cross to the host (only the allowlist does), and the host command\'s working directory is the physical one the wrapper found with getcwd, so `pwd -L` on the host cannot know the name the shell went through',
        expected: 'real\nreal\nlink\n',
      },
    ],
  },
  {
    name: 'SIGINT to the shell\'s process group (what Ctrl-C sends)',
    script: `(sleep 0.5; kill -INT 0) & sleep 5; echo "not reached $?"`,
    run: [x('sleep', '0.5'), x('sleep', '5')],
    timeoutMs: 20_000,
  },
  {
    name: 'exported functions in a nested bash',
    script: `f() { /bin/echo "in f $1"; }; export -f f; bash -c 'f x'; echo "st $?"`,
    run: [x('bash', '-c', 'f x')],
    note: 'with --sandbox none, `bash` is the host\'s unpatched bash, so /bin/echo inside it is not intercepted',
    knownDifferences: [
      {
        mode: 'escalate',
        what: 'stdout',
        reason: 'functions are exported through the environment (BASH_FUNC_f%%), which never crosses to the host (README, Security model): the host bash does not know f',
        expected: 'st 127\n',
      },
      { mode: 'escalate', what: 'stderr', reason: 'the host bash does not know f (BASH_FUNC_* never crosses)', expected: 'bash: line 1: f: command not found\n' },
    ],
  },
  {
    name: 'the session socket at fd 87',
    // Agent harnesses close inherited fds: the session is also reached by its
    // path ($EXECGATE_SESSION/sock), so closing fd 87 changes nothing.
    script: `exec 87>&-; /bin/echo after-closing-87; echo "st $?"`,
    run: [x('/bin/echo', 'after-closing-87')],
  },
  {
    name: 'background jobs that outlive the shell',
    // `read -t 2 <> fifo` is a sleep without an exec (a FIFO opened read-write
    // never has data): the job's programs start 2 s after the shell exited.
    script: `mkfifo fifo
( read -r -t 2 _ <> fifo; /bin/echo late; /bin/echo late-file > late.txt ) &
/bin/echo now`,
    after: 'sleep 3.5; cat late.txt',
    run: [x('mkfifo', 'fifo'), x('/bin/echo', 'now')],
    knownDifferences: [
      {
        mode: 'run',
        what: 'stdout',
        reason: 'the session ends when the shell exits: a background job still running then can no longer start programs (the wrapper cannot reach the broker and fails closed, 126)',
        expected: 'now\n',
      },
      { mode: 'run', what: 'stderr', reason: 'the wrapper says it cannot reach the broker, once for each program the orphaned job starts', expected: /^(execgate: cannot reach the broker[^\n]*\n){2}$/ },
      { mode: 'run', what: 'after', reason: 'late.txt is created by the redirection, but the /bin/echo that would fill it fails closed', expected: '' },
      {
        mode: 'escalate',
        what: 'stdout',
        reason: 'as under Run: the session, and with it every escalated command still running (SIGTERM, then SIGKILL), ends with the shell; later programs fail closed',
        expected: 'now\n',
      },
      { mode: 'escalate', what: 'stderr', reason: 'the wrapper says it cannot reach the broker, once for each program the orphaned job starts', expected: /^(execgate: cannot reach the broker[^\n]*\n){2}$/ },
      { mode: 'escalate', what: 'after', reason: 'late.txt is created by the redirection, but the /bin/echo that would fill it fails closed, as under Run', expected: '' },
    ],
  },
  {
    name: 'a working directory that is not UTF-8',
    script: `mkdir $'\\xff' && cd $'\\xff' && /bin/echo in-non-utf8-dir; echo "st $?"`,
    run: [x('mkdir', Buffer.from([0xff])), x('/bin/echo', 'in-non-utf8-dir')],
    escalate: [x('mkdir', Buffer.from([0xff])), { ...x('/bin/echo', 'in-non-utf8-dir'), decision: 'deny' }],
    knownDifferences: [
      {
        mode: 'escalate',
        what: 'stderr',
        reason: 'the working directory of an escalated command must be valid UTF-8 (README, Security model), so the broker denies',
        expected: 'execgate: denied: /bin/echo: working directory {project}/\uFFFD is not valid UTF-8, so it cannot be named on the host\n',
      },
      { mode: 'escalate', what: 'stdout', reason: 'the broker denies /bin/echo, so $? is 126', expected: 'st 126\n' },
      { mode: 'escalate', what: 'record', reason: 'the broker denies /bin/echo (see stderr)' },
    ],
  },
  {
    name: 'a deleted working directory',
    script: `mkdir gone && cd gone && rmdir ../gone
/bin/pwd; echo "st $?"
ls; echo "st $?"`,
    run: [x('mkdir', 'gone'), x('rmdir', '../gone'), x('/bin/pwd'), x('ls')],
    escalate: [x('mkdir', 'gone'), x('rmdir', '../gone'), { ...x('/bin/pwd'), decision: 'deny' }, { ...x('ls'), decision: 'deny' }],
    knownDifferences: [
      {
        mode: 'escalate',
        what: 'stderr',
        reason: 'a command cannot be escalated from a working directory that no longer exists: the wrapper cannot name it, so the broker cannot map it to the host, and denies',
        expected: 'execgate: denied: /bin/pwd: the working directory is unknown (was it deleted?)\nexecgate: denied: ls: the working directory is unknown (was it deleted?)\n',
      },
      { mode: 'escalate', what: 'stdout', reason: 'both commands are denied (status 126), see stderr', expected: 'st 126\nst 126\n' },
      { mode: 'escalate', what: 'record', reason: 'the broker denies both commands (see stderr)' },
    ],
  },
];
