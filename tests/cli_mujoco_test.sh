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

# RL Zoo's own MuJoCo entries (tests/data/zoo_mujoco/, the zoo's values)
# through --zoo give the bits of the files in experiments/mujoco/ that
# docs/results.md measured, so those results are the entries' results
# (docs/zoo.md). A short budget each, the same overrides on both sides:
# zoo-file:id crl-file steps [crl-side --set ...].
ZOO="$HERE/data/zoo_mujoco"
EXP=${CRL_SOURCE_ROOT:-$(cd "$HERE/.." && pwd)}/experiments/mujoco
zoo_pairs=(
  "ppo:HalfCheetah-v4 ppo_half_cheetah 1024"
  "ppo:Hopper-v4 ppo_hopper_tuned 1024"
  "ppo:Walker2d-v4 ppo_walker2d 1024"
  "ppo:Swimmer-v4 ppo_swimmer 4096"
  "ppo:InvertedDoublePendulum-v2 ppo_inverted_double_pendulum 256"
  "ppo:Ant-v4 ppo_ant 2048 --set env_kwargs.contact_cost_weight=0"
  "sac:HalfCheetah-v4 sac_half_cheetah 200"
  "sac:Hopper-v4 sac_hopper 200"
  "sac:Walker2d-v4 sac_walker2d 200"
  "td3:HalfCheetah-v4 td3_half_cheetah 200"
  "td3:Hopper-v4 td3_hopper 200"
  "td3:Walker2d-v4 td3_walker2d 200"
)
for pair in "${zoo_pairs[@]}"; do
  read -r entry file steps extra <<<"$pair"
  algo=${entry%%:*} id=${entry#*:}
  short=(--seed 0 --set n_timesteps="$steps" --set eval.every=0 --set eval.episodes=1
    --set threads=1 --quiet --no-plot)
  # off-policy: 100 updates after 100 steps, where the zoo waits 10000
  [ "$algo" = ppo ] || short+=(--set learning_starts=100 --set iteration_steps=100)
  run "$algo $id through --zoo" 0 "$CRL" train --zoo "$ZOO/$algo.yml" --env "$id" -o "zoo_$algo$id" "${short[@]}"
  [ "$id" = Ant-v4 ] && expect "the zoo's Ant entry runs on Ant-v5 with v4's defaults, and says so" err \
    "crl has Ant-v5, not Ant-v4: the entry's settings run on Ant-v5, with Gymnasium's v4 defaults env_kwargs.include_cfrc_ext_in_observation=false, env_kwargs.contact_cost_weight=0"
  # shellcheck disable=SC2086 # extra is a list of words
  run "$file.yaml" 0 "$CRL" train "$EXP/$file.yaml" -o "file_$algo$id" "${short[@]}" $extra
  same_progress "$algo $id: the zoo's entry gives the bits of $file.yaml" \
    "zoo_$algo$id/seed_0/progress.csv" "file_$algo$id/seed_0/progress.csv"
done

# A v4 default is set only where the entry does not set the key itself;
# Humanoid-v4 charged no contact cost either.
cat >own.yml <<'EOF'
Ant-v4:
  n_timesteps: 256
  policy: MlpPolicy
  n_steps: 128
  batch_size: 64
  env_kwargs:
    contact_cost_weight: 0.1
Humanoid-v4:
  n_timesteps: 128
  policy: MlpPolicy
  n_steps: 64
  batch_size: 64
EOF
run "an Ant-v4 entry with its own contact cost" 0 "$CRL" train --zoo own.yml --algo ppo --env Ant-v4 -o own_ant --quiet --no-plot
expect "the entry's own setting is kept" own_ant/config.yaml 'contact_cost_weight: "0.1"'
expect "v4's observation still" own_ant/config.yaml 'include_cfrc_ext_in_observation: "false"'
run "a Humanoid-v4 entry" 0 "$CRL" train --zoo own.yml --algo ppo --env Humanoid-v4 -o own_hum --quiet --no-plot
expect "Humanoid-v4 without a contact cost" own_hum/config.yaml 'contact_cost_weight: "0"'
expect "and says so" err "with Gymnasium's v4 defaults env_kwargs.contact_cost_weight=0"

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
