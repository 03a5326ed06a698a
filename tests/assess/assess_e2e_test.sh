#!/usr/bin/env bash
# `modelguard harden` and `modelguard assess` end to end: a baseline and an adversarially trained model
# written as TorchScript (and loaded by Python's torch.jit.load), an assessment with report.json and
# report.html, exit codes, a black-box assessment of a live endpoint (tests/assess/model_server.py) with a
# query budget, and clear errors for bad input.
# usage: assess_e2e_test.sh MODELGUARD
set -u
mg=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/../e2e_lib.sh"
json() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$1" "$2"; }

# --- harden: a baseline and an adversarially trained model ----------------------------------------------
"$mg" harden train --data digits --epochs 20 --out "$tmp/base.pt" -q > "$tmp/base.json" 2> "$tmp/err"; rc=$?
expect harden-train-exit 0 "$rc"
"$mg" harden adversarial --model "$tmp/base.pt" --data digits --epsilon 0.1 --steps 5 --epochs 10 --out "$tmp/robust.pt" -q > "$tmp/robust.json" 2> "$tmp/err"; rc=$?
expect harden-adversarial-exit 0 "$rc"
expect harden-improves True "$(json "$tmp/robust.json" 'd["pgd"]["accuracy"] > d["pgd"]["accuracy_before"] + 0.2')"
expect harden-records-adversarial 0.1 "$(json "$tmp/robust.json" 'd["model"]["training"]["adversarial"]["epsilon"]')"
# What modelguard writes is ordinary TorchScript: Python's torch loads and runs it.
/usr/bin/python3 -c 'import sys,torch; m=torch.jit.load(sys.argv[1]); print(tuple(m(torch.zeros(2,64)).shape))' "$tmp/robust.pt" > "$tmp/py.out" 2>&1
expect python-loads-model "(2, 10)" "$(cat "$tmp/py.out")"

# --- assess a local model -------------------------------------------------------------------------------
quick=(--samples 100 --pgd-steps 10 --square-queries 100 --budget 400 --rounds 3 --members 100 --shadow-models 2)
"$mg" assess "$tmp/base.pt" --data digits "${quick[@]}" --report "$tmp/report" > "$tmp/out.txt" 2> "$tmp/progress.txt"; rc=$?
expect assess-high-risk-exit 1 "$rc"
expect_grep assess-prints-verdict 'evasion: high' "$tmp/out.txt"
expect_grep assess-shows-progress 'modelguard assess: evasion: pgd' "$tmp/progress.txt"
expect report-json-verdicts 3 "$(json "$tmp/report/report.json" 'len(d["verdicts"])')"
expect report-json-curves 5 "$(json "$tmp/report/report.json" 'len(d["evasion"]["curves"])')"
expect_grep report-html-svg '<svg' "$tmp/report/report.html"
expect report-html-no-script 0 "$(grep -c '<script' "$tmp/report/report.html")"
"$mg" assess "$tmp/robust.pt" --data digits --attacks evasion --evasion-attacks pgd --samples 200 --pgd-steps 10 --fail-on never --json -q > "$tmp/robust-assess.json"; rc=$?
expect assess-fail-on-never 0 "$rc"
"$mg" assess "$tmp/base.pt" --data digits --attacks evasion --evasion-attacks pgd --samples 200 --pgd-steps 10 --fail-on never --json -q > "$tmp/base-assess.json"
expect robust-model-more-robust True "$(/usr/bin/python3 -c '
import json,sys
r=json.load(open(sys.argv[1]))["evasion"]["curves"][0]["robust_accuracy"]; b=json.load(open(sys.argv[2]))["evasion"]["curves"][0]["robust_accuracy"]
print(dict(map(tuple,r))[0.1] > dict(map(tuple,b))[0.1] + 0.2)' "$tmp/robust-assess.json" "$tmp/base-assess.json")"
"$mg" assess "$tmp/base.pt" --data digits --attacks extraction --budget 400 --rounds 3 --api-output label --json -q --fail-on never > "$tmp/label.json"; rc=$?
expect assess-label-only-exit 0 "$rc"
expect_grep assess-label-only-described 'API returns label' "$tmp/label.json"

# --- black box: a live endpoint with a query budget ------------------------------------------------------
port=$((20000 + RANDOM % 20000))
/usr/bin/python3 "$here/model_server.py" "$tmp/base.pt" "$port" > "$tmp/server.out" 2>&1 &
pids+=($!)
for _ in $(seq 50); do grep -q ready "$tmp/server.out" 2>/dev/null && break; sleep 0.2; done
"$mg" assess "http://127.0.0.1:$port/predict" --data digits --attacks evasion,extraction --evasion-attacks square,hopskipjump \
  --samples 10 --square-queries 50 --budget 400 --rounds 3 --query-budget 200000 --json -q --fail-on never > "$tmp/remote.json" 2> "$tmp/remote.err"; rc=$?
expect remote-exit 0 "$rc"
expect remote-kind http "$(json "$tmp/remote.json" 'd["target_kind"]')"
expect remote-evasion-curves 2 "$(json "$tmp/remote.json" 'len(d["evasion"]["curves"])')"
expect remote-extraction-fidelity True "$(json "$tmp/remote.json" 'd["extraction"]["curves"][0]["fidelity"][-1][1] > 0.5')"
"$mg" assess "http://127.0.0.1:$port/predict" --data digits --attacks extraction --budget 400 --query-budget 100 -q > "$tmp/out" 2> "$tmp/budget.err"; rc=$?
expect remote-budget-exit 2 "$rc"
expect_grep remote-budget-says 'query budget of 100 samples spent' "$tmp/budget.err"

