#!/bin/bash
# docs/tuning.md's measurement: crl tune on experiments/pendulum/ppo_tune.yaml
# (PPO on Pendulum-v1, 50 trials x 50k steps), TPE against random search,
# with and without median pruning, on tuning seeds 0-2; then each study's
# best configuration re-trained on 10 fresh seeds (100-109). With
# SEEDS='[0, 1, 2]' every trial trains those seeds (its objective is their
# mean) and PRUNERS='median' leaves out the studies without pruning.
#   bash bench/tune_pendulum.sh [CRL] [OUT_DIR]
set -u
crl=${1:-build/tools/crl}
out=${2:-runs/tune_pendulum_bench}
file=experiments/pendulum/ppo_tune.yaml
seeds=${SEEDS:-}
pruners=${PRUNERS:-median none}
sets=()
[ -n "$seeds" ] && sets=(--set "seeds=$seeds")
mkdir -p "$out"
echo "| sampler | pruner | tune seed | best | median of top 5 | env steps | wall s | best re-trained on seeds 100-109 |"
echo "|---|---|---|---|---|---|---|---|"
for pruner in $pruners; do
  for sampler in tpe random; do
    for seed in 0 1 2; do
      dir=$out/${sampler}_${pruner}_$seed
      start=$(date +%s.%N)
      "$crl" tune "$file" --trials 50 -j 2 --sampler "$sampler" \
        --pruner "$pruner" --tune-seed "$seed" -o "$dir" "${sets[@]}" --force --quiet \
        --no-plot >/dev/null 2>"$dir.err" || { echo "failed: $dir"; continue; }
      wall=$(echo "$(date +%s.%N) - $start" | bc)
      # trials.csv: status (2), objective (3), steps (6).
      stats=$(awk -F, 'NR > 1 { steps += $6 } NR > 1 && $2 == "complete" { print $3 }
        END { print "steps", steps }' "$dir/trials.csv" | sort -g -r | awk '
        $1 == "steps" { steps = $2; next }
        { v[n++] = $1 }
        END { m = n < 5 ? n : 5; printf "%.1f %.1f %d", v[0], (m % 2 ? v[int(m / 2)] : (v[m / 2 - 1] + v[m / 2]) / 2), steps }')
      set -- $stats
      "$crl" train "$dir/best.yaml" --set 'seeds={from: 100, count: 10}' -j 2 \
        -o "$dir/retrained" --force --quiet --no-plot >"$dir/retrained.out" 2>&1
      again=$(sed -n 's/^final eval return: \(.*\) over.*/\1/p' "$dir/retrained.out")
      printf '| %s | %s | %s | %s | %s | %s | %.0f | %s |\n' "$sampler" "$pruner" \
        "$seed" "$1" "$2" "$3" "$wall" "$again"
    done
  done
done
