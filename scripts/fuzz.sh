#!/usr/bin/env bash
# Build the libFuzzer targets (fuzz/, -Dfuzz=true with clang) and run each
# for SECONDS (default 60) on a temporary copy of its seed corpus
# (fuzz/corpus/<target>/, plus checkpoint and policy seeds remade by the
# targets themselves, so that they follow the current file format).
# Prints libFuzzer's final figures per target (execs, coverage, corpus);
# an input that crashes, leaks, trips a sanitizer or an assertion of the
# target, or times out, is kept in BUILD/fuzz-artifacts/ and fails the run.
#
# Usage: scripts/fuzz.sh [SECONDS [TARGET...]]   (TARGET: experiment,
#        checkpoint, policy, result, curve, zoo; default all)
# Environment: CRL_FUZZ_BUILD (default build-fuzz), CRL_FUZZ_CC (default clang).
# Exit status: 0 every target ran clean, 1 one failed, 77 skipped (no clang
# with libFuzzer; scripts/test.sh reports that as skipped).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD
seconds=${1:-60}
shift || true
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  targets=(experiment checkpoint policy result curve zoo)
fi
build=${CRL_FUZZ_BUILD:-build-fuzz}
cc=${CRL_FUZZ_CC:-clang} # not $CC: a CI that sets CC=gcc still fuzzes

# libFuzzer is part of clang's runtime (Debian: libclang-rt-14-dev).
probe=$(mktemp -d)
trap 'rm -rf "$probe"' EXIT
echo 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }' \
  >"$probe/probe.c"
if ! command -v "$cc" >/dev/null ||
  ! "$cc" -fsanitize=fuzzer,address,undefined "$probe/probe.c" -o "$probe/probe" 2>/dev/null; then
  echo "fuzz: skipped ($cc with libFuzzer not found; Debian: apt-get install clang libclang-rt-14-dev)"
  exit 77
fi

if [ ! -f "$build/build.ninja" ]; then
  CC=$cc meson setup "$build" -Dfuzz=true -Db_lundef=false -Dtests=disabled \
    -Dbuildtype=debugoptimized -Dwerror=true >/dev/null
fi
echo "== build $build"
nice ninja -C "$build" >/dev/null

export OPENBLAS_NUM_THREADS=1
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
export UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1
artifacts="$root/$build/fuzz-artifacts"
mkdir -p "$artifacts"
passed=0
failed=0
for t in "${targets[@]}"; do
  exe="$root/$build/fuzz/fuzz_$t"
  work=$(mktemp -d)
  mkdir "$work/corpus"
  cp "fuzz/corpus/$t/"* "$work/corpus/"
  case $t in
  checkpoint | policy)
    mkdir "$work/fresh"
    CRL_FUZZ_WRITE_SEEDS="$work/fresh" "$exe" >/dev/null
    for f in "$work/fresh/"*; do cp "$f" "$work/corpus/fresh_$(basename "$f")"; done
    ;;
  esac
  n_seeds=$(find "$work/corpus" -type f | wc -l)
  log="$work/log"
  set +e
  # -timeout: one input may take at most 10 s (a grid validates up to 4096
  # configurations); the outer timeout catches a run that never returns.
  (cd "$work" && timeout $((seconds + 120)) nice "$exe" -max_total_time="$seconds" \
    -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/${t}-" corpus >"$log" 2>&1)
  rc=$?
  set -e
  execs=$(awk '/^stat::number_of_executed_units/ {print $NF}' "$log")
  cov=$(grep -E '^#[0-9]+[[:space:]]+(DONE|INITED|NEW|REDUCE|pulse)' "$log" | tail -1 |
    sed -E 's/.*cov: ([0-9]+) ft: ([0-9]+) corp: ([0-9]+)\/([0-9A-Za-z]+).*/cov \1, ft \2, corpus \3 inputs (\4)/' || true)
  if [ $rc -eq 0 ]; then
    echo "fuzz_$t: ok: ${execs:-?} execs in ${seconds} s, $cov, from $n_seeds seeds"
    passed=$((passed + 1))
  else
    echo "fuzz_$t: FAILED (exit $rc): ${execs:-?} execs, $cov"
    grep -E 'ERROR|SUMMARY|round trip|runtime error|Test unit written|artifact' "$log" | head -20 || true
    tail -40 "$log"
    failed=$((failed + 1))
  fi
  rm -rf "$work"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
