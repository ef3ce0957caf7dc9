#!/usr/bin/env bash
# Command-line tests of `crl tune`: bad search blocks and options (exit 2,
# nothing written), the files of a study, the same study twice for the same
# tune seed and -j, Ctrl-C and --resume ending on the uninterrupted study's
# trials, --trials adding trials on resume, best.yaml as a crl train file,
# and crl train ignoring search:. Studies are tiny so that the file stays
# fast under sanitizers.
#
#   bash tests/cli_tune_test.sh PATH/TO/crl
#
# Prints one line per check and ends with "N passed, N failed".
set -u
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

CRL=${1:?usage: cli_tune_test.sh PATH/TO/crl}
CRL=$(cd "$(dirname "$CRL")" && pwd)/$(basename "$CRL")
WORK=$(mktemp -d /tmp/crl-tune-test-XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export OPENBLAS_NUM_THREADS=1

. "$LIB_DIR/cli_lib.sh" # ok, bad, run, expect, expect_not

BASE='env: Pendulum-v1
algo: ppo
n_timesteps: 4096
n_envs: 2
seed: 0
eval: {every: 1024, episodes: 2}
n_steps: 256
batch_size: 64
n_epochs: 2
policy_kwargs: {net_arch: [8, 8]}'
SEARCH='search:
  learning_rate: {log_uniform: [1e-5, 3e-2]}
  gamma: {uniform: [0.8, 0.9999]}
  n_steps: {choice: [128, 256]}
  policy_kwargs.net_arch: {choice: [[8, 8], [16]]}'
printf '%s\n%s\n' "$BASE" "$SEARCH" >tune.yaml

# ---- bad input: one message with its place, exit 2, nothing written -------

bad_search() { # NAME BLOCK TEXT
  printf '%s\nsearch:\n  %s\n' "$BASE" "$2" >bad.yaml
  run "$1: exit 2" 2 "$CRL" tune bad.yaml --trials 2 -o badrun
  expect "$1: the message" "$WORK/err" "$3"
  if [ -e badrun ]; then bad "$1: nothing written" "badrun exists"; else ok "$1: nothing written"; fi
}
bad_search "empty range" 'gamma: {uniform: [0.99, 0.9]}' \
  "bad.yaml:12:20: error: 'search.gamma.uniform': the range [0.99, 0.9] is empty"
bad_search "log bound <= 0" 'learning_rate: {log_uniform: [0, 1e-2]}' \
  "a log range needs bounds above 0"
bad_search "unknown parameter" 'learning_rat: {log_uniform: [1e-5, 1e-2]}' \
  "algorithm 'ppo' has no parameter 'learning_rat' (did you mean 'learning_rate'?)"
bad_search "choice of the wrong type" 'n_steps: {choice: [128, many]}' \
  "'search.n_steps': choice 2 (many): 'n_steps' expects an integer"
bad_search "reals for an integer" 'n_steps: {uniform: [64, 512]}' \
  "'search.n_steps' takes integers: use int_uniform"
bad_search "out of the parameter's range" 'gamma: {uniform: [0.9, 1.5]}' \
  "the high bound (1.5): 'gamma' expects a number in [0, 1]"
bad_search "a runner key" 'seed: {choice: [1, 2]}' "crl tune does not vary 'seed'"
printf '%s\nsearch:\n  gamma: {uniform: [0.99, 0.9]}\n' "$BASE" >bad.yaml
run "crl check checks the search block" 2 "$CRL" check bad.yaml
expect "crl check: the message" "$WORK/err" "the range [0.99, 0.9] is empty"
run "crl check shows the search block" 0 "$CRL" check tune.yaml
expect "crl check: the block" "$WORK/out" "  learning_rate: {log_uniform: [1e-05, 0.03]}"
printf '%s\n' "$BASE" >nosearch.yaml
run "no search block: exit 2" 2 "$CRL" tune nosearch.yaml --trials 2 -o badrun
expect "no search block: the message" "$WORK/err" "has no search: block"
printf '%s\n%s\ngrid: {gamma: [0.9, 0.99]}\n' "$BASE" "$SEARCH" >grid.yaml
run "a grid: exit 2" 2 "$CRL" tune grid.yaml --trials 2 -o badrun
expect "a grid: the message" "$WORK/err" "remove the grid: block"
run "no --trials: exit 2" 2 "$CRL" tune tune.yaml -o badrun
expect "no --trials: the message" "$WORK/err" "--trials N is needed"
run "bad --sampler: exit 2" 2 "$CRL" tune tune.yaml --trials 2 --sampler best -o badrun
run "--seed: exit 2" 2 "$CRL" tune tune.yaml --trials 2 --seed 3 -o badrun
if [ -e badrun ]; then bad "bad options: nothing written" "badrun exists"; else ok "bad options: nothing written"; fi

# ---- a study and its files -------------------------------------------------

run "a study" 0 "$CRL" tune tune.yaml --trials 14 -j 2 -o s1
for f in config.yaml tune.yaml trials.csv best.yaml trial_0000/params.yaml \
  trial_0000/config.yaml trial_0000/seed_0/progress.csv; do
  expect_file "the study writes $f" "s1/$f"
done
if command -v gnuplot >/dev/null; then expect_file "the picture" s1/search.png; fi
rows=$(($(wc -l <s1/trials.csv) - 1))
[ "$rows" -eq 14 ] && ok "trials.csv: one row per trial" || bad "trials.csv: one row per trial" "$rows rows"
expect "trials.csv: the header" s1/trials.csv \
  "trial,status,objective,objective_std,pruned_eval,steps,pruned_at_step,pruned_seed,wall_seconds,learning_rate,gamma,n_steps,policy_kwargs.net_arch,error"
expect "progress lines" "$WORK/err" "[14/14 done"
expect "the table of the best" "$WORK/out" "objective"
expect "where the best is" "$WORK/out" "best: trial"
# Every trial's sampled values are in its resolved config.
awk -F, 'NR > 1 && $2 != "failed" { print $1, $11 }' s1/trials.csv | while read -r i gamma; do
  grep -q "^gamma: $gamma\$" "s1/trial_$(printf %04d "$i")/config.yaml" || echo "trial $i: gamma $gamma"
done >mismatch
[ -s mismatch ] && bad "each trial trains its values" "$(head -3 mismatch)" || ok "each trial trains its values"
# The best trial is the complete one with the highest objective.
best=$(awk -F, 'NR > 1 && $2 == "complete" && (b == "" || $3 > v) { b = $1; v = $3 } END { print b }' s1/trials.csv)
expect "best.yaml names the best trial" s1/best.yaml "trial $best,"
run "best.yaml is a crl train file" 0 "$CRL" check s1/best.yaml

# The same tune seed and -j: the same study (all but the wall time column).
run "the study again" 0 "$CRL" tune tune.yaml --trials 14 -j 2 -o s2 --quiet --no-plot
if cmp -s <(cut -d, -f1-8,10- s1/trials.csv) <(cut -d, -f1-8,10- s2/trials.csv); then
  ok "same tune seed and -j: same trials"
else
  bad "same tune seed and -j: same trials" "$(diff <(cut -d, -f1-8,10- s1/trials.csv) <(cut -d, -f1-8,10- s2/trials.csv) | head -4)"
fi
run "another tune seed" 0 "$CRL" tune tune.yaml --trials 3 -j 2 --tune-seed 9 -o s3 --quiet --no-plot
if cmp -s <(cut -d, -f10- s1/trials.csv | head -4) <(cut -d, -f10- s3/trials.csv); then
  bad "another tune seed: other values"
else
  ok "another tune seed: other values"
fi
run "an existing directory is refused" 2 "$CRL" tune tune.yaml --trials 2 -o s1
expect "the refusal names crl tune" "$WORK/err" "crl tune: output directory 's1' already exists"
run "--force starts it over" 0 "$CRL" tune tune.yaml --trials 2 -j 2 -o s3 --force --quiet --no-plot
[ ! -e s3/trial_0002 ] && ok "--force removed the old trials" || bad "--force removed the old trials"

# The live line, in a pipe at each tenth of the study crossed while trials
# run, which needs no clock: 6 trials of 0.1 to 0.3 s each (3 s under
# sanitizers), polled every 20 ms.
sed 's/n_timesteps: 4096/n_timesteps: 65536/; s/every: 1024/every: 16384/' tune.yaml >live.yaml
run "a longer study" 0 "$CRL" tune live.yaml --trials 6 -j 2 -o live --no-plot
expect "the study's line in a pipe" "$WORK/err" "/6 done ("
expect "the line shows the running trials" "$WORK/err" "| running "

# ---- Ctrl-C and --resume -----------------------------------------------------

# Trials long enough to be interrupted: 40 trials, the first ones done.
sed 's/n_timesteps: 4096/n_timesteps: 16384/; s/every: 1024/every: 4096/' tune.yaml >long.yaml
echo 'checkpoint: {every: 4096}' >>long.yaml
"$CRL" tune long.yaml --trials 40 -j 2 -o r1 --no-plot >r1.out 2>r1.err &
pid=$!
for _ in $(seq 1 600); do
  [ -f r1/trials.csv ] && [ "$(wc -l <r1/trials.csv)" -ge 4 ] && break
  sleep 0.05
done
kill -INT "$pid"
wait "$pid"
rc=$?
[ "$rc" -eq 130 ] && ok "Ctrl-C: exit 130" || bad "Ctrl-C: exit 130" "exit $rc: $(tail -3 r1.err)"
expect "Ctrl-C: how to continue" r1.out "continue with \`crl tune --resume r1\`"
done_rows=$(($(wc -l <r1/trials.csv) - 1))
[ "$done_rows" -lt 40 ] && ok "Ctrl-C: stopped early ($done_rows trials done)" || bad "Ctrl-C: stopped early"
run "--resume with -j is refused" 2 "$CRL" tune --resume r1 -j 3
run "--resume with fewer trials is refused" 2 "$CRL" tune --resume r1 --trials 10
run "--resume" 0 "$CRL" tune --resume r1 --no-plot --quiet
"$CRL" tune long.yaml --trials 40 -j 2 -o r2 --no-plot --quiet >/dev/null 2>&1
if cmp -s <(cut -d, -f1-8,10- r1/trials.csv) <(cut -d, -f1-8,10- r2/trials.csv); then
  ok "interrupted and resumed: the uninterrupted study's trials"
else
  bad "interrupted and resumed: the uninterrupted study's trials" "$(diff <(cut -d, -f1-8,10- r1/trials.csv) <(cut -d, -f1-8,10- r2/trials.csv) | head -4)"
fi
run "--resume --trials adds trials" 0 "$CRL" tune --resume s2 --trials 16 --no-plot --quiet
rows=$(($(wc -l <s2/trials.csv) - 1))
[ "$rows" -eq 16 ] && ok "16 trials now" || bad "16 trials now" "$rows rows"
expect "tune.yaml keeps the new total" s2/tune.yaml "trials: 16"

# ---- crl train and search: ---------------------------------------------------

run "crl train ignores search:" 0 "$CRL" train tune.yaml -o t1 --quiet --no-plot
printf '%s\n' "$BASE" >plain.yaml
run "the same file without it" 0 "$CRL" train plain.yaml -o t2 --quiet --no-plot
if cmp -s <(cut -d, -f1-15 t1/seed_0/progress.csv) <(cut -d, -f1-15 t2/seed_0/progress.csv); then
  ok "crl train trains the values above search:"
else
  bad "crl train trains the values above search:"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
