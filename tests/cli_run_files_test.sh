#!/usr/bin/env bash
# Command-line tests of the files an SB3 user expects from a training run:
# monitor.csv (one row per training episode, SB3's Monitor layout) checked
# against progress.csv and across a crash and resume, best.crlp / best.json
# (the policy of the best evaluation), the early stop `stop_at:` and its
# validation. Trainings are tiny so that the file stays fast under
# sanitizers.
#
#   bash tests/cli_run_files_test.sh PATH/TO/crl
#
# Prints one line per check and ends with "N passed, N failed".
set -u
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

CRL=${1:?usage: cli_run_files_test.sh PATH/TO/crl}
CRL=$(cd "$(dirname "$CRL")" && pwd)/$(basename "$CRL")
WORK=$(mktemp -d /tmp/crl-run-files-test-XXXXXX)
trap '[ -n "${KEEP:-}" ] || rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export OPENBLAS_NUM_THREADS=1

. "$LIB_DIR/cli_lib.sh" # ok, bad, run, expect, expect_not
# check NAME CMD...: the command succeeds (its stderr is the reason if not).
check() {
  local name=$1
  shift
  local why
  if why=$("$@" 2>&1); then ok "$name"; else bad "$name" "$why"; fi
}

# The number of a progress.csv column by name.
col() { head -1 "$1" | tr , '\n' | grep -nx "$2" | cut -d: -f1; }

