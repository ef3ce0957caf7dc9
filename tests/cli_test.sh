#!/usr/bin/env bash
# Command-line tests of the real `crl` program: usage errors, bad experiment
# files (exit 2, one located message, nothing created), tiny training runs
# and their files, determinism, overrides, grids and worker processes,
# expectations, checkpoints and exact resume, Ctrl-C, export, eval, render
# and plots. Trainings are kept tiny (tiny networks, few steps, few eval
# episodes) so that the whole file stays fast under sanitizers.
#
#   bash tests/cli_test.sh PATH/TO/crl
#
# Prints one line per check and ends with "N passed, N failed".
set -u
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

CRL=${1:?usage: cli_test.sh PATH/TO/crl}
CRL=$(cd "$(dirname "$CRL")" && pwd)/$(basename "$CRL")
SRC=${CRL_SOURCE_ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
WORK=$(mktemp -d /tmp/crl-cli-test-XXXXXX)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export OPENBLAS_NUM_THREADS=1

. "$LIB_DIR/cli_lib.sh" # ok, bad, run, expect, expect_not
expect_absent() { if [ ! -e "$2" ]; then ok "$1"; else bad "$1" "$2 exists"; fi; }

# same NAME A B: two progress.csv files equal apart from wall_seconds.
strip() { cut -d, -f1-15 "$1"; }
same() {
  if [ -s "$2" ] && [ "$(strip "$2")" = "$(strip "$3")" ]; then
    ok "$1"
  else
    bad "$1" "$(diff <(strip "$2") <(strip "$3") 2>&1 | head -5)"
  fi
}

have_gnuplot() { command -v gnuplot >/dev/null; }
ENVS=$("$CRL" envs)
ALGOS=$("$CRL" algos)
has_env() { case $ENVS in *"$1 "*) return 0 ;; *) return 1 ;; esac; }
has_algo() { case $ALGOS in *$'\n'"$1 "*) return 0 ;; *) return 1 ;; esac; }

# ---- usage ----------------------------------------------------------------

run "--version" 0 "$CRL" --version && expect "--version text" out "crl "
run "help" 0 "$CRL" help && expect "help lists train" out "crl train CONFIG.yaml"
expect "help lists render" out "crl render CKPT"
run "--help" 0 "$CRL" --help
run "help train" 0 "$CRL" help train && expect "help train lists runner keys" out "n_timesteps"
expect "help train lists checkpoint keys" out "checkpoint.every"
expect "help train lists the sections" out "expect: {METRIC"
run "no arguments" 2 "$CRL"
run "unknown command" 2 "$CRL" trian
expect "a misspelt command gets a suggestion" err "unknown command 'trian' (did you mean 'train'?)"
run "help of an unknown command" 2 "$CRL" help nosuchcmd
long_path=$(printf 'x%.0s' $(seq 1 5000))
run "eval of a 5000-character path" 2 "$CRL" eval "$long_path.crlp" --env Pendulum-v1
expect "its message ends with the reason" err "File name too long"
run "check of a 5000-character path" 2 "$CRL" check "$long_path"
expect "check's message ends with the reason" err "cannot open: File name too long"
printf 'env: Pendulum-v1\nalgo: ppo\nn_timesteps: 1e18\n' >huge.yaml
run "n_timesteps past INT_MAX" 2 "$CRL" check huge.yaml
expect "the error gives the real limit" err "(integers go up to 2147483647)"
# 900M rows of Pendulum (9 reals each): 32.4 GB in float, 64.8 GB in double,
# more than a 24 GiB machine.
printf 'env: Pendulum-v1\nalgo: sac\nn_timesteps: 1000\nbuffer_size: 900000000\n' >hugebuf.yaml
mem_kb=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
if [ "${mem_kb:-0}" -lt 30000000 ]; then
  run "a replay buffer larger than the machine is refused by check" 2 "$CRL" check hugebuf.yaml
  expect "the refusal names buffer_size" err "buffer_size 900000000: replay: "
  expect "the refusal gives the sizes" err " GB of buffers, more than this machine's "
else
  ok "a replay buffer larger than the machine (skipped: this machine has more than 30 GB)"
fi
run "train without config" 2 "$CRL" train
run "train unknown option" 2 "$CRL" train x.yaml --bogus
run "train --seed not a number" 2 "$CRL" train x.yaml --seed abc
run "train -o ''" 2 "$CRL" train x.yaml -o ''
run "train -j 0" 2 "$CRL" train x.yaml -j 0
run "--resume with a config" 2 "$CRL" train x.yaml --resume somewhere
run "--resume of nothing" 2 "$CRL" train --resume nowhere
run "plot without -o" 2 "$CRL" plot somewhere
run "plot without dirs" 2 "$CRL" plot -o x.png
run "eval without a source" 2 "$CRL" eval
run "export without -o" 2 "$CRL" export somewhere
run "render bad extension" 2 "$CRL" render somewhere -o x.jpg

# ---- listings -------------------------------------------------------------

