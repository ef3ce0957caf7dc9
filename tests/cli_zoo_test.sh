#!/usr/bin/env bash
# crl train --zoo and crl check --zoo with the zoo-layout files of
# tests/data/zoo/: an entry runs as a normal experiment (its config.yaml a
# crl file that reads back), the note says when default: or another
# version is used, and each refusal is one message with the zoo file's
# line, exit 2, nothing written.
#
#   bash tests/cli_zoo_test.sh PATH/TO/crl
set -u

CRL=${1:?usage: cli_zoo_test.sh PATH/TO/crl}
CRL=$(cd "$(dirname "$CRL")" && pwd)/$(basename "$CRL")
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d /tmp/crl-cli-zoo-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export OPENBLAS_NUM_THREADS=1
. "$HERE/cli_lib.sh"
cp -r "$HERE/data/zoo" hyperparams

run "train a zoo entry" 0 "$CRL" train --zoo hyperparams/ppo.yml --env CartPole-v1 --quiet --no-plot
expect "its default directory" runs/zoo_ppo_CartPole-v1/config.yaml "algo: ppo"
expect "the entry's settings" runs/zoo_ppo_CartPole-v1/config.yaml "batch_size: 100"
expect "policy_kwargs from dict(...)" runs/zoo_ppo_CartPole-v1/config.yaml "activation: relu"
expect_file "progress.csv" runs/zoo_ppo_CartPole-v1/seed_0/progress.csv
run "its config.yaml is a crl experiment" 0 "$CRL" check runs/zoo_ppo_CartPole-v1/config.yaml
expect "that reads back to the same settings" out "n_timesteps: 2000"
run "train with -o, --seed and --set" 0 "$CRL" train --zoo hyperparams/ppo.yml --env=CartPole-v1 -o cp --seed 3 --set n_epochs=1 --quiet --no-plot
expect "--set applies" cp/config.yaml "n_epochs: 1"
expect_file "--seed applies" cp/seed_3/progress.csv

run "check --zoo prints the experiment" 0 "$CRL" check --zoo hyperparams/td3.yml --env Pendulum-v1
expect "the file's algorithm" out "algo: td3"
expect "train_freq [1, step]" out "train_freq: 1"
run "the default entry" 0 "$CRL" check --zoo hyperparams/ppo.yml --env ShortCorridor-v0
expect "is said" err "note: hyperparams/ppo.yml has no entry for ShortCorridor-v0: using its 'default' entry"
run "another version" 0 "$CRL" check --zoo hyperparams/ppo.yml --env Pendulum-v0
expect "is said" err "note: crl has Pendulum-v1, not Pendulum-v0"
expect "and run on crl's" out "env: Pendulum-v1"
run "--algo" 0 "$CRL" check --zoo hyperparams/ppo.yml --env Acrobot-v1 --algo a2c
expect "names the algorithm" out "algo: a2c"

run "gSDE runs with ppo" 0 "$CRL" check --zoo hyperparams/ppo.yml --env Pendulum-v1
expect "as use_sde" out "use_sde: true"
expect "with its sample frequency" out "sde_sample_freq: 4"
run "gSDE is refused for td3" 2 "$CRL" train --zoo hyperparams/ppo.yml --env Pendulum-v1 --algo td3 -o sde
expect "at the key" err "hyperparams/ppo.yml:47:3: error: RL Zoo key 'use_sde'"
[ ! -e sde ] && ok "nothing written" || bad "nothing written" "sde exists"
run "a callback is refused" 2 "$CRL" check --zoo hyperparams/td3.yml --env CartPole-v1
expect "at the key" err "hyperparams/td3.yml:32:3: error: RL Zoo key 'callback'"
run "an algorithm crl lacks" 2 "$CRL" check --zoo hyperparams/ppo.yml --env CartPole-v1 --algo dqn
expect "is named" err "crl has no algorithm 'dqn'"
run "--zoo without --env" 2 "$CRL" train --zoo hyperparams/ppo.yml
expect "asks for it" err "--zoo FILE needs --env ID"
run "--env without --zoo" 2 "$CRL" train x.yaml --env CartPole-v1
expect "says so" err "--env and --algo go with --zoo FILE"
run "--zoo and a CONFIG" 2 "$CRL" train x.yaml --zoo hyperparams/ppo.yml --env CartPole-v1
expect "says so" err "--zoo FILE names the experiment"
run "a zoo file without --zoo" 2 "$CRL" train hyperparams/ppo.yml
expect "fails where the file is not an experiment" err "hyperparams/ppo.yml:"
expect "and hints at --zoo" err "hint: hyperparams/ppo.yml looks like an RL Zoo hyperparameter file"
run "crl check too" 2 "$CRL" check hyperparams/td3.yml
expect "hints at --zoo" err "run one entry with \`crl train --zoo hyperparams/td3.yml --env Pendulum-v1\`"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
