#!/usr/bin/env bash
# The README's C example is examples/pendulum_ppo.c, byte for byte: the
# suite builds and runs that file, so the copy in the README cannot rot.
# Usage: readme_test.sh SOURCE_ROOT
set -euo pipefail
root=$1
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# The first ```c block after the heading "## Using the library from C".
awk '/^## Using the library from C/ {in_section = 1}
     in_section && /^```c$/ {in_code = 1; next}
     in_code && /^```$/ {exit}
     in_code {print}' "$root/README.md" >"$tmp/readme.c"
[ -s "$tmp/readme.c" ] || { echo "FAIL: no C example in README.md"; exit 1; }
if ! diff -u "$root/examples/pendulum_ppo.c" "$tmp/readme.c"; then
  echo "FAIL: README.md's C example differs from examples/pendulum_ppo.c"
  exit 1
fi
echo "1 passed, 0 failed"