expect "envs lists Pendulum" <(echo "$ENVS") "Pendulum-v1"
expect "envs shows spaces" <(echo "$ENVS") "Discrete(2)"
run "algos" 0 "$CRL" algos && expect "algos lists ppo" out "ppo"
run "algos ppo" 0 "$CRL" algos ppo && expect "algos ppo shows learning_rate" out "learning_rate" &&
  expect "algos ppo shows nested keys" out "policy_kwargs.net_arch"
run "algos typo" 2 "$CRL" algos ppoo && expect "algos typo suggests" err "did you mean 'ppo'?"

# ---- check-env --------------------------------------------------------------

run "help lists check-env" 0 "$CRL" help && expect "help check-env synopsis" out "crl check-env NAME"
run "help check-env" 0 "$CRL" help check-env && expect "help check-env points to C" out "crl_env_check"
run "check-env Pendulum" 0 "$CRL" check-env Pendulum-v1 --steps 1000
expect "check-env Pendulum: ok line" out "Pendulum-v1: ok (1000 random steps, seed 0;"
expect "check-env Pendulum: limit" out "time limit 200"
run "check-env discrete env, --seed" 0 "$CRL" check-env CartPole-v1 --steps=600 --seed=3
expect "check-env CartPole: ok line" out "CartPole-v1: ok (600 random steps, seed 3;"
run "check-env unknown env" 2 "$CRL" check-env Pendulum-v0
expect "check-env unknown env suggests" err "unknown env 'Pendulum-v0' (did you mean 'Pendulum-v1'?)"
expect_not "check-env unknown env: no ok line" out "ok ("
run "check-env without a name" 2 "$CRL" check-env
run "check-env --steps not a number" 2 "$CRL" check-env Pendulum-v1 --steps abc
run "check-env --set without =" 2 "$CRL" check-env Pendulum-v1 --set frame_skip
run "check-env --set on an env without settings" 2 "$CRL" check-env Pendulum-v1 --set g=9.81
expect "check-env --set: message" err "env 'Pendulum-v1' has no settings (got 'g')"
if has_env MujocoInvertedPendulum-v0; then
  run "check-env --set a MuJoCo setting" 0 "$CRL" check-env MujocoInvertedPendulum-v0 --steps 500 --set frame_skip=2
  expect "check-env --set: configured name" out "MujocoInvertedPendulum-v0{frame_skip=2}: ok"
  run "check-env --set typo" 2 "$CRL" check-env MujocoInvertedPendulum-v0 --set frame_skp=2
  expect "check-env --set typo suggests" err "did you mean 'frame_skip'?"
fi

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
bad_config "algo rejects" "env: Pendulum-v1
algo: trpo
n_timesteps: 512
n_steps: 1" "bad.yaml: error: trpo: n_steps * n_envs must be >= 2"
bad_config "empty mapping of an unknown key" "$(cat base.yaml)
learnign_rate: {}" "bad.yaml:4:1: error: unknown key 'learnign_rate' (did you mean 'learning_rate'?)"
bad_config "duplicate seeds" "$(cat base.yaml)
seeds: [0, 0]" "bad.yaml:4:8: error: 'seeds' lists seed 0 twice"
bad_config "huge network" "$(cat base.yaml)
policy_kwargs: {net_arch: [65536, 65536]}" "bad.yaml:4:27: error: 'policy_kwargs.net_arch' makes networks of about"
bad_config "bad grid" "$(cat base.yaml)
grid: {gamma: [0.9, 1.5]}" "error: 'gamma' expects a number in [0, 1], got \"1.5\" (grid point gamma=1.5)"
bad_config "bad expectation" "$(cat base.yaml)
expect: {final_eval_return_mean: {mn: 1}}" "unknown key 'expect.final_eval_return_mean.mn' (did you mean 'min'?)"
run "two --set documents" 2 "$CRL" check base.yaml --set $'gamma=--- 0.5\n--- 2'
expect "two --set documents: message" err "error: the value holds more than one YAML document"
bad_config "hex number" "$(cat base.yaml)" "'n_steps' expects an integer" --set n_steps=0x10
run "missing file" 2 "$CRL" train nothing.yaml -o "$WORK/out_bad"
expect "missing file: message" err "nothing.yaml: error: cannot open"

# ---- a tiny training run (two seeds, two worker processes) -----------------

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
expect:
  final_eval_return_mean: {min: -5000}
EOF
COLUMNS="timesteps,episodes,episode_return,episode_return_mean,episode_length_mean,eval_return_mean,eval_return_std,learning_rate,policy_loss,value_loss,entropy,approx_kl,clip_fraction,explained_variance,ent_coef,wall_seconds"

run "train tiny -j 2 --check" 0 "$CRL" train exp/pendulum/tiny.yaml -j 2 --check
R=runs/pendulum_tiny
for f in config.yaml summary.json seed_0/progress.csv seed_1/progress.csv \
  seed_0/result.json seed_1/checkpoints/step_0000002048.ckpt; do
  expect_file "train writes $f" "$R/$f"
