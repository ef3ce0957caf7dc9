#!/usr/bin/env bash
# Command-line checks of what a new user runs into (issue 16): Ctrl-C with
# one process on a terminal gives its messages lines of their own, a run
# directory that exists is refused with the ways out named, and crl eval /
# crl render take --env and --set as crl train does, with a mismatch of
# policy and env named. MuJoCo's configured envs: tests/cli_mujoco_test.sh.
#
#   bash tests/cli_edges_test.sh PATH/TO/crl
set -u

CRL=${1:?usage: cli_edges_test.sh PATH/TO/crl}
CRL=$(cd "$(dirname "$CRL")" && pwd)/$(basename "$CRL")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/crl-cli-edges-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export OPENBLAS_NUM_THREADS=1
. "$HERE/cli_lib.sh"

cat >tiny.yaml <<'EOF'
env: Pendulum-v1
algo: ppo
n_timesteps: 512
n_envs: 2
seeds: [0]
eval: {every: 0, episodes: 2}
n_steps: 128
batch_size: 128
n_epochs: 1
policy_kwargs: {net_arch: [8]}
EOF

# ---- a run directory that exists -------------------------------------------

run "train tiny" 0 "$CRL" train tiny.yaml -o tiny --quiet --no-plot
run "train into it again" 2 "$CRL" train tiny.yaml -o tiny --quiet --no-plot
expect "the refusal names --resume, --force and -o" err \
  "use --resume tiny to continue it, --force to overwrite it or -o DIR to choose another"

# ---- crl eval / crl render: --env and --set --------------------------------

run "export" 0 "$CRL" export tiny/seed_0 -o tiny.crlp
run "eval --env=NAME" 0 "$CRL" eval tiny.crlp --env=Pendulum-v1 --episodes 1
expect "eval names the env" out "env: Pendulum-v1, 1 episode"
run "eval a policy file on another env" 2 "$CRL" eval tiny.crlp --env CartPole-v1
expect "the mismatch names both shapes" err \
  "the policy (observations Box(3), actions Box(1)) does not fit env 'CartPole-v1' (observations Box(4), actions Discrete(2))"
expect "the mismatch says what to pass" err "--env NAME and the run's env_kwargs as --set env_kwargs.KEY=VALUE"
run "eval a checkpoint on another env" 2 "$CRL" eval tiny/seed_0 --env Acrobot-v1
expect "for a checkpoint: its own env without --env" err "without --env a checkpoint plays in its run's own env"
run "eval a policy file without --env" 2 "$CRL" eval tiny.crlp
expect "without --env: says what to give" err "a policy file needs --env NAME (and, for an env with settings, --set env_kwargs.KEY=VALUE"
run "eval --set of a key that is no env setting" 2 "$CRL" eval tiny/seed_0 --set n_envs=4
expect "names the key and the syntax" err "--set n_envs=4: error: 'n_envs' is not a setting of the env; --set takes env_kwargs.KEY=VALUE"
run "eval --set on an env without settings" 2 "$CRL" eval tiny/seed_0 --set env_kwargs.g=9.81
expect "says the env has none" err "--set env_kwargs.g=9.81: error: env 'Pendulum-v1' has no settings"
run "eval --set without a value" 2 "$CRL" eval tiny/seed_0 --set
expect "--set needs KEY=VALUE" err "--set needs KEY=VALUE"
run "eval --set without =" 2 "$CRL" eval tiny/seed_0 --set env_kwargs.g
run "eval --env unknown" 2 "$CRL" eval tiny.crlp --env Pendulum-v0
expect "suggests the nearest env" err "did you mean 'Pendulum-v1'?"
run "render --set of a key that is no env setting" 2 "$CRL" render tiny/seed_0 -o x.svg --set gamma=0.5
expect "render names the key" err "'gamma' is not a setting of the env"
run "render a policy file on another env" 2 "$CRL" render tiny.crlp --env MountainCarContinuous-v0 -o x.svg
expect "render: the mismatch names both shapes" err "does not fit env 'MountainCarContinuous-v0' (observations Box(2), actions Box(1))"
run "render --env=NAME" 0 "$CRL" render tiny.crlp --env=Pendulum-v1 -o x.svg --every 10
expect "render --env=NAME draws" x.svg "<svg"

# ---- threads: the same bits for every count ----------------------------------
# TD3 with 128-128 networks at batch 256: every update's products and Adam
# steps are large enough to be split (lib/core/pool.h).

cat >threads.yaml <<'EOF'
env: Pendulum-v1
algo: td3
n_timesteps: 1000
seeds: [3]
eval: {every: 350, episodes: 2}
learning_starts: 300
batch_size: 256
policy_kwargs: {net_arch: [128, 128]}
EOF
for t in 1 2 3; do
  run "threads: $t" 0 "$CRL" train threads.yaml -o "threads$t" --set threads=$t --quiet --no-plot
done
for t in 2 3; do
  same_progress "threads: $t gives the bits of threads: 1" \
    threads1/seed_3/progress.csv "threads$t/seed_3/progress.csv"
