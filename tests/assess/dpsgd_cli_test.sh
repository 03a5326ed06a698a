#!/usr/bin/env bash
# `modelguard harden dp-sgd` end to end through the main binary: the JSON summary and the privacy guarantee
# recorded in the saved model, stopping at the budget with a given sigma, and exit 2 with a clear message
# for bad values.
# usage: dpsgd_cli_test.sh MODELGUARD
set -u
mg=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e_lib.sh"
json() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$1" "$2"; }

"$mg" harden dp-sgd --data digits --epsilon 2 --delta 1e-5 --epochs 3 --out "$tmp/dp.pt" > "$tmp/out.json" 2> "$tmp/progress"; rc=$?
expect train-exit 0 "$rc"
expect_grep progress-epsilon 'epoch 3 (45 steps), epsilon 2.0000' "$tmp/progress"
expect epsilon-within-target True "$(json "$tmp/out.json" '1.99 < d["privacy"]["epsilon"] <= 2.000002')"
expect accountant rdp "$(json "$tmp/out.json" 'd["privacy"]["accountant"]')"
expect prv-below-rdp True "$(json "$tmp/out.json" 'd["privacy"]["prv"]["upper"] <= d["privacy"]["epsilon"]')"
expect per-sample layer-wise "$(json "$tmp/out.json" 'd["privacy"]["per_sample_gradients"]')"
# The model file carries the guarantee (read back by torch, as any consumer would).
recorded=$(/usr/bin/python3 -c '
import json, sys, torch
files = {"modelguard.json": ""}
torch.jit.load(sys.argv[1], _extra_files=files)
print(json.loads(files["modelguard.json"])["training"]["privacy"]["delta"])' "$tmp/dp.pt")
expect model-records-delta 1e-05 "$recorded"
# `assess` shows the guarantee next to the membership-inference figures.
"$mg" assess "$tmp/dp.pt" --data digits --attacks membership --members 100 --shadow-models 2 --format json --report "$tmp/report" > "$tmp/assess.json" 2> /dev/null; rc=$?
expect assess-exit "0 or 1" "$([ "$rc" -le 1 ] && echo "0 or 1" || echo "$rc")"
expect assess-privacy-json True "$(json "$tmp/assess.json" 'abs(d["membership"]["privacy"]["epsilon"] - 2) < 0.01')"
expect_grep assess-privacy-verdict 'trained with DP-SGD at epsilon 2.000, delta 1e-05' "$tmp/assess.json"
expect_grep assess-privacy-html 'The model was trained with DP-SGD at epsilon 2.000' "$tmp/report/report.html"
# A damaged privacy record is ignored, never trusted or crashed on.
/usr/bin/python3 -c '
import json, sys, torch
files = {"modelguard.json": ""}
m = torch.jit.load(sys.argv[1], _extra_files=files)
meta = json.loads(files["modelguard.json"]); meta["training"]["privacy"] = {"epsilon": "three", "delta": [1]}
torch.jit.save(m, sys.argv[2], _extra_files={"modelguard.json": json.dumps(meta)})' "$tmp/dp.pt" "$tmp/damaged.pt"
"$mg" assess "$tmp/damaged.pt" --data digits --attacks membership --members 100 --shadow-models 2 --format json > "$tmp/damaged.json" 2> /dev/null; rc=$?
expect damaged-exit "0 or 1" "$([ "$rc" -le 1 ] && echo "0 or 1" || echo "$rc")"
expect damaged-no-privacy False "$(json "$tmp/damaged.json" '"privacy" in d["membership"]')"
# A given sigma that cannot last: stops before the budget, says so.
"$mg" harden dp-sgd --data digits --epsilon 2 --noise 1.2 --epochs 20 --out "$tmp/stop.pt" > "$tmp/stop.json" 2> "$tmp/err"; rc=$?
expect stop-exit 0 "$rc"
expect_grep stop-message 'one more would exceed epsilon 2' "$tmp/err"
expect stop-flag True "$(json "$tmp/stop.json" 'd["privacy"]["stopped_at_budget"]')"
# Bad values: exit 2 and a message naming the problem.
for case in "--epsilon -1:target epsilon" "--epsilon 2 --delta 2:delta" "--epsilon 2 --batch-size 100000:batch size" \
            "--epsilon 2 --per-sample fast:--per-sample" "--epsilon 0.001:no noise reaches" \
            "--epsilon 2 --noise 0.5:already exceeds"; do
  args=${case%%:*}; message=${case#*:}
  # shellcheck disable=SC2086
  "$mg" harden dp-sgd --data digits $args --out "$tmp/bad.pt" > /dev/null 2> "$tmp/err"; rc=$?
  expect "bad $args exit" 2 "$rc"
  expect_grep "bad $args message" "$message" "$tmp/err"
done
expect no-model-written 1 "$([ -e "$tmp/bad.pt" ] && echo 0 || echo 1)"
"$mg" harden dp-sgd --data digits --epsilon 2 --model "$tmp/missing.pt" --out "$tmp/bad.pt" > /dev/null 2> "$tmp/err"; rc=$?
expect missing-model-exit 2 "$rc"
"$mg" harden dp-sgd --help > "$tmp/help"; rc=$?
expect help-exit 0 "$rc"
expect_grep help-example 'modelguard harden dp-sgd --data digits --epsilon 3' "$tmp/help"

echo "harden dp-sgd e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