done
expect "progress.csv columns" "$R/seed_0/progress.csv" "$COLUMNS"
rows=$(($(wc -l <"$R/seed_0/progress.csv") - 1))
if [ "$rows" -eq 4 ]; then ok "progress.csv has a row per iteration"; else bad "progress.csv rows" "$rows rows, wanted 4"; fi
evals=$(awk -F, 'NR > 1 && $6 != "" { n++ } END { print n + 0 }' "$R/seed_0/progress.csv")
if [ "$evals" -eq 2 ]; then ok "eval rows at 1024 and 2048"; else bad "eval rows" "$evals"; fi
expect "final table" out "final eval return: "
expect "final table over seeds" out "over 2 seeds"
expect "--check verdict" out "PASS  final_eval_return_mean = "
expect "a line per finished run" err "run 2/2 (seed_1): final eval return"
for key in '"env": "Pendulum-v1"' '"algo": "ppo"' '"n_timesteps": 2048' \
  '"final_eval_return_mean": ' '"final_eval_return_std": ' '{"seed": 1, ' \
  '"final_eval_return": ' '"wall_seconds": ' '"steps_per_second": '; do
  expect "summary.json has $key" "$R/summary.json" "$key"
done
for key in "n_envs: 2" "seeds: [0, 1]" "  every: 1024" "learning_rate: lin_0.001" \
  "gae_lambda: 0.95" "  net_arch: [16, 16]" "  activation: tanh" \
  "  final_eval_return_mean: {min: -5000}" "checkpoint:"; do
  expect "config.yaml has '$key'" "$R/config.yaml" "$key"
done
have_gnuplot && expect_file "train draws curve.png" "$R/curve.png"
if find "$R" -name '*.tmp' | grep -q .; then bad "no temporary files left"; else ok "no temporary files left"; fi
run "check DIR" 0 "$CRL" check "$R" && expect "check DIR verdict" out "PASS  final_eval_return_mean"
sed 's/min: -5000/min: 1000/' "$R/config.yaml" >strict.yaml
run "train --check with an unmet expectation" 3 "$CRL" train strict.yaml -o strict --seed 0 --check --no-plot --quiet
expect "the verdict says FAIL" out "FAIL  final_eval_return_mean = "
run "check DIR of an unmet expectation" 3 "$CRL" check strict
# A damaged result.json (huge or null numbers) is a failed seed with the
# reason, never undefined behaviour.
cp -r strict damaged
sed -i 's/"seed": [0-9]*/"seed": 1e300/' damaged/seed_0/result.json
run "check DIR with seed 1e300 in result.json" 3 "$CRL" check damaged
expect "the reason names the field" out "'seed' is not an integer"
sed -i 's/"seed": 1e300/"seed": 0/; s/"steps": [0-9]*/"steps": null/' damaged/seed_0/result.json
run "check DIR with steps null in result.json" 3 "$CRL" check damaged
expect "the reason names steps" out "'steps' is not an integer"

# ---- determinism, the resolved config, one process ---------------------------

run "train again, same seed, -j 1" 0 "$CRL" train exp/pendulum/tiny.yaml -o again --seed 1 -j 1 --quiet --no-plot
same "same seed, same progress.csv (but wall_seconds)" again/seed_1/progress.csv $R/seed_1/progress.csv
expect_absent "--seed runs only that seed" again/seed_0
run "train from the resolved config.yaml" 0 "$CRL" train "$R/config.yaml" -o resolved --seed 0 --quiet --no-plot
same "resolved config.yaml reproduces the run" resolved/seed_0/progress.csv $R/seed_0/progress.csv

# ---- output directory rules, options ---------------------------------------

run "refuse a non-empty directory" 2 "$CRL" train exp/pendulum/tiny.yaml --no-plot
expect "refusal says --force and --resume" err "use --resume $R to continue it, --force to overwrite it"
run "--resume of a finished run" 0 "$CRL" train --resume "$R" --no-plot --quiet
same "--resume of a finished run changes nothing" $R/seed_0/progress.csv resolved/seed_0/progress.csv
run "--force overwrites" 0 "$CRL" train exp/pendulum/tiny.yaml --force --no-plot --seed 3 --set n_timesteps=512
expect_absent "--force removes the old seed dirs" "$R/seed_0"
expect_file "--force writes the new seed" "$R/seed_3/progress.csv"
run "--quiet" 0 "$CRL" train exp/pendulum/tiny.yaml -o quiet --quiet --no-plot --seed 0 --set n_timesteps=512
if [ "$(wc -l <"$WORK/out")" -eq 1 ] && [ ! -s "$WORK/err" ]; then ok "--quiet prints one line"; else bad "--quiet prints one line" "$(cat "$WORK/out" "$WORK/err")"; fi
expect "--quiet prints the result" out "final eval return: "
# Control characters and grid strings survive config.yaml and checkpoints
# (the resolved file is read back by check, --resume and eval).
{ cat exp/pendulum/tiny.yaml; printf '%s\n' 'name: "a\x7fb\Nc\x9fd"' 'grid: {description: ["a, b", "x #y"]}'; } >ctl.yaml
run "train a name with DEL and C1 characters" 0 "$CRL" train ctl.yaml -o ctl --quiet --no-plot --seed 0 --set n_timesteps=512
run "check DIR reads the escaped config back" 0 "$CRL" check ctl
if [ "$(ls -d ctl/*/ 2>/dev/null | wc -l)" -eq 2 ]; then ok "a quoted grid item with a comma is one point"; else bad "a quoted grid item with a comma is one point" "$(ls ctl)"; fi
run "--resume reads the escaped config back" 0 "$CRL" train --resume ctl --no-plot --quiet
run "--set nested" 0 "$CRL" check exp/pendulum/tiny.yaml --set policy_kwargs.net_arch=[32,32] --set 'eval={episodes: 3}'
expect "--set nested value" out "  net_arch: [32, 32]"
expect "--set flow mapping" out "  episodes: 3"
expect "--set keeps the rest of the mapping" out "  every: 1024"

