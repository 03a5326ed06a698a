#!/usr/bin/env bash
# Classifier performance through the CLI: `monitor label` appends labels (one at a time, or a CSV/JSONL file
# taken whole or not at all), `monitor serve --once` joins them to the predictions of a classifier route's
# audit by request id, calibrates on the reference's labels, reports estimated and realised accuracy per
# window, fires the cbpe alert when confidence falls, and keeps the labels' position in its state. Hostile
# input: bad ids and labels, a --from file with one bad line, a FIFO or device as the labels file, a missing
# labels key, --from naming the labels file itself.
# Usage: monitor_label_cli_test.sh MODELGUARD
set -u
mg=$1
source "$(dirname "$0")/../tools/check_lib.sh"

# A classifier route's audit events as the gateway writes them, and the true labels beside them: the model is
# overconfident (right with probability p^2 at confidence p), and from event DROP on its confidences fall.
cat >"$tmp/gen.py" <<'PY'
import json, random, sys
audit, truth, n, drop = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
rng = random.Random(4)
with open(audit, "w") as events, open(truth, "w") as labels:
    for i in range(n):
        high = 1.0 if i < drop else 0.85
        p = 0.5 + (high - 0.5) * rng.random()
        predicted = rng.randrange(3)
        label = predicted if rng.random() < p * p else (predicted + 1) % 3
        request_id = "%032x" % rng.getrandbits(128)
        events.write(json.dumps({"time": 1796000000000 + i, "key_id": "k1", "route": "predict", "method": "POST",
                                 "path": "/predict", "status": 200, "latency_ms": 3.25,
                                 "request_sha256": "ab", "response_sha256": "cd", "request_id": request_id,
                                 "signals": {"rows": 1, "predicted_class": predicted, "top_probability": round(p, 6),
                                             "margin": 0.1}}) + "\n")
        labels.write("%s,%d\n" % (request_id, label))
PY
/usr/bin/python3 "$tmp/gen.py" "$tmp/audit.jsonl" "$tmp/truth.csv" 4000 3000
cat >"$tmp/monitor.yaml" <<EOF
audit: $tmp/audit.jsonl
labels: $tmp/labels.jsonl
reference_events: 1000
window_events: 500
per_key: false
false_alarm_rate: 0.01
calibration_labels: 100
state: $tmp/state.json
EOF

