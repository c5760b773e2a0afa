#!/usr/bin/env bash
# Build the shell execgate runs: GNU bash 5.2.15 with patches/bash-exec-wrapper.patch
# (build/bash/bin/bash) and, from the very same source, an unpatched bash
# (build/bash-unpatched/bin/bash) for the tests and the benchmark.
#
# Usage: scripts/build-bash.sh [options]      (scripts/build-bash.sh --help)
#
# Source, first that works: --source FILE / $EXECGATE_BASH_SOURCE; the download
# cache (${XDG_CACHE_HOME:-~/.cache}/execgate/bash); the GNU release + upstream
# patches 001-015 over the network; Debian's `apt-get source bash`. Everything
# with a known checksum is verified against the pins below. A second run with
# the same source, patch, flags and script is a no-op (one line of output).
set -Eeuo pipefail

eg_prog=build-bash
# shellcheck source=scripts/bash/common.sh
source "$(dirname "${BASH_SOURCE[0]}")/bash/common.sh"

# ---------------------------------------------------------------------------
# Pins. GNU bash 5.2 and its official patches: the values published with the
# release; the same in Homebrew's bash formula (Formula/b/bash.rb, 5.2.x) and
# in Termux's packages/bash/build.sh (5.2.15), which agree on all sixteen.
readonly GNU_URL_DEFAULT=https://ftp.gnu.org/gnu/bash
readonly GNU_TARBALL=bash-5.2.tar.gz
readonly GNU_TARBALL_SHA256=a139c166df7ff4471c5e0733051642ee5556c1cc8a4a78f145583c5c81ab32fb
readonly -a GNU_PATCH_SHA256=(
  f42f2fee923bc2209f406a1892772121c467f44533bedfe00a176139da5d310a # bash52-001
  45cc5e1b876550eee96f95bffb36c41b6cb7c07d33f671db5634405cd00fd7b8 # bash52-002
  6a090cdbd334306fceacd0e4a1b9e0b0678efdbbdedbd1f5842035990c8abaff # bash52-003
  38827724bba908cf5721bd8d4e595d80f02c05c35f3dd7dbc4cd3c5678a42512 # bash52-004
  ece0eb544368b3b4359fb8464caa9d89c7a6743c8ed070be1c7d599c3675d357 # bash52-005
  d1e0566a257d149a0d99d450ce2885123f9995e9c01d0a5ef6df7044a72a468c # bash52-006
  2500a3fc21cb08133f06648a017cebfa27f30ea19c8cbe8dfefdf16227cfd490 # bash52-007
  6b4bd92fd0099d1bab436b941875e99e0cb3c320997587182d6267af1844b1e8 # bash52-008
  f95a817882eaeb0cb78bce82859a86bbb297a308ced730ebe449cd504211d3cd # bash52-009
  c7705e029f752507310ecd7270aef437e8043a9959e4d0c6065a82517996c1cd # bash52-010
  831b5f25bf3e88625f3ab315043be7498907c551f86041fa3b914123d79eb6f4 # bash52-011
  2fb107ce1fb8e93f36997c8b0b2743fc1ca98a454c7cc5a3fcabec533f67d42c # bash52-012
  094b4fd81bc488a26febba5d799689b64d52a5505b63e8ee854f48d356bc7ce6 # bash52-013
  3ef9246f2906ef1e487a0a3f4c647ae1c289cbd8459caa7db5ce118ef136e624 # bash52-014
  ef73905169db67399a728e238a9413e0d689462cb9b72ab17a05dba51221358a # bash52-015
)
# Debian bookworm's source package bash 5.2.15-2 (measured with
# `apt-get source --download-only bash`; the .dsc lists the same two).
# The orig tarball is bash 5.2 with patches 001-015 already applied.
readonly DEB_ORIG=bash_5.2.15.orig.tar.gz
readonly DEB_ORIG_SHA256=7a315bc0e9d90713159e4390ec1096a41e4f33cd8cc3d1a749a8e5ad56600f51
readonly DEB_DEBIAN=bash_5.2.15-2.debian.tar.xz
readonly DEB_DEBIAN_SHA256=998f8ea5b754a734ae7d8306e149c43d713ddfcf49623a036004b729237dbcca
readonly DEB_DSC=bash_5.2.15-2.dsc
readonly DEB_DSC_SHA256=f51753e946af43eb58549c81e03b35a47af9fe6c6364179ccd4ef862b7c3b2d3