# On a terminal the progress is one redrawn line (script(1) gives a TTY).
if command -v script >/dev/null; then
  script -qec "'$CRL' train exp/pendulum/tiny.yaml -o tty --no-plot --seed 0 -j 1" /dev/null \
    </dev/null >tty.out 2>&1
  if grep -q $'\r''seed 1/1 \[#*\.*\] [0-9]*/2048 [0-9]* steps/s  return .*ETA' tty.out; then
    ok "progress bar on a TTY"
  else
    bad "progress bar on a TTY" "$(head -c 300 tty.out | cat -v)"
  fi
fi

# ---- grids and worker processes ----------------------------------------------

cat >grid.yaml <<'EOF'
env: Pendulum-v1
algo: ppo
n_timesteps: 1024
n_envs: 2
seeds: [0, 1]
eval: {every: 0, episodes: 1}
n_steps: 256
batch_size: 128
n_epochs: 1
grid:
  learning_rate: [1e-3, 3e-4]
  policy_kwargs.net_arch: [[16, 16], [8]]
EOF
run "train a grid -j 3" 0 "$CRL" train grid.yaml -o grid -j 3
P=learning_rate=3e-4_policy_kwargs.net_arch=8
expect_file "grid point directory" "grid/$P/seed_1/progress.csv"
expect "grid point config" "grid/$P/config.yaml" "  net_arch: [8]"
expect "grid summary names the point" grid/summary.json "\"name\": \"$P\""
expect "grid summary has the settings" grid/summary.json '"settings": {"learning_rate": "3e-4", "policy_kwargs.net_arch": "[8]"}'
expect "a table row per point" out "$P "
run "grid again in one process" 0 "$CRL" train grid.yaml -o grid1 -j 1 --quiet --no-plot
same "worker processes write the same files" "grid1/$P/seed_1/progress.csv" "grid/$P/seed_1/progress.csv"
# A grid run resumed: finished seeds are kept, the others run again.
cp -r grid grid_resume
rm -r "grid_resume/$P/seed_0"
run "--resume a grid" 0 "$CRL" train --resume grid_resume --quiet --no-plot
same "--resume a grid: the missing seed again" "grid_resume/$P/seed_0/progress.csv" "grid/$P/seed_0/progress.csv"
if cmp -s "grid_resume/$P/seed_1/progress.csv" "grid/$P/seed_1/progress.csv"; then
  ok "--resume a grid: finished seeds are not run again"
else
  bad "--resume a grid: finished seeds are not run again"
fi
if have_gnuplot; then
  run "plot a grid" 0 "$CRL" plot grid -o grid.svg --x wall_seconds
  expect "plot: a curve per grid point" grid.svg "$P (2 seeds)"
fi

# ---- checkpoints, exact resume, Ctrl-C ---------------------------------------

# crash_resume NAME CONFIG STEP: an uninterrupted run with a checkpoint
# every STEP steps; then the same run as if it had died after the first
# checkpoint (later checkpoints and the result gone, progress.csv longer),
# resumed: progress.csv must come out the same.
crash_resume() {
  local name=$1 config=$2
  run "$name: uninterrupted" 0 "$CRL" train "$config" -o "full_$name" --quiet --no-plot -j 1
  cp -r "full_$name" "crash_$name"
  local ckpts first
  ckpts=$(ls "crash_$name"/seed_0/checkpoints/)
  first=$(echo "$ckpts" | head -1)
  if [ "$(echo "$ckpts" | wc -l)" -ge 2 ]; then ok "$name: checkpoints kept"; else bad "$name: checkpoints kept" "$ckpts"; fi
  for f in $ckpts; do [ "$f" = "$first" ] || rm "crash_$name/seed_0/checkpoints/$f"; done
  rm "crash_$name"/seed_0/result.json "crash_$name"/summary.json
  # a write cut short (a second Ctrl-C) leaves a temporary behind
  head -c 100 /dev/urandom >"crash_$name/seed_0/checkpoints/step_0000999999.ckpt.tmp"
  run "$name: --resume" 0 "$CRL" train --resume "crash_$name" --quiet --no-plot
  expect_absent "$name: --resume removes a cut-short .ckpt.tmp" "crash_$name/seed_0/checkpoints/step_0000999999.ckpt.tmp"
  same "$name: resumed progress.csv is the uninterrupted one" "crash_$name/seed_0/progress.csv" "full_$name/seed_0/progress.csv"
}

