#!/usr/bin/env bash
# The whole test suite: the float build (warnings are errors), the double
# build, the float build under AddressSanitizer + UBSan, a float build
# with the MuJoCo environments that runs only their suite (the rest of the
# library is the same code the first build tested), the threaded tests
# under ThreadSanitizer, then each fuzz target for a bounded time
# (scripts/fuzz.sh, clang's libFuzzer).
# Usage: scripts/test.sh [meson test args...]
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh

export OPENBLAS_NUM_THREADS=1
# Sanitizer reports must fail the test that triggers them.
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
jobs=$(nproc)
passed=0
failed=0

run_build() {
  local dir=$1
  shift
  if [ ! -f "$dir/build.ninja" ]; then
    meson setup "$dir" "$@" >/dev/null
  else
    meson configure "$dir" "$@" >/dev/null
  fi
  echo "== build $dir ($*)"
  ninja -C "$dir" >/dev/null
  echo "== test $dir"
  local log="$dir/meson-logs/suite.txt"
  set +e
  meson test -C "$dir" --print-errorlogs --num-processes "$jobs" "${extra_args[@]}" >"$log" 2>&1
  local rc=$?
  set -e
  grep -E "^ *[0-9]+/[0-9]+ " "$log" || true
  if [ $rc -ne 0 ]; then
    cat "$log"
  fi
  local ok fail
  ok=$(awk '/^Ok:/ {print $2}' "$log")
  fail=$(awk '/^Fail:/ {print $2}' "$log")
  local timeout
  timeout=$(awk '/^Timeout:/ {print $2}' "$log")
  passed=$((passed + ${ok:-0}))
  failed=$((failed + ${fail:-0} + ${timeout:-0}))
  if [ $rc -ne 0 ] && [ "${fail:-0}" = 0 ] && [ "${timeout:-0}" = 0 ]; then
    failed=$((failed + 1))
  fi
}

extra_args=("$@")
run_build build-test-float -Dreal=float -Dwerror=true -Dbuildtype=release
run_build build-test-double -Dreal=double -Dwerror=true -Dbuildtype=release
# gcc's -fsanitize=undefined leaves out float-cast-overflow (a double too
# large for its integer type), so it is asked for by name.
run_build build-test-asan -Dreal=float -Dwerror=true -Dbuildtype=debugoptimized \
  -Db_sanitize=address,undefined -Db_lundef=false \
  -Dc_args=-fsanitize=float-cast-overflow -Dc_link_args=-fsanitize=float-cast-overflow
extra_args=("$@" --suite mujoco)
run_build build-test-mujoco -Dreal=float -Dwerror=true -Dbuildtype=release \
  -Dmujoco=enabled
# ThreadSanitizer (clang; gcc 12's would crash in the kernels' ifunc
# resolvers, which a TSan build leaves out) on the tests that run work on
# several threads: the pool, the products, Adam, the critics, env copies,
# the collector's values alongside its steps, and PPO's halves.
if command -v clang >/dev/null; then
  export TSAN_OPTIONS=halt_on_error=1:exitcode=66
  extra_args=("$@" threads onpolicy ppo)
  CC=clang run_build build-test-tsan -Dreal=float -Dwerror=true \
    -Dbuildtype=debugoptimized -Db_sanitize=thread -Db_lundef=false \
    -Dmujoco=disabled
fi

# A bounded fuzz stage: each libFuzzer target for CRL_FUZZ_SECONDS (45 s
# by default, five targets) on its seed corpus, one pass or failure per
# target; skipped without clang's libFuzzer.
echo "== fuzz (${CRL_FUZZ_SECONDS:-45} s per target)"
set +e
fuzz_log=$(mktemp)
scripts/fuzz.sh "${CRL_FUZZ_SECONDS:-45}" >"$fuzz_log" 2>&1
rc=$?
set -e
grep -E "^fuzz" "$fuzz_log" || true
if [ $rc -eq 77 ]; then
  : # fuzz.sh said "fuzz: skipped (...)"; neither passed nor failed
else
  [ $rc -eq 0 ] || cat "$fuzz_log"
  fuzz_ok=$(awk '/^fuzz: [0-9]+ passed/ {print $2}' "$fuzz_log")
  fuzz_fail=$(awk '/^fuzz: [0-9]+ passed/ {print $4}' "$fuzz_log")
  passed=$((passed + ${fuzz_ok:-0}))
  failed=$((failed + ${fuzz_fail:-0}))
  if [ $rc -ne 0 ] && [ "${fuzz_fail:-0}" = 0 ]; then
    failed=$((failed + 1)) # the build itself failed
  fi
fi
rm -f "$fuzz_log"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
