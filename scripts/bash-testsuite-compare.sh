#!/usr/bin/env bash
# Runs GNU bash's own test suite (tests/run-* from the bash 5.2.15 source that
# scripts/build-bash.sh built) against three shells:
#   unpatched  the unpatched build
#   patched    the patched build, EXEC_WRAPPER unset
#   wrapped    the patched build with EXEC_WRAPPER set (default: the
#              pass-through fixture; --wrapper/--env plug in anything else)
# and fails if the sets of passing tests differ.
#
# A test passes when its run-* script prints nothing on stdout (that is where
# its `diff` against the .right file goes) and exits 0. Every shell runs each
# test under the same paths (THIS_SH, tests directory, TMPDIR), so the diff
# outputs are comparable too: tests that fail everywhere but fail differently
# are reported as well.
#
# Usage: scripts/bash-testsuite-compare.sh [options]   (--help)
set -Eeuo pipefail

eg_prog=bash-testsuite-compare
# shellcheck source=scripts/bash/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/bash/common.sh"

usage() {
  cat <<'EOF'
Usage: scripts/bash-testsuite-compare.sh [options]

Runs bash's test suite for: unpatched bash, patched bash without EXEC_WRAPPER,
patched bash with EXEC_WRAPPER, and compares the sets of passing tests.

Options:
  --wrapper PATH   the wrapper for the third run (default: the pass-through
                   fixture, test/fixtures/wrappers/passthrough-wrapper.c)
  --env K=V        extra environment for the third run (repeatable), e.g. the
                   broker's EXECGATE_SOCKET
  --jobs N         tests run in parallel (default: 2 * nproc + 2; they mostly sleep)
  --timeout SECS   per test and shell (default 300)
  --only NAME      run only this test (run-NAME or NAME; repeatable)
  --no-build       do not run scripts/build-bash.sh first
  --serial         no mount namespaces even as root: the three shells take
                   turns on each test (what non-root runs get anyway)
  --strict         also fail when a test has the same verdict everywhere but
                   different diff output
  -h, --help       this text

Results: build/bash-testsuite/<shell>/<test>.{out,err,rc} (out = the diff)
Exit status: 0 same pass sets, 1 different, 2 could not run.
EOF
}

# die exits 2 here: "could not run" must not look like "the sets differ".
die() {
  printf '%s: error: %s\n' "$eg_prog" "$1" >&2
  if [[ -n ${2:-} ]]; then printf '%s:   next: %s\n' "$eg_prog" "$2" >&2; fi
  exit 2
}

opt_wrapper='' opt_build=1 opt_strict=0 opt_timeout=300 opt_serial=0
opt_jobs=$((2 * $(nproc 2>/dev/null || echo 1) + 2))
opt_env=() opt_only=()
while (($#)); do
  case $1 in
    --wrapper) (($# >= 2)) || die "--wrapper needs a path"; opt_wrapper=$2; shift ;;
    --wrapper=*) opt_wrapper=${1#*=} ;;
    --env) (($# >= 2)) || die "--env needs K=V"; opt_env+=("$2"); shift ;;
    --env=*) opt_env+=("${1#*=}") ;;
    --jobs) (($# >= 2)) || die "--jobs needs a number"; opt_jobs=$2; shift ;;
    --jobs=*) opt_jobs=${1#*=} ;;
    --timeout) (($# >= 2)) || die "--timeout needs seconds"; opt_timeout=$2; shift ;;
    --timeout=*) opt_timeout=${1#*=} ;;
    --only) (($# >= 2)) || die "--only needs a test name"; opt_only+=("run-${2#run-}"); shift ;;
    --only=*) v=${1#*=}; opt_only+=("run-${v#run-}") ;;
    --no-build) opt_build=0 ;;
    --serial) opt_serial=1 ;;
    --strict) opt_strict=1 ;;
    -h | --help) usage; exit 0 ;;
    *) die "unknown option: $1" "scripts/bash-testsuite-compare.sh --help" ;;
  esac
  shift
done
[[ $opt_jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs wants a positive number"
[[ $opt_timeout =~ ^[1-9][0-9]*$ ]] || die "--timeout wants a positive number of seconds"
for kv in "${opt_env[@]}"; do
  [[ $kv == [A-Za-z_]*=* ]] || die "--env wants NAME=VALUE, not '$kv'"
done

t_start=$(now_us)

# Close whatever descriptors our caller left open (CI runners, IDEs and npm
# do): the suite checks which numbers `exec {var}>` picks, starting at 10.
# 255 is bash reading this script. An execgate session socket named in
# --env EXECGATE_SOCKET=N stays: the wrapped run needs it.
keep=
for kv in "${opt_env[@]}"; do
  case $kv in EXECGATE_SOCKET=*) keep=${kv#EXECGATE_SOCKET=} ;; esac
done
for fd_path in "/proc/$$/fd"/*; do
  fd=${fd_path##*/}
  [[ $fd == "$keep" ]] && continue
  case $fd in 0 | 1 | 2 | 255 | *[!0-9]*) ;; *) eval "exec $fd>&-" ;; esac