cat >resume_ppo.yaml <<'EOF'
env: Pendulum-v1
algo: ppo
n_timesteps: 2048
n_envs: 2
seed: 0
eval: {every: 512, episodes: 1}
checkpoint: {every: 1024, keep: 5}
n_steps: 128
batch_size: 64
n_epochs: 2
learning_rate: lin_1e-3
normalize: true
policy_kwargs: {net_arch: [16, 16]}
EOF
crash_resume ppo resume_ppo.yaml
# Past a file size limit the run fails with the reason (EFBIG), not killed
# by SIGXFSZ, and leaves no half-written checkpoint.
( ulimit -f 4; "$CRL" train resume_ppo.yaml -o fsz --quiet --no-plot -j 1 >fsz.out 2>fsz.err )
status=$?
if [ "$status" -eq 1 ]; then ok "ulimit -f: exit 1, not SIGXFSZ"; else bad "ulimit -f: exit 1, not SIGXFSZ" "exit $status"; fi
expect "ulimit -f: the reason is given" fsz.err "File too large"
if find fsz -name '*.tmp' | grep -q .; then bad "ulimit -f: no temporary left"; else ok "ulimit -f: no temporary left"; fi
# A checkpoint whose step counter disagrees with its file (as a hand edit of
# runner.steps would make it) is refused, not resumed as if finished.
cp -r full_ppo steps_ppo
rm steps_ppo/seed_0/result.json steps_ppo/summary.json
first=$(ls steps_ppo/seed_0/checkpoints/ | head -1)
for f in $(ls steps_ppo/seed_0/checkpoints/); do [ "$f" = "$first" ] || rm "steps_ppo/seed_0/checkpoints/$f"; done
mv "steps_ppo/seed_0/checkpoints/$first" steps_ppo/seed_0/checkpoints/step_0000999999.ckpt
run "a checkpoint whose steps disagree with its name is refused" 1 "$CRL" train --resume steps_ppo --quiet --no-plot
expect "the refusal names runner.steps" err "runner.steps is"

cat >resume_td3.yaml <<'EOF'
env: Pendulum-v1
algo: td3
n_timesteps: 800
seed: 0
eval: {every: 200, episodes: 1}
checkpoint: {every: 400, keep: 5}
learning_starts: 100
iteration_steps: 200
batch_size: 32
buffer_size: 1000
noise_type: normal
noise_std: 0.1
policy_kwargs: {net_arch: [16, 16]}
EOF
crash_resume td3 resume_td3.yaml

# Ctrl-C: a checkpoint at the next iteration, status 130, and a resume
# that ends like a run never interrupted.
cat >long.yaml <<'EOF'
env: Pendulum-v1
algo: ppo
n_timesteps: 100000000
n_envs: 2
seeds: [0, 1]
eval: {every: 0, episodes: 1}
n_steps: 64
batch_size: 64
n_epochs: 1
policy_kwargs: {net_arch: [8]}
EOF
interrupt() { # DIR -j N: start, wait for progress rows, SIGINT
  local dir=$1 jobs=$2
  "$CRL" train long.yaml -o "$dir" -j "$jobs" --no-plot >"$dir.out" 2>"$dir.err" &
  local pid=$! i
  for i in $(seq 1 200); do
    [ "$(cat "$dir"/seed_*/progress.csv 2>/dev/null | wc -l)" -ge 8 ] && break
    sleep 0.05
  done
  kill -INT "$pid"
  wait "$pid"
}
for jobs in 1 2; do
  interrupt "int$jobs" "$jobs"
  status=$?
  if [ "$status" -eq 130 ]; then ok "Ctrl-C -j $jobs: exit 130"; else bad "Ctrl-C -j $jobs: exit 130" "exit $status: $(head -c 300 "int$jobs.err")"; fi
  expect "Ctrl-C -j $jobs: says how to resume" "int$jobs.out" "crl train --resume int$jobs"
  expect "Ctrl-C -j $jobs: result.json says interrupted" int$jobs/seed_0/result.json '"status": "interrupted"'
  if ls "int$jobs"/seed_0/checkpoints/step_*.ckpt >/dev/null 2>&1; then ok "Ctrl-C -j $jobs: checkpoint written"; else bad "Ctrl-C -j $jobs: checkpoint written"; fi