# ---------------------------------------------------------------------------
# Build configuration. Part of the stamp: changing any of it rebuilds.
# --without-bash-malloc: glibc's malloc, as Debian builds it. --prefix=/usr:
# the compiled-in paths (locale messages, loadable builtins) are the system
# bash's. NLS stays on, as in Debian. The defines are Debian's
# deb-bash-config.diff, so the shell reads /etc/bash.bashrc etc. like the
# /bin/bash it stands in for inside the sandbox.
readonly -a CONFIGURE_ARGS=(--prefix=/usr --without-bash-malloc)
# The single quotes are for configure and make, which put CPPFLAGS on a
# shell command line: each macro must reach cc as a C string literal.
# shellcheck disable=SC2089,SC2090
readonly DEBIAN_DEFINES="-DSYS_BASHRC='\"/etc/bash.bashrc\"' -DSYS_BASH_LOGOUT='\"/etc/bash.bash_logout\"' -DNON_INTERACTIVE_LOGIN_SHELLS -DSSH_SOURCE_BASHRC"
CC=${CC:-cc}
CFLAGS=${CFLAGS:--O2}
CPPFLAGS="${CPPFLAGS:+$CPPFLAGS }$DEBIAN_DEFINES"
LDFLAGS=${LDFLAGS:-}
# shellcheck disable=SC2090
export CC CFLAGS CPPFLAGS LDFLAGS
# The patched bash is linked static-pie: every agent tool call starts one, and
# on this kind of machine a dynamic bash spends a quarter of its 1.1 ms start
# in the dynamic loader (0.8 ms static, docs/benchmark.md). The unpatched one
# stays dynamic, as the /bin/bash it is measured against. What a static glibc
# changes (patches/README.md): users and groups come from /etc/passwd and
# /etc/group only, host names from /etc/hosts and DNS, and no `enable -f`.
# EXECGATE_BASH_STATIC=0 links it dynamic.
STATIC=${EXECGATE_BASH_STATIC:-1}
[[ $STATIC == [01] ]] || { printf 'build-bash: error: EXECGATE_BASH_STATIC must be 0 or 1, not %s\n' "$STATIC" >&2; exit 2; }
# configure's own settings for the static tree: bash 5.2's "usable
# strtoimax" test is inverted and adds a second strtoimax, which only a
# static link refuses; without dlopen `enable -f` says loading is not
# available instead of loading a module that brings in libc.so.6.
readonly -a STATIC_CONFIGURE_ENV=(LDFLAGS="${LDFLAGS:+$LDFLAGS }-static-pie" CPPFLAGS="$CPPFLAGS -DEXECGATE_STATIC_NSS"
  bash_cv_func_strtoimax=no ac_cv_lib_dl_dlopen=no ac_cv_func_dlopen=no)

CONNECT_TIMEOUT=${EXECGATE_BASH_CONNECT_TIMEOUT:-5}
GNU_URL=${EXECGATE_BASH_MIRROR:-$GNU_URL_DEFAULT}

