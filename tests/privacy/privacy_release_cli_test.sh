#!/usr/bin/env bash
# modelguard privacy release / budget through the CLI: releases in text and JSON, the budget charged and
# refused once spent (nothing printed then), concurrent processes that never overspend, and hostile input
# (stdin, FIFO, directory, non-ledger files, bad numbers, unknown or repeated columns, a full stdout).
# Usage: privacy_release_cli_test.sh MODELGUARD
set -u
mg=$1
source "$(dirname "$0")/../tools/check_lib.sh"
export MODELGUARD_PRIVACY_LEDGER="$tmp/ledger.sqlite"

/usr/bin/python3 - "$tmp/visits.csv" <<'PY'
import random, sys
random.seed(7)
with open(sys.argv[1], "w") as f:
    f.write("patient,age,city\n")
    for i in range(3000):
        f.write(f"p{i % 1000},{random.randint(18, 90)},{random.choice(['Paris', 'Lyon', 'Nice'])}\n")
PY
data="$tmp/visits.csv"

check "release without a budget" 2 "$mg" privacy release "$data" --query count --epsilon 0.5
expect_grep "says to set a budget" "privacy budget set" "$tmp/err"
check "budget set" 0 "$mg" privacy budget set "$data" --epsilon 2 --delta 1e-6
expect_grep "budget line" "epsilon 0 of 2 spent" "$tmp/out"
check "a different total is refused" 2 "$mg" privacy budget set "$data" --epsilon 5
check "count as JSON" 0 "$mg" privacy release "$data" --query count --epsilon 0.5 --privacy-unit patient \
  --contribution-limit 3 --format json
/usr/bin/python3 - "$tmp/out" <<'PY' || { echo "FAIL count JSON content"; fail=$((fail+1)); }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "modelguard.privacy-release/v1", d
assert d["mechanism"] == "discrete-laplace" and d["epsilon"] == 0.5 and d["sensitivity"] == 3, d
v = d["values"][0]["value"]
assert v == int(v) and abs(v - 3000) < 80, d  # scale 6: beyond 80 has probability ~1e-6
assert d["budget"]["spent_epsilon"] == 0.5 and d["budget"]["remaining_epsilon"] == 1.5, d
assert d["dataset"].startswith("sha256:") and len(d["dataset"]) == 71, d
PY
pass=$((pass+1))
check "mean" 0 "$mg" privacy release "$data" --query "mean(age)" --bounds 0,100 --epsilon 0.5
expect_match "mean line" "^mean(age) = [0-9.]*$" "$tmp/out"
check "gaussian histogram" 0 "$mg" privacy release "$data" --query "histogram(city)" --categories Paris,Lyon \
  --mechanism gaussian --epsilon 0.5 --delta 5e-7
expect_grep "other bin" "(other) = " "$tmp/out"
expect_grep "delta charged" "delta 5e-07 of 1e-06" "$tmp/out"
check "quantile uses the rest" 0 "$mg" privacy release "$data" --query "quantile(age, 0.5)" --bounds 0,100 --epsilon 0.5
check "exhausted: refused" 2 "$mg" privacy release "$data" --query count --epsilon 0.01
expect_grep "exhausted message" "exhausted" "$tmp/err"
if [ -s "$tmp/out" ]; then echo "FAIL a refused release printed something"; fail=$((fail+1)); else pass=$((pass+1)); fi
check "budget show as JSON" 0 "$mg" privacy budget show "$data" --format json
/usr/bin/python3 - "$tmp/out" <<'PY' || { echo "FAIL budget JSON content"; fail=$((fail+1)); }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "modelguard.privacy-budget/v1", d
assert [r["query"] for r in d["releases"]] == ["count", "mean(age)", "histogram(city)", "quantile(age, 0.5)"], d
assert d["spent_epsilon"] == 2 and d["remaining_epsilon"] == 0 and d["spent_delta"] == 5e-7, d
PY
pass=$((pass+1))
check "replace the total deliberately" 0 "$mg" privacy budget set "$data" --epsilon 3 --replace

