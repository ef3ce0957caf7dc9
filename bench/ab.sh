#!/bin/bash
# Two (or more) builds of crl side by side: for each repeat, every build
# runs FILE with `threads: 1` and then `threads: 2`, one after the other,
# so that a noisy machine disturbs all alike. Prints, per build and thread
# count, the median wall time of the whole `crl train` process and the
# speed-up of 2 threads over 1.
#   bash bench/ab.sh FILE "OVERRIDES" REPEATS CRL [CRL...]
# e.g. bash bench/ab.sh experiments/pendulum/sac.yaml "--set n_timesteps=3100" 5 \
#        /tmp/old/build/tools/crl build/tools/crl
set -u
[ $# -ge 4 ] || { sed -n '2,9p' "$0" >&2; exit 2; }
file=$1 sets=$2 reps=$3
shift 3
out=$(mktemp -d /tmp/crl-bench-ab-XXXXXX)
trap 'rm -rf "$out"' EXIT
export OPENBLAS_NUM_THREADS=1
quick="--set eval.every=0 --set eval.episodes=1 --seed 0 --quiet --no-plot --force"
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
for r in $(seq 1 "$reps"); do
  b=0
  for crl in "$@"; do
    b=$((b + 1))
    for t in 1 2; do
      start=$(date +%s.%N)
      # shellcheck disable=SC2086
      "$crl" train "$file" -o "$out/run" $quick $sets --set threads=$t >/dev/null 2>&1 || {
        echo "failed: $crl, threads $t" >&2
        exit 1
      }
      echo "$(date +%s.%N) - $start" | bc >>"$out/b${b}t$t"
    done
  done
done
echo "| build | threads: 1, wall s | threads: 2, wall s | speed-up |"
echo "|---|---:|---:|---:|"
b=0
for crl in "$@"; do
  b=$((b + 1))
  t1=$(median <"$out/b${b}t1")
  t2=$(median <"$out/b${b}t2")
  printf '| %s | %.2f | %.2f | %.2fx |\n' "$crl" "$t1" "$t2" "$(echo "$t1 / $t2" | bc -l)"
done
