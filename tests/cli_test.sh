#!/usr/bin/env bash
# Command-line tests of the real `crl` program: usage errors, bad experiment
# files (exit 2, one located message, nothing created), tiny training runs
# and their files, determinism, overrides, plots.
#
#   bash tests/cli_test.sh PATH/TO/crl
#
# Prints one line per check and ends with "N passed, N failed".
set -u

CRL=${1:?usage: cli_test.sh PATH/TO/crl}
CRL=$(cd "$(dirname "$CRL")" && pwd)/$(basename "$CRL")
SRC=${CRL_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
WORK=$(mktemp -d /tmp/crl-cli-test-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export OPENBLAS_NUM_THREADS=1

passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok    $1"; }
bad() { failed=$((failed + 1)); echo "FAIL  $1"; [ -n "${2:-}" ] && printf '      %s\n' "$2"; }

# run NAME EXPECTED_STATUS CMD...: stdout in $WORK/out, stderr in $WORK/err.
run() {
  local name=$1 want=$2
  shift 2
  "$@" >"$WORK/out" 2>"$WORK/err"
  local got=$?
  if [ "$got" -eq "$want" ]; then
    ok "$name"
    return 0
  fi
  bad "$name" "exit $got (wanted $want): $(head -c 400 "$WORK/err")"
  return 1
}

# expect NAME FILE PATTERN: the file has a line matching the fixed string.
expect() {
  if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1" "no '$3' in: $(head -c 400 "$2")"; fi
}

expect_file() { if [ -s "$2" ]; then ok "$1"; else bad "$1" "missing $2"; fi; }
expect_absent() { if [ ! -e "$2" ]; then ok "$1"; else bad "$1" "$2 exists"; fi; }

# ---- usage ----------------------------------------------------------------

run "--version" 0 "$CRL" --version && expect "--version text" out "crl "
run "help" 0 "$CRL" help && expect "help lists train" out "crl train CONFIG.yaml"
run "--help" 0 "$CRL" --help
run "help train" 0 "$CRL" help train && expect "help train lists runner keys" out "n_timesteps"
run "no arguments" 2 "$CRL"
run "unknown command" 2 "$CRL" trian
run "train without config" 2 "$CRL" train
run "train unknown option" 2 "$CRL" train x.yaml --bogus
run "train --seed not a number" 2 "$CRL" train x.yaml --seed abc
run "plot without -o" 2 "$CRL" plot somewhere
run "plot without dirs" 2 "$CRL" plot -o x.png

# ---- listings -------------------------------------------------------------

run "envs" 0 "$CRL" envs && expect "envs lists Pendulum" out "Pendulum-v1" &&
  expect "envs shows spaces" out "Discrete(2)"
run "algos" 0 "$CRL" algos && expect "algos lists ppo" out "ppo"
run "algos ppo" 0 "$CRL" algos ppo && expect "algos ppo shows learning_rate" out "learning_rate" &&
  expect "algos ppo shows nested keys" out "policy_kwargs.net_arch"
run "algos typo" 2 "$CRL" algos ppoo && expect "algos typo suggests" err "did you mean 'ppo'?"

# ---- bad experiment files --------------------------------------------------

cat >base.yaml <<'EOF'
env: Pendulum-v1
algo: ppo
n_timesteps: 512
EOF

# bad NAME 'YAML TEXT' 'EXPECTED MESSAGE' [--set ...]: exit 2, the message,
# and no output directory (neither -o nor the default one).
bad_config() {
  local name=$1 text=$2 message=$3
  shift 3
  printf '%s\n' "$text" >"$WORK/bad.yaml"
  run "$name: exit 2" 2 "$CRL" train bad.yaml -o "$WORK/out_bad" "$@"
  expect "$name: message" err "$message"
  if [ "$(wc -l <"$WORK/err")" -eq 1 ]; then ok "$name: one line"; else bad "$name: one line" "$(cat "$WORK/err")"; fi
  expect_absent "$name: no -o dir" "$WORK/out_bad"
  expect_absent "$name: no default dir" "$WORK/runs"
}

bad_config "unknown key" "$(cat base.yaml)
learning_rat: 0.001" "bad.yaml:4:1: error: unknown key 'learning_rat' (did you mean 'learning_rate'?)"
bad_config "wrong type" "$(cat base.yaml)
n_steps: abc" "bad.yaml:4:10: error: 'n_steps' expects an integer in [1, 10000000], got \"abc\""
bad_config "out of range" "$(cat base.yaml)
gamma: 1.5" "bad.yaml:4:8: error: 'gamma' expects a number in [0, 1], got \"1.5\""
bad_config "nested typo" "$(cat base.yaml)
policy_kwargs:
  activation: tahn" "bad.yaml:5:15: error: 'policy_kwargs.activation' expects one of identity|tanh|relu, got \"tahn\" (did you mean 'tanh'?)"
bad_config "missing key" "env: Pendulum-v1
algo: ppo" "bad.yaml:1:1: error: missing required key 'n_timesteps'"
bad_config "malformed" "$(cat base.yaml)
seeds: [0, 1" "bad.yaml:5:1: error: malformed YAML"
bad_config "unknown env" "env: Pendulum-v0
algo: ppo
n_timesteps: 10" "bad.yaml:1:6: error: unknown env 'Pendulum-v0' (did you mean 'Pendulum-v1'?)"
bad_config "unknown algo" "env: Pendulum-v1
algo: ppp
n_timesteps: 10" "bad.yaml:2:7: error: unknown algo 'ppp' (did you mean 'ppo'?)"
bad_config "duplicate key" "$(cat base.yaml)
n_envs: 2
n_envs: 4" "bad.yaml:5:1: error: duplicate key 'n_envs' (first given at line 4)"
bad_config "bad --set" "$(cat base.yaml)" "--set n_step=8: error: unknown key 'n_step' (did you mean 'n_steps'?)" --set n_step=8
bad_config "algo rejects" "$(cat base.yaml)
n_steps: 100
batch_size: 64" "bad.yaml: error: "
run "missing file" 2 "$CRL" train nothing.yaml -o "$WORK/out_bad"
expect "missing file: message" err "nothing.yaml: error: cannot open"

# ---- a tiny training run ---------------------------------------------------

mkdir -p exp/pendulum
cat >exp/pendulum/tiny.yaml <<'EOF'
env: Pendulum-v1
algo: ppo
n_timesteps: 2048
n_envs: 2
seeds: [0, 1]
eval: {every: 1024, episodes: 2}
n_steps: 256
batch_size: 128
n_epochs: 2
learning_rate: lin_1e-3
policy_kwargs:
  net_arch: [16, 16]
EOF
COLUMNS="timesteps,episodes,episode_return,episode_return_mean,episode_length_mean,eval_return_mean,eval_return_std,learning_rate,policy_loss,value_loss,entropy,approx_kl,clip_fraction,explained_variance,wall_seconds"

run "train tiny" 0 "$CRL" train exp/pendulum/tiny.yaml
R=runs/pendulum_tiny
for f in config.yaml summary.json seed_0/progress.csv seed_1/progress.csv; do
  expect_file "train writes $f" "$R/$f"
done
expect "progress.csv columns" "$R/seed_0/progress.csv" "$COLUMNS"
rows=$(($(wc -l <"$R/seed_0/progress.csv") - 1))
if [ "$rows" -eq 4 ]; then ok "progress.csv has a row per iteration"; else bad "progress.csv rows" "$rows rows, wanted 4"; fi
evals=$(awk -F, 'NR > 1 && $6 != "" { n++ } END { print n + 0 }' "$R/seed_0/progress.csv")
if [ "$evals" -eq 2 ]; then ok "eval rows at 1024 and 2048"; else bad "eval rows" "$evals"; fi
expect "final table" out "final eval return: "
expect "final table over seeds" out "over 2 seeds"
expect "progress lines when not a TTY" err "seed 1/2 (seed 0)"
for key in '"env": "Pendulum-v1"' '"algo": "ppo"' '"n_timesteps": 2048' \
  '"final_eval_return_mean": ' '"final_eval_return_std": ' '{"seed": 1, ' \
  '"final_eval_return": ' '"wall_seconds": ' '"steps_per_second": '; do
  expect "summary.json has $key" "$R/summary.json" "$key"
done
for key in "n_envs: 2" "seeds: [0, 1]" "  every: 1024" "learning_rate: lin_0.001" \
  "gae_lambda: 0.95" "  net_arch: [16, 16]" "  activation: tanh"; do
  expect "config.yaml has '$key'" "$R/config.yaml" "$key"
done
if command -v gnuplot >/dev/null; then
  expect_file "train draws curve.png" "$R/curve.png"
fi
ls "$R" | grep -q '\.tmp$' && bad "no temporary files left" || ok "no temporary files left"

# ---- determinism and the resolved config ----------------------------------

strip() { cut -d, -f1-14 "$1"; }
run "train again, same seed" 0 "$CRL" train exp/pendulum/tiny.yaml -o again --seed 1 --quiet --no-plot
if [ "$(strip again/seed_1/progress.csv)" = "$(strip $R/seed_1/progress.csv)" ]; then
  ok "same seed, same progress.csv (but wall_seconds)"
else
  bad "same seed, same progress.csv" "$(diff <(strip again/seed_1/progress.csv) <(strip $R/seed_1/progress.csv) | head -5)"
fi
expect_absent "--seed runs only that seed" again/seed_0
run "train from the resolved config.yaml" 0 "$CRL" train "$R/config.yaml" -o resolved --seed 0 --quiet --no-plot
if [ "$(strip resolved/seed_0/progress.csv)" = "$(strip $R/seed_0/progress.csv)" ]; then
  ok "resolved config.yaml reproduces the run"
else
  bad "resolved config.yaml reproduces the run"
fi

# ---- output directory rules, options ---------------------------------------

run "refuse a non-empty directory" 2 "$CRL" train exp/pendulum/tiny.yaml --no-plot
expect "refusal says --force" err "--force"
run "--force overwrites" 0 "$CRL" train exp/pendulum/tiny.yaml --force --no-plot --seed 3 --set n_timesteps=512
expect_absent "--force removes the old seed dirs" "$R/seed_0"
expect_file "--force writes the new seed" "$R/seed_3/progress.csv"
run "--quiet" 0 "$CRL" train exp/pendulum/tiny.yaml -o quiet --quiet --no-plot --seed 0 --set n_timesteps=512
if [ "$(wc -l <"$WORK/out")" -eq 1 ] && [ ! -s "$WORK/err" ]; then ok "--quiet prints one line"; else bad "--quiet prints one line" "$(cat "$WORK/out" "$WORK/err")"; fi
expect "--quiet prints the result" out "final eval return: "
run "--set nested" 0 "$CRL" check exp/pendulum/tiny.yaml --set policy_kwargs.net_arch=[32,32] --set 'eval={episodes: 3}'
expect "--set nested value" out "  net_arch: [32, 32]"
expect "--set flow mapping" out "  episodes: 3"
expect "--set keeps the rest of the mapping" out "  every: 1024"

# On a terminal the progress is one redrawn line (script(1) gives a TTY).
if command -v script >/dev/null; then
  script -qec "'$CRL' train exp/pendulum/tiny.yaml -o tty --no-plot --seed 0" /dev/null \
    </dev/null >tty.out 2>&1
  if grep -q $'\r''seed 1/1 \[#*\.*\] [0-9]*/2048 [0-9]* steps/s  return .*ETA' tty.out; then
    ok "progress bar on a TTY"
  else
    bad "progress bar on a TTY" "$(head -c 300 tty.out | cat -v)"
  fi
fi

# ---- plots ------------------------------------------------------------------

if command -v gnuplot >/dev/null; then
  run "plot png" 0 "$CRL" plot again resolved -o both.png --title "two runs" && expect_file "plot png written" both.png
  run "plot svg" 0 "$CRL" plot again -o curve.svg && expect "plot svg is svg" curve.svg "<svg"
fi
run "plot a non-run directory" 1 "$CRL" plot exp -o x.png && expect "plot says why" err "no seed_<k>/progress.csv"
run "plot bad extension" 1 "$CRL" plot again -o x.jpg
mkdir -p nobin
run "plot without gnuplot" 1 env PATH="$WORK/nobin" "$CRL" plot again -o x.png &&
  expect "plot without gnuplot says how to install" err "apt-get install gnuplot"
run "train without gnuplot still succeeds" 0 env PATH="$WORK/nobin" "$CRL" train exp/pendulum/tiny.yaml -o nognuplot --seed 0 --set n_timesteps=512
expect "train without gnuplot notes it" err "gnuplot is not installed"

# ---- discrete actions and the shipped experiments --------------------------

cat >cartpole.yaml <<'EOF'
env: CartPole-v1
algo: ppo
n_timesteps: 1024
n_envs: 2
seed: 4
n_steps: 256
batch_size: 64
n_epochs: 1
EOF
run "train CartPole" 0 "$CRL" train cartpole.yaml -o cartpole --no-plot --quiet
expect_file "CartPole progress.csv" cartpole/seed_4/progress.csv
for f in "$SRC"/experiments/*/*.yaml; do
  [ -e "$f" ] || continue
  name=${f#"$SRC"/}
  run "check $name" 0 "$CRL" check "$f"
  out=shipped_$(basename "$(dirname "$f")")_$(basename "$f" .yaml)
  run "train $name (tiny budget)" 0 "$CRL" train "$f" -o "$out" --seed 0 --quiet --no-plot --set n_timesteps=1
done

# ---- episode budgets, many seeds, reference lines (textbook runs) ---------

cat >corridor.yaml <<'EOF2'
name: "REINFORCE on the corridor"
env: ShortCorridor-v0
algo: reinforce
n_episodes: 5
seeds: {from: 3, count: 20}
eval: {every: 0, episodes: 3, deterministic: false}
reference: {value: -11.657, label: "v*(s0)"}
textbook: true
gamma: 1.0
optimizer: sgd
baseline: false
gae_lambda: null
learning_rate: 0.000244140625
prob_floor: 0.05
policy_kwargs: {linear: true, theta_init: [0.0, -2.944]}
EOF2
run "train with n_episodes and seeds {from, count}" 0 "$CRL" train corridor.yaml -o corridor --quiet
expect_file "seed 22 of from 3, count 20" corridor/seed_22/progress.csv
expect_absent "no seed 23" corridor/seed_23
rows=$(($(wc -l <corridor/seed_3/progress.csv) - 1))
if [ "$rows" -eq 5 ]; then ok "one row per episode"; else bad "one row per episode" "$rows rows"; fi
empty=$(awk -F, 'NR > 1 && ($2 != NR - 1 || $3 == "") { n++ } END { print n + 0 }' corridor/seed_3/progress.csv)
if [ "$empty" -eq 0 ]; then ok "episode_return on every row"; else bad "episode_return on every row" "$(cat corridor/seed_3/progress.csv)"; fi
expect "config.yaml keeps the seed range" corridor/config.yaml "  count: 20"
expect "config.yaml keeps n_episodes" corridor/config.yaml "n_episodes: 5"
expect "config.yaml keeps the reference" corridor/config.yaml "  value: -11.657"
expect "summary.json has the reference" corridor/summary.json '"reference": {"value": -11.657, "label": "v*(s0)"}'
expect "summary.json has n_episodes" corridor/summary.json '"n_episodes": 5'
expect "over 20 seeds" out "over 20 seeds"
run "resolved config.yaml with a seed range" 0 "$CRL" train corridor/config.yaml -o corridor2 --quiet --no-plot --seed 4
if [ "$(strip corridor2/seed_4/progress.csv)" = "$(strip corridor/seed_4/progress.csv)" ]; then
  ok "seed range run reproduces"
else
  bad "seed range run reproduces"
fi
run "--set seeds list replaces the range" 0 "$CRL" check corridor.yaml --set 'seeds=[1, 2]'
expect "--set seeds list" out "seeds: [1, 2]"
printf '%s\nseeds: [1]\nseeds.count: 3\n' "$(cat base.yaml)" >bad.yaml
run "seeds list and range" 2 "$CRL" check bad.yaml
expect "seeds list and range: message" err "bad.yaml:5:1: error: give 'seeds' as a list or as {from, count}, not both"
printf '%s\nseeds: {from: 0, count: 3, form: 1}\n' "$(cat base.yaml)" >bad.yaml
run "seeds typo in range" 2 "$CRL" check bad.yaml
expect "seeds typo in range: message" err "unknown key 'seeds.form' (did you mean 'seeds.from'?)"
if command -v gnuplot >/dev/null; then
  expect_file "episode-budget run draws its curve" corridor/curve.png
  run "plot --x episodes --y episode_return" 0 "$CRL" plot corridor corridor2 -o episodes.svg --x episodes --y episode_return --smooth 2 --band sem --key "bottom right"
  expect "plot draws the reference line" episodes.svg "v*(s0) = -11.66"
  expect "plot legend uses the run name" episodes.svg "REINFORCE on the corridor (20 seeds)"
fi
run "plot --x bad" 2 "$CRL" plot corridor -o x.png --x steps
run "plot --band bad" 2 "$CRL" plot corridor -o x.png --band wide
run "plot --smooth bad" 2 "$CRL" plot corridor -o x.png --smooth 0
run "plot --y unknown column" 1 "$CRL" plot corridor -o x.png --y nothing
expect "plot names the missing column" err "no timesteps and nothing columns"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