done
# Ctrl-C during the last iteration: the run still completes, so it is not
# reported as interrupted; the note says when it will stop.
cat >oneiter.yaml <<'EOF'
env: Pendulum-v1
algo: ppo
n_timesteps: 8192
n_steps: 8192
batch_size: 64
n_epochs: 200
seeds: [0]
eval: {every: 0, episodes: 1}
policy_kwargs: {net_arch: [64, 64]}
EOF
"$CRL" train oneiter.yaml -o oneiter -j 1 --no-plot >oneiter.out 2>oneiter.err &
onepid=$!
sleep 0.5
kill -INT "$onepid"
wait "$onepid"
status=$?
if [ "$status" -eq 0 ]; then ok "Ctrl-C in the last iteration: exit 0"; else bad "Ctrl-C in the last iteration: exit 0" "exit $status: $(cat oneiter.err)"; fi
expect "Ctrl-C says when it stops" oneiter.err "stopping at the end of the current iteration"
expect_not "a completed run is not called interrupted" oneiter.out "interrupted"
# One writer per run directory: a second --resume or --force on a directory
# being trained into is refused, and takes over once the first has ended.
"$CRL" train long.yaml -o locked -j 1 --no-plot >locked.out 2>&1 &
lockpid=$!
for i in $(seq 1 200); do [ -s locked/seed_0/progress.csv ] && break; sleep 0.05; done
run "a second writer (--resume) is refused" 2 "$CRL" train --resume locked --no-plot --quiet
expect "the refusal says why" err "is being written by another crl process"
run "a second writer (--force) is refused" 2 "$CRL" train long.yaml -o locked --force --no-plot --quiet
expect_file "--force of a locked directory removed nothing" locked/seed_0/progress.csv
kill -INT "$lockpid"
wait "$lockpid"
run "the lock goes with the first writer" 0 "$CRL" train long.yaml -o locked --force --set n_timesteps=256 --set seeds=[0] --no-plot --quiet
# The interrupted run's rows are those of an uninterrupted one.
rows=$(($(wc -l <int2/seed_1/progress.csv) - 1))
steps=$(tail -1 int2/seed_1/progress.csv | cut -d, -f1)
run "uninterrupted run to the same step" 0 "$CRL" train long.yaml -o upto --seed 1 --set n_timesteps="$steps" --set eval.every=0 --quiet --no-plot
if [ "$(head -n "$rows" upto/seed_1/progress.csv | cut -d, -f1-5,8-15)" = "$(head -n "$rows" int2/seed_1/progress.csv | cut -d, -f1-5,8-15)" ]; then
  ok "Ctrl-C: the rows before it are the uninterrupted run's"
else
  bad "Ctrl-C: the rows before it are the uninterrupted run's"
fi

# ---- export, eval, render -------------------------------------------------------

C=full_ppo/seed_0
final=$(tail -1 $C/progress.csv | cut -d, -f6)
run "eval a seed directory" 0 "$CRL" eval $C
expect "eval repeats the final evaluation" out "return: $(printf '%.2f' "$final")"
expect "eval prints episode lengths" out "episode length: 200.0"
run "export" 0 "$CRL" export $C -o policy.crlp && expect_file "export writes the policy" policy.crlp
run "eval a policy file" 0 "$CRL" eval policy.crlp --env Pendulum-v1 --seed 0 --episodes 1
expect "the policy file acts as the checkpoint" out "return: $(printf '%.2f' "$final")"
run "eval a policy file without --env" 2 "$CRL" eval policy.crlp
run "eval a policy on the wrong env" 2 "$CRL" eval policy.crlp --env CartPole-v1
run "eval a missing checkpoint" 2 "$CRL" eval nothing.ckpt
run "eval a run with two seeds" 2 "$CRL" eval grid/$P && expect "names the seeds" err "has 2 seeds; name one"
run "render svg" 0 "$CRL" render $C -o episode.svg --every 4
expect "render svg is an animation" episode.svg "<animate attributeName='visibility'"
if have_gnuplot; then
  run "render png" 0 "$CRL" render policy.crlp --env Pendulum-v1 -o frame.png --frame 10
  expect_file "render png written" frame.png
fi
run "render an env without a drawing" 2 "$CRL" render $C --env Toy -o x.svg

# ---- plots ------------------------------------------------------------------

if have_gnuplot; then
  run "plot png" 0 "$CRL" plot again resolved -o both.png --title "two runs" && expect_file "plot png written" both.png
  run "plot svg" 0 "$CRL" plot again -o curve.svg && expect "plot svg is svg" curve.svg "<svg"
fi
run "plot a non-run directory" 2 "$CRL" plot exp -o x.png && expect "plot says why" err "no seed_<k>/progress.csv"
run "plot a missing directory" 2 "$CRL" plot nowhere -o x.png
run "plot bad extension" 2 "$CRL" plot again -o x.jpg
mkdir -p nobin
run "plot without gnuplot" 1 env PATH="$WORK/nobin" "$CRL" plot again -o x.png &&
  expect "plot without gnuplot says how to install" err "apt-get install gnuplot"
run "train without gnuplot still succeeds" 0 env PATH="$WORK/nobin" "$CRL" train exp/pendulum/tiny.yaml -o nognuplot --seed 0 --set n_timesteps=512
expect "train without gnuplot notes it" err "gnuplot is not installed"

# ---- discrete actions and the shipped experiments --------------------------

cat >cartpole.yaml <<'EOF'
env: CartPole-v1
algo: ppo
n_timesteps: 512
n_envs: 2
seed: 4
eval: {episodes: 1}
n_steps: 128
batch_size: 64
n_epochs: 1
policy_kwargs: {net_arch: [8]}
EOF
run "train CartPole" 0 "$CRL" train cartpole.yaml -o cartpole --no-plot --quiet
expect_file "CartPole progress.csv" cartpole/seed_4/progress.csv
# Every shipped experiment validates (a trial construction included) and
# says what it expects; those whose env or algorithm this build lacks (the
# MuJoCo ones need -Dmujoco=enabled) are skipped.
for f in "$SRC"/experiments/*/*.yaml; do
  [ -e "$f" ] || continue
  name=${f#"$SRC"/}
  env=$(sed -n 's/^env: *//p' "$f" | head -1)
  algo=$(sed -n 's/^algo: *//p' "$f" | head -1)
  if ! has_env "$env" || ! has_algo "$algo"; then
    echo "skip  check $name ($env / $algo is not in this build)"
    continue
  fi
  run "check $name" 0 "$CRL" check "$f" && expect "$name has an expect: block" out "expect:"