usage() {
  cat <<EOF
Usage: scripts/build-bash.sh [options]

Builds $(rel "$EG_PATCHED_BASH") (bash 5.2.15 + patches/bash-exec-wrapper.patch)
and $(rel "$EG_UNPATCHED_BASH") (the same source, unpatched).

Options:
  --source FILE      build from this tarball (also \$EXECGATE_BASH_SOURCE): a bash
                     5.2.15 tree (e.g. Debian's $DEB_ORIG), or GNU's
                     $GNU_TARBALL with bash52-001..015 beside it
  --patched-only     build only the patched shell
  --unpatched-only   build only the unpatched shell
  --offline          do not try the network (cache, --source or apt only)
  --force            rebuild even if the stamps say it is up to date
  --jobs N           parallel make jobs (default: nproc = $(nproc 2>/dev/null || echo 1))
  --optional         on failure, warn (with the fix) and exit 0 (for npm install)
  -h, --help         this text

Environment: EXECGATE_BUILD_DIR (default <repo>/build), XDG_CACHE_HOME,
EXECGATE_BASH_MIRROR (default $GNU_URL_DEFAULT), CC, CFLAGS, CPPFLAGS, LDFLAGS,
EXECGATE_BASH_STATIC (default 1: the patched bash linked static-pie; 0: dynamic).
Logs: $(rel "$EG_LOGS")/
EOF
}

# ---------------------------------------------------------------------------
# Options
opt_source=${EXECGATE_BASH_SOURCE:-}
opt_patched=1 opt_unpatched=1 opt_offline=0 opt_force=0
opt_jobs=$(nproc 2>/dev/null || echo 1)

parse_args() {
  while (($#)); do
    case $1 in
      --source) (($# >= 2)) || die "--source needs a file" "scripts/build-bash.sh --source path/to/bash.tar.gz"
        opt_source=$2; shift ;;
      --source=*) opt_source=${1#*=} ;;
      --patched-only) opt_unpatched=0 ;;
      --unpatched-only) opt_patched=0 ;;
      --offline) opt_offline=1 ;;
      --force) opt_force=1 ;;
      --jobs) (($# >= 2)) || die "--jobs needs a number"; opt_jobs=$2; shift ;;
      --jobs=*) opt_jobs=${1#*=} ;;
      --optional) ;; # handled at the bottom of this file
      -h | --help) usage; exit 0 ;;
      *) die "unknown option: $1" "scripts/build-bash.sh --help" ;;
    esac
    shift
  done
  ((opt_patched || opt_unpatched)) || die "--patched-only and --unpatched-only exclude each other" "give at most one"
  [[ $opt_jobs =~ ^[1-9][0-9]*$ ]] || die "--jobs wants a positive number, not '$opt_jobs'"
}

# ---------------------------------------------------------------------------
# Tools
check_tools() {
  local t missing=()
  for t in make tar gzip patch sha256sum; do
    command -v "$t" >/dev/null || missing+=("$t")
  done
  if ((${#missing[@]})); then
    die "missing tools: ${missing[*]}" "install them (Debian: apt-get install build-essential patch bison libncurses-dev)"
  fi
  command -v "${CC%% *}" >/dev/null ||
    die "no C compiler: '$CC' not found" "install one (Debian: apt-get install build-essential), or set CC"
  local probe=$EG_WORK/.cc-probe
  if ! printf 'int main(void) { return 0; }\n' | $CC -x c - -o "$probe" >"$probe.log" 2>&1; then
    printf '%s: error: the C compiler (%s) cannot build a trivial program\n' "$eg_prog" "$CC" >&2
    show_log_tail "$probe.log" 10
    die "broken compiler" "fix the toolchain (Debian: apt-get install build-essential)"
  fi
  rm -f "$probe" "$probe.log"
}

# ---------------------------------------------------------------------------
# Sources. resolve_source sets:
#   SRC_KIND  gnu | debian | file
#   SRC_FILE  the tarball; for gnu, SRC_PATCH_DIR holds bash52-001..015
#   SRC_DESC  for people; SRC_ID for the stamp
SRC_KIND='' SRC_FILE='' SRC_PATCH_DIR='' SRC_DESC='' SRC_ID=''
tried=()

cache_dir() {
  local base=${XDG_CACHE_HOME:-}
  [[ -n $base ]] || base=${HOME:+$HOME/.cache}
  if [[ -n $base ]] && mkdir -p "$base/execgate/bash" 2>/dev/null && [[ -w $base/execgate/bash ]]; then
    printf '%s' "$base/execgate/bash"
  else
    mkdir -p "$EG_WORK/downloads"
    printf '%s' "$EG_WORK/downloads"
  fi
}

gnu_patch_name() { printf 'bash52-%03d' "$1"; }

# verify FILE SHA256 WHAT: a mismatch stops the build, wherever the file came from.
verify() {
  local got
  got=$(sha256_of "$1")
  [[ $got == "$2" ]] && return 0
  die "checksum mismatch for $3 ($1): sha256 $got, expected $2" \
    "delete the file (rm '$1') and run again; if it comes back wrong, the download was tampered with or truncated"
}

# A complete, verified GNU set in DIR?  Returns 1 if any file is absent.
have_gnu_set() {
  local dir=$1 i name
  [[ -f $dir/$GNU_TARBALL ]] || return 1
  for i in {1..15}; do
    name=$(gnu_patch_name "$i")
    [[ -f $dir/$name ]] || return 1
  done
  verify "$dir/$GNU_TARBALL" "$GNU_TARBALL_SHA256" "$GNU_TARBALL"
  for i in {1..15}; do
    name=$(gnu_patch_name "$i")
    verify "$dir/$name" "${GNU_PATCH_SHA256[i - 1]}" "$name"
  done
}

use_gnu() {
  SRC_KIND=gnu SRC_FILE=$1/$GNU_TARBALL SRC_PATCH_DIR=$1
  SRC_DESC="GNU $GNU_TARBALL + bash52-001..015 ($2, sha256 verified)"
  SRC_ID="gnu $GNU_TARBALL_SHA256 patches-001-015"
}

use_debian() {
  SRC_KIND=debian SRC_FILE=$1
  SRC_DESC="Debian $DEB_ORIG ($2, sha256 verified)"
  SRC_ID="debian $DEB_ORIG_SHA256"
}

source_from_file() {
  local f=$1 sum
  [[ -f $f ]] || die "source tarball not found: $f" "check --source / EXECGATE_BASH_SOURCE"
  f=$(cd "$(dirname "$f")" && pwd)/$(basename "$f")
  sum=$(sha256_of "$f")
  case $sum in
    "$DEB_ORIG_SHA256") use_debian "$f" "given" ;;
    "$GNU_TARBALL_SHA256")
      have_gnu_set "$(dirname "$f")" ||
        die "$GNU_TARBALL is bash 5.2.0: bash52-001..015 must sit beside it ($(dirname "$f"))" \
          "download them from $GNU_URL_DEFAULT/bash-5.2-patches/ next to the tarball, or give a 5.2.15 tarball"
      use_gnu "$(dirname "$f")" "given" ;;
    *)
      warn "$f is not a tarball with a pinned checksum; building it unverified (sha256 $sum)"
      SRC_KIND=file SRC_FILE=$f
      SRC_DESC="$f (unverified, sha256 $sum)"
      SRC_ID="file $sum" ;;
  esac
}