# --- the gateway's defences in front of the same endpoint ---------------------------------------------------
# prada (block) sees every sample the assessment sends: natural samples (knockoff) pass, JBDA's synthetic
# queries are refused once the alarm is up; output_hardening (label) leaves the attacker labels only.
cat > "$tmp/gateway.yaml" <<YAML
listen: 127.0.0.1:0
upstreams: {model: "127.0.0.1:$port"}
filters:
  api_key: {keys: [{id: natural, sha256: $(printf 'key-natural' | "$mg" gateway hash-key -)}, {id: jbda, sha256: $(printf 'key-jbda' | "$mg" gateway hash-key -)}]}
  prada: {action: block}
  output_hardening: {mode: label}
routes:
  - {name: guarded, path: /guarded, type: json, upstream: model, filters: [api_key, prada]}
  - {name: labels, path: /labels, type: json, upstream: model, filters: [output_hardening]}
audit: {jsonl: $tmp/audit.jsonl}
YAML
"$mg" gateway serve --config "$tmp/gateway.yaml" 2> "$tmp/gateway.err" & pids+=($!)
for _ in $(seq 1 100); do grep -q "listening on" "$tmp/gateway.err" && break; sleep 0.1; done
gw_port=$(sed -n 's/.*"msg":"listening on [0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/gateway.err" | head -1)
"$mg" assess "http://127.0.0.1:$gw_port/guarded" --data digits --attacks extraction --extraction-methods knockoff --budget 400 --rounds 3 \
  --header 'Authorization: Bearer key-natural' --json -q --fail-on never > "$tmp/knockoff.json" 2> "$tmp/knockoff.err"; rc=$?
expect prada-lets-natural-queries-through 0 "$rc"
"$mg" assess "http://127.0.0.1:$gw_port/guarded" --data digits --attacks extraction --extraction-methods jbda --budget 3200 \
  --header 'Authorization: Bearer key-jbda' --json -q --fail-on never > "$tmp/jbda.json" 2> "$tmp/jbda.err"; rc=$?
expect prada-stops-jbda-exit 2 "$rc"
expect_grep prada-stops-jbda-403 'answered 403.*extraction_suspected' "$tmp/jbda.err"
expect_grep prada-audited 'block:extraction_suspected' "$tmp/audit.jsonl"
# How far JBDA got: samples the jbda key sent before the alarm (its 450 evaluation samples come first).
admitted=$(/usr/bin/python3 -c '
import json,sys
events=[json.loads(l) for l in open(sys.argv[1])]
flag=[i for i,e in enumerate(events) if e.get("key_id")=="jbda" and e["verdicts"].get("prada","").startswith("flag")]
print(sum(1 for e in events[:flag[0]] if e.get("key_id")=="jbda") if flag else -1)' "$tmp/audit.jsonl")
echo "prada: the jbda key's alarm came with its request number $((admitted + 1)) (64 samples each, the first 8 are natural)"
curl -s "http://127.0.0.1:$gw_port/metrics" > "$tmp/metrics"
expect_grep prada-flag-metric 'modelguard_gateway_flags_total{filter="prada",reason="extraction_suspected"} 1' "$tmp/metrics"
expect_grep prada-block-metric 'modelguard_gateway_blocks_total{filter="prada",reason="extraction_suspected"} 1' "$tmp/metrics"
expect prada-natural-key-never-flagged 0 "$(grep '"key_id":"natural"' "$tmp/audit.jsonl" | grep -c 'extraction_suspected')"
"$mg" assess "http://127.0.0.1:$gw_port/labels" --data digits --attacks extraction --extraction-methods knockoff --budget 200 --rounds 2 \
  --json -q --fail-on never > "$tmp/labels.json" 2> "$tmp/labels.err"; rc=$?
expect label-only-endpoint-exit 0 "$rc"
curl -s -X POST -d '{"inputs":[[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]]}' \
  "http://127.0.0.1:$gw_port/labels" > "$tmp/labels.body"
expect_grep label-only-answer '"labels":\[' "$tmp/labels.body"
expect label-only-no-scores 0 "$(grep -c probabilities "$tmp/labels.body")"

# --- bad input: clear errors, exit 2 ---------------------------------------------------------------------
printf 'PK\003\004garbage' > "$tmp/junk.pt"
"$mg" assess "$tmp/junk.pt" --data digits 2> "$tmp/err"; rc=$?
expect junk-model-exit 2 "$rc"
expect_grep junk-model-says 'not a loadable TorchScript model' "$tmp/err"
"$mg" assess "$tmp/base.pt" --data nonsense 2> "$tmp/err"; rc=$?
expect bad-data-exit 2 "$rc"
expect_grep bad-data-says "unknown dataset 'nonsense'" "$tmp/err"
"$mg" assess "$tmp/base.pt" --data iris --attacks evasion 2> "$tmp/err"; rc=$?
expect mismatched-data-exit 2 "$rc"
"$mg" assess "$tmp/base.pt" --data digits --api-output top-0 2> "$tmp/err"; rc=$?
expect bad-api-output-exit 2 "$rc"
"$mg" harden adversarial --data digits --out "$tmp/x.pt" --epsilon 0 2> "$tmp/err"; rc=$?
expect harden-zero-epsilon-exit 2 "$rc"
"$mg" assess --help > "$tmp/help" 2>&1; rc=$?
expect help-exit 0 "$rc"
expect_grep help-lists-budget '--budget' "$tmp/help"

echo "assess e2e: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