done

# ---- episode budgets, seed ranges, reference lines (textbook runs) ---------

cat >corridor.yaml <<'EOF2'
name: "REINFORCE on the corridor"
env: ShortCorridor-v0
algo: reinforce
n_episodes: 5
seeds: {from: 3, count: 4}
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
expect_file "seed 6 of from 3, count 4" corridor/seed_6/progress.csv
expect_absent "no seed 7" corridor/seed_7
rows=$(($(wc -l <corridor/seed_3/progress.csv) - 1))
if [ "$rows" -eq 5 ]; then ok "one row per episode"; else bad "one row per episode" "$rows rows"; fi
empty=$(awk -F, 'NR > 1 && ($2 != NR - 1 || $3 == "") { n++ } END { print n + 0 }' corridor/seed_3/progress.csv)
if [ "$empty" -eq 0 ]; then ok "episode_return on every row"; else bad "episode_return on every row" "$(cat corridor/seed_3/progress.csv)"; fi
expect "config.yaml keeps the seed range" corridor/config.yaml "  count: 4"
expect "config.yaml keeps n_episodes" corridor/config.yaml "n_episodes: 5"
expect "config.yaml keeps the reference" corridor/config.yaml "  value: -11.657"
expect "summary.json has the reference" corridor/summary.json '"reference": {"value": -11.657, "label": "v*(s0)"}'
expect "summary.json has n_episodes" corridor/summary.json '"n_episodes": 5'
expect "over 4 seeds" out "over 4 seeds"
run "resolved config.yaml with a seed range" 0 "$CRL" train corridor/config.yaml -o corridor2 --quiet --no-plot --seed 4
same "seed range run reproduces" corridor2/seed_4/progress.csv corridor/seed_4/progress.csv
run "--set seeds list replaces the range" 0 "$CRL" check corridor.yaml --set 'seeds=[1, 2]'
expect "--set seeds list" out "seeds: [1, 2]"
printf '%s\nseeds: [1]\nseeds.count: 3\n' "$(cat base.yaml)" >bad.yaml
run "seeds list and range" 2 "$CRL" check bad.yaml
expect "seeds list and range: message" err "bad.yaml:5:1: error: give 'seeds' as a list or as {from, count}, not both"
printf '%s\nseeds: {from: 0, count: 3, form: 1}\n' "$(cat base.yaml)" >bad.yaml
run "seeds typo in range" 2 "$CRL" check bad.yaml
expect "seeds typo in range: message" err "unknown key 'seeds.form' (did you mean 'seeds.from'?)"
if have_gnuplot; then
  expect_file "episode-budget run draws its curve" corridor/curve.png
  run "plot --x episodes --y episode_return" 0 "$CRL" plot corridor corridor2 -o episodes.svg --x episodes --y episode_return --smooth 2 --band sem --key "bottom right"
  expect "plot draws the reference line" episodes.svg "v*(s0) = -11.66"
  expect "plot legend uses the run name" episodes.svg "REINFORCE on the corridor (4 seeds)"
fi
run "plot --x bad" 2 "$CRL" plot corridor -o x.png --x steps
run "plot --band bad" 2 "$CRL" plot corridor -o x.png --band wide
run "plot --smooth bad" 2 "$CRL" plot corridor -o x.png --smooth 0
run "plot --y unknown column" 2 "$CRL" plot corridor -o x.png --y nothing
expect "plot names the missing column" err "no timesteps and nothing columns"

# ---- plugins: users' envs in shared objects (crl/plugin.h) -------------------

PM=${CRL_BUILD_ROOT:-}/examples/libplugin_point_mass.so
BADP=${CRL_BUILD_ROOT:-}/tests/libplugin_bad
if [ -f "$PM" ]; then
  PM=$(cd "$(dirname "$PM")" && pwd)/$(basename "$PM")
  # The example trains on 10 seeds (worker processes load the plugin too)
  # and meets its expect:.
  run "plugin: the example learns (--check, 10 seeds, -j 2)" 0 "$CRL" train "$SRC/examples/plugin_point_mass.yaml" --set "plugins=[$PM]" -o pm --check --quiet --no-plot -j 2
  expect "plugin: config.yaml lists it by its absolute path" pm/config.yaml "plugins: [\"$PM\"]"
  expect "plugin: the expectation is met" out "final_eval_return_mean"
  run "plugin: crl eval of its run reloads it" 0 "$CRL" eval pm/seed_3
  expect "plugin: eval on its env" out "env: PointMass2D-v0"
  run "plugin: check-env --plugin" 0 "$CRL" check-env PointMass2D-v0 --plugin "$PM"
  expect "plugin: check-env round-trips its state" out "state round-trip checked"
  run "plugin: envs --plugin lists its env" 0 "$CRL" envs --plugin="$PM"
  expect "plugin: envs lists PointMass2D-v0" out "PointMass2D-v0"
  # A relative path is relative to the file's directory.
  mkdir -p plugdir/lib
  cp "$PM" plugdir/lib/libpm.so
  cat >plugdir/pm.yaml <<'EOF2'
