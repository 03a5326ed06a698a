#!/usr/bin/env bash
# modelguard monitor run through the CLI: exit 0 / 1 / 2, text and JSON, the report folder (HTML with inline
# SVG and nothing loaded from elsewhere), and hostile input (missing file, directory, FIFO, empty files,
# unknown test or column, bad numbers, output over an input, a full stdout).
# Usage: monitor_run_cli_test.sh MODELGUARD
set -u
mg=$1
source "$(dirname "$0")/../tools/check_lib.sh"

/usr/bin/python3 - "$tmp" <<'PY'
import random, sys
d = sys.argv[1]
def write(path, n, shift, seed):
    rng = random.Random(seed)
    with open(path, "w") as f:
        f.write("id,a,b,c,kind\n")
        for i in range(n):
            f.write(f"{i},{rng.gauss(shift, 1):.5f},{rng.gauss(shift, 1):.5f},{rng.gauss(0, 1):.5f},{rng.choice('xyz')}\n")
write(f"{d}/ref.csv", 700, 0, 1)
write(f"{d}/same.csv", 700, 0, 2)
write(f"{d}/cur.csv", 700, 0.6, 3)
PY

check "no drift: exit 0" 0 "$mg" monitor run --reference "$tmp/ref.csv" --current "$tmp/same.csv"
expect_grep "verdict line" "no dataset drift" "$tmp/out"
check "drift: exit 1" 1 "$mg" monitor run --reference "$tmp/ref.csv" --current "$tmp/cur.csv" --format json \
  --report "$tmp/report"
/usr/bin/python3 - "$tmp/out" <<'PY' || { echo "FAIL monitor JSON content"; fail=$((fail+1)); }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "modelguard.monitor-run/v1", d
cols = {c["name"]: c for c in d["columns"]}
assert set(cols) == {"a", "b", "c", "kind"}, cols.keys()
assert cols["a"]["drift"] and cols["b"]["drift"] and not cols["c"]["drift"], cols
assert cols["a"]["test"] == "ks" and cols["kind"]["test"] == "chi2", cols
assert d["dataset_drift"] and d["drifted_share"] == 0.5, d
PY
pass=$((pass+1))
expect_grep "html report" "<svg" "$tmp/report/report.html"
if grep -q "<script" "$tmp/report/report.html"; then echo "FAIL a script in the report"; fail=$((fail+1)); else pass=$((pass+1)); fi
expect_grep "json report" '"schema": "modelguard.monitor-run/v1"' "$tmp/report/report.json"
check "one test for all, a share" 0 "$mg" monitor run --reference "$tmp/ref.csv" --current "$tmp/cur.csv" \
  --tests psi --dataset-share 0.8
expect_grep "psi used" "psi" "$tmp/out"
check "columns chosen" 1 "$mg" monitor run --reference "$tmp/ref.csv" --current "$tmp/cur.csv" --columns a,c
check "a column left out" 0 "$mg" monitor run --reference "$tmp/ref.csv" --current "$tmp/cur.csv" --exclude a,b

check "missing file" 2 "$mg" monitor run --reference "$tmp/none.csv" --current "$tmp/cur.csv"
check "directory" 2 "$mg" monitor run --reference "$tmp" --current "$tmp/cur.csv"
mkfifo "$tmp/fifo.jsonl"
check "FIFO" 2 timeout 10 "$mg" monitor run --reference "$tmp/fifo.jsonl" --current "$tmp/cur.csv"
: >"$tmp/empty.csv"
check "empty files: nothing to test" 0 "$mg" monitor run --reference "$tmp/empty.csv" --current "$tmp/empty.csv"
check "unknown test" 2 "$mg" monitor run --reference "$tmp/ref.csv" --current "$tmp/cur.csv" --tests ks,nope
check "unknown column" 2 "$mg" monitor run --reference "$tmp/ref.csv" --current "$tmp/cur.csv" --columns salary
check "threshold not a number" 2 "$mg" monitor run --reference "$tmp/ref.csv" --current "$tmp/cur.csv" --threshold x
check "share out of range" 2 "$mg" monitor run --reference "$tmp/ref.csv" --current "$tmp/cur.csv" --dataset-share 2
check "output over an input" 2 "$mg" monitor run --reference "$tmp/ref.csv" --current "$tmp/cur.csv" -o "$tmp/cur.csv"
head -2 "$tmp/cur.csv" | grep -q "^id,a" && pass=$((pass+1)) || { echo "FAIL the input was changed"; fail=$((fail+1)); }
check "stdout full" 2 sh -c "\"$mg\" monitor run --reference \"$tmp/ref.csv\" --current \"$tmp/cur.csv\" >/dev/full"
check "help has an example" 0 "$mg" monitor run --help
expect_grep "example" "modelguard monitor run --reference" "$tmp/out"
finish