done

# ---------------------------------------------------------------------------
# The shells, their source trees, the wrapper.
if ((opt_build)); then
  bash "$EG_REPO/scripts/build-bash.sh" || die "building bash failed (above)" "fix it, or pass --no-build"
fi
for kind in unpatched patched; do
  tree=$EG_WORK/$kind
  [[ -x $tree/bash && -d $tree/tests ]] ||
    die "no built $kind source tree in $tree" "run: bash scripts/build-bash.sh"
done
# The trees must be the builds that were installed (a failed rebuild leaves
# half-built trees behind).
if ! cmp -s "$EG_TREE_UNPATCHED/bash" "$EG_UNPATCHED_BASH" || ! cmp -s "$EG_TREE_PATCHED/bash" "$EG_PATCHED_BASH"; then
  die "the source trees in $EG_WORK do not match the installed shells" "run: bash scripts/build-bash.sh --force"
fi

if [[ -z $opt_wrapper ]]; then
  src=$EG_REPO/test/fixtures/wrappers/passthrough-wrapper.c
  opt_wrapper=$EG_BUILD_DIR/test-fixtures/passthrough-wrapper
  if [[ ! -x $opt_wrapper || $src -nt $opt_wrapper ]]; then
    mkdir -p "$(dirname "$opt_wrapper")"
    "${CC:-cc}" -O2 -Wall -Wextra -o "$opt_wrapper.tmp.$$" "$src" ||
      die "cannot compile $src" "install a C compiler (Debian: apt-get install build-essential)"
    mv -f "$opt_wrapper.tmp.$$" "$opt_wrapper"
  fi
