#!/usr/bin/env bash
# Installs what a fresh Debian 12 machine lacks to build and use execgate:
# a C toolchain and cmake (addon, wrapper), musl-tools (the static wrapper),
# dpkg-dev and a deb-src entry (`apt-get source bash` for the patched shell),
# bison (bash's parser), bubblewrap (--sandbox bwrap) and tmux (the approval
# popup). With --test, also what the test suite drives for real: Chromium
# (the web page), vi and less (terminal tests), git, make, python3, procps.
# Idempotent; uses sudo when not root.
set -euo pipefail

packages=(build-essential cmake musl-tools dpkg-dev bison bubblewrap tmux)
if [ "${1:-}" = "--test" ]; then
  packages+=(chromium vim-tiny less git make python3 procps)
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "install-deps: run as root or install sudo" >&2; exit 1; }
  sudo=(sudo)
fi

# bash's source comes from Debian when nothing else can be reached: that needs
# deb-src lines. Add them beside the existing deb lines, once.
if ! grep -rqsE '^(deb-src|Types:.*deb-src)' /etc/apt/sources.list /etc/apt/sources.list.d/; then
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then
    echo "install-deps: enabling deb-src in /etc/apt/sources.list.d/debian.sources"
    "${sudo[@]}" sed -i 's/^Types: deb$/Types: deb deb-src/' /etc/apt/sources.list.d/debian.sources
  elif [ -f /etc/apt/sources.list ]; then
    echo "install-deps: adding deb-src lines to /etc/apt/sources.list"
    grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' | "${sudo[@]}" tee -a /etc/apt/sources.list >/dev/null
  fi
  need_update=1
fi

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${need_update:-0}" = 1 ] || [ ${#missing[@]} -gt 0 ]; then
  "${sudo[@]}" apt-get update -qq
fi
if [ ${#missing[@]} -gt 0 ]; then
  echo "install-deps: installing ${missing[*]}"
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq "${missing[@]}" >/dev/null
fi
echo "install-deps: system packages ready"
