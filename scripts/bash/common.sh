# shellcheck shell=bash disable=SC2034 # the variables are for the scripts that source this
# Shared by scripts/build-bash.sh and scripts/bash-testsuite-compare.sh:
# where things live, and how to report. Sourced, never run.

# The repository root, and the build directory the rest of execgate reads
# (src/native/paths.ts: $EXECGATE_BUILD_DIR, else <repo>/build).
EG_REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EG_BUILD_DIR=${EXECGATE_BUILD_DIR:-$EG_REPO/build}
case $EG_BUILD_DIR in /*) ;; *) EG_BUILD_DIR=$PWD/$EG_BUILD_DIR ;; esac

EG_PATCH=$EG_REPO/patches/bash-exec-wrapper.patch
EG_PATCHED_BASH=$EG_BUILD_DIR/bash/bin/bash
EG_UNPATCHED_BASH=$EG_BUILD_DIR/bash-unpatched/bin/bash
# Configured source trees, kept after a build: bash's own test suite runs
# from them (scripts/bash-testsuite-compare.sh).
EG_WORK=$EG_BUILD_DIR/bash-work
EG_TREE_UNPATCHED=$EG_WORK/unpatched
EG_TREE_PATCHED=$EG_WORK/patched
EG_LOGS=$EG_WORK/logs

# Messages: "<prog>: ..." so they stand out in npm's output.
eg_prog=${eg_prog:-${0##*/}}
eg_prog=${eg_prog%.sh}
say() { printf '%s: %s\n' "$eg_prog" "$*"; }
warn() { printf '%s: warning: %s\n' "$eg_prog" "$*" >&2; }
# die CAUSE [NEXT-STEP]: one line saying what went wrong, one saying what to do.
die() {
  printf '%s: error: %s\n' "$eg_prog" "$1" >&2
  if [[ -n ${2:-} ]]; then printf '%s:   next: %s\n' "$eg_prog" "$2" >&2; fi
  exit 1
}
# show_log_tail LOG: where the full log is, and its last lines.
show_log_tail() {
  printf '%s:   log: %s (last lines below)\n' "$eg_prog" "$1" >&2
  tail -n "${2:-25}" "$1" | sed 's/^/    | /' >&2
}

# Microseconds since the epoch (bash 5), or whole seconds as a fallback.
now_us() {
  if [[ -n ${EPOCHREALTIME:-} ]]; then
    local t=${EPOCHREALTIME//[.,]/}
    printf '%s' "$((10#$t))"
  else
    printf '%s' "$((SECONDS * 1000000))"
  fi
}
# secs_since START_US: elapsed time as "12.3s".
secs_since() {
  local d=$(($(now_us) - $1))
  printf '%d.%ds' "$((d / 1000000))" "$((d % 1000000 / 100000))"
}

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

# A path inside the repository, relative to it (for shorter messages).
rel() { printf '%s' "${1#"$EG_REPO"/}"; }