fi
[[ $opt_wrapper == /* ]] || opt_wrapper=$PWD/$opt_wrapper
[[ -f $opt_wrapper && -x $opt_wrapper ]] || die "the wrapper $opt_wrapper is not an executable file" "check --wrapper"

# The helper programs the suite expects on PATH (what `make tests` builds).
for kind in unpatched patched; do
  make -C "$EG_WORK/$kind" recho zecho printenv xcase >"$EG_LOGS/testsuite-helpers-$kind.log" 2>&1 ||
    die "cannot build the test helpers in $EG_WORK/$kind" "see $EG_LOGS/testsuite-helpers-$kind.log"
done

# ---------------------------------------------------------------------------
# Layout: RES/<shell>/tests is that shell's copy of the tests directory;
# RES/run/<test>/{build,tests} is where every shell sees its tree and its
# tests while running <test>, so THIS_SH and the working directory are the
# same path for all three.
RES=$EG_BUILD_DIR/bash-testsuite
SHELLS=(unpatched patched wrapped)
rm -rf "$RES"
mkdir -p "$RES/run"
tree_of() { if [[ $1 == unpatched ]]; then printf '%s' "$EG_TREE_UNPATCHED"; else printf '%s' "$EG_TREE_PATCHED"; fi; }
for sh in "${SHELLS[@]}"; do
  mkdir -p "$RES/$sh/tmp"
  cp -a "$(tree_of "$sh")/tests" "$RES/$sh/tests"
  cp "$(tree_of "$sh")"/{recho,zecho,printenv,xcase} "$RES/$sh/tests/"
done

mapfile -t TESTS < <(cd "$RES/unpatched/tests" && for t in run-*; do
  case $t in run-all | run-minimal | run-gprof | *.orig | *~) ;; *) printf '%s\n' "$t" ;; esac
done)
if ((${#opt_only[@]})); then
  for t in "${opt_only[@]}"; do [[ -f $RES/unpatched/tests/$t ]] || die "no such test: $t" "see build/bash-work/unpatched/tests/run-*"; done
  TESTS=("${opt_only[@]}")
fi
# Longest first, so the slow ones do not start last (measured on bash 5.2.15).
order=(run-jobs run-trap run-ifs-posix run-read run-func run-test run-coproc run-procsub run-assoc run-dynvar)
sorted=()
for t in "${order[@]}"; do [[ " ${TESTS[*]} " == *" $t "* ]] && sorted+=("$t"); done
for t in "${TESTS[@]}"; do [[ " ${order[*]} " == *" $t "* ]] || sorted+=("$t"); done
TESTS=("${sorted[@]}")

# Isolation. As root, each run gets a private mount namespace: its own empty
# /tmp (the suite writes fixed names such as /tmp/redir-test) and its shell's
# tree and tests bound at the common paths, so all shells run concurrently.
# Otherwise the three shells run one after another for each test (so fixed
# /tmp names never collide), through symlinks at the common paths.
mode=serial
if ((!opt_serial)) && [[ $(id -u) == 0 && $RES != /tmp/* ]] && command -v unshare >/dev/null &&
  unshare --mount --propagation private true 2>/dev/null; then
  mode=namespace
fi

# Variables that would change how the suite's shells behave.
SCRUB=(EXEC_WRAPPER BASH_ENV ENV SHELLOPTS BASHOPTS CDPATH GLOBIGNORE POSIXLY_CORRECT TMPDIR BASH_TSTOUT THIS_SH BUILD_DIR)

# run_test TEST SHELL: one run of one test, results in RES/SHELL/TEST.{out,err,rc,time}.
run_test() {
  local t=$1 sh=$2 run=$RES/run/$1 out=$RES/$2/$1 tmp t0 rc=0
  local -a cmd=(env)
  local v
  for v in "${SCRUB[@]}"; do cmd+=(-u "$v"); done
  tmp=$RES/$sh/tmp/$t
  rm -rf "$tmp"
  mkdir -p "$tmp"
  local common_tmp=$tmp
  [[ $mode == namespace ]] && common_tmp=/tmp
  cmd+=("THIS_SH=$run/build/bash" "BUILD_DIR=$run/build" "TMPDIR=$common_tmp"
    "BASH_TSTOUT=$common_tmp/bashtst-out" "PATH=.:$run/tests:$PATH")
  if [[ $sh == wrapped ]]; then cmd+=("EXEC_WRAPPER=$opt_wrapper" "${opt_env[@]}"); fi
  cmd+=(timeout -k 10 "$opt_timeout" sh "./$t")
  t0=$(now_us)
  if [[ $mode == namespace ]]; then
    # shellcheck disable=SC2016 # expanded by the inner sh
    unshare --mount --propagation private -- sh -c '
      mount --bind "$1" "$2" && mount --bind "$3" "$4" && mount --bind "$5" /tmp &&
      cd "$4" && shift 5 && exec "$@"' sh \
      "$(tree_of "$sh")" "$run/build" "$RES/$sh/tests" "$run/tests" "$tmp" "${cmd[@]}" \
      >"$out.out" 2>"$out.err" </dev/null || rc=$?
  else
    ln -sfn "$(tree_of "$sh")" "$run/build"
    ln -sfn "$RES/$sh/tests" "$run/tests"
    (cd "$run/tests" && "${cmd[@]}") >"$out.out" 2>"$out.err" </dev/null || rc=$?
  fi
  printf '%s\n' "$rc" >"$out.rc"
  printf '%s\n' "$(secs_since "$t0")" >"$out.time"
}

# job TEST [SHELL...]: the unit of parallel work.
job() {
  local t=$1 sh
  shift
  mkdir -p "$RES/run/$t"
  if [[ $mode == namespace ]]; then mkdir -p "$RES/run/$t/build" "$RES/run/$t/tests"; fi
  for sh in "$@"; do run_test "$t" "$sh"; done
}

# pool: runs `job` for every TEST x SHELL, at most opt_jobs at a time.
pool() {
  local t sh running=0
  local -a units=()
  for t in "${TESTS[@]}"; do
    if [[ $mode == namespace ]]; then
      for sh in "${SHELLS[@]}"; do units+=("$t $sh"); done
    else
      units+=("$t ${SHELLS[*]}")
    fi
  done
  local u
  for u in "${units[@]}"; do
    while ((running >= opt_jobs)); do
      wait -n || true
      running=$((running - 1))
    done
    # shellcheck disable=SC2086 # "test shell..." splits on purpose
    job $u &
    running=$((running + 1))
  done
  wait || true
}

# verdict TEST SHELL: PASS (exit 0, no diff output), FAIL, TIMEOUT, or
# ERROR (the run left no status: the harness itself failed).
verdict() {
  local rc
  rc=$(cat "$RES/$2/$1.rc" 2>/dev/null) || { printf 'ERROR'; return; }
  if [[ $rc == 0 && ! -s $RES/$2/$1.out ]]; then printf 'PASS'
  elif [[ $rc == 124 || $rc == 137 ]]; then printf 'TIMEOUT'
  else printf 'FAIL'; fi
}
# normalize OUT: a diff output with pids (4+ digits, or any number in
# parentheses, as in "process group (1234)") blanked, so runs compare.
normalize() { sed -E 's/\([0-9]+\)/(N)/g; s/[0-9]{4,}/N/g' "$1"; }

same_outputs() {
  local sh
  for sh in patched wrapped; do
    cmp -s <(normalize "$RES/unpatched/$1.out") <(normalize "$RES/$sh/$1.out") || return 1
  done
}

same_verdicts() {
  local v
  v=$(verdict "$1" unpatched)
  [[ $(verdict "$1" patched) == "$v" && $(verdict "$1" wrapped) == "$v" ]]
}

cleanup() {
  local pids
  pids=$(jobs -p)
  # shellcheck disable=SC2086 # a list of pids
  if [[ -n $pids ]]; then kill $pids 2>/dev/null || true; fi
}
trap cleanup EXIT

say "${#TESTS[@]} tests x 3 shells: unpatched | patched | patched + EXEC_WRAPPER=$(rel "$opt_wrapper")${opt_env[*]:+ (env: ${opt_env[*]})}"
if [[ $mode == namespace ]]; then
  say "isolation: a private mount namespace and /tmp per run; $opt_jobs runs at a time"
else
  say "isolation: no mount namespaces (--serial, or not root, or no unshare), so the shells take turns on each test; $opt_jobs tests at a time"
fi
t_suite=$(now_us)
pool
suite_time=$(secs_since "$t_suite")

# Differences may come from load or races inside the tests themselves: rerun
# those tests alone, twice at most, and keep only what persists.
flaky=()
for round in 1 2; do
  again=()
  for t in "${TESTS[@]}"; do
    if ! same_verdicts "$t" || ! same_outputs "$t"; then again+=("$t"); fi
  done
  ((${#again[@]})) || break
  say "rerunning alone (round $round): ${again[*]}"
  for t in "${again[@]}"; do
    job "$t" "${SHELLS[@]}"
    if same_verdicts "$t" && same_outputs "$t"; then flaky+=("$t"); fi
  done
done

# ---------------------------------------------------------------------------
# Report
printf '\n%-20s %-10s %-10s %-10s %s\n' test unpatched patched wrapped note
n_pass=(0 0 0) differ=() all_fail=() out_differ=()
for t in "${TESTS[@]}"; do
  note=''
  row=()
  for i in 0 1 2; do
    v=$(verdict "$t" "${SHELLS[i]}")
    row+=("$v")
    [[ $v == PASS ]] && n_pass[i]=$((n_pass[i] + 1))
  done
  if ! same_verdicts "$t"; then
    differ+=("$t") note='<-- DIFFERENT'
  else
    [[ ${row[0]} != PASS ]] && all_fail+=("$t")
    for sh in patched wrapped; do
      if ! cmp -s <(normalize "$RES/unpatched/$t.out") <(normalize "$RES/$sh/$t.out"); then
        out_differ+=("$t($sh)")
        note+=" diff output differs ($sh)"
      fi
    done
  fi
  [[ " ${flaky[*]} " == *" $t "* ]] && note+=' (differed at first, agreed when rerun alone)'
  printf '%-20s %-10s %-10s %-10s %s\n' "$t" "${row[0]}" "${row[1]}" "${row[2]}" "$note"
done

printf '\n'
say "passing: unpatched ${n_pass[0]}, patched ${n_pass[1]}, wrapped ${n_pass[2]} (of ${#TESTS[@]}); suite $suite_time, total $(secs_since "$t_start")"
((${#all_fail[@]})) && say "failing in all three: ${all_fail[*]} (why: patches/README.md)"
((${#out_differ[@]})) && say "same verdict, different diff output: ${out_differ[*]}"
say "results: ${RES#"$EG_REPO"/}/<shell>/<test>.{out,err,rc}"
if ((${#differ[@]})); then
  say "DIFFERENT pass sets: ${differ[*]}"
  exit 1
fi
if ((opt_strict)) && ((${#out_differ[@]})); then
  say "--strict: diff outputs differ"
  exit 1
fi
say "the pass sets are identical"
