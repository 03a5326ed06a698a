#!/usr/bin/env bash
# `modelguard data audit` end to end through the main binary (which hands `data audit` to modelguard-assess):
# a digits NPY pair with a BadNets patch on 5 % of the samples, a CNN trained on it by `modelguard harden
# train`, the audit's exit code, JSON, report, cleaned NPY copy and removed.json; a clean twin that exits 0;
# and clear errors (exit 2) for hostile input.
# usage: data_audit_e2e_test.sh MODELGUARD
set -u
mg=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e_lib.sh"
json() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$1" "$2"; }

# --- fixtures: poisoned and clean digits as NPY (images 1 x 8 x 8 in [0, 1]), an empty pair -------------
/usr/bin/python3 - "$tmp" <<'PY'
import sys
import numpy as np
from sklearn.datasets import load_digits
out = sys.argv[1]
d = load_digits()
x = (d.data / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)
y = d.target.astype(np.int64)
np.save(out + "/clean_x.npy", x); np.save(out + "/clean_y.npy", y)
rng = np.random.default_rng(5)
poison = np.sort(rng.choice(np.where(y != 0)[0], size=int(0.05 * len(y)), replace=False))
x = x.copy(); y = y.copy()
x[poison, :, 4:, 4:] = 1.0  # a 4 x 4 patch in the bottom-right corner, relabelled to class 0
y[poison] = 0
np.save(out + "/x.npy", x); np.save(out + "/y.npy", y); np.save(out + "/poison.npy", poison)
trusted = (d.data[:300] / 16.0).astype(np.float32).reshape(-1, 1, 8, 8)  # unpoisoned copies
np.save(out + "/trusted_x.npy", trusted); np.save(out + "/trusted_y.npy", d.target[:300].astype(np.int64))
np.save(out + "/small_x.npy", np.zeros((20, 1, 7, 7), np.float32)); np.save(out + "/small_y.npy", np.arange(20) % 10)
np.save(out + "/empty_x.npy", np.zeros((0, 1, 8, 8), np.float32)); np.save(out + "/empty_y.npy", np.zeros(0, np.int64))
PY
data="npy:$tmp/x.npy,$tmp/y.npy"
"$mg" harden train --data "$data" --arch cnn --train-fraction 0.9 --epochs 30 --out "$tmp/m.pt" -q > /dev/null 2> "$tmp/err"; rc=$?
expect harden-train-poisoned-exit 0 "$rc"
"$mg" harden train --data "npy:$tmp/clean_x.npy,$tmp/clean_y.npy" --arch cnn --train-fraction 0.9 --epochs 30 --out "$tmp/clean.pt" -q > /dev/null 2> "$tmp/err"; rc=$?
expect harden-train-clean-exit 0 "$rc"

