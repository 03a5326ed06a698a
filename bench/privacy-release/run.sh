#!/usr/bin/env bash
# scripts/bench privacy-release: `modelguard privacy release` on a generated table of ROWS rows (a person id
# with up to 3 rows per person, an age, an income), against the same releases written in Python with the csv
# module and NumPy's floating-point Laplace noise (what one writes without a DP library; it is also exposed to
# Mironov's 2012 attack, which ours is not), measured in the same run on the same core. Both bound each
# person to 3 rows (the first ones), clamp to the same bounds and use the same epsilon. Wall seconds, best of
# 3, and the mean absolute error of each side over 50 releases of the sum (same noise scale, so they should
# agree).
# Usage: bench/privacy-release/run.sh MODELGUARD [ROWS]
set -euo pipefail
mg=$1
rows=${2:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp/people.csv" "$rows" <<'PY'
import random, sys
rng = random.Random(7)
with open(sys.argv[1], "w") as f:
    f.write("person,age,income\n")
    for i in range(int(sys.argv[2])):
        f.write(f"p{rng.randrange(int(sys.argv[2]) // 2)},{rng.randint(18, 90)},{rng.gauss(40000, 15000):.2f}\n")
PY
export MODELGUARD_PRIVACY_LEDGER="$tmp/ledger.sqlite"
"$mg" privacy budget set --dataset bench --epsilon 100000 >/dev/null
common=(--privacy-unit person --contribution-limit 3 --dataset bench --epsilon 1 --format json)
best() {  # command... -> best wall seconds of 3
  local best_s=999999
  for _ in 1 2 3; do
    local start end
    start=$(date +%s.%N); "$@" >/dev/null; end=$(date +%s.%N)
    best_s=$(echo "if ($end - $start < $best_s) $end - $start else $best_s" | bc)
  done
  echo "$best_s"
}
ours() { taskset -c 0 "$mg" privacy release "$tmp/people.csv" "${common[@]}" "$@"; }
peer() { taskset -c 0 /usr/bin/python3 "$here/release_numpy.py" "$tmp/people.csv" "$@"; }
for q in "count" "sum(income) 0,200000" "quantile(age,0.5) 0,100"; do
  read -r query bounds <<<"$q"
  if [ -n "${bounds:-}" ]; then
    ours_s=$(best ours --query "$query" --bounds "$bounds"); peer_s=$(best peer "$query" "$bounds")
  else
    ours_s=$(best ours --query "$query"); peer_s=$(best peer "$query" "")
  fi
  echo "BENCH privacy release $query, $rows rows: modelguard ${ours_s} s, Python csv + NumPy ${peer_s} s, ratio $(echo "scale=1; $peer_s / $ours_s" | bc)x"
done
# Accuracy: the exact clamped, bounded sum from the peer's script, then 50 releases of each side.
truth=$(peer "truth" "0,200000")
ours_err=0; peer_err=0
for i in $(seq 50); do
  o=$(ours --query "sum(income)" --bounds 0,200000 | /usr/bin/python3 -c 'import json,sys; print(json.load(sys.stdin)["values"][0]["value"])')
  p=$(peer "sum(income)" "0,200000")
  ours_err=$(echo "$ours_err + sqrt(($o - $truth)^2)" | bc -l); peer_err=$(echo "$peer_err + sqrt(($p - $truth)^2)" | bc -l)
done
echo "BENCH privacy release sum(income) accuracy over 50 releases (epsilon 1, sensitivity 600000): mean absolute error modelguard $(echo "scale=0; $ours_err / 50" | bc), NumPy Laplace $(echo "scale=0; $peer_err / 50" | bc) (expected: the scale, 600000)"
