#!/usr/bin/env bash
# CI: the native C code under AddressSanitizer and UndefinedBehaviorSanitizer.
#  1. native/test/run-sanitized.sh: the wrapper and the C tests (codec, fd
#     passing, the wrapper against a fake broker), built with gcc
#     -fsanitize=address,undefined into build/native-asan/.
#  2. The spawn server built the same way, its own tests (driven over its
#     sockets, and through the broker's Spawner), and the launcher and wrapper
#     integration tests (the launcher against a fake broker; execgate shell end
#     to end: run, escalate, deny, terminals, signals, process lifetime; the
#     run table; execgate mcp, whose supervisor is the wrapper) against the
#     sanitized launcher, wrapper and spawn server, from a native directory
#     laid out as build/native is (EXECGATE_NATIVE_DIR; the
#     addon is cmake-js's, unsanitized: ASan in a Node addon needs libasan
#     preloaded into node).
# Any sanitizer report fails: UBSan aborts (-fno-sanitize-recover=all), ASan
# aborts, and the tests check the wrapper's stderr and exit status.
# Needs the cmake-js build (npm install) and the patched bash (npm test).
set -euo pipefail
cd "$(dirname "$0")/.."

asan=build/native-asan
dir=build/ci-asan-native

t0=$SECONDS
bash native/test/run-sanitized.sh "$asan"

echo "== spawn server with ASan + UBSan"
read -r -a warn <<<"$(tr '\n' ' ' <native/flags.txt)"
mapfile -t spawn_src < <(node native/sources.mjs spawn sources)
mapfile -t spawn_def < <(node native/sources.mjs spawn defines | sed 's/^/-D/')
gcc -std=c11 "${spawn_def[@]}" "${warn[@]}" -Inative/common \
  -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1 \
  "${spawn_src[@]}" -o "$asan/execgate-spawn"

rm -rf "$dir"
mkdir -p "$dir/sandbox-bin" "$dir/shim"
cp "$asan/execgate-wrapper" "$asan/execgate-spawn" "$asan/execgate-launch" "$dir/"
cp build/native/execgate.node "$dir/"
ln -s ../execgate-wrapper "$dir/sandbox-bin/execgate"
ln -s ../execgate-launch "$dir/shim/bash"
ln -s ../execgate-launch "$dir/shim/sh"

echo "== spawn server, launcher and wrapper tests against the sanitized spawn server, launcher and wrapper"
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
EXECGATE_NATIVE_DIR=$PWD/$dir npx vitest run \
  test/native/spawn-server.test.ts \
  test/native/spawner.test.ts \
  test/native/launch.test.ts \
  test/native/run-table.test.ts \
  test/integration/shell.test.ts \
  test/integration/terminal.test.ts \
  test/integration/lifetime.test.ts \
  test/integration/mcp.test.ts \
  test/native/mcp-supervisor.test.ts
echo "sanitizers: passed in $((SECONDS - t0))s"
