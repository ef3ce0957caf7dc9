#!/usr/bin/env bash
# crl eval and crl render with a configured MuJoCo env (-Dmujoco=enabled):
# a checkpoint plays in its run's env with its env_kwargs, --set changes
# them, and a policy file of `env: mujoco` is evaluated after the run's
# env_kwargs are given as --set env_kwargs.KEY=VALUE; without them the
# mismatch of shapes is named with the way out.
#
#   bash tests/cli_mujoco_test.sh PATH/TO/crl
set -u

CRL=${1:?usage: cli_mujoco_test.sh PATH/TO/crl}
CRL=$(cd "$(dirname "$CRL")" && pwd)/$(basename "$CRL")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/crl-cli-mujoco-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export OPENBLAS_NUM_THREADS=1
. "$HERE/cli_lib.sh"

# The generic MJCF env with the project's reacher: 8 observations and 2
# actions, where `env: mujoco` alone (its default model) has 4 and 1.
cat >reach.yaml <<'EOF'
env: mujoco
env_kwargs: {model: reacher.xml, frame_skip: 2, max_episode_steps: 50}
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
run "train a configured MuJoCo env" 0 "$CRL" train reach.yaml -o reach --quiet --no-plot
run "eval its checkpoint" 0 "$CRL" eval reach/seed_0
expect "in the run's env, with its settings" out "env: mujoco{model=reacher.xml,frame_skip=2,max_episode_steps=50}, 2 episodes"
expect "50-step episodes" out "episode length: 50.0"
run "eval its checkpoint with --set" 0 "$CRL" eval reach/seed_0 --set env_kwargs.max_episode_steps=20
expect "--set replaces one setting, keeps the others" out "env: mujoco{model=reacher.xml,frame_skip=2,max_episode_steps=20}"
expect "20-step episodes" out "episode length: 20.0"
run "export" 0 "$CRL" export reach/seed_0 -o reach.crlp
run "eval the policy file with --env mujoco alone" 2 "$CRL" eval reach.crlp --env mujoco
expect "names both shapes" err "the policy (observations Box(8), actions Box(2)) does not fit env 'mujoco' (observations Box(4), actions Box(1))"
expect "says to pass the run's env_kwargs" err "--set env_kwargs.KEY=VALUE (see its config.yaml)"
run "eval the policy file with the run's env_kwargs" 0 "$CRL" eval reach.crlp --env mujoco \
  --set env_kwargs.model=reacher.xml --set env_kwargs.frame_skip=2 --set env_kwargs.max_episode_steps=50 --seed 0 --episodes 2
expect "the policy file in the configured env" out "env: mujoco{model=reacher.xml,frame_skip=2,max_episode_steps=50}"
run "the same in one flow mapping" 0 "$CRL" eval reach.crlp --env mujoco \
  --set 'env_kwargs={model: reacher.xml, frame_skip: 2, max_episode_steps: 50}' --seed 0 --episodes 2
expect "a flow mapping builds the same env" out "env: mujoco{model=reacher.xml,frame_skip=2,max_episode_steps=50}"
run "a misspelt setting" 2 "$CRL" eval reach.crlp --env mujoco --set env_kwargs.frame_skp=2
expect "suggests the setting" err "(did you mean 'frame_skip'?)"
run "render the policy file in the configured env" 0 "$CRL" render reach.crlp --env mujoco \
  --set env_kwargs.model=reacher.xml --set env_kwargs.frame_skip=2 --set env_kwargs.max_episode_steps=50 -o reach.svg
expect "render draws it" reach.svg "<svg"
expect "the whole 50-step episode" out "(51 frames,"
run "render the policy file with --env mujoco alone" 2 "$CRL" render reach.crlp --env mujoco -o x.svg
expect "render names both shapes" err "the policy (observations Box(8), actions Box(2)) does not fit env 'mujoco'"

# MuJoCo tasks declare CRL_ENV_PARALLEL_STEP: a vec env steps its copies on
# the run's threads (lib/env/vec_env.c). PPO with 4 copies gives the same
# progress.csv on 1, 2 and 3 threads, and with grad_shards 2 on top.
cat >copies.yaml <<'EOF'
env: HalfCheetah-v5
algo: ppo
n_timesteps: 2048
n_envs: 4
n_steps: 256
batch_size: 128
seeds: [2]
eval: {every: 1024, episodes: 1}
normalize: true
EOF
for gs in 1 2; do
  for t in 1 2 3; do
    run "ppo, 4 copies, grad_shards $gs, threads: $t" 0 "$CRL" train copies.yaml -o "copies$gs$t" \
      --set threads=$t --set grad_shards=$gs --quiet --no-plot
  done
  for t in 2 3; do
    same_progress "grad_shards $gs: threads: $t gives the bits of threads: 1" \
      "copies${gs}1/seed_2/progress.csv" "copies$gs$t/seed_2/progress.csv"
  done
done
expect "the copies trained" copies11/seed_2/progress.csv "2048,"

# CI's MuJoCo build runs this suite, not the cli one, so the MuJoCo
# experiments are checked here as cli_test.sh checks the others: each
# validates (a trial construction included) and says what it expects.
SRC=${CRL_SOURCE_ROOT:-$(cd "$HERE/.." && pwd)}
for f in "$SRC"/experiments/mujoco/*.yaml; do
  name=${f#"$SRC"/}
  run "check $name" 0 "$CRL" check "$f" && expect "$name has an expect: block" out "expect:"
done

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