done
expect "the runs trained" threads1/seed_3/progress.csv "1000,"
# The critics run at once, one per thread (rl/qcritic.h): SAC with three
# critics (on 2 threads a round of two, then one) and TQC's quantile
# critics, small networks so that nothing else is split.
for a in sac tqc; do
  for t in 1 2 3; do
    run "$a, threads: $t" 0 "$CRL" train threads.yaml -o "${a}_threads$t" --set algo=$a \
      --set batch_size=64 --set policy_kwargs.net_arch=[32,32] --set policy_kwargs.n_critics=3 \
      --set threads=$t --quiet --no-plot
  done
  for t in 2 3; do
    same_progress "$a: threads: $t gives the bits of threads: 1" \
      "${a}_threads1/seed_3/progress.csv" "${a}_threads$t/seed_3/progress.csv"
  done
  expect "$a trained" "${a}_threads1/seed_3/progress.csv" "1000,"
done
run "threads: -1 is refused" 2 "$CRL" train threads.yaml -o threads_bad --set threads=-1 --quiet --no-plot
expect "the refusal names the key and range" err "threads"
[ ! -e threads_bad ] && ok "nothing written for a refused threads" || bad "nothing written for a refused threads"

# PPO computes a minibatch's grad_shards parts on the threads (algos/ppo.c):
# 3 parts on 1, 2 (a round of two, then one) and 3 threads, and with gSDE
# (whose parts stay on the calling thread), the same bits. With one part
# (grad_shards 1), and in a part that is not a pool task, the actor's and
# the critic's halves run at once: the same bits again.
cat >threads_ppo.yaml <<'EOF'
env: Pendulum-v1
algo: ppo
n_timesteps: 1024
n_envs: 4
seeds: [5]
eval: {every: 512, episodes: 2}
n_steps: 128
batch_size: 96
n_epochs: 3
grad_shards: 3
EOF
for v in plain sde one; do
  sets=()
  [ "$v" = sde ] && sets=(--set use_sde=true --set sde_sample_freq=4)
  [ "$v" = one ] && sets=(--set grad_shards=1)
  for t in 1 2 3; do
    run "ppo ($v), threads: $t" 0 "$CRL" train threads_ppo.yaml -o "ppo_$v$t" --set threads=$t "${sets[@]}" --quiet --no-plot
  done
  for t in 2 3; do
    same_progress "ppo ($v): threads: $t gives the bits of threads: 1" \
      "ppo_${v}1/seed_5/progress.csv" "ppo_$v$t/seed_5/progress.csv"
  done
  expect "ppo ($v): the runs trained" "ppo_${v}1/seed_5/progress.csv" "1024,"
done

# ---- CRL_MAX_ISA: the kernel set capped, a bad value refused -----------------
run "crl --version names the kernels" 0 "$CRL" --version
expect "--version names the kernel set" out " kernels)"
if grep -q "avx512 kernels\|avx2 kernels" out; then
  CRL_MAX_ISA=avx2 run "CRL_MAX_ISA=avx2" 0 "$CRL" --version
  expect "CRL_MAX_ISA=avx2 runs the AVX2 kernels" out "avx2 kernels"
fi
CRL_MAX_ISA=generic run "CRL_MAX_ISA=generic" 0 "$CRL" --version
expect "CRL_MAX_ISA=generic runs the plain-C kernels" out "generic kernels"
CRL_MAX_ISA=sse4 run "CRL_MAX_ISA=sse4 is refused" 2 "$CRL" train threads.yaml -o isa_bad --quiet --no-plot
expect "the refusal names the variable and its values" err "CRL_MAX_ISA=sse4: expected generic, avx2 or avx512"
[ ! -e isa_bad ] && ok "nothing written for a refused CRL_MAX_ISA" || bad "nothing written for a refused CRL_MAX_ISA"

# ---- Ctrl-C with -j 1 on a terminal ----------------------------------------
# The progress bar is redrawn in place (\r ... ESC[K) and leaves the cursor at
# its end: the interrupted run's message must clear it first, not continue
# its line. script(1) gives crl a terminal.

if command -v script >/dev/null; then
  # Iterations long enough (> 0.1 s) that the bar is redrawn after the note.
  cat >long.yaml <<'EOF'
env: Pendulum-v1
algo: ppo
n_timesteps: 50000000
n_envs: 1
seeds: [0, 1]
eval: {every: 0, episodes: 1}
n_steps: 16384
batch_size: 64
n_epochs: 10
policy_kwargs: {net_arch: [64, 64]}
EOF
  script -qfec "echo \$\$ >tty.pid; exec '$CRL' train long.yaml -o tty -j 1 --no-plot" tty.log \
    </dev/null >/dev/null 2>&1 &
  spid=$!
  for i in $(seq 1 1200); do
    [ "$(cat tty/seed_0/progress.csv 2>/dev/null | wc -l)" -ge 2 ] && break
    sleep 0.05
  done
  kill -INT "$(cat tty.pid)"
  wait "$spid"
  status=$?
  if [ "$status" -eq 130 ]; then ok "Ctrl-C on a terminal: exit 130"; else bad "Ctrl-C on a terminal: exit 130" "exit $status"; fi
  expect "the progress bar was drawn" tty.log "steps/s  return"
  expect "the note is on its own line" tty.log $'\ncrl: stopping at the end of the current iteration'
  # The bar is redrawn once more after the note (its iteration ends);
  # the message's line, after its last carriage return, holds no bar.
  line=$(grep -a "): interrupted" tty.log | head -1 | sed 's/\r$//')
  last=${line##*$'\r'}
  case $last in
    *"steps/s"* | "") bad "the message does not land on the bar's line" "$(printf '%q' "$line")" ;;
    *) ok "the message does not land on the bar's line" ;;
  esac
else
  echo "skip  Ctrl-C on a terminal (no script(1))"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
