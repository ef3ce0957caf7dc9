# Helpers of the command-line test scripts (sourced): checks counted into
# $passed and $failed, commands run with their output in $WORK/out and
# $WORK/err. The sourcing script sets WORK and ends with
#   echo "$passed passed, $failed failed"; [ "$failed" -eq 0 ]
passed=0
failed=0
ok() { passed=$((passed + 1)); echo "ok    $1"; }
bad() { failed=$((failed + 1)); echo "FAIL  $1"; [ -n "${2:-}" ] && printf '      %s\n' "$2"; }

# run NAME EXPECTED_STATUS CMD...
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

# expect NAME FILE TEXT: the file holds the fixed string.
expect() {
  if grep -qF -- "$3" "$2"; then ok "$1"; else bad "$1" "no '$3' in: $(head -c 600 "$2")"; fi
}
# same_progress NAME A B: two progress.csv files agree in every column but
# the last, wall_seconds.
same_progress() {
  if cmp -s <(awk -F, -v OFS=, '{ NF--; print }' "$2") <(awk -F, -v OFS=, '{ NF--; print }' "$3"); then
    ok "$1"
  else
    bad "$1" "$(diff "$2" "$3" | head -4)"
  fi
}
# expect_file NAME FILE: the file exists and is not empty.
expect_file() { if [ -s "$2" ]; then ok "$1"; else bad "$1" "missing $2"; fi; }
expect_not() {
  if grep -qF -- "$3" "$2"; then bad "$1" "'$3' in $2"; else ok "$1"; fi
}
