#!/usr/bin/env bash
# crl export --format onnx: for policies of every kind crl writes (export_ref
# make: tanh-squashed, clipped Gaussian mean with open bounds, ReLU and tanh
# layers, with and without the normaliser, argmax) and one trained by `crl
# train`, the model passes onnx.checker (full check) and, evaluated by
# export_onnx_check.py's numpy interpreter of the operators crl emits, gives
# crl_policy_act's actions within float rounding. Also the command's errors
# (nothing written). Skipped (77) without python3, numpy and onnx.
# Usage: export_onnx_test.sh CRL EXPORT_REF
set -u
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CRL=$1 REF=$2
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON3:-/usr/bin/python3}
if ! [ -x "$PY" ] || ! "$PY" -c 'import numpy, onnx' 2>/dev/null; then
  echo "python3 with numpy and onnx (Debian: python3-onnx) not found: skipped"
  exit 77
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export OPENBLAS_NUM_THREADS=1

. "$LIB_DIR/cli_lib.sh" # ok, bad, run, expect, expect_not

# ---- policies: built from parts, and one trained -----------------------------
mkdir -p pol
names=$("$REF" make pol) || { bad "export_ref make"; exit 1; }
if "$CRL" train "$ROOT/experiments/pendulum/ppo.yaml" -o run_ppo --seed 0 --quiet \
  --no-plot --set n_timesteps=2048 --set n_steps=256 --set normalize=true >/dev/null 2>"$WORK/err" &&
  "$CRL" export run_ppo/seed_0 -o pol/trained_ppo_norm.crlp >/dev/null 2>>"$WORK/err"; then
  names="$names trained_ppo_norm"
else
  bad "train and export trained_ppo_norm" "$(head -c 400 "$WORK/err")"
fi

# ---- each policy: export, and crl_policy_act's actions for the check ---------
ISA=$("$REF" isas | awk '{ print $NF }') # the kernels crl_policy_act picks
checked=()
seed=200
for name in $names; do
  # Overflowing sums: which of inf and NaN comes out depends on the order,
  # and a runtime's Max / Min may pass or drop a NaN: not comparable.
  [ "$name" = overflow ] && continue
  d=gen_$name
  mkdir -p "$d"
  run "$name: export --format onnx" 0 "$CRL" export "pol/$name.crlp" -o "$d/policy.onnx" --format onnx || continue
  expect "$name: says what it wrote" out "as an ONNX model"
  "$REF" obs "pol/$name.crlp" 1000 $seed "$d/obs.bin" || { bad "$name: observations"; continue; }
  "$REF" act "pol/$name.crlp" "$d/obs.bin" "$d/ref.bin" "$ISA" || { bad "$name: crl_policy_act"; continue; }
  seed=$((seed + 1))
  checked+=("$name")
done
echo "crl_policy_act with the $ISA kernels"
if "$PY" "$ROOT/tests/export_onnx_check.py" "$WORK" "${checked[@]}" >"$WORK/py" 2>&1; then
  cat "$WORK/py"
  n=$(grep -c '^ok' "$WORK/py")
  passed=$((passed + n))
else
  cat "$WORK/py"
  n=$(grep -c '^ok' "$WORK/py")
  passed=$((passed + n))
  bad "export_onnx_check.py" "see above"
fi

# ---- the command's errors: a clear message, nothing written -----------------
P=pol/ppo_tanh.crlp
touch afile
run "an unwritable -o (a file as directory)" 1 "$CRL" export $P -o afile/policy.onnx --format onnx &&
  expect "says why" err "cannot write afile/policy.onnx"
run "a missing directory" 1 "$CRL" export $P -o nodir/policy.onnx --format onnx &&
  expect "names the file" err "nodir/policy.onnx"
[ ! -e nodir ] && [ -z "$(ls afile.* 2>/dev/null)" ] && ok "nothing written for an unwritable path" ||
  bad "nothing written for an unwritable path"
run "a missing source" 2 "$CRL" export nothing.crlp -o x.onnx --format onnx && expect "names the source" err "nothing.crlp"
head -c 100 $P >damaged.crlp
run "a damaged source" 2 "$CRL" export damaged.crlp -o y.onnx --format onnx && expect "names the source" err "damaged.crlp"
run "-o missing" 2 "$CRL" export $P --format onnx
run "a bad --format names onnx" 2 "$CRL" export $P -o z.onnx --format onx && expect "lists the formats" err "crlp, c or onnx"
if [ ! -e x.onnx ] && [ ! -e y.onnx ] && [ ! -e z.onnx ] && [ -z "$(ls | grep '\.tmp$')" ]; then
  ok "nothing written for a bad source or usage, no temporaries"
else
  bad "nothing written for a bad source or usage" "$(ls)"
fi
mkdir -p taken.onnx # the name held by a directory: the rename fails
run "an output name held by a directory" 1 "$CRL" export $P -o taken.onnx --format onnx
[ -z "$(ls | grep '\.tmp$')" ] && [ -d taken.onnx ] && ok "no temporary left, the directory untouched" ||
  bad "no temporary left" "$(ls)"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
