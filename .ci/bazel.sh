#!/usr/bin/env bash
# CI: the Bazel build (BUILD.bazel), offline, and the tests against its outputs:
#   bazel build //...            addon, wrapper, spawn helper, sandbox-bin, patched bash
#   bazel test //:native_tests   the C tests (the wrapper test against Bazel's wrapper)
#   bazel test //:test           .ci/native-tests.txt against Bazel's outputs
#
# Offline scaffolding, here and not in the BUILD files: Bazel fetches
# @rules_cc, @rules_java and (for any test) @remote_coverage_tools from the
# network even to build a cc_binary. Without network they are overridden with
# small local stubs (--override_repository needs absolute paths) that map the
# rules_cc/rules_java macros to Bazel's native rules. With network access,
# plain `bazel build //...` fetches the real ones and needs none of this.
#
# //:bash runs scripts/build-bash.sh; with EXECGATE_BUILD_DIR pointed at build/
# it reuses the patched bash `npm test` built when its stamps match (a cold
# Bazel build of bash takes some minutes).
# Needs `npm install` (node-addon-api) and apt (Debian's bazel-bootstrap,
# Bazel 4.2.3, when no bazel is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
t0=$SECONDS

if ! command -v bazel >/dev/null; then
  sudo=()
  [ "$(id -u)" -eq 0 ] || sudo=(sudo)
  echo "ci/bazel: installing Debian's bazel-bootstrap"
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq bazel-bootstrap >/dev/null
  echo "ci/bazel: installed in $((SECONDS - t0))s"
fi

node scripts/check-build-drift.mjs

stubs=$PWD/build/ci-bazel-stubs
rm -rf "$stubs"
mkdir -p "$stubs/rules_cc/cc" "$stubs/rules_java/java" "$stubs/remote_coverage_tools"
echo 'workspace(name = "rules_cc")' >"$stubs/rules_cc/WORKSPACE"
touch "$stubs/rules_cc/BUILD"
cat >"$stubs/rules_cc/cc/BUILD" <<'EOF'
alias(
    name = "toolchain_type",
    actual = "@bazel_tools//tools/cpp:toolchain_type",
    visibility = ["//visibility:public"],
)
EOF
cat >"$stubs/rules_cc/cc/defs.bzl" <<'EOF'
cc_binary = native.cc_binary
cc_import = native.cc_import
cc_library = native.cc_library
cc_proto_library = native.cc_proto_library
cc_test = native.cc_test
cc_toolchain = native.cc_toolchain
cc_toolchain_suite = native.cc_toolchain_suite
fdo_prefetch_hints = native.fdo_prefetch_hints
fdo_profile = native.fdo_profile
objc_import = native.objc_import
objc_library = native.objc_library
EOF
echo 'workspace(name = "rules_java")' >"$stubs/rules_java/WORKSPACE"
touch "$stubs/rules_java/BUILD" "$stubs/rules_java/java/BUILD"
cat >"$stubs/rules_java/java/defs.bzl" <<'EOF'
java_binary = native.java_binary
java_import = native.java_import
java_library = native.java_library
java_lite_proto_library = native.java_lite_proto_library
java_package_configuration = native.java_package_configuration
java_plugin = native.java_plugin
java_proto_library = native.java_proto_library
java_runtime = native.java_runtime
java_test = native.java_test
java_toolchain = native.java_toolchain
EOF
echo 'workspace(name = "remote_coverage_tools")' >"$stubs/remote_coverage_tools/WORKSPACE"
cat >"$stubs/remote_coverage_tools/BUILD" <<'EOF'
package(default_visibility = ["//visibility:public"])

filegroup(name = "coverage_report_generator")

filegroup(name = "lcov_merger")
EOF

opts=(
  --override_repository=rules_cc="$stubs/rules_cc"
  --override_repository=rules_java="$stubs/rules_java"
  --override_repository=remote_coverage_tools="$stubs/remote_coverage_tools"
  # Debian's linux-sandbox prints its debug log for every action.
  --spawn_strategy=processwrapper-sandbox,local
  --action_env=EXECGATE_BUILD_DIR="$PWD/build"
  --color=no --curses=no --show_progress_rate_limit=30
)

echo "== bazel build //..."
bazel build "${opts[@]}" //...
out=$PWD/build/bazel-bin
ls -l "$out/execgate.node" "$out/execgate-wrapper" "$out/execgate-spawn" "$out/sandbox-bin/execgate" \
  "$out/execgate-launch" "$out/shim/bash" "$out/shim/sh" "$out/bash/bin/bash" "$out/bash-unpatched/bin/bash"
echo "bazel build: $((SECONDS - t0))s"

echo "== bazel test //:native_tests"
bazel test "${opts[@]}" //:native_tests
echo "== bazel test //:test (.ci/native-tests.txt)"
mapfile -t tests < <(grep -v '^#' .ci/native-tests.txt)
bazel test "${opts[@]}" //:test "${tests[@]/#/--test_arg=}"
# The server holds a JVM's memory: free it for the jobs after this one.
bazel shutdown
echo "bazel: passed in $((SECONDS - t0))s"
