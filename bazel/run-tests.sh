#!/usr/bin/env bash
# //:test: the project's tests (`vitest run`, as `npm test` runs them) against
# what Bazel built: execgate.node, execgate-wrapper, execgate-spawn,
# sandbox-bin/execgate, execgate-launch and shim/ from bazel-bin, bash and bash-unpatched from //:bash,
# copied into a build directory laid out as build/ is (EXECGATE_BUILD_DIR).
# Runs in the source tree (node_modules from `npm install`). Arguments go to
# vitest:  bazel test //:test --test_arg=test/native --test_arg=test/integration/shell.test.ts
#
# test/native/wrapper-c.test.ts is left out: it builds the C tests in a
# CMake tree; Bazel runs the same C tests as //:native_tests.
set -euo pipefail

runfiles=${TEST_SRCDIR:-${RUNFILES_DIR:-$0.runfiles}}/${TEST_WORKSPACE:-execgate}
src=$(dirname "$(readlink -f "$runfiles/package.json")")

# Short, so that the tests' socket paths stay under the 108-byte limit.
build=$(mktemp -d "${TMPDIR:-/tmp}/execgate-bazel.XXXXXX")
trap 'rm -rf "$build"' EXIT
mkdir -p "$build/native/sandbox-bin" "$build/native/shim" "$build/bash/bin" "$build/bash-unpatched/bin"
for f in execgate.node execgate-wrapper execgate-spawn execgate-launch; do
  cp -L "$runfiles/$f" "$build/native/$f"
done
ln -s ../execgate-wrapper "$build/native/sandbox-bin/execgate"
ln -s ../execgate-launch "$build/native/shim/bash"
ln -s ../execgate-launch "$build/native/shim/sh"
cp -L "$runfiles/bash/bin/bash" "$build/bash/bin/bash"
cp -L "$runfiles/bash-unpatched/bin/bash" "$build/bash-unpatched/bin/bash"

export EXECGATE_BUILD_DIR=$build
cd "$src"
echo "bazel/run-tests.sh: vitest in $src against $build"
# Not exec: bash lowers SHLVL for an exec'd program, and Debian's bash
# (SSH_SOURCE_BASHRC) reads ~/.bashrc in a non-interactive shell on a socket
# stdin when SHLVL < 2, which adds the rc file's commands to what the tests see.
node node_modules/vitest/vitest.mjs run --exclude test/native/wrapper-c.test.ts "$@"