# 12 processes at once, 0.25 each, against a budget of 2: exactly 8 are released.
check "concurrent budget" 0 "$mg" privacy budget set --dataset shared --epsilon 2
for i in $(seq 12); do
  ("$mg" privacy release "$data" --query count --epsilon 0.25 --dataset shared >"$tmp/c$i.out" 2>"$tmp/c$i.err"
   echo $? >"$tmp/c$i.rc") &
done
wait
granted=$(cat "$tmp"/c*.rc | grep -c '^0$'); refused=$(cat "$tmp"/c*.rc | grep -c '^2$')
if [ "$granted" = 8 ] && [ "$refused" = 4 ]; then pass=$((pass+1)); else
  echo "FAIL concurrent releases: $granted granted, $refused refused (want 8 and 4)"; cat "$tmp"/c*.err | head; fail=$((fail+1)); fi
check "spent exactly the total" 0 "$mg" privacy budget show --dataset shared
expect_grep "exactly 2" "epsilon 2 of 2 spent (8 releases)" "$tmp/out"

# Hostile input.
check "stdin without a dataset name" 2 "$mg" privacy release - --input-format csv --query count --epsilon 0.1
check "stdin budget" 0 "$mg" privacy budget set --dataset piped --epsilon 1
/usr/bin/python3 -c 'print("a"); [print(i) for i in range(200000)]' |
  check "200,000 rows from stdin" 0 "$mg" privacy release - --input-format csv --dataset piped --query "sum(a)" \
    --bounds 0,1 --epsilon 0.1
mkfifo "$tmp/fifo.csv"
check "FIFO" 2 timeout 10 "$mg" privacy release "$tmp/fifo.csv" --query count --epsilon 0.1 --dataset piped
check "directory" 2 "$mg" privacy release "$tmp" --query count --epsilon 0.1 --dataset piped
check "missing file" 2 "$mg" privacy release "$tmp/none.csv" --query count --epsilon 0.1 --dataset piped
check "ledger is a directory" 2 "$mg" privacy release "$data" --query count --epsilon 0.1 --ledger "$tmp"
echo "just text" >"$tmp/notaledger"
check "ledger is not a database" 2 "$mg" privacy release "$data" --query count --epsilon 0.1 --ledger "$tmp/notaledger"
check "bounds missing" 2 "$mg" privacy release "$data" --query "sum(age)" --epsilon 0.1 --dataset piped
expect_grep "bounds message" "--bounds" "$tmp/err"
check "unknown column" 2 "$mg" privacy release "$data" --query "sum(salary)" --bounds 0,1 --epsilon 0.1 --dataset piped
check "bad query" 2 "$mg" privacy release "$data" --query "drop(age)" --epsilon 0.1 --dataset piped
check "epsilon not a number" 2 "$mg" privacy release "$data" --query count --epsilon abc --dataset piped
check "epsilon nan" 2 "$mg" privacy release "$data" --query count --epsilon nan --dataset piped
check "bounds with one number" 2 "$mg" privacy release "$data" --query "sum(age)" --bounds 1 --epsilon 0.1 --dataset piped
check "negative bins" 2 "$mg" privacy release "$data" --query "histogram(age)" --bounds 0,100 --bins -1 --epsilon 0.1 --dataset piped
check "delta with Laplace" 2 "$mg" privacy release "$data" --query count --epsilon 0.1 --delta 1e-6 --dataset piped
printf 'a,a\n1,2\n' >"$tmp/dup.csv"
check "repeated column" 2 "$mg" privacy release "$tmp/dup.csv" --query "sum(a)" --bounds 0,5 --epsilon 0.1 --dataset piped
check "stdout is full" 2 sh -c "\"$mg\" privacy release \"$data\" --query count --epsilon 0.1 --dataset piped >/dev/full"
check "help has an example" 0 "$mg" privacy release --help
expect_grep "example" "modelguard privacy release" "$tmp/out"
finish
