#!/usr/bin/env bash
# crl export --format c: the generated C file, compiled with the C compiler
# meson uses and a small driver (export_c_driver.c, no libcrl), gives
# crl_policy_act's actions bit for bit on 1000 observations (ordinary, far
# outside the normaliser's clip, zeros, non-finite), for policies of every
# kind crl writes (export_ref make) and policies trained by `crl train`,
# with each kernel set the CPU has (POLICY_FMA=0 for crl's plain-C kernels,
# 1 for AVX2 / AVX-512). Also the command's errors.
# Usage: export_c_test.sh CRL EXPORT_REF DRIVER.c CC...
set -u
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CRL=$1 REF=$2 DRIVER=$3
shift 3
CC=("$@")
ROOT=$(cd "$(dirname "$0")/.." && pwd)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
export OPENBLAS_NUM_THREADS=1

. "$LIB_DIR/cli_lib.sh" # ok, bad, run, expect, expect_not

CFLAGS=(-std=c99 -pedantic -Wall -Wextra -Werror -O2 -ffp-contract=off)
ISAS=$("$REF" isas)
echo "kernel sets: $ISAS"

# ---- policies: built from parts, and trained --------------------------------
mkdir -p pol
names=$("$REF" make pol) || { bad "export_ref make"; exit 1; }
train() { # NAME CONFIG SETTINGS...
  local name=$1 config=$2
  shift 2
  local sets=()
  for s in "$@"; do sets+=(--set "$s"); done
  if "$CRL" train "$ROOT/experiments/$config" -o "run_$name" --seed 0 --quiet \
    --no-plot "${sets[@]}" >/dev/null 2>"$WORK/err" &&
    "$CRL" export "run_$name/seed_0" -o "pol/$name.crlp" >/dev/null 2>>"$WORK/err"; then
    names="$names $name"
  else
    bad "train and export $name" "$(head -c 400 "$WORK/err")"
  fi
}
train trained_ppo_norm pendulum/ppo.yaml n_timesteps=2048 n_steps=256 normalize=true
train trained_sac pendulum/sac_small.yaml n_timesteps=400
train trained_ppo_discrete cartpole/ppo.yaml n_timesteps=1024

# ---- each policy: export, compile, compare ----------------------------------
fma_differs=0
seed=1
for name in $names; do
  d=gen_$name
  mkdir -p "$d"
  run "$name: export --format c" 0 "$CRL" export "pol/$name.crlp" -o "$d/policy.c" --format c || continue
  "$REF" obs "pol/$name.crlp" 1000 $seed "$d/obs.bin" || bad "$name: observations"
  seed=$((seed + 1))
  for fma in 0 1; do
    if ! "${CC[@]}" "${CFLAGS[@]}" -DPOLICY_FMA=$fma -I "$d" "$d/policy.c" "$DRIVER" \
      -o "$d/drv$fma" -lm 2>"$WORK/err"; then
      bad "$name: the generated C compiles (POLICY_FMA=$fma)" "$(head -c 600 "$WORK/err")"
      continue
    fi
    "$d/drv$fma" "$d/obs.bin" "$d/gen$fma.bin" || bad "$name: driver runs"
  done
  cmp -s "$d/gen0.bin" "$d/gen1.bin" || fma_differs=$((fma_differs + 1))
  for isa in $ISAS; do
    fma=1
    [ "$isa" = generic ] && fma=0
    "$REF" act "pol/$name.crlp" "$d/obs.bin" "$d/ref_$isa.bin" "$isa" || { bad "$name: crl_policy_act ($isa)"; continue; }
    if cmp -s "$d/ref_$isa.bin" "$d/gen$fma.bin"; then
      ok "$name: policy_act == crl_policy_act bit for bit ($isa kernels, POLICY_FMA=$fma)"
    else
      bad "$name: policy_act differs from crl_policy_act ($isa kernels)" "$(cmp "$d/ref_$isa.bin" "$d/gen$fma.bin" 2>&1 | head -1)"
    fi
  done
done
# The comparison can tell the kernels apart: fused and unfused sums give
# other bits for most policies (so POLICY_FMA matters, and is tested).
# In a double build the code computes in double and only its float-rounded
# actions are compared, where the two seldom differ: checked in float only.
if grep -q 'typedef double policy_real' gen_sac_relu/policy.c; then
  echo "double code: fused and unfused sums differ after rounding for $fma_differs policies"
elif [ "$fma_differs" -ge 3 ]; then ok "POLICY_FMA changes the bits ($fma_differs policies)"; else bad "POLICY_FMA changes the bits" "only $fma_differs"; fi
# Statuses seen: the overflowing policy reports non-finite actions (2), and
# every policy refuses the non-finite observations (1).
status_count() { # FILE RECORD_BYTES STATUS
  od -An -v -t d4 -w"$2" "$1" | awk -v s="$3" '$1 == s { n++ } END { print n + 0 }'
}
n2=$(status_count gen_overflow/gen1.bin 12 2)
n1=$(status_count gen_overflow/gen1.bin 12 1)
if [ "$n2" -gt 10 ] && [ "$n1" -eq 3 ]; then ok "overflow policy: $n2 non-finite actions, 3 refused observations"; else bad "overflow statuses" "2: $n2, 1: $n1"; fi
grep -q 'static const policy_real W0\['  gen_sac_relu/policy.c && ok "weights are static const arrays" || bad "weights are static const arrays"
if grep -v '^ \*\|^/\*' gen_sac_relu/policy.c | grep -q 'malloc\|#include <std'; then bad "no malloc, only <math.h>"; else ok "no malloc, only <math.h>"; fi

# ---- the command's errors ---------------------------------------------------
P=pol/ppo_tanh.crlp
run "a bad --format" 2 "$CRL" export $P -o x.c --format fortran && expect "says which formats" err "--format takes crlp, c or onnx, not fortran"
run "--format without a value" 2 "$CRL" export $P -o x.c --format
run "--format c needs a .c name" 2 "$CRL" export $P -o x.txt --format c && expect "says so" err "ends in .c"
[ ! -e x.txt ] && ok "nothing written for a usage error" || bad "nothing written for a usage error"
run "a missing source" 2 "$CRL" export nothing.crlp -o x.c --format c && expect "names the file" err "nothing.crlp"
touch afile
run "an unwritable -o" 1 "$CRL" export $P -o afile/policy.c --format c && expect "says why" err "cannot write afile/policy"
mkdir -p half/policy.h # the header's name taken by a directory
run "a header that cannot be written" 1 "$CRL" export $P -o half/policy.c --format c
if [ ! -e half/policy.c ] && [ -z "$(ls half | grep tmp)" ]; then ok "nothing half-written (no .c without its .h, no temporaries)"; else bad "nothing half-written" "$(ls half)"; fi
run "a .crlp exports to .crlp" 0 "$CRL" export $P -o again.crlp && cmp -s $P again.crlp && ok "the same bytes" || bad "crlp round trip"
run "the default format is crlp" 0 "$CRL" export $P -o plain.out && cmp -s $P plain.out && ok "default format writes a .crlp" || bad "default format"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
