#!/usr/bin/env bash
# Install what is missing, build, put `crl` on PATH, and train PPO on
# Pendulum-v1 over 3 seeds: progress on the terminal, then
# runs/quickstart/curve.png and the final evaluation return. Extra
# arguments go to `crl train`.
#
# `crl` on PATH is a link to build/tools/crl (so a rebuild updates it) in
# /usr/local/bin for root, else in ~/.local/bin, which Debian's ~/.profile
# puts on PATH in every login shell once the directory exists.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build -Dbuildtype=release >/dev/null
fi
ninja -C build >/dev/null

if [ "$(id -u)" -eq 0 ]; then
  bindir=/usr/local/bin
else
  bindir=$HOME/.local/bin
fi
mkdir -p "$bindir"
if [ -e "$bindir/crl" ] && [ ! -L "$bindir/crl" ]; then
  # A crl installed otherwise (meson install): leave it.
  echo "note: $bindir/crl exists and is not a link to this build; left as it is" >&2
else
  ln -sfn "$PWD/build/tools/crl" "$bindir/crl"
  echo "crl: $bindir/crl -> $PWD/build/tools/crl" >&2
fi
case ":$PATH:" in
  *":$bindir:"*) ;;
  *) echo "note: $bindir is not on this shell's PATH yet: a new login shell has it," \
    "or run: export PATH=\"$bindir:\$PATH\"" >&2 ;;
esac

export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
# Its own run directory, so that the README's `crl train
# experiments/pendulum/ppo.yaml` (runs/pendulum_ppo) starts afresh.
exec build/tools/crl train experiments/pendulum/ppo.yaml -o runs/quickstart --force "$@"