# The source_from_* functions set SRC_KIND when they succeed; when a route is
# not available they record why in tried[] and return 0 (set -e stays on).
source_from_cache() {
  local dir=$1
  if have_gnu_set "$dir"; then
    use_gnu "$dir" "cache"
  elif [[ -f $dir/$DEB_ORIG ]]; then
    verify "$dir/$DEB_ORIG" "$DEB_ORIG_SHA256" "$DEB_ORIG"
    use_debian "$dir/$DEB_ORIG" "cache"
  else
    tried+=("cache: nothing usable in $dir")
  fi
}

# fetch URL DEST: download with short timeouts. Returns non-zero on any
# failure, leaving the reason in $fetch_error.
fetch_error=''
fetch() {
  local url=$1 dest=$2 err
  if command -v curl >/dev/null; then
    if err=$(curl --fail --location --silent --show-error --connect-timeout "$CONNECT_TIMEOUT" \
      --max-time 300 --speed-limit 1024 --speed-time 30 -o "$dest" "$url" 2>&1); then
      return 0
    fi
  elif command -v wget >/dev/null; then
    if err=$(wget -q --tries=1 --connect-timeout="$CONNECT_TIMEOUT" --dns-timeout="$CONNECT_TIMEOUT" \
      --read-timeout=30 -O "$dest" "$url" 2>&1); then
      return 0
    fi
    err=${err:-wget failed}
  else
    err="neither curl nor wget is installed"
  fi
  fetch_error=$(printf '%s' "$err" | tr '\n' ' ')
  rm -f "$dest"
  return 1
}

