#!/bin/bash
# build/tools/crl on one thread: `crl ARGS... --set threads=1`. For
# comparisons of CPU time against one-thread programs, e.g. RLtools:
#   ../shared/peers/rltools/bench.sh bench/one_thread.sh 5 ppo td3 sac
# (CRL overrides the program, default build/tools/crl beside this script's
# directory.)
here=$(cd "$(dirname "$0")/.." && pwd)
exec "${CRL:-$here/build/tools/crl}" "$@" --set threads=1