# --- the audit: exit 1, JSON, report, cleaned copy ---------------------------------------------------------
"$mg" data audit "$data" --model "$tmp/m.pt" --report "$tmp/report" --write-clean "$tmp/cleaned" --format json --top 200 > "$tmp/audit.json" 2> "$tmp/progress"; rc=$?
expect audit-flags-exit 1 "$rc"
expect_grep audit-progress 'modelguard data audit: clustering' "$tmp/progress"
expect audit-schema modelguard.data-audit/v1 "$(json "$tmp/audit.json" 'd["schema"]')"
expect audit-methods "spectral,clustering,cleanse" "$(json "$tmp/audit.json" '",".join(m["name"] for m in d["methods"])')"
expect audit-samples 1797 "$(json "$tmp/audit.json" 'd["samples"]')"
expect audit-order file "$(json "$tmp/audit.json" 'd["sample_order"]')"
expect audit-class-0-poisoned True "$(json "$tmp/audit.json" '[c["poisoned"] for c in d["methods"][1]["details"]["classes"]] == [True] + [False] * 9')"
# Removing 1.5x the poison count by the combined rank finds every poisoned sample.
found=$(/usr/bin/python3 -c '
import json, sys, numpy as np
d = json.load(open(sys.argv[1])); poison = set(np.load(sys.argv[2]).tolist())
top = [s["index"] for s in d["ranked"]][: int(1.5 * len(poison))]
print(len(poison & set(top)) / len(poison) >= 0.95)' "$tmp/audit.json" "$tmp/poison.npy")
expect audit-finds-poison True "$found"
expect ranked-fields "index,class,rank,combined,scores,flagged_by" "$(json "$tmp/audit.json" '",".join(d["ranked"][0].keys())')"
# removed.json: every flagged sample (the default), with its class, scores and rank; the cleaned pair lacks them.
flagged=$(json "$tmp/audit.json" 'd["flagged_samples"]')
expect removed-count "$flagged" "$(json "$tmp/cleaned/removed.json" 'd["removed_count"]')"
expect removed-fields "index,class,rank,combined,scores,flagged_by" "$(json "$tmp/cleaned/removed.json" '",".join(d["removed"][0].keys())')"
shapes=$(/usr/bin/python3 -c '
import sys, numpy as np
x = np.load(sys.argv[1] + "/features.npy"); y = np.load(sys.argv[1] + "/labels.npy")
print(x.shape, x.dtype, y.shape, y.dtype)' "$tmp/cleaned")
kept=$((1797 - flagged))
expect cleaned-shapes "($kept, 1, 8, 8) float32 ($kept,) int64" "$shapes"
# The cleaned pair is a dataset modelguard reads again.
"$mg" data audit "npy:$tmp/cleaned/features.npy,$tmp/cleaned/labels.npy" --model "$tmp/m.pt" --methods spectral -q > "$tmp/again.txt"; rc=$?
expect cleaned-reloads "0 or 1" "$([ "$rc" -le 1 ] && echo "0 or 1" || echo "$rc")"
expect_grep report-html-svg '<svg' "$tmp/report/report.html"
expect_grep report-html-samples 'Most suspicious samples' "$tmp/report/report.html"
expect report-html-no-script 0 "$(grep -c '<script' "$tmp/report/report.html")"
expect report-json-schema modelguard.data-audit/v1 "$(json "$tmp/report/report.json" 'd["schema"]')"
# --remove-top K removes exactly K. (The runs below name the activation methods: Neural Cleanse's trigger
# search is most of a default audit's time, and the first audit above already ran it.)
"$mg" data audit "$data" --model "$tmp/m.pt" --methods spectral,clustering --remove-top 10 --write-clean "$tmp/top10" -q > "$tmp/out.txt"; rc=$?
expect remove-top-exit 1 "$rc"
expect remove-top-count 10 "$(json "$tmp/top10/removed.json" 'd["removed_count"]')"
expect_grep text-output 'clustering: [0-9]* samples flagged (poisoned classes: 0)' "$tmp/out.txt"

# --- STRIP with a trusted clean set (--clean): calibrated on it, and it is listed as an input -----------------
"$mg" data audit "$data" --model "$tmp/m.pt" --methods strip --clean "npy:$tmp/trusted_x.npy,$tmp/trusted_y.npy" --format json > "$tmp/strip.json" 2> "$tmp/progress"; rc=$?
expect strip-clean-exit 1 "$rc"
expect strip-calibration "clean samples 300" "$(json "$tmp/strip.json" 'd["methods"][0]["details"]["calibration"]["source"] + " " + str(d["methods"][0]["details"]["calibration"]["samples"])')"
expect_grep strip-clean-progress '300 trusted clean samples' "$tmp/progress"
"$mg" data audit "$data" --model "$tmp/m.pt" --methods strip --clean "npy:$tmp/small_x.npy,$tmp/small_y.npy" > /dev/null 2> "$tmp/err"; rc=$?
expect strip-clean-mismatch-exit 2 "$rc"
expect_grep strip-clean-mismatch-message '\-\-clean: its samples have 49 values' "$tmp/err"
"$mg" data audit "$data" --model "$tmp/m.pt" --methods strip --clean "npy:$tmp/missing_x.npy,$tmp/trusted_y.npy" > /dev/null 2> "$tmp/err"; rc=$?
expect strip-clean-missing-exit 2 "$rc"
expect_grep strip-clean-missing-message 'missing_x.npy' "$tmp/err"

# --- the clean twin: nothing flagged, exit 0 (Neural Cleanse on a clean model: PoisoningCleanseTest) ------
"$mg" data audit "npy:$tmp/clean_x.npy,$tmp/clean_y.npy" --model "$tmp/clean.pt" --methods spectral,clustering -q > "$tmp/clean.txt"; rc=$?
expect clean-exit 0 "$rc"
expect_grep clean-text '0 of 1797 samples flagged' "$tmp/clean.txt"

# --- hostile input: exit 2 with a clear message ------------------------------------------------------------
"$mg" data audit "$data" --model "$tmp/missing.pt" > /dev/null 2> "$tmp/err"; rc=$?
expect missing-model-exit 2 "$rc"
expect_grep missing-model-message 'missing.pt' "$tmp/err"
"$mg" data audit "$data" > /dev/null 2> "$tmp/err"; rc=$?
expect no-model-exit 2 "$rc"
expect_grep no-model-message '\-\-model' "$tmp/err"
"$mg" data audit "$data" --model "$tmp/m.pt" --methods spectral,nonsense > /dev/null 2> "$tmp/err"; rc=$?
expect bad-method-exit 2 "$rc"
expect_grep bad-method-message "unknown method 'nonsense'" "$tmp/err"
cp "$tmp/x.npy" "$tmp/x-backup.npy"
"$mg" data audit "$data" --model "$tmp/m.pt" --write-clean "$tmp/x.npy" > /dev/null 2> "$tmp/err"; rc=$?
expect clean-over-input-exit 2 "$rc"
expect_grep clean-over-input-message 'not a directory' "$tmp/err"
"$mg" data audit "$data" --model "$tmp/m.pt" --report "$tmp/x.npy" > /dev/null 2> "$tmp/err"; rc=$?
expect report-over-input-exit 2 "$rc"
expect input-untouched 0 "$(cmp -s "$tmp/x.npy" "$tmp/x-backup.npy"; echo $?)"
# An output directory whose features.npy is the input itself (by a link) is refused too.
mkdir -p "$tmp/linked" && ln -s "$tmp/x.npy" "$tmp/linked/features.npy"
"$mg" data audit "$data" --model "$tmp/m.pt" --write-clean "$tmp/linked" > /dev/null 2> "$tmp/err"; rc=$?
expect clean-through-link-exit 2 "$rc"
expect_grep clean-through-link-message 'over the input' "$tmp/err"
"$mg" data audit "npy:$tmp/empty_x.npy,$tmp/empty_y.npy" --model "$tmp/m.pt" > /dev/null 2> "$tmp/err"; rc=$?
expect empty-dataset-exit 2 "$rc"
expect_grep empty-dataset-message 'no samples' "$tmp/err"
"$mg" data audit "npy:$tmp/x.npy" --model "$tmp/m.pt" > /dev/null 2> "$tmp/err"; rc=$?
expect one-npy-exit 2 "$rc"
"$mg" data audit "$data" --model "$tmp/x.npy" > /dev/null 2> "$tmp/err"; rc=$?
expect not-a-model-exit 2 "$rc"
expect_grep not-a-model-message 'not a loadable TorchScript model' "$tmp/err"
"$mg" data audit "$data" --model "$tmp/m.pt" --remove-top 5 > /dev/null 2> "$tmp/err"; rc=$?
expect remove-top-needs-write-clean 2 "$rc"
"$mg" data audit "$data" --model "$tmp/m.pt" --layer nosuchlayer > /dev/null 2> "$tmp/err"; rc=$?
expect bad-layer-exit 2 "$rc"
expect_grep bad-layer-message 'nosuchlayer' "$tmp/err"
"$mg" data audit --help > "$tmp/help"; rc=$?
expect help-exit 0 "$rc"
expect_grep help-lists-methods 'spectral: Spectral signatures' "$tmp/help"

echo "data audit e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
