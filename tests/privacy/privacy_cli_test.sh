#!/usr/bin/env bash
# modelguard privacy epsilon / noise through the CLI: the issue's reference figures in text and JSON, the
# noise search round trip, and refusals (exit 2 with a message naming the option) of every bad parameter.
# Usage: privacy_cli_test.sh MODELGUARD
set -u
mg=$1
source "$(dirname "$0")/../tools/check_lib.sh"

mnist=(--sample-rate 0.004266666666666667 --noise 1.1 --steps 14063 --delta 1e-5)
check "epsilon, both accountants" 0 "$mg" privacy epsilon "${mnist[@]}"
expect_grep "improved conversion figure" "RDP  epsilon 2.5967" "$tmp/out"
expect_grep "classic conversion figure" "classic conversion 3.0084" "$tmp/out"
expect_match "PRV estimate and bounds" "^PRV  epsilon 2\.3[89][0-9]*, true value within \[2\.3" "$tmp/out"

check "epsilon as JSON" 0 "$mg" privacy epsilon "${mnist[@]}" --format json
cp "$tmp/out" "$tmp/mnist.json"
/usr/bin/python3 - "$tmp/mnist.json" <<'PY' || { echo "FAIL epsilon JSON content"; fail=$((fail+1)); }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "modelguard.privacy-epsilon/v1", d
assert d["steps"] == 14063 and d["delta"] == 1e-5
assert round(d["rdp"]["epsilon"], 4) == 2.5967, d["rdp"]
assert round(d["rdp"]["classic_epsilon"], 4) == 3.0084, d["rdp"]
p = d["prv"]
assert p["epsilon_lower"] <= p["epsilon"] <= p["epsilon_upper"], p
assert abs(p["epsilon"] - 2.39) < 0.01 and p["epsilon_upper"] - p["epsilon_lower"] < 0.05, p
assert p["epsilon_upper"] < d["rdp"]["epsilon"], "PRV's upper bound is tighter than RDP here"
PY
pass=$((pass+1))

check "rdp only, custom orders" 0 "$mg" privacy epsilon --sample-rate 0.01 --noise 1 --steps 300 --delta 1e-5 \
  --accountant rdp --orders 2,5,10,20,100 --format json
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert round(d["rdp"]["epsilon"],4)==2.3933 and "prv" not in d, d' \
  "$tmp/out" || { echo "FAIL custom orders"; fail=$((fail+1)); }
check "prv only" 0 "$mg" privacy epsilon "${mnist[@]}" --accountant prv
if grep -q "^RDP" "$tmp/out"; then echo "FAIL prv only printed RDP"; fail=$((fail+1)); fi

check "noise for a target" 0 "$mg" privacy noise --epsilon 3 --delta 1e-5 --sample-rate 0.01 --steps 3000 --format json
sigma=$(/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["epsilon"] <= 3; print(d["noise_multiplier"])' "$tmp/out")
# Round trip: that sigma spends at most the target, and 1% less noise spends more.
check "epsilon at the found sigma" 0 "$mg" privacy epsilon --sample-rate 0.01 --noise "$sigma" --steps 3000 --delta 1e-5 \
  --accountant rdp --format json
/usr/bin/python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["rdp"]["epsilon"] <= 3' "$tmp/out" \
  || { echo "FAIL round trip"; fail=$((fail+1)); }
less=$(/usr/bin/python3 -c "print($sigma * 0.99)")
check "epsilon below the found sigma" 0 "$mg" privacy epsilon --sample-rate 0.01 --noise "$less" --steps 3000 --delta 1e-5 \
  --accountant rdp --format json
/usr/bin/python3 -c 'import json,sys; assert json.load(open(sys.argv[1]))["rdp"]["epsilon"] > 3' "$tmp/out" \
  || { echo "FAIL less noise"; fail=$((fail+1)); }

# Refusals: exit 2, one line naming what is wrong, nothing on stdout.
refuse() {
  local name=$1 text=$2; shift 2
  check "$name" 2 "$mg" privacy "$@"
  expect_grep "$name: message" "$text" "$tmp/err"
  if [ -s "$tmp/out" ]; then echo "FAIL $name: output on stdout"; fail=$((fail+1)); fi
}
base=(--noise 1 --steps 100 --delta 1e-5)
refuse "q = 0" "--sample-rate must be in (0, 1]" epsilon --sample-rate 0 "${base[@]}"
refuse "q > 1" "--sample-rate must be in (0, 1]" epsilon --sample-rate 1.5 "${base[@]}"
refuse "q negative" "--sample-rate must be in (0, 1]" epsilon --sample-rate -0.1 "${base[@]}"
refuse "q nan" "--sample-rate must be a finite number" epsilon --sample-rate nan "${base[@]}"
refuse "q text" "--sample-rate must be a finite number" epsilon --sample-rate 0.1abc "${base[@]}"
refuse "sigma 0" "--noise must be > 0" epsilon --sample-rate 0.1 --noise 0 --steps 100 --delta 1e-5
refuse "sigma negative" "--noise must be > 0" epsilon --sample-rate 0.1 --noise -1 --steps 100 --delta 1e-5
refuse "sigma inf" "--noise must be a finite number" epsilon --sample-rate 0.1 --noise inf --steps 100 --delta 1e-5
refuse "steps 0" "--steps must be a whole number >= 1" epsilon --sample-rate 0.1 --noise 1 --steps 0 --delta 1e-5
refuse "steps fractional" "--steps must be a whole number >= 1" epsilon --sample-rate 0.1 --noise 1 --steps 2.5 --delta 1e-5
refuse "steps negative" "--steps must be a whole number >= 1" epsilon --sample-rate 0.1 --noise 1 --steps -3 --delta 1e-5
refuse "steps overflow" "--steps must be a whole number >= 1" epsilon --sample-rate 0.1 --noise 1 --steps 99999999999999999999999 --delta 1e-5
refuse "delta 1" "--delta must be in (0, 1)" epsilon --sample-rate 0.1 --noise 1 --steps 100 --delta 1
refuse "delta 0" "--delta must be in (0, 1)" epsilon --sample-rate 0.1 --noise 1 --steps 100 --delta 0
refuse "delta nan" "--delta must be a finite number" epsilon --sample-rate 0.1 --noise 1 --steps 100 --delta NaN
refuse "order 1" "RDP order must be" epsilon --sample-rate 0.1 "${base[@]}" --orders 2,1
refuse "order empty" "--orders entry must be a finite number" epsilon --sample-rate 0.1 "${base[@]}" --orders 2,,3
refuse "unreachable epsilon" "unreachable" noise --epsilon 0.05 --delta 1e-5 --sample-rate 0.01 --steps 3000
refuse "epsilon 0" "--epsilon must be > 0" noise --epsilon 0 --delta 1e-5 --sample-rate 0.01 --steps 3000
refuse "epsilon inf" "--epsilon must be a finite number" noise --epsilon inf --delta 1e-5 --sample-rate 0.01 --steps 3000
check "unknown accountant" 2 "$mg" privacy epsilon --sample-rate 0.1 "${base[@]}" --accountant moments
check "missing --delta" 2 "$mg" privacy epsilon --sample-rate 0.1 --noise 1 --steps 100
finish
