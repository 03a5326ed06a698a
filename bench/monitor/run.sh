#!/usr/bin/env bash
# scripts/bench monitor: `modelguard monitor run` against the same drift tests in SciPy/NumPy on the same
# data, measured in the same run on the same core: ROWS rows a side (default 10,000, where both use every
# value: the monitor samples 10,000 per column), 10 numeric columns (2 shifted) and 2 categorical ones.
# Each side reads the two CSV files and runs KS, the normed Wasserstein distance, PSI and Jensen-Shannon on
# every numeric column and chi-square on the categorical ones. Wall seconds, best of 3.
# Usage: bench/monitor/run.sh MODELGUARD [ROWS]
set -euo pipefail
mg=$1
rows=${2:-10000}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp" "$rows" <<'PY'
import random, sys
d, n = sys.argv[1], int(sys.argv[2])
for name, shift, seed in (("ref", 0.0, 1), ("cur", 0.3, 2)):
    rng = random.Random(seed)
    with open(f"{d}/{name}.csv", "w") as f:
        f.write(",".join([f"x{i}" for i in range(10)] + ["c1", "c2"]) + "\n")
        for _ in range(n):
            xs = [rng.gauss(shift if i < 2 else 0, 1) for i in range(10)]
            f.write(",".join(f"{v:.6f}" for v in xs) + f",{rng.choice('abcdef')},{rng.choice('xyz')}\n")
PY
best() {
  local best_s=999999
  for _ in 1 2 3; do
    local start end
    start=$(date +%s.%N); "$@" >/dev/null || [ $? = 1 ]; end=$(date +%s.%N)
    best_s=$(echo "if ($end - $start < $best_s) $end - $start else $best_s" | bc)
  done
  echo "$best_s"
}
ours_s=$(best taskset -c 0 "$mg" monitor run --reference "$tmp/ref.csv" --current "$tmp/cur.csv" \
  --tests ks,wasserstein,psi,js,chi2 --format json)
peer_s=$(best taskset -c 0 /usr/bin/python3 "$here/drift_scipy.py" "$tmp/ref.csv" "$tmp/cur.csv")
echo "BENCH monitor run, $rows rows a side, 12 columns (ks, wasserstein, psi, js per numeric column; chi2 per categorical): modelguard ${ours_s} s, SciPy/NumPy ${peer_s} s, ratio $(echo "scale=1; $peer_s / $ours_s" | bc)x"