# One label at a time, then the reference's labels from a CSV file.
first_id=$(head -1 "$tmp/truth.csv" | cut -d, -f1)
first_label=$(head -1 "$tmp/truth.csv" | cut -d, -f2)
check "one label" 0 "$mg" monitor label --config "$tmp/monitor.yaml" --id "$first_id" --label "$first_label"
expect_grep "one appended" "appended 1 label to $tmp/labels.jsonl" "$tmp/out"
{ echo "request_id,label"; sed -n '2,1000p' "$tmp/truth.csv"; } >"$tmp/reference.csv"
check "reference labels" 0 "$mg" monitor label --labels "$tmp/labels.jsonl" --from "$tmp/reference.csv" --format json
expect_grep "json summary" '"appended": 999' "$tmp/out"
if [ "$(wc -l <"$tmp/labels.jsonl")" = 1000 ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL 1000 label lines"; fi

# Before the windows' own labels: estimated, calibrated, no realised accuracy yet; the drop fires cbpe (exit 1).
check "serve: cbpe fires" 1 "$mg" monitor serve --config "$tmp/monitor.yaml" --once --format json
cp "$tmp/out" "$tmp/first.json"
/usr/bin/python3 - "$tmp/first.json" >"$tmp/first.txt" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
route = report["performance"][0]
print("labels", report["labels"]["read"], report["labels"]["joined"], report["labels"]["errors"])
print("reference", route["reference_predictions"], route["reference_labelled"], route["calibrated"])
print("windows", len(route["windows"]), sum(w["labelled"] for w in route["windows"]))
print("estimated-equals-realised-on-reference",
      abs(route["reference_estimated_accuracy"] - route["reference_realised_accuracy"]) < 1e-9)
for w in route["windows"]:
    print("window", w["window"], "%.3f" % w["estimated_accuracy"], w["calibrated"])
firing = [s for s in report["signals"] if s["signal"] == "estimated_accuracy" and s["firing"].get("cbpe")]
print("cbpe firing", len(firing))
PY
expect_grep "labels read and joined" "labels 1000 1000 0" "$tmp/first.txt"
expect_grep "reference calibrated" "reference 1000 1000 True" "$tmp/first.txt"
expect_grep "six windows, no labels yet" "windows 6 0" "$tmp/first.txt"
expect_grep "isotonic keeps the mean" "estimated-equals-realised-on-reference True" "$tmp/first.txt"
expect_grep "cbpe firing" "cbpe firing 1" "$tmp/first.txt"

# The windows' labels arrive later (a JSONL file this time); the second run reads only what is new.
/usr/bin/python3 -c '
import json, sys
for line in list(open(sys.argv[1]))[1000:]:
    request_id, label = line.strip().split(",")
    print(json.dumps({"request_id": request_id, "label": int(label)}))' "$tmp/truth.csv" >"$tmp/later.jsonl"
check "later labels" 0 "$mg" monitor label --config "$tmp/monitor.yaml" --from "$tmp/later.jsonl"
check "serve again: still firing" 1 "$mg" monitor serve --config "$tmp/monitor.yaml" --once --format json
/usr/bin/python3 - "$tmp/out" "$tmp/truth.csv" >"$tmp/second.txt" <<'PY'
import json, sys
report = json.load(open(sys.argv[1]))
route = report["performance"][0]
truth = [line.strip().split(",") for line in open(sys.argv[2])]
print("events", report["events"], "labels", report["labels"]["read"])
# Each window's realised accuracy, recomputed here from the audit and the labels.
audit = [json.loads(line) for line in open(sys.argv[2].replace("truth.csv", "audit.jsonl"))]
for w in route["windows"]:
    rows = audit[1000 + 500 * w["window"]:1000 + 500 * (w["window"] + 1)]
    right = sum(1 for e, t in zip(rows, truth[1000 + 500 * w["window"]:]) if e["signals"]["predicted_class"] == int(t[1]))
    print("window", w["window"], w["labelled"], "%.4f" % w["realised_accuracy"], "%.4f" % (right / 500.0))
before = [w["estimated_accuracy"] for w in route["windows"] if w["window"] < 4]
after = [w["estimated_accuracy"] for w in route["windows"] if w["window"] >= 4]
print("estimate falls", max(after) < min(before))
PY
expect_grep "second run reads only what is new" "events 0 labels 3000" "$tmp/second.txt"
for w in 0 1 2 3 4 5; do
  expect_match "window $w realised" "^window $w 500 \([0-9.]*\) \1$" "$tmp/second.txt"
done
expect_grep "estimate falls with confidence" "estimate falls True" "$tmp/second.txt"
check "text summary" 1 "$mg" monitor serve --config "$tmp/monitor.yaml" --once
expect_match "text: estimated and realised" "predict: estimated accuracy reference 0\.[0-9]*, last window 0\.[0-9]* (calibrated on 1000 labels); realised 0\.[0-9]* on 500 labels of window 5" "$tmp/out"

# Hostile input: nothing is appended when anything is wrong.
lines_before=$(wc -l <"$tmp/labels.jsonl")
check "id with a space" 2 "$mg" monitor label --labels "$tmp/labels.jsonl" --id "a b" --label 1
expect_grep "id characters named" "A-Z a-z 0-9" "$tmp/err"
check "negative label" 2 "$mg" monitor label --labels "$tmp/labels.jsonl" --id abc --label -1
check "label not a number" 2 "$mg" monitor label --labels "$tmp/labels.jsonl" --id abc --label one
check "id too long" 2 "$mg" monitor label --labels "$tmp/labels.jsonl" --id "$(head -c 300 /dev/zero | tr '\0' a)" --label 1
check "neither --config nor --labels" 2 "$mg" monitor label --id abc --label 1
check "both --config and --labels" 2 "$mg" monitor label --config "$tmp/monitor.yaml" --labels "$tmp/x" --id abc --label 1
check "no id" 2 "$mg" monitor label --labels "$tmp/labels.jsonl" --label 1
printf 'request_id,label\nabc,1\ndef,two\nghi,0\n' >"$tmp/bad.csv"
check "one bad line: nothing appended" 2 "$mg" monitor label --labels "$tmp/labels.jsonl" --from "$tmp/bad.csv"
expect_grep "bad line named" "line 3" "$tmp/err"
printf 'id,class\nabc,1\n' >"$tmp/noheader.csv"
check "CSV without the columns" 2 "$mg" monitor label --labels "$tmp/labels.jsonl" --from "$tmp/noheader.csv"
: >"$tmp/none.csv"
check "empty --from" 2 "$mg" monitor label --labels "$tmp/labels.jsonl" --from "$tmp/none.csv"
check "--from is the labels file" 2 "$mg" monitor label --labels "$tmp/labels.jsonl" --from "$tmp/labels.jsonl"
check "--from missing" 2 "$mg" monitor label --labels "$tmp/labels.jsonl" --from "$tmp/missing.csv"
if [ "$(wc -l <"$tmp/labels.jsonl")" = "$lines_before" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL refused labels were appended"; fi
mkfifo "$tmp/fifo"
check "FIFO labels file refused" 2 timeout 10 "$mg" monitor label --labels "$tmp/fifo" --id abc --label 1
check "device labels file refused" 2 "$mg" monitor label --labels /dev/full --id abc --label 1
check "labels in a directory" 2 "$mg" monitor label --labels "$tmp" --id abc --label 1
printf 'audit: %s\n' "$tmp/audit.jsonl" >"$tmp/nolabels.yaml"
check "config without labels" 2 "$mg" monitor label --config "$tmp/nolabels.yaml" --id abc --label 1
expect_grep "missing key named" "names no labels file" "$tmp/err"
printf 'audit: %s\nlabels: %s\n' "$tmp/audit.jsonl" "$tmp/audit.jsonl" >"$tmp/same.yaml"
check "labels file is the audit" 2 "$mg" monitor serve --config "$tmp/same.yaml" --once
printf 'audit: %s\nlabels: %s\nstate: %s\n' "$tmp/audit.jsonl" "$tmp/l.jsonl" "$tmp/l.jsonl" >"$tmp/over.yaml"
check "state over the labels" 2 "$mg" monitor serve --config "$tmp/over.yaml" --once
# Label lines that are not labels are counted, not fatal.
printf '{"request_id":"abc","label":1}\nnot json\n{"request_id":"abc","label":-3}\n{"request_id":5,"label":1}\n' \
  >"$tmp/junk-labels.jsonl"
printf 'audit: %s\nlabels: %s\nreference_events: 1000\nwindow_events: 500\n' "$tmp/audit.jsonl" \
  "$tmp/junk-labels.jsonl" >"$tmp/junk.yaml"
check "junk label lines" 1 "$mg" monitor serve --config "$tmp/junk.yaml" --once
expect_grep "junk counted" "3 label lines refused" "$tmp/out"
lines_before=$(wc -l <"$tmp/labels.jsonl")
check "summary to a full stdout" 2 sh -c "\"\$0\" monitor label --labels \"\$1\" --id full-stdout --label 2 >/dev/full" "$mg" "$tmp/labels.jsonl"
expect_grep "full stdout said" "the labels were appended" "$tmp/err"
if [ "$(wc -l <"$tmp/labels.jsonl")" = $((lines_before + 1)) ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL the label before the full stdout"; fi
check "label --help has an example" 0 "$mg" monitor label --help
expect_grep "help example" "monitor label --config monitor.yaml --id" "$tmp/out"
finish
