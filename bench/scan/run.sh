#!/usr/bin/env bash
# `scripts/bench scan`: the scanner's benchmarks under the name the issues use. The pickle VM against
# picklescan and python's pickletools (bench/pickle), then every format's throughput (bench/formats), each
# printing its own ratios. Arguments and environment are those of the two scripts; a BENCH_DIR given here
# gets one subdirectory per script (each deletes and rebuilds its own inputs).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
if [ -n "${BENCH_DIR:-}" ]; then
  BENCH_DIR="$BENCH_DIR/pickle" "$here/pickle/run.sh" "$@"
  BENCH_DIR="$BENCH_DIR/formats" "$here/formats/run.sh" "$@"
else
  "$here/pickle/run.sh" "$@"
  "$here/formats/run.sh" "$@"
fi
