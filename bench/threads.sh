#!/bin/bash
# docs/benchmarks.md's threads table: one run with `threads: 1` against the
# same run with `threads: N`, wall time of the whole `crl train` process,
# interleaved (1, N, 1, N, ...) so that a noisy machine disturbs both
# alike; the medians of REPEATS pairs. Each pair's progress.csv files must
# agree in every column but wall time (the bits do not depend on threads).
#   bash bench/threads.sh [CRL] [N] [REPEATS] [MATCH]
# MATCH (an extended regular expression) keeps the configurations whose
# name it matches, e.g. 'PPO Pendulum'.
# Needs -Dmujoco=enabled for the HalfCheetah rows (skipped otherwise).
set -u
crl=${1:-build/tools/crl}
threads=${2:-2}
repeats=${3:-3}
match=${4:-}
out=$(mktemp -d /tmp/crl-bench-threads-XXXXXX)
trap 'rm -rf "$out"' EXIT
export OPENBLAS_NUM_THREADS=1
quick="--set eval.every=0 --set eval.episodes=1 --seed 0 --quiet --no-plot --force"

# name | file | overrides (each config's training steps after its warm-up)
configs=(
  "TD3 zoo (400-300, batch 256), 2k updates|experiments/pendulum/td3.yaml|--set n_timesteps=12000"
  "DDPG zoo (400-300, batch 256), 2k updates|experiments/pendulum/ddpg.yaml|--set n_timesteps=12000"
  "SAC zoo (256-256, batch 256), 3k updates|experiments/pendulum/sac.yaml|--set n_timesteps=3100"
  "SAC HalfCheetah-v5 (256-256, obs 17), 2k updates|experiments/mujoco/sac_half_cheetah.yaml|--set n_timesteps=3000 --set learning_starts=1000"
  "PPO Pendulum (64-64, 8 envs), 65k steps|experiments/pendulum/ppo.yaml|--set n_timesteps=65536 --set n_envs=8"
  "PPO Pendulum (64-64, 8 envs, grad_shards 2), 131k steps|experiments/pendulum/ppo.yaml|--set n_timesteps=131072 --set n_envs=8 --set grad_shards=2"
  "PPO Pendulum (64-64, 8 envs, grad_shards 2, batch 256), 131k steps|experiments/pendulum/ppo.yaml|--set n_timesteps=131072 --set n_envs=8 --set grad_shards=2 --set batch_size=256"
  "PPO HalfCheetah-v5 (64-64, 8 envs), 32k steps|experiments/mujoco/ppo_half_cheetah.yaml|--set n_timesteps=32768 --set n_envs=8"
  "PPO HalfCheetah-v5 (64-64, 8 envs, grad_shards 2), 32k steps|experiments/mujoco/ppo_half_cheetah.yaml|--set n_timesteps=32768 --set n_envs=8 --set grad_shards=2"
  "TD3 small (64-64, batch 100), 10k steps|experiments/pendulum/td3_small.yaml|--set n_timesteps=10000"
)

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

echo "| configuration | threads: 1, wall s | threads: $threads, wall s | speed-up | same bits |"
echo "|---|---:|---:|---:|---|"
for c in "${configs[@]}"; do
  IFS='|' read -r name file sets <<<"$c"
  [[ -z "$match" || "$name" =~ $match ]] || continue
  if ! "$crl" check "$file" >/dev/null 2>&1; then
    echo "| $name | (skipped: $file does not load here) | | | |"
    continue
  fi
  same=yes
  : >"$out/t1" && : >"$out/tn"
  for r in $(seq 1 "$repeats"); do
    for t in 1 "$threads"; do
      start=$(date +%s.%N)
      # shellcheck disable=SC2086
      "$crl" train "$file" -o "$out/run$t" $quick $sets --set threads=$t >/dev/null 2>&1 || {
        echo "failed: $name, threads $t" >&2
        exit 1
      }
      echo "$(date +%s.%N) - $start" | bc >>"$out/$([ "$t" = 1 ] && echo t1 || echo tn)"
    done
    cmp -s <(cut -d, -f1-15 "$out/run1/seed_0/progress.csv") \
      <(cut -d, -f1-15 "$out/run$threads/seed_0/progress.csv") || same=NO
  done
  a=$(median <"$out/t1")
  b=$(median <"$out/tn")
  printf '| %s | %.2f | %.2f | %.2fx | %s |\n' "$name" "$a" "$b" "$(echo "$a / $b" | bc -l)" "$same"
done