# The GNU release over the network, into the cache. When the network is not
# there, apt gets its turn; a wrong checksum stops everything.
source_from_network() {
  local dir=$1 tmp i name url
  if ((opt_offline)); then tried+=("network: skipped (--offline)"); return 0; fi
  say "downloading $GNU_TARBALL and bash52-001..015 from $GNU_URL (timeout ${CONNECT_TIMEOUT}s)"
  tmp=$(mktemp -d "$dir/.download.XXXXXX")
  for ((i = 0; i <= 15; i++)); do
    if ((i == 0)); then
      name=$GNU_TARBALL url=$GNU_URL/$GNU_TARBALL
    else
      name=$(gnu_patch_name "$i") url=$GNU_URL/bash-5.2-patches/$name
    fi
    if [[ -f $dir/$name ]]; then continue; fi # verified below with the rest
    if ! fetch "$url" "$tmp/$name"; then
      rm -rf "$tmp"
      tried+=("network: $url: $fetch_error")
      say "network route failed: $fetch_error"
      return 0
    fi
    if ((i == 0)); then verify "$tmp/$name" "$GNU_TARBALL_SHA256" "$name"
    else verify "$tmp/$name" "${GNU_PATCH_SHA256[i - 1]}" "$name"; fi
  done
  for name in "$tmp"/*; do [[ -e $name ]] && mv -f "$name" "$dir/"; done
  rmdir "$tmp"
  have_gnu_set "$dir" || die "internal error: GNU download incomplete in $dir" "delete $dir and run again"
  use_gnu "$dir" "downloaded"
}

apt_src_hint() {
  local codename=bookworm
  if [[ -r /etc/os-release ]]; then
    codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-bookworm}")
  fi
  printf "as root: echo 'deb-src http://deb.debian.org/debian %s main' > /etc/apt/sources.list.d/execgate-deb-src.list && apt-get update (or add deb-src to the Types: line of /etc/apt/sources.list.d/debian.sources)" "$codename"
}

# Debian's source package via apt, into the cache.
source_from_apt() {
  local dir=$1 tmp log
  if ! command -v apt-get >/dev/null; then
    tried+=("apt: apt-get not installed")
    return 0
  fi
  say "fetching Debian's source package with apt-get source --download-only bash"
  tmp=$(mktemp -d "$dir/.apt.XXXXXX")
  chmod 755 "$tmp" # apt's _apt user writes here when run as root
  log=$EG_LOGS/apt-get-source.log
  if ! (cd "$tmp" && apt-get source --download-only bash) >"$log" 2>&1; then
    rm -rf "$tmp"
    if grep -q "deb-src" "$log"; then
      tried+=("apt: no deb-src entry in apt's sources")
      fail_no_source "$(apt_src_hint)"
    elif grep -qi "unable to find a source package" "$log"; then
      tried+=("apt: apt knows no source package 'bash' (lists not updated since deb-src was added?)")
      fail_no_source "as root: apt-get update, then run this again"
    fi
    tried+=("apt: apt-get source failed: $(grep -m1 '^E:' "$log" || tail -n1 "$log")")
    return 0
  fi
  if [[ ! -f $tmp/$DEB_ORIG ]]; then
    local dscs=("$tmp"/*.dsc)
    rm -rf "$tmp"
    tried+=("apt: apt offers $(basename "${dscs[0]}"), not bash 5.2.15 (this patch is for 5.2.15)")
    return 0
  fi
  verify "$tmp/$DEB_ORIG" "$DEB_ORIG_SHA256" "$DEB_ORIG"
  if [[ -f $tmp/$DEB_DSC ]]; then
    verify "$tmp/$DEB_DSC" "$DEB_DSC_SHA256" "$DEB_DSC"
    verify "$tmp/$DEB_DEBIAN" "$DEB_DEBIAN_SHA256" "$DEB_DEBIAN"
  else
    local dscs=("$tmp"/*.dsc)
    say "note: apt offers another Debian revision ($(basename "${dscs[0]}")); only its orig tarball is used, and that matches the pin"
  fi
  mv -f "$tmp"/bash_* "$dir/"
  rm -rf "$tmp"
  use_debian "$dir/$DEB_ORIG" "apt-get source"
}

# fail_no_source NEXT-STEP: every route failed; say what each said.
fail_no_source() {
  local t
  printf '%s: error: found no bash 5.2.15 source\n' "$eg_prog" >&2
  for t in "${tried[@]}"; do printf '%s:   - %s\n' "$eg_prog" "$t" >&2; done
  printf '%s:   next: %s\n' "$eg_prog" "$1" >&2
  exit 1
}

resolve_source() {
  if [[ -n $opt_source ]]; then source_from_file "$opt_source"; return; fi
  local dir
  dir=$(cache_dir)
  source_from_cache "$dir"
  [[ -n $SRC_KIND ]] || source_from_network "$dir"
  [[ -n $SRC_KIND ]] || source_from_apt "$dir"
  [[ -n $SRC_KIND ]] || fail_no_source "give a tarball (--source FILE), or allow the network to $GNU_URL, or $(apt_src_hint)"
}

# ---------------------------------------------------------------------------
# Stamps: what an output was built from. Equal stamp = nothing to do.
# The script's own hash stands for its version: any edit to it rebuilds.
stamp_text() { # stamp_text patched|unpatched
  printf 'execgate bash build\n'
  printf 'script %s\n' "$(sha256_of "${BASH_SOURCE[0]}")"
  printf 'source %s\n' "$SRC_ID"
  printf 'cc %s\n' "$($CC --version 2>/dev/null | head -n1)"
  printf 'configure %s\n' "${CONFIGURE_ARGS[*]}"
  printf 'flags CC=%s CFLAGS=%s CPPFLAGS=%s LDFLAGS=%s\n' "$CC" "$CFLAGS" "$CPPFLAGS" "$LDFLAGS"
  if [[ $1 == patched ]]; then
    printf 'patch %s\n' "$(sha256_of "$EG_PATCH")"
    printf 'static %s\n' "$STATIC"
  fi
}

out_of() { if [[ $1 == patched ]]; then printf '%s' "$EG_PATCHED_BASH"; else printf '%s' "$EG_UNPATCHED_BASH"; fi; }
stamp_of() { printf '%s' "$(dirname "$(dirname "$(out_of "$1")")")/.execgate-stamp"; }

up_to_date() {
  local out stamp
  out=$(out_of "$1") stamp=$(stamp_of "$1")
  ((opt_force == 0)) && [[ -x $out && -f $stamp ]] && [[ $(cat "$stamp") == "$(stamp_text "$1")" ]]
}

# ---------------------------------------------------------------------------
# Build steps

# Extract the source into DEST as a bash 5.2.15 tree.
extract_source() {
  local dest=$1 tmp top i entries
  tmp=$(mktemp -d "$EG_WORK/.extract.XXXXXX")
  tar -xf "$SRC_FILE" -C "$tmp" ||
    die "cannot extract $SRC_FILE" "check the file (is it a complete tarball?)"
  entries=("$tmp"/*)
  if ((${#entries[@]} != 1)) || [[ ! -d ${entries[0]} ]]; then
    die "$SRC_FILE does not hold a single top-level directory" "give a bash source tarball"
  fi
  top=${entries[0]}
  if [[ $SRC_KIND == gnu ]]; then
    for i in {1..15}; do
      if ! patch -p0 --batch --forward -d "$top" <"$SRC_PATCH_DIR/$(gnu_patch_name "$i")" \
        >>"$EG_LOGS/upstream-patches.log" 2>&1; then
        show_log_tail "$EG_LOGS/upstream-patches.log" 15
        die "upstream patch $(gnu_patch_name "$i") does not apply to $GNU_TARBALL" "delete the cache ($SRC_PATCH_DIR) and run again"
      fi
    done
  fi
  if ! grep -Eq '^#define[[:space:]]+PATCHLEVEL[[:space:]]+15$' "$top/patchlevel.h" 2>/dev/null ||
    ! grep -q "^PACKAGE_VERSION='5.2-release'" "$top/configure" 2>/dev/null; then
    die "$SRC_FILE is not bash 5.2 at patchlevel 15 ($(grep -h -m1 -E '^#define[[:space:]]+PATCHLEVEL' "$top/patchlevel.h" 2>/dev/null || echo 'no patchlevel.h'))" \
      "patches/bash-exec-wrapper.patch is for bash 5.2.15; give that source"
  fi
  rm -rf "$dest"
  mv "$top" "$dest"
  rm -rf "$tmp"
}

apply_patch() {
  local tree=$1 log=$EG_LOGS/patch.log
  if ! patch -p1 --fuzz=0 --batch --dry-run -d "$tree" <"$EG_PATCH" >"$log" 2>&1; then
    printf '%s: error: %s does not apply to %s\n' "$eg_prog" "$(rel "$EG_PATCH")" "$SRC_DESC" >&2
    show_log_tail "$log" 15
    die "patch does not apply" "regenerate the patch against bash 5.2.15 (see patches/README.md)"
  fi
  patch -p1 --fuzz=0 --batch --no-backup-if-mismatch -d "$tree" <"$EG_PATCH" >"$log" 2>&1
}

# hint_from_log LOG: a next step for the usual causes.
hint_from_log() {
  if grep -qE 'bison: (command )?not found|yacc: (command )?not found' "$1"; then
    printf 'install bison (Debian: apt-get install bison)'
  elif grep -qE 'fatal error: .*: No such file or directory' "$1"; then
    printf 'install the missing headers: %s' "$(grep -m1 -oE 'fatal error: [^:]+' "$1" | sed 's/fatal error: //')"
  elif grep -qE 'C compiler cannot create executables|no acceptable C compiler' "$1"; then
    printf 'the C compiler cannot build with these settings: check CC, CFLAGS, CPPFLAGS, LDFLAGS (Debian: apt-get install build-essential; the patched bash links static-pie, which needs libc.a: apt-get install libc6-dev, or EXECGATE_BASH_STATIC=0 for a dynamic one)'
  elif grep -qE 'No space left on device' "$1"; then
    printf 'free disk space in %s' "$EG_BUILD_DIR"
  else
    printf 'read the log above; rerun with --force after fixing it'
  fi
}

configure_trees() {
  local -a pids=() names=()
  local name tree
  for name in "$@"; do
    tree=$EG_WORK/$name
    local -a env=()
    [[ $name == patched && $STATIC == 1 ]] && env=("${STATIC_CONFIGURE_ENV[@]}")
    (trap - ERR; cd "$tree" && exec env "${env[@]}" ./configure "${CONFIGURE_ARGS[@]}") >"$EG_LOGS/configure-$name.log" 2>&1 &
    pids+=("$!") names+=("$name")
  done
  local i failed=''
  for i in "${!pids[@]}"; do
    wait "${pids[i]}" || failed+=" ${names[i]}"
  done
  if [[ -n $failed ]]; then
    name=${failed# }; name=${name%% *}
    printf '%s: error: configure failed for:%s\n' "$eg_prog" "$failed" >&2
    show_log_tail "$EG_LOGS/configure-$name.log"
    die "configure failed" "$(hint_from_log "$EG_LOGS/configure-$name.log")"
  fi
  # Debian's build refuses a bash without /dev/stdin support; so do we.
  for name in "$@"; do
    grep -q '#define HAVE_DEV_STDIN 1' "$EG_WORK/$name/config.h" ||
      die "configure found no /dev/stdin for the $name tree" "run the build where /dev/stdin and /dev/fd exist (mount /proc)"
  done
  if grep -q '^TERMCAP_LIB = ./lib/termcap/libtermcap.a' "$EG_WORK/$1/Makefile"; then
    warn "no terminfo library: readline falls back to bash's bundled termcap (install libncurses-dev for Debian parity)"
  fi
}

make_tree() {
  local name=$1 log=$EG_LOGS/make-$1.log
  if ! make -C "$EG_WORK/$name" -j"$opt_jobs" >"$log" 2>&1; then
    printf '%s: error: make failed for the %s tree\n' "$eg_prog" "$name" >&2
    show_log_tail "$log"
    die "make failed" "$(hint_from_log "$log")"
  fi
}

install_shell() {
  local name=$1 out tmp version
  out=$(out_of "$name")
  # shellcheck disable=SC2016 # expanded by the new bash
  version=$("$EG_WORK/$name/bash" -c 'printf %s "$BASH_VERSION"' 2>&1) ||
    die "the freshly built $name bash does not run: $version" "see $(rel "$EG_LOGS")/make-$name.log"
  [[ $version == 5.2.15\(*\)-release ]] || die "the $name bash says it is '$version', not 5.2.15" "report this"
  if [[ $name == patched ]]; then
    # Proof the hook is in: a wrapper that does not exist must stop `true`.
    local probe
    probe=$(EXEC_WRAPPER=/nonexistent/execgate-probe LC_ALL=C "$EG_WORK/$name/bash" -c '/bin/true' 2>&1) && probe=''
    [[ $probe == *"cannot execute wrapper for /bin/true"* ]] ||
      die "the patched bash ignores EXEC_WRAPPER (got: ${probe:-success})" "check $(rel "$EG_LOGS")/patch.log"
  fi
  mkdir -p "$(dirname "$out")"
  tmp=$out.tmp.$$
  install -m 0755 "$EG_WORK/$name/bash" "$tmp"
  mv -f "$tmp" "$out"
  stamp_text "$name" >"$(stamp_of "$name")"
}

# ---------------------------------------------------------------------------
main() {
  parse_args "$@"
  local t0 t
  t0=$(now_us)
  mkdir -p "$EG_WORK" "$EG_LOGS"

  # One build at a time per build directory (npm install and npm test may race).
  if command -v flock >/dev/null; then
    exec {lock_fd}>"$EG_WORK/.lock"
    if ! flock -n "$lock_fd"; then
      say "waiting for another build-bash in $(rel "$EG_BUILD_DIR")"
      flock -w 1800 "$lock_fd" || die "another build-bash held the lock for 30 minutes" "remove $(rel "$EG_WORK")/.lock if no build is running"
    fi
  fi

  local -a wanted=() todo=()
  ((opt_unpatched)) && wanted+=(unpatched)
  ((opt_patched)) && wanted+=(patched)

  t=$(now_us)
  resolve_source
  local t_source
  t_source=$(secs_since "$t")

  local name outs=''
  for name in "${wanted[@]}"; do
    up_to_date "$name" || todo+=("$name")
    outs+=" $(rel "$(out_of "$name")")"
  done
  if ((${#todo[@]} == 0)); then
    say "up to date:${outs} (bash 5.2.15, patch $(sha256_of "$EG_PATCH" | cut -c1-12), ${SRC_DESC%% (*}); nothing to do"
    return 0
  fi

  check_tools
  say "source: $SRC_DESC"
  say "building ${todo[*]} bash in $(rel "$EG_WORK") (logs: $(rel "$EG_LOGS")/)"
  : >"$EG_LOGS/upstream-patches.log"

  t=$(now_us)
  local first=${todo[0]}
  extract_source "$EG_WORK/$first"
  for name in "${todo[@]:1}"; do
    rm -rf "${EG_WORK:?}/$name"
    cp -a "$EG_WORK/$first" "$EG_WORK/$name"
  done
  for name in "${todo[@]}"; do
    if [[ $name == patched ]]; then apply_patch "$EG_WORK/patched"; fi
  done
  local t_prepare
  t_prepare=$(secs_since "$t")
  # From here the work trees no longer match the installed shells: a build
  # that stops half-way must not look finished.
  for name in "${todo[@]}"; do rm -f "$(stamp_of "$name")"; done

  t=$(now_us)
  configure_trees "${todo[@]}"
  local t_configure
  t_configure=$(secs_since "$t")
  say "configure (${todo[*]}${todo[1]:+, in parallel}): $t_configure"

  local times=''
  for name in "${todo[@]}"; do
    t=$(now_us)
    make_tree "$name"
    install_shell "$name"
    times+=", make $name $(secs_since "$t")"
    say "built $(rel "$(out_of "$name")") in $(secs_since "$t")"
  done
  say "done in $(secs_since "$t0") (source $t_source, unpack+patch $t_prepare, configure $t_configure${times})"
}

# Kill what we started if we are interrupted.
cleanup() {
  local pids
  pids=$(jobs -p)
  if [[ -n $pids ]]; then
    # shellcheck disable=SC2086 # a list of pids
    kill $pids 2>/dev/null || true
  fi
}

on_unexpected() {
  printf '%s: error: unexpected failure (status %s) at %s line %s: %s\n' \
    "$eg_prog" "$1" "${BASH_SOURCE[1]##*/}" "$2" "$3" >&2
}

if [[ ${1:-} == --optional || " $* " == *" --optional "* ]]; then
  # npm install must not die because bash could not be built: say why and how
  # to fix it, and carry on.
  if (
    trap cleanup EXIT
    trap 'on_unexpected $? $LINENO "$BASH_COMMAND"' ERR
    main "$@"
  ); then
    exit 0
  fi
  warn "the patched bash was not built (cause above). execgate's shell and its tests need it: fix the cause, then run: npm run build:bash"
  exit 0
fi

trap cleanup EXIT
trap 'on_unexpected $? $LINENO "$BASH_COMMAND"' ERR
main "$@"