# monitor_vs_progress DIR N_ENVS MAX_LEN: monitor.csv's rows are the
# training episodes progress.csv counts: as many, their lengths adding up
# to the steps of the finished episodes (at most N_ENVS unfinished ones of
# at most MAX_LEN steps remain), t never decreasing, and each iteration's
# rows averaging to that row's episode_return.
monitor_vs_progress() {
  local dir=$1 n_envs=$2 max_len=$3
  local m=$dir/monitor.csv p=$dir/progress.csv
  local ep ret
  ep=$(col "$p" episodes)
  ret=$(col "$p" episode_return)
  awk -F, -v ep="$ep" -v ret="$ret" -v n_envs="$n_envs" -v max_len="$max_len" '
    FNR == NR {
      if (FNR == 1) {
        if ($0 !~ /^#\{"t_start": [0-9]+\.[0-9]+, "env_id": "[^"]+"\}$/) { print "bad first line: " $0; bad = 1 }
        next
      }
      if (FNR == 2) { if ($0 != "r,l,t") { print "bad column line: " $0; bad = 1 }; next }
      n++; r[n] = $1; sum_l += $2
      if ($3 + 0 < last_t) { print "t decreases at row " n; bad = 1 }
      last_t = $3 + 0
      next
    }
    FNR == 1 { next }
    {
      steps = $1; k = $ep - done
      if (k > 0 && k <= 100) {
        s = 0
        for (i = done + 1; i <= $ep; i++) s += r[i]
        want = $ret; got = s / k; d = got - want; if (d < 0) d = -d
        if (d > 1e-5 + 1e-6 * (want < 0 ? -want : want)) { print "row " FNR ": monitor mean " got " != episode_return " want; bad = 1 }
      }
      done = $ep
    }
    END {
      if (n != done) { print n " monitor rows, " done " episodes"; bad = 1 }
      if (sum_l > steps || steps - sum_l > n_envs * max_len) { print "lengths add to " sum_l " of " steps " steps"; bad = 1 }
      if (n == 0) { print "no episodes"; bad = 1 }
      exit bad
    }' "$m" "$p"
}

# monitor.csv without its t column (what a resume repeats exactly).
strip_t() { cut -d, -f1,2 "$1" | tail -n +2; }
# progress.csv without wall_seconds.
strip_wall() { sed 's/,[^,]*$//' "$1"; }

# ---- monitor.csv ------------------------------------------------------------

cat >pendulum.yaml <<'EOF'
env: Pendulum-v1
algo: ppo
n_timesteps: 2048
n_envs: 2
seed: 0
eval: {every: 512, episodes: 1}
checkpoint: {every: 512, keep: 10}
n_steps: 128
batch_size: 64
n_epochs: 2
learning_rate: lin_1e-3
policy_kwargs: {net_arch: [16, 16]}
EOF
run "pendulum: train" 0 "$CRL" train pendulum.yaml -o pend --quiet --no-plot -j 1
check "pendulum: monitor.csv rows are progress.csv's episodes" monitor_vs_progress pend/seed_0 2 200
expect "pendulum: env_id names the env" pend/seed_0/monitor.csv '"env_id": "Pendulum-v1"}'
# Pendulum's episodes are 200 steps: 1024 steps per copy end 5 each.
if [ "$(tail -n +3 pend/seed_0/monitor.csv | cut -d, -f2 | sort -u)" = 200 ] &&
  [ "$(tail -n +3 pend/seed_0/monitor.csv | wc -l)" -eq 10 ]; then
  ok "pendulum: 10 episodes of 200 steps"
else
  bad "pendulum: 10 episodes of 200 steps" "$(cut -d, -f2 pend/seed_0/monitor.csv | sort | uniq -c)"
fi

cat >cartpole.yaml <<'EOF'
env: CartPole-v1
algo: ppo
n_timesteps: 4096
n_envs: 4
seed: 1
eval: {every: 1024, episodes: 2}
n_steps: 32
batch_size: 64
n_epochs: 2
policy_kwargs: {net_arch: [16, 16]}
EOF
run "cartpole: train" 0 "$CRL" train cartpole.yaml -o cart --quiet --no-plot -j 1
check "cartpole: monitor.csv rows are progress.csv's episodes" monitor_vs_progress cart/seed_1 4 500

# Same seed, same rows (t apart).
run "cartpole: again" 0 "$CRL" train cartpole.yaml -o cart2 --quiet --no-plot -j 1
if [ "$(strip_t cart/seed_1/monitor.csv)" = "$(strip_t cart2/seed_1/monitor.csv)" ]; then
  ok "same seed, same monitor.csv (t apart)"
else
  bad "same seed, same monitor.csv (t apart)"
fi

# ---- best.crlp ----------------------------------------------------------------

# The best evaluation is the first row with the highest eval_return_mean;
# best.json names it, and best.crlp is the policy of the checkpoint taken
# at that step (one is kept at every evaluation here). On this seed the
# best (153.5 at step 4096 in the float build) is not the last evaluation.
run "best: train" 0 "$CRL" train cartpole.yaml --set seed=0 --set n_timesteps=8192 \
  --set 'checkpoint={every: 1024, keep: 10}' -o best --quiet --no-plot -j 1
B=best/seed_0
e=$(col $B/progress.csv eval_return_mean)
best_row=$(awk -F, -v e="$e" 'NR > 1 && $e != "" && (best == "" || $e + 0 > best + 0) { best = $e; step = $1 } END { print step " " best }' $B/progress.csv)
best_step=${best_row%% *}
last_step=$(tail -1 $B/progress.csv | cut -d, -f1)
json_step=$(sed 's/.*"step": \([0-9]*\).*/\1/' $B/best.json)
if [ -n "$best_step" ] && [ "$json_step" = "$best_step" ]; then
  ok "best.json: the step of the best evaluation ($best_step of $last_step)"
else
  bad "best.json: the step of the best evaluation" "progress.csv: $best_row; best.json: $(cat $B/best.json)"
fi
json_ret=$(sed 's/.*"eval_return": \([-0-9.e+]*\).*/\1/' $B/best.json)
if awk -v a="$json_ret" -v b="${best_row#* }" 'BEGIN { d = a - b; m = 1e-6 * (b < 0 ? -b : b); exit !(d <= m && -d <= m) }'; then
  ok "best.json: its eval return is progress.csv's best"
else
  bad "best.json: its eval return is progress.csv's best" "$json_ret vs ${best_row#* }"
fi
expect "result.json: best_eval_step" $B/result.json "\"best_eval_step\": $best_step"
ckpt=$(printf '%s/checkpoints/step_%010d.ckpt' $B "$best_step")
run "export the checkpoint of the best evaluation" 0 "$CRL" export "$ckpt" -o at_best.crlp
if cmp -s at_best.crlp $B/best.crlp; then
  ok "best.crlp is the policy at the best evaluation"
else
  bad "best.crlp is the policy at the best evaluation"
fi
run "export the last checkpoint" 0 "$CRL" export $B -o at_last.crlp
if [ "$best_step" != "$last_step" ] && ! cmp -s at_last.crlp $B/best.crlp; then
  ok "best.crlp is not the last policy here"
else
  bad "best.crlp is not the last policy here" "best at $best_step, last $last_step"
fi
run "crl eval best.crlp" 0 "$CRL" eval $B/best.crlp --env CartPole-v1 --episodes 1
head -c 300 $B/best.crlp >damaged.crlp
run "a damaged best.crlp is refused" 2 "$CRL" eval damaged.crlp --env CartPole-v1

# ---- crash and resume ---------------------------------------------------------

# As if the run had died after its second checkpoint: later checkpoints
# and the result gone, monitor.csv and progress.csv longer than the
# checkpoint counts. The resume cuts both back and writes the same rows.
cp -r pend crash
ckpts=$(ls crash/seed_0/checkpoints/)
keep=$(echo "$ckpts" | sed -n 2p)
for f in $ckpts; do [ "$f" = "$keep" ] || rm "crash/seed_0/checkpoints/$f"; done
rm crash/seed_0/result.json crash/summary.json
printf '12.5,3' >>crash/seed_0/monitor.csv # a row cut short by the crash
run "crash: --resume" 0 "$CRL" train --resume crash --quiet --no-plot
if [ "$(strip_t crash/seed_0/monitor.csv)" = "$(strip_t pend/seed_0/monitor.csv)" ]; then
  ok "crash: resumed monitor.csv is the uninterrupted one (t apart)"
else
  bad "crash: resumed monitor.csv is the uninterrupted one (t apart)" "$(diff <(strip_t crash/seed_0/monitor.csv) <(strip_t pend/seed_0/monitor.csv) | head -5)"
fi
if [ "$(head -1 crash/seed_0/monitor.csv)" = "$(head -1 pend/seed_0/monitor.csv)" ]; then
  ok "crash: the header (t_start) is kept"
else
  bad "crash: the header (t_start) is kept"
fi
if [ "$(strip_wall crash/seed_0/progress.csv)" = "$(strip_wall pend/seed_0/progress.csv)" ]; then
  ok "crash: resumed progress.csv is the uninterrupted one"
else
  bad "crash: resumed progress.csv is the uninterrupted one"
fi
check "crash: monitor.csv rows are progress.csv's episodes" monitor_vs_progress crash/seed_0 2 200
if cmp -s crash/seed_0/best.crlp pend/seed_0/best.crlp && cmp -s crash/seed_0/best.json pend/seed_0/best.json; then
  ok "crash: best.crlp and best.json as uninterrupted"
else
  bad "crash: best.crlp and best.json as uninterrupted"
fi
# The best so far comes from the checkpoint: resumed from the last
# checkpoint with best.json gone, the run (already at its end) still
# reports the best of the whole run.
cp -r pend late
rm late/seed_0/result.json late/summary.json late/seed_0/best.json
run "resume at the end: --resume" 0 "$CRL" train --resume late --quiet --no-plot
expect "resume at the end: the best is restored from the checkpoint" late/seed_0/result.json "$(grep -o '"best_eval_step": [0-9]*' pend/seed_0/result.json)"

# Resumed after the best evaluation (4096) from the checkpoint at 5120,
# with later evaluations all lower: the best so far comes from the
# checkpoint, so best.crlp and best.json stay those of step 4096.
cp -r best crashb
for f in $(ls crashb/seed_0/checkpoints/); do [ "$f" = step_0000005120.ckpt ] || rm "crashb/seed_0/checkpoints/$f"; done
rm crashb/seed_0/result.json crashb/summary.json
run "resume after the best: --resume" 0 "$CRL" train --resume crashb --quiet --no-plot
if cmp -s crashb/seed_0/best.crlp best/seed_0/best.crlp && cmp -s crashb/seed_0/best.json best/seed_0/best.json &&
  grep -q "\"best_eval_step\": $best_step" crashb/seed_0/result.json; then
  ok "resume after the best: best.crlp, best.json and result.json keep it"
else
  bad "resume after the best: best.crlp, best.json and result.json keep it" "$(cat crashb/seed_0/best.json)"
fi
if [ "$(strip_t crashb/seed_0/monitor.csv)" = "$(strip_t best/seed_0/monitor.csv)" ]; then
  ok "resume after the best: monitor.csv as uninterrupted (t apart)"
else
  bad "resume after the best: monitor.csv as uninterrupted (t apart)"
fi

# A monitor.csv shorter than its checkpoint counts cannot be resumed.
cp -r pend short
for f in $(ls short/seed_0/checkpoints/); do [ "$f" = "$keep" ] || rm "short/seed_0/checkpoints/$f"; done
rm short/seed_0/result.json short/summary.json
head -n 4 pend/seed_0/monitor.csv >short/seed_0/monitor.csv
run "a short monitor.csv: resume refused" 1 "$CRL" train --resume short --quiet --no-plot
expect "the refusal names monitor.csv" out "monitor.csv does not hold the"
cp -r pend nohdr
for f in $(ls nohdr/seed_0/checkpoints/); do [ "$f" = "$keep" ] || rm "nohdr/seed_0/checkpoints/$f"; done
rm nohdr/seed_0/result.json nohdr/summary.json
sed -i 1d nohdr/seed_0/monitor.csv && echo 'x,1,0' >>nohdr/seed_0/monitor.csv
run "a monitor.csv without its header: resume refused" 1 "$CRL" train --resume nohdr --quiet --no-plot
expect "the refusal names monitor.csv (header)" out "monitor.csv does not hold the"

# ---- stop_at ------------------------------------------------------------------

cat >stop.yaml <<'EOF'
env: CartPole-v1
algo: ppo
n_timesteps: 40000
n_envs: 8
seed: 0
eval: {every: 1024, episodes: 5}
checkpoint: {every: 2048}
stop_at: {eval_return: 120}
n_steps: 32
batch_size: 256
gae_lambda: 0.8
gamma: 0.98
n_epochs: 20
ent_coef: 0.0
learning_rate: lin_0.001
clip_range: lin_0.2
expect:
  final_eval_return_mean: {min: 120}
EOF
run "stop_at: train --check" 0 "$CRL" train stop.yaml -o stop --no-plot -j 1 --check
e=$(col stop/seed_0/progress.csv eval_return_mean)
# The last row is the first evaluation that reached 120.
first=$(awk -F, -v e="$e" 'NR > 1 && $e != "" && $e + 0 >= 120 { print $1; exit }' stop/seed_0/progress.csv)
last=$(tail -1 stop/seed_0/progress.csv | cut -d, -f1)
if [ -n "$first" ] && [ "$first" = "$last" ] && [ "$last" -lt 40000 ]; then
  ok "stop_at: stops after the first evaluation that reaches it (step $last)"
else
  bad "stop_at: stops after the first evaluation that reaches it" "first $first, last $last"
fi
expect "stop_at: result.json says so" stop/seed_0/result.json "\"stopped_early\": true, \"stopped_at_step\": $last"
expect "stop_at: summary.json says so" stop/summary.json "\"stopped_at_step\": $last"
expect "stop_at: the summary line" out "seed_0 stopped early at step $last: eval return"
expect "stop_at: expect: still checked" out "PASS  final_eval_return_mean"
expect "stop_at: the final checkpoint is at the stop" <(ls stop/seed_0/checkpoints/) "$(printf 'step_%010d.ckpt' "$last")"
# Resumed after a crash between its last checkpoint and result.json: the
# run stays stopped.
rm stop/seed_0/result.json stop/summary.json
run "stop_at: --resume after the stop" 0 "$CRL" train --resume stop --no-plot --quiet
expect "stop_at: a resume does not train on" stop/seed_0/result.json "\"steps\": $last,"
expect "stop_at: a resume keeps the stop" stop/seed_0/result.json "\"stopped_at_step\": $last"
# In worker processes: the same files, the stops reported by the parent.
run "stop_at -j 2: train" 0 "$CRL" train stop.yaml --set 'seeds=[0, 1]' -o stopj --no-plot -j 2
if [ "$(grep -c '"stopped_at_step"' stopj/summary.json)" -eq 2 ] &&
  grep -q "\"stopped_at_step\": $last" stopj/seed_0/result.json; then
  ok "stop_at -j 2: both seeds' stops in summary.json"
else
  bad "stop_at -j 2: both seeds' stops in summary.json" "$(cat stopj/summary.json)"
fi
expect "stop_at -j 2: the summary line" out "seed_1 stopped early at step"
if [ "$(strip_t stopj/seed_0/monitor.csv)" = "$(strip_t stop/seed_0/monitor.csv)" ] &&
  cmp -s stopj/seed_0/best.crlp stop/seed_0/best.crlp; then
  ok "stop_at -j 2: monitor.csv and best.crlp as with -j 1"
else
  bad "stop_at -j 2: monitor.csv and best.crlp as with -j 1"
fi
# A target never reached: the whole budget, no stop noted.
run "stop_at out of reach" 0 "$CRL" train cartpole.yaml --set 'stop_at.eval_return=1e9' -o far --quiet --no-plot -j 1
if [ "$(tail -1 far/seed_1/progress.csv | cut -d, -f1)" -ge 4096 ] && ! grep -q stopped far/seed_1/result.json; then
  ok "stop_at out of reach: the whole budget, no stop"
else
  bad "stop_at out of reach: the whole budget, no stop" "$(cat far/seed_1/result.json)"
fi
# expect: is checked after an early stop as after any run.
run "stop_at with an expectation it misses: exit 3" 3 "$CRL" train stop.yaml --set 'expect.final_eval_return_mean.min=1000' -o stop3 --quiet --no-plot -j 1 --check

# Bad stop_at input: exit 2, a located message, nothing created.
bad_stop() { # NAME VALUE MESSAGE
  sed "s/^stop_at:.*/stop_at: $2/" stop.yaml >bad_stop.yaml
  run "stop_at refused: $1" 2 "$CRL" train bad_stop.yaml -o "bad_$1" --quiet --no-plot
  expect "stop_at refused: $1: message" err "$3"
  if [ -e "bad_$1" ]; then bad "stop_at refused: $1: nothing created"; else ok "stop_at refused: $1: nothing created"; fi
}
bad_stop typo '{eval_retrun: 195}' "bad_stop.yaml:8:11: error: unknown key 'stop_at.eval_retrun' (did you mean 'stop_at.eval_return'?)"
bad_stop text '{eval_return: high}' "bad_stop.yaml:8:24: error: 'stop_at.eval_return' expects a number or null, got \"high\""
bad_stop infinite '{eval_return: .inf}' "error: 'stop_at.eval_return' expects a number or null, got \".inf\""
bad_stop scalar '195' "bad_stop.yaml:8:10: error: 'stop_at' expects a mapping with keys eval_return, got \"195\""
run "stop_at refused: --set" 2 "$CRL" train stop.yaml --set stop_at.eval_return=abc -o bad_set --quiet --no-plot
expect "stop_at refused: --set: message" err "--set stop_at.eval_return=abc: error: 'stop_at.eval_return' expects a number or null, got \"abc\""
run "stop_at: null is no stop" 0 "$CRL" check stop.yaml --set stop_at.eval_return=null
if grep -q stop_at out; then bad "stop_at: null is left out of the resolved config"; else ok "stop_at: null is left out of the resolved config"; fi
run "stop_at: the resolved config has it" 0 "$CRL" check stop.yaml
expect "stop_at: resolved" out "  eval_return: 120"
run "help train lists stop_at" 0 "$CRL" help train
expect "help train: stop_at.eval_return" out "stop_at.eval_return"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
