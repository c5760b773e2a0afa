#!/usr/bin/env bash
# Builds the wrapper, the launcher and the C tests with AddressSanitizer and
# UndefinedBehaviorSanitizer (gcc, glibc, dynamic: musl has no sanitizers)
# into build/native-asan/ and runs them. Any sanitizer report fails the run:
# UBSan aborts on the first error, and wrapper_test fails on any unexpected
# stderr from the wrapper.
#
#   native/test/run-sanitized.sh [OUTDIR]
set -euo pipefail

root=$(cd "$(dirname "$0")/../.." && pwd)
out=${1:-$root/build/native-asan}
cc=${CC:-gcc}
mkdir -p "$out"

common=$root/native/common
wrap=$root/native/wrapper
tests=$root/native/test
fixtures=$root/test/fixtures/protocol
read -r -a warn <<<"$(tr '\n' ' ' <"$root/native/flags.txt")"
strict=(-Wconversion -Wsign-conversion)
san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer -g -O1)
launch=$root/native/launch
base=(-std=c11 -D_GNU_SOURCE "${warn[@]}" "${san[@]}" -I"$common" -I"$launch")

echo "building into $out"
"$cc" "${base[@]}" -c "$common/fdpass.c" -o "$out/fdpass.o"
"$cc" "${base[@]}" "${strict[@]}" "$wrap"/*.c "$common/codec.c" "$common/say.c" "$common/closefds.c" "$out/fdpass.o" \
  -o "$out/execgate-wrapper"
"$cc" "${base[@]}" "${strict[@]}" "$launch"/*.c "$common/codec.c" "$common/say.c" "$out/fdpass.o" \
  -o "$out/execgate-launch"
"$cc" "${base[@]}" "${strict[@]}" -DEG_FIXTURES_DIR="\"$fixtures\"" \
  "$tests/codec_test.c" "$common/codec.c" "$common/say.c" "$launch/messages.c" -o "$out/eg_codec_test"
"$cc" "${base[@]}" "${strict[@]}" "$tests/fdpass_test.c" "$out/fdpass.o" -o "$out/eg_fdpass_test"
"$cc" "${base[@]}" "${strict[@]}" "$tests/closefds_test.c" "$common/closefds.c" -o "$out/eg_closefds_test"
"$cc" "${base[@]}" "${strict[@]}" -DEG_CLOSEFDS_NO_CLOSE_RANGE "$tests/closefds_test.c" "$common/closefds.c" \
  -o "$out/eg_closefds_listed_test"
"$cc" "${base[@]}" "${strict[@]}" "$tests/wrapper_test.c" "$common/codec.c" "$out/fdpass.o" \
  -o "$out/eg_wrapper_test" -lutil
# The probe reports fds and signal state: built plain, so the sanitizer
# runtime adds nothing to what it sees.
"$cc" -std=c11 -D_GNU_SOURCE "${warn[@]}" -O2 "$tests/probe.c" -o "$out/eg_probe"

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:detect_stack_use_after_return=1:strict_string_checks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

status=0
run() {
  local name=$1
  shift
  echo "== $name"
  if "$@" >"$out/$name.out" 2>"$out/$name.err"; then
    tail -n 1 "$out/$name.out"
  else
    echo "FAILED (exit $?): $*"
    tail -n 40 "$out/$name.err"
    tail -n 1 "$out/$name.out"
    status=1
  fi
  if grep -qE 'runtime error|AddressSanitizer|LeakSanitizer' "$out/$name.err"; then
    echo "sanitizer report in $out/$name.err"
    status=1
  fi
}
run codec_test "$out/eg_codec_test" "$fixtures"
run fdpass_test "$out/eg_fdpass_test"
run closefds_test "$out/eg_closefds_test"
run closefds_listed_test "$out/eg_closefds_listed_test"
run wrapper_test "$out/eg_wrapper_test" "$out/execgate-wrapper" "$out/eg_probe"
[ "$status" = 0 ] && echo "sanitized: all passed" || echo "sanitized: FAILED"
exit "$status"
