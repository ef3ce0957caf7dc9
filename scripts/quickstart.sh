#!/usr/bin/env bash
# Install what is missing, build, and train PPO on Pendulum-v1 over 3 seeds:
# progress on the terminal, then runs/pendulum_ppo/curve.png and the final
# evaluation return. Extra arguments go to `crl train`.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/install-deps.sh
if [ ! -f build/build.ninja ]; then
  meson setup build -Dbuildtype=release >/dev/null
fi
ninja -C build >/dev/null
export OPENBLAS_NUM_THREADS=${OPENBLAS_NUM_THREADS:-1}
exec build/tools/crl train experiments/pendulum/ppo.yaml -o runs/pendulum_ppo --force "$@"
