#!/usr/bin/env bash
# `mpirun -n K crl train`: the runs of an experiment spread over MPI ranks.
# Each seed's progress.csv must be the same bytes (but wall time) as
# without MPI, with K = 2 and 3 ranks and more seeds than ranks; rank 0
# alone writes the summary; Ctrl-C on mpirun stops every rank with a
# checkpoint, and `mpirun ... --resume` ends on the uninterrupted bits;
# commands other than train refuse to run on several ranks.
#
#   bash tests/cli_mpi_test.sh PATH/TO/crl PATH/TO/mpirun [PATH/TO/mpi_sum_check]
#
# Prints one line per check and ends with "N passed, N failed".
set -u
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

CRL=${1:?usage: cli_mpi_test.sh PATH/TO/crl PATH/TO/mpirun}
MPIRUN=${2:?usage: cli_mpi_test.sh PATH/TO/crl PATH/TO/mpirun}
SUM_CHECK=${3:-}
CRL=$(cd "$(dirname "$CRL")" && pwd)/$(basename "$CRL")
WORK=$(mktemp -d /tmp/crl-mpi-test-XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export OPENBLAS_NUM_THREADS=1
# Test machines and containers often run as root, which Open MPI refuses
# unless told; more ranks than cores is fine for these small runs.
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OMPI_MCA_rmaps_base_oversubscribe=1
# LeakSanitizer reports Open MPI's own allocations, which it keeps to the
# end of the process.
export ASAN_OPTIONS=${ASAN_OPTIONS:-}:detect_leaks=0

. "$LIB_DIR/cli_lib.sh" # ok, bad, run, expect, expect_not

strip_wall() { sed 's/,[^,]*$//' "$1"; }
# summary.json without the times.
no_times() { sed -E 's/"wall_seconds": [0-9.]+, "steps_per_second": [0-9.]+, //' "$1"; }
# same_runs NAME DIR_A DIR_B SEED...: every seed's progress.csv agrees.
same_runs() {
  local name=$1 a=$2 b=$3
  shift 3
  for s in "$@"; do
    if [ -s "$a/seed_$s/progress.csv" ] &&
      [ "$(strip_wall "$a/seed_$s/progress.csv")" = "$(strip_wall "$b/seed_$s/progress.csv")" ]; then
      ok "$name: seed $s"
    else
      bad "$name: seed $s" "$(diff <(strip_wall "$a/seed_$s/progress.csv") <(strip_wall "$b/seed_$s/progress.csv") 2>&1 | head -5)"
    fi
  done
}

cat >exp.yaml <<'YAML'
env: Pendulum-v1
algo: ppo
n_timesteps: 4096
n_envs: 2
seeds: [0, 1, 2, 3, 4]
eval: {every: 2048, episodes: 2}
n_steps: 256
batch_size: 64
n_epochs: 2
YAML

run "one process" 0 "$CRL" train exp.yaml -o single -j 1 --quiet --no-plot
for k in 2 3; do
  run "$k ranks" 0 "$MPIRUN" -n $k "$CRL" train exp.yaml -o ranks$k -j 1 --quiet --no-plot
  same_runs "$k ranks" single ranks$k 0 1 2 3 4
  if [ "$(no_times single/summary.json)" = "$(no_times ranks$k/summary.json)" ] &&
    [ "$(grep -c '"seed":' ranks$k/summary.json)" -eq 5 ]; then
    ok "$k ranks: summary.json holds the five seeds' results"
  else
    bad "$k ranks: summary.json" "$(head -c 600 ranks$k/summary.json)"
  fi
done
# Each rank with worker processes of its own.
run "2 ranks x -j 2" 0 "$MPIRUN" -n 2 "$CRL" train exp.yaml -o ranks_j -j 2 --quiet --no-plot
same_runs "2 ranks x -j 2" single ranks_j 0 1 2 3 4

# budget CONFIG: an n_timesteps that keeps CONFIG training for about 4 s
# on this build (sanitizers make it ten times slower), so that the run is
# still going when the ranks get the signal. Open MPI kills the ranks one
# second after Ctrl-C: the iterations here are short.
budget() {
  "$CRL" train "$1" --set n_timesteps=8192 --set 'seeds=[0]' -o "calib_$1" -j 1 --quiet --no-plot >/dev/null 2>&1
  local sps
  sps=$(sed -E 's/.*"steps_per_second": ([0-9]+).*/\1/' "calib_$1/seed_0/result.json")
  echo $(((sps * 4 / 2048 + 1) * 2048))
}

# rows FILE N: wait (up to 30 s) until FILE has at least N lines.
rows() {
  for _ in $(seq 1 1500); do
    [ -s "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ] && return 0
    sleep 0.02
  done
  return 1
}

# Ctrl-C on mpirun: Open MPI sends every rank SIGTERM; each stops at its
# next iteration with a checkpoint; --resume under mpirun ends on the
# same bits as the run that was never stopped.
cat >long.yaml <<'YAML'
env: Pendulum-v1
algo: ppo
n_timesteps: 40960
n_envs: 2
seeds: [0, 1]
eval: {every: 1000000, episodes: 2}
n_steps: 256
batch_size: 64
n_epochs: 10
YAML
sed -i "s/^n_timesteps: .*/n_timesteps: $(budget long.yaml)/" long.yaml
"$MPIRUN" -n 2 "$CRL" train long.yaml -o long -j 1 >"$WORK/out" 2>"$WORK/err" &
pid=$!
rows long/seed_0/progress.csv 2 && rows long/seed_1/progress.csv 2
kill -INT $pid
wait $pid
expect "Ctrl-C: seed 0 stopped with a checkpoint" long/seed_0/result.json '"interrupted"'
expect "Ctrl-C: seed 1 stopped with a checkpoint" long/seed_1/result.json '"interrupted"'
expect "Ctrl-C: the way on" "$WORK/out" "crl train --resume long"
run "resume on 2 ranks" 0 "$MPIRUN" -n 2 "$CRL" train --resume long -j 1 --quiet --no-plot
run "uninterrupted" 0 "$CRL" train long.yaml -o long_ref -j 2 --quiet --no-plot
same_runs "resumed" long long_ref 0 1

run "crl eval on 2 ranks is refused" 2 "$MPIRUN" -n 2 "$CRL" eval single/seed_0
expect "crl eval on 2 ranks: why" "$WORK/err" "only \`crl train\` and \`crl tune\` spread their work over MPI ranks"

# TRPO data parallel on CartPole (a categorical policy): 2 ranks compute
# what one process with grad_shards 2 computes, gradient, Fisher-vector
# products, line search and critic alike.
cat >trpo_dp.yaml <<'YAML'
env: CartPole-v1
algo: trpo
n_timesteps: 2048
n_envs: 2
seed: 0
eval: {every: 1024, episodes: 2}
n_steps: 256
batch_size: 64
n_critic_updates: 2
grad_shards: 2
YAML
run "trpo: grad_shards 2 in one process" 0 "$CRL" train trpo_dp.yaml -o trpo_one --quiet --no-plot
run "trpo: data parallel on 2 ranks" 0 "$MPIRUN" -n 2 "$CRL" train trpo_dp.yaml \
  --set distributed.data_parallel=true -o trpo_dp -j 1 --quiet --no-plot
same_runs "trpo: data parallel = one process" trpo_dp trpo_one 0

# GRPO: every rank runs the episodes, each computes a part of the update.
cat >grpo_dp.yaml <<'YAML'
env: CartPole-v1
algo: grpo
n_timesteps: 3000
seed: 0
eval: {every: 1000, episodes: 2}
group_size: 4
n_groups: 2
batch_size: 128
grad_shards: 2
YAML
run "grpo: grad_shards 2 in one process" 0 "$CRL" train grpo_dp.yaml -o grpo_one --quiet --no-plot
run "grpo: data parallel on 2 ranks" 0 "$MPIRUN" -n 2 "$CRL" train grpo_dp.yaml \
  --set distributed.data_parallel=true -o grpo_dp -j 1 --quiet --no-plot
same_runs "grpo: data parallel = one process" grpo_dp grpo_one 0

# REINFORCE (VPG) the same way; its textbook form updates after every
# step and is refused.
cat >vpg_dp.yaml <<'YAML'
env: CartPole-v1
algo: reinforce
n_timesteps: 3000
seed: 0
eval: {every: 1000, episodes: 2}
n_steps: 500
vf_iters: 5
grad_shards: 2
YAML
run "reinforce: grad_shards 2 in one process" 0 "$CRL" train vpg_dp.yaml -o vpg_one --quiet --no-plot
run "reinforce: data parallel on 2 ranks" 0 "$MPIRUN" -n 2 "$CRL" train vpg_dp.yaml \
  --set distributed.data_parallel=true -o vpg_dp -j 1 --quiet --no-plot
same_runs "reinforce: data parallel = one process" vpg_dp vpg_one 0
run "reinforce: the textbook form is refused" 1 "$MPIRUN" -n 2 "$CRL" train vpg_dp.yaml \
  --set distributed.data_parallel=true --set textbook=true -o vpg_tb -j 1 --quiet --no-plot
expect "reinforce: the textbook form: why" "$WORK/err" "cannot run data parallel"

# ---- crl tune over ranks ----------------------------------------------------
# Trials i learns from trials 0 .. i - W, W the trials at once over all
# ranks: 2 ranks x -j 1 run the study of one process with -j 2, trial for
# trial; SIGUSR1 stops every rank's trials, and --resume on 2 ranks ends
# on the uninterrupted study.
cat >tune.yaml <<'YAML'
env: Pendulum-v1
algo: ppo
n_timesteps: 4096
n_envs: 2
seed: 0
eval: {every: 1024, episodes: 2}
n_steps: 256
batch_size: 64
n_epochs: 2
policy_kwargs: {net_arch: [8, 8]}
search:
  learning_rate: {log_uniform: [1e-5, 3e-2]}
  gamma: {uniform: [0.8, 0.9999]}
YAML
trials() { cut -d, -f1-8,10- "$1/trials.csv"; }
run "tune: 2 ranks x -j 1" 0 "$MPIRUN" -n 2 "$CRL" tune tune.yaml --trials 14 -j 1 -o tune_ranks --no-plot
expect "tune: rank 0 reports rank 1's trials" "$WORK/err" "trial 13 ["
run "tune: one process, -j 2" 0 "$CRL" tune tune.yaml --trials 14 -j 2 -o tune_one --quiet --no-plot
if [ -n "$(trials tune_ranks)" ] && [ "$(trials tune_ranks)" = "$(trials tune_one)" ]; then
  ok "tune: 2 ranks x -j 1 = one process with -j 2, trial for trial"
else
  bad "tune: 2 ranks x -j 1 = one process with -j 2, trial for trial" "$(diff <(trials tune_ranks) <(trials tune_one) | head -4)"
fi
expect "tune: tune.yaml records the ranks" tune_ranks/tune.yaml "ranks: 2"
run "tune: resume on another number of ranks is refused" 2 "$CRL" tune --resume tune_ranks
expect "tune: why" "$WORK/err" "was started on 2 ranks; it resumes only on 2"
sed -i "s/^n_timesteps: .*/n_timesteps: $(budget tune.yaml)/; s/every: 1024/every: 2048/" tune.yaml
"$MPIRUN" -n 2 "$CRL" tune tune.yaml --trials 8 -j 1 -o tune_long --no-plot >"$WORK/out" 2>"$WORK/err" &
pid=$!
rows tune_long/trial_0000/seed_0/progress.csv 2 && rows tune_long/trial_0001/seed_0/progress.csv 2
kill -USR1 $pid
wait $pid
expect "tune: SIGUSR1: the way on" "$WORK/out" "crl tune --resume tune_long"
run "tune: resume on 2 ranks" 0 "$MPIRUN" -n 2 "$CRL" tune --resume tune_long --quiet --no-plot
# A signal to one rank alone (a batch system's, say) stops both: that
# rank leaves .stopping, the other stops its trials too, and rank 0 says
# how to go on.
"$MPIRUN" -n 2 "$CRL" tune tune.yaml --trials 8 -j 1 -o tune_one_rank --no-plot >"$WORK/out" 2>"$WORK/err" &
pid=$!
rows tune_one_rank/trial_0000/seed_0/progress.csv 2 && rows tune_one_rank/trial_0001/seed_0/progress.csv 2
kill -USR1 "$(pgrep -P $pid crl | tail -1)"
wait $pid
rc=$?
[ "$rc" -eq 130 ] && ok "tune: a signal to one rank: exit 130" || bad "tune: a signal to one rank: exit 130" "exit $rc: $(tail -3 "$WORK/err")"
expect "tune: a signal to one rank: the way on" "$WORK/out" "crl tune --resume tune_one_rank"
run "tune: resumed after one rank's signal" 0 "$MPIRUN" -n 2 "$CRL" tune --resume tune_one_rank --quiet --no-plot
run "tune: uninterrupted" 0 "$CRL" tune tune.yaml --trials 8 -j 2 -o tune_long_ref --quiet --no-plot
if [ -n "$(trials tune_long)" ] && [ "$(trials tune_long)" = "$(trials tune_long_ref)" ]; then
  ok "tune: stopped and resumed on 2 ranks = uninterrupted"
else
  bad "tune: stopped and resumed on 2 ranks = uninterrupted" "$(diff <(trials tune_long) <(trials tune_long_ref) | head -4)"
fi
if [ -n "$(trials tune_one_rank)" ] && [ "$(trials tune_one_rank)" = "$(trials tune_long_ref)" ]; then
  ok "tune: one rank's signal, resumed = uninterrupted"
else
  bad "tune: one rank's signal, resumed = uninterrupted" "$(diff <(trials tune_one_rank) <(trials tune_long_ref) | head -4)"
fi

# ---- one run over the ranks (distributed.data_parallel) -------------------
# Two ranks, each stepping half of the env copies and computing one of the
# two parts of every gradient, write the bytes one process writes with
# the same file: progress.csv, monitor.csv, on rank 0 and on rank 1 (in
# rank_1/); with observation and reward normalisation on.
cat >dp.yaml <<'YAML'
env: Pendulum-v1
algo: ppo
n_timesteps: 8192
n_envs: 4
seeds: [0, 1]
eval: {every: 4096, episodes: 2}
n_steps: 256
batch_size: 64
n_epochs: 3
normalize: true
normalize_reward: true
ent_coef: 0.01
grad_shards: 2
distributed: {data_parallel: true}
YAML
run "data parallel: one process" 0 "$CRL" train dp.yaml -o dp1 -j 1 --quiet --no-plot
run "data parallel: 2 ranks" 0 "$MPIRUN" -n 2 "$CRL" train dp.yaml -o dp2 --quiet --no-plot
same_runs "data parallel" dp1 dp2 0 1
for s in 0 1; do
  if [ "$(strip_wall dp1/seed_$s/progress.csv)" = "$(strip_wall dp2/seed_$s/rank_1/progress.csv)" ] &&
    [ "$(cut -d, -f1,2 dp1/seed_$s/monitor.csv | tail -n +2)" = "$(cut -d, -f1,2 dp2/seed_$s/monitor.csv | tail -n +2)" ]; then
    ok "data parallel: seed $s: rank 1 and monitor.csv agree"
  else
    bad "data parallel: seed $s: rank 1 and monitor.csv agree"
  fi
done
expect "data parallel: the ranks are recorded" dp2/seed_0/ranks.txt "2"

# Refused: parts that are not one per rank, an algorithm without a
# data-parallel form (CrossQ: its batch statistics would differ per rank).
run "data parallel: grad_shards must be the ranks" 1 "$MPIRUN" -n 2 "$CRL" train dp.yaml --set grad_shards=1 -o dp_bad --quiet --no-plot
expect "data parallel: grad_shards: why" "$WORK/err" "needs grad_shards: 2 (it is 1)"
cat >dp_crossq.yaml <<'YAML'
env: Pendulum-v1
algo: crossq
n_timesteps: 400
learning_starts: 100
distributed: {data_parallel: true}
YAML
run "data parallel: crossq is refused" 1 "$MPIRUN" -n 2 "$CRL" train dp_crossq.yaml -o dp_crossq --quiet --no-plot
expect "data parallel: crossq: why" "$WORK/err" "algo 'crossq' cannot run data parallel"
expect_not "data parallel: one message from rank 0 alone" "$WORK/err" "rank 1 of 2"

# Off-policy (SAC): each rank its own env copies, replay buffer and
# exploration, the gradients averaged: the ranks hold one policy (the
# evaluation columns agree), learn from different batches (the losses do
# not), and the same command gives the same bits again.
cat >dp_sac.yaml <<'YAML'
env: Pendulum-v1
algo: sac
n_timesteps: 600
learning_starts: 200
batch_size: 64
iteration_steps: 200
eval: {every: 200, episodes: 2}
policy_kwargs: {net_arch: [32, 32]}
distributed: {data_parallel: true}
YAML
run "data parallel: sac on 2 ranks" 0 "$MPIRUN" -n 2 "$CRL" train dp_sac.yaml -o dps --quiet --no-plot
run "data parallel: sac again" 0 "$MPIRUN" -n 2 "$CRL" train dp_sac.yaml -o dps2 --quiet --no-plot
evals() { cut -d, -f1,6,7 "$1"; }
losses() { cut -d, -f9,10 "$1" | tail -n +3; }
if [ "$(evals dps/seed_0/progress.csv)" = "$(evals dps/seed_0/rank_1/progress.csv)" ] &&
  [ "$(losses dps/seed_0/progress.csv)" != "$(losses dps/seed_0/rank_1/progress.csv)" ]; then
  ok "data parallel: sac: one policy, two replay buffers"
else
  bad "data parallel: sac: one policy, two replay buffers" "$(paste -d'|' dps/seed_0/progress.csv dps/seed_0/rank_1/progress.csv | head -5)"
fi
same_runs "data parallel: sac is deterministic" dps dps2 0
if [ "$(strip_wall dps/seed_0/rank_1/progress.csv)" = "$(strip_wall dps2/seed_0/rank_1/progress.csv)" ]; then ok "data parallel: sac is deterministic on rank 1"; else bad "data parallel: sac is deterministic on rank 1"; fi
# With normalize and normalize_reward the ranks' running statistics learn
# from every rank's rows: one policy, one set of statistics, the same
# evaluations on both ranks.
run "data parallel: sac with normalize" 0 "$MPIRUN" -n 2 "$CRL" train dp_sac.yaml \
  --set normalize=true --set normalize_reward=true -o dps_norm -j 1 --quiet --no-plot
if [ -n "$(evals dps_norm/seed_0/progress.csv)" ] &&
  [ "$(evals dps_norm/seed_0/progress.csv)" = "$(evals dps_norm/seed_0/rank_1/progress.csv)" ]; then
  ok "data parallel: sac with normalize: one policy and statistics"
else
  bad "data parallel: sac with normalize: one policy and statistics" "$(paste -d'|' dps_norm/seed_0/progress.csv dps_norm/seed_0/rank_1/progress.csv | head -5)"
fi
run "data parallel: sac, train_freq in episodes is refused" 1 "$MPIRUN" -n 2 "$CRL" train dp_sac.yaml \
  --set train_freq_unit=episode -o dps_bad --quiet --no-plot
expect "data parallel: train_freq in episodes: why" "$WORK/err" "train_freq in episodes"

# Ctrl-C: both ranks stop at the same iteration with their checkpoints;
# resumed on 2 ranks, the run ends on the uninterrupted bits; on 3 ranks
# it is refused.
# (Ctrl-C on mpirun leaves the ranks one second before it kills them:
# iterations here are short even under sanitizers.)
sed -e 's/^n_epochs: .*/n_epochs: 10/' -e 's/^seeds: .*/seeds: [0]/' dp.yaml >dp_long.yaml
sed -i "s/^n_timesteps: .*/n_timesteps: $(budget dp_long.yaml)/" dp_long.yaml
"$MPIRUN" -n 2 "$CRL" train dp_long.yaml -o dpl >"$WORK/out" 2>"$WORK/err" &
pid=$!
rows dpl/seed_0/progress.csv 2
kill -INT $pid
wait $pid
expect "data parallel: Ctrl-C: rank 0 stopped with a checkpoint" dpl/seed_0/result.json '"interrupted"'
expect "data parallel: Ctrl-C: rank 1 stopped with a checkpoint" dpl/seed_0/rank_1/result.json '"interrupted"'
step0=$(ls dpl/seed_0/checkpoints)
step1=$(ls dpl/seed_0/rank_1/checkpoints)
if [ -n "$step0" ] && [ "$step0" = "$step1" ]; then ok "data parallel: Ctrl-C: the same step on both ranks"; else bad "data parallel: Ctrl-C: the same step on both ranks" "$step0 / $step1"; fi
run "data parallel: resume on 3 ranks is refused" 1 "$MPIRUN" -n 3 "$CRL" train --resume dpl --quiet --no-plot
expect "data parallel: resume on 3 ranks: why" "$WORK/err" "was started on 2 ranks; it resumes only on 2 (mpirun -n 2)"
run "data parallel: resume on 2 ranks" 0 "$MPIRUN" -n 2 "$CRL" train --resume dpl --quiet --no-plot
run "data parallel: uninterrupted, one process" 0 "$CRL" train dp_long.yaml -o dpl_ref --quiet --no-plot
same_runs "data parallel: resumed" dpl dpl_ref 0

# A rank that fails alone (here rank 1 cannot reopen its progress.csv on a
# resume) must not leave rank 0 waiting for it in a collective: the job
# ends within seconds, naming the rank, the seed, the step and the cause.
"$MPIRUN" -n 2 "$CRL" train dp.yaml --set 'seeds=[0]' --set n_timesteps="$(budget dp.yaml)" -o dpf --quiet --no-plot >"$WORK/out" 2>"$WORK/err" &
pid=$!
rows dpf/seed_0/rank_1/progress.csv 3
# SIGUSR1 also stops every rank at its next iteration, and mpirun does not
# kill them after it (the way to stop iterations longer than a second).
kill -USR1 $pid
wait $pid
expect "data parallel: SIGUSR1: rank 0 stopped with a checkpoint" dpf/seed_0/result.json '"interrupted"'
expect "data parallel: SIGUSR1: rank 1 stopped with a checkpoint" dpf/seed_0/rank_1/result.json '"interrupted"'
rm -f dpf/seed_0/rank_1/progress.csv
mkdir dpf/seed_0/rank_1/progress.csv
started=$(date +%s)
timeout 120 "$MPIRUN" -n 2 "$CRL" train --resume dpf --quiet --no-plot >"$WORK/out" 2>"$WORK/err"
rc=$?
took=$(($(date +%s) - started))
if [ $rc -ne 0 ] && [ $rc -ne 124 ] && [ $took -lt 60 ]; then ok "data parallel: a failing rank stops all ($took s)"; else bad "data parallel: a failing rank stops all" "exit $rc after $took s"; fi
expect "data parallel: the failing rank's message" "$WORK/err" "crl train: rank 1 of 2: seed_0: step"
expect "data parallel: its cause" "$WORK/err" "progress.csv"

# The fixed-order sum that data-parallel gradients are to use.
if [ -n "$SUM_CHECK" ]; then
  for k in 2 3 4; do
    if out=$("$MPIRUN" -n $k "$SUM_CHECK" 2>&1); then
      ok "fixed-order sum on $k ranks"
    else
      bad "fixed-order sum on $k ranks" "$out"
    fi
  done
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