plugins: [lib/libpm.so]
env: PointMass2D-v0
algo: ppo
n_timesteps: 2048
n_envs: 2
seed: 0
eval: {every: 1024, episodes: 2}
checkpoint: {every: 512, keep: 5}
n_steps: 128
batch_size: 64
n_epochs: 2
policy_kwargs: {net_arch: [16, 16]}
EOF2
  run "plugin: relative to the YAML file" 0 "$CRL" check plugdir/pm.yaml
  expect "plugin: relative path resolved" out "plugins: [\"$WORK/plugdir/lib/libpm.so\"]"
  # Interrupted and resumed bit for bit (--resume reloads it from config.yaml).
  crash_resume plugin plugdir/pm.yaml
  # --plugin on train: the resolved config lists it, eval needs no option.
  grep -v '^plugins:' plugdir/pm.yaml >pm_noplug.yaml
  run "plugin: a file without it names an unknown env" 2 "$CRL" check pm_noplug.yaml
  run "plugin: train --plugin" 0 "$CRL" train pm_noplug.yaml --plugin "$PM" -o pmcli --quiet --no-plot
  expect "plugin: --plugin recorded in config.yaml" pmcli/config.yaml "plugins: [\"$PM\"]"
  same "plugin: --plugin and plugins: give the same run" pmcli/seed_0/progress.csv full_plugin/seed_0/progress.csv
  run "plugin: eval of a --plugin run" 0 "$CRL" eval pmcli/seed_0

  # Each way a plugin fails: exit 2, the plugins key located, nothing made.
  echo "not a shared object" >libtext.so
  bad_plugin() { # NAME PATH MESSAGE
    { printf 'plugins: [%s]\n' "$2"; grep -v '^plugins:' plugdir/pm.yaml; } >badp.yaml
    run "plugin error: $1" 2 "$CRL" train badp.yaml -o badp_run --quiet --no-plot
    expect "plugin error: $1: located" err "badp.yaml:1:10: error: plugin '"
    expect "plugin error: $1: message" err "$3"
    expect_absent "plugin error: $1: nothing created" badp_run
  }
  bad_plugin "missing file" nothere.so "plugin 'nothere.so': No such file or directory"
  bad_plugin "a directory" "$WORK" "plugin '$WORK' is not a file"
  bad_plugin "not a shared object" libtext.so "plugin 'libtext.so' cannot be loaded as a shared object:"
  bad_plugin "no ABI symbol" "${BADP}_noabi.so" "is not a crl plugin: it defines no 'crl_plugin_abi'"
  bad_plugin "no entry point" "${BADP}_noinit.so" "defines no entry point 'crl_plugin_init'"
  bad_plugin "ABI version" "${BADP}_abi.so" "was built for crl plugin ABI version 4, and this crl has version 3"
  bad_plugin "other precision" "${BADP}_real.so" "was built with a crl_real of"
  bad_plugin "init fails" "${BADP}_fail.so" "crl_plugin_init failed: the simulator's licence file is missing (CRL_EIO)"
  bad_plugin "built-in env name" "${BADP}_clash_env.so" "env 'CartPole-v1' is a built-in env: a plugin cannot replace it"
  bad_plugin "built-in algo name" "${BADP}_clash_algo.so" "algo 'ppo' is a built-in algo: a plugin cannot replace it"
  bad_plugin "another plugin's name" "$PM, ${BADP}_clash_plugin.so" "env 'PointMass2D-v0' is already registered by plugin $PM"
  printf 'plugins: {file: x.so}\n' >badp.yaml
  grep -v '^plugins:' plugdir/pm.yaml >>badp.yaml
  run "plugin error: a mapping" 2 "$CRL" check badp.yaml
  expect "plugin error: a mapping: message" err "badp.yaml:1:11: error: 'plugins' expects a list of shared object files, not a mapping"
  run "plugin error: --plugin" 2 "$CRL" eval pm/seed_0 --plugin nothere.so
  expect "plugin error: --plugin: message" err "crl eval: --plugin: error: plugin 'nothere.so': No such file or directory"

  # An env without get_state/set_state: it trains and its policy is
  # evaluated, but its run is not resumed.
  { printf 'plugins: [%s]\n' "${BADP}_stateless.so"; grep -v '^plugins:' plugdir/pm.yaml | sed 's/PointMass2D-v0/Stateless1D-v0/'; } >stateless.yaml
  run "plugin: an env without state trains" 0 "$CRL" train stateless.yaml -o stateless --quiet --no-plot
  run "plugin: its policy is evaluated" 0 "$CRL" eval stateless/seed_0
  rm stateless/seed_0/result.json stateless/summary.json
  run "plugin: its run is not resumed" 1 "$CRL" train --resume stateless --quiet --no-plot
  expect "plugin: resume refused: message" err "env 'Stateless1D-v0' has no get_state/set_state, so its checkpoints hold the policy but not the env: the run cannot be resumed"
else
  echo "skip  plugins (no CRL_BUILD_ROOT/examples/libplugin_point_mass.so)"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
