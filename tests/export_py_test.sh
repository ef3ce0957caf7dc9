#!/usr/bin/env bash
# python/crl_policy.py, the numpy reader of .crlp files, against
# crl_policy_act (tests/export_py_check.py), and damaged files. Skipped
# (77) without python3 and numpy.
# Usage: export_py_test.sh EXPORT_REF
set -u
REF=$1
ROOT=$(cd "$(dirname "$0")/.." && pwd)
PY=${PYTHON3:-/usr/bin/python3}
if ! [ -x "$PY" ] || ! "$PY" -c 'import numpy' 2>/dev/null; then
  echo "python3 with numpy not found: skipped"
  exit 77
fi
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK" || exit 1
mkdir -p pol
names=$("$REF" make pol) || exit 1
checked=()
seed=100
for name in $names; do
  [ "$name" = overflow ] && continue # overflowing sums: inf vs NaN is order-dependent
  mkdir -p "gen_$name"
  "$REF" obs "pol/$name.crlp" 1000 $seed "gen_$name/obs.bin" || exit 1
  "$REF" act "pol/$name.crlp" "gen_$name/obs.bin" "gen_$name/ref.bin" generic || exit 1
  seed=$((seed + 1))
  checked+=("$name")
done
"$PY" "$ROOT/tests/export_py_check.py" "$ROOT/python" "$WORK" "${checked[@]}"
