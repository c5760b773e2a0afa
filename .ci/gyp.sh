#!/usr/bin/env bash
# CI: the node-gyp build (binding.gyp), offline, and the tests against its
# outputs: the C wrapper test (the cmake-js tree's eg_wrapper_test, pointed at
# the gyp wrapper) and .ci/native-tests.txt with EXECGATE_NATIVE_DIR set to
# node-gyp's build/Release (execgate.node, execgate-wrapper, execgate-spawn,
# sandbox-bin/execgate).
# node-gyp builds into ./build of the directory it runs in, and `rebuild`
# deletes that first: it runs in build/ci-gyp, which links to the sources, so
# cmake-js's build/native and the patched bash stay untouched.
# Needs `npm install` (node-gyp, node-addon-api, the cmake-js tree) and the
# patched bash (npm test).
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS

work=build/ci-gyp
rm -rf "$work"
mkdir -p "$work"
for f in binding.gyp native node_modules package.json; do
  ln -s "$PWD/$f" "$work/$f"
done
# Node's own headers (include/node beside the node binary, as Debian's and
# nodesource's packages install them): no download.
nodedir=$(node -p "require('path').resolve(process.execPath, '../..')")
[ -f "$nodedir/include/node/node_api.h" ] || { echo "ci/gyp: no Node headers in $nodedir/include/node" >&2; exit 1; }

echo "== node-gyp rebuild (nodedir $nodedir)"
npx node-gyp rebuild --nodedir="$nodedir" --directory="$work" --jobs 2 --loglevel=warn
out=$PWD/$work/build/Release
ls -l "$out/execgate.node" "$out/execgate-wrapper" "$out/execgate-spawn" "$out/sandbox-bin/execgate" \
  "$out/execgate-launch" "$out/shim/bash" "$out/shim/sh"
echo "node-gyp build: $((SECONDS - t0))s"

echo "== C wrapper test against the node-gyp wrapper"
cmake --build build/native --target native_tests >/dev/null
build/native/c-tests/eg_wrapper_test "$out/execgate-wrapper" build/native/c-tests/eg_probe | tail -n 1

echo "== tests against the node-gyp outputs"
mapfile -t tests < <(grep -v '^#' .ci/native-tests.txt)
EXECGATE_NATIVE_DIR=$out npx vitest run --exclude test/native/wrapper-c.test.ts "${tests[@]}"
echo "gyp: passed in $((SECONDS - t0))s"
