#!/usr/bin/env bash
# modelguard monitor serve through the CLI, on audit files in the gateway's format: --once finds a planted
# drift (exit 1), posts each alert to a webhook that fails first (retried, same Idempotency-Key), keeps its
# state (a second run reads nothing twice and repeats no alert), resolves when the traffic is normal again;
# the daemon serves Prometheus metrics that follow appended events and saves its state on SIGTERM; hostile
# input (bad configuration, FIFO, missing audit, broken state, outputs over inputs, a full stdout, a dead
# webhook).
# Usage: monitor_serve_cli_test.sh MODELGUARD
set -u
mg=$1
source "$(dirname "$0")/../tools/check_lib.sh"

# Audit events as the gateway writes them: route chat, keys k1/k2, latency, a refusal flag, a finish reason.
cat >"$tmp/gen.py" <<'PY'
import json, math, random, sys
path, n, seed, shift, refusal = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
rng = random.Random(seed)
with open(path, "a") as f:
    for i in range(n):
        event = {"time": 1796000000000 + i, "key_id": "k1" if i % 2 else "k2", "route": "chat", "method": "POST",
                 "path": "/v1/chat/completions", "model": "m", "status": 200,
                 "latency_ms": round(math.exp(5 + 0.5 * (rng.gauss(0, 1) + shift)), 3),
                 "signals": {"refusal": rng.random() < refusal,
                             "finish_reason": rng.choice(["stop"] * 8 + ["length"] * 2)}}
        f.write(json.dumps(event) + "\n")
PY
gen() { /usr/bin/python3 "$tmp/gen.py" "$@"; }

# A webhook receiver: records each request (headers and body) and answers 500 to the first, 200 after.
cat >"$tmp/hook.py" <<'PY'
import http.server, json, sys
log = sys.argv[1]
count = [0]
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        count[0] += 1
        status = 500 if count[0] == 1 else 200
        with open(log, "a") as f:
            f.write(json.dumps({"status": status, "key": self.headers.get("Idempotency-Key"),
                                "auth": self.headers.get("Authorization"), "body": json.loads(body)}) + "\n")
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
print(server.server_address[1], flush=True)
server.serve_forever()
PY
/usr/bin/python3 "$tmp/hook.py" "$tmp/hook.log" >"$tmp/hook.port" &
hook_pid=$!
trap 'kill $hook_pid 2>/dev/null; rm -rf "$tmp"' EXIT
for _ in $(seq 50); do [ -s "$tmp/hook.port" ] && break; sleep 0.1; done
hook_port=$(cat "$tmp/hook.port")

gen "$tmp/audit.jsonl" 2000 1 0 0.1    # the reference: the route's first 2,000 events
gen "$tmp/audit.jsonl" 1000 2 0 0.1    # normal
gen "$tmp/audit.jsonl" 1000 3 0.6 0.3  # drift: latency up 0.6 sd, refusals tripled
export MODELGUARD_TEST_HOOK_TOKEN="Bearer hook-secret"
cat >"$tmp/monitor.yaml" <<EOF
audit: $tmp/audit.jsonl
reference_events: 2000
window_events: 250
false_alarm_rate: 0.001
per_key: false
state: $tmp/state.json
alert_log: $tmp/alerts.jsonl
webhooks:
  - url: http://127.0.0.1:$hook_port/alerts
    authorization_env: MODELGUARD_TEST_HOOK_TOKEN
    attempts: 4
    backoff_ms: 50
EOF

check "--help has an example" 0 "$mg" monitor serve --help
expect_grep "help example" "monitor serve --config monitor.yaml" "$tmp/out"
check "drift: exit 1" 1 "$mg" monitor serve --config "$tmp/monitor.yaml" --once --format json --report "$tmp/report"
cp "$tmp/out" "$tmp/first.json"
# The report: report.json is the summary with the windows' history; report.html charts it, alarms ringed.
/usr/bin/python3 - "$tmp/first.json" "$tmp/report/report.json" "$tmp/report/report.html" <<'PY' ||
import json, sys
summary, report = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert summary == report, "report.json is the summary"
html = open(sys.argv[3]).read()
history = {h["signal"]: h for h in report["history"]}
latency = history["latency_ms"]["windows"]
assert len(latency) == 8, len(latency)  # (4,000 - 2,000 reference events) / 250
assert not any(w["alarms"] for w in latency[:4]), latency[:4]  # normal traffic
assert all("cusum" in w["alarms"] for w in latency[4:]), latency[4:]  # latency up 0.6 sd
reason = history["signals.finish_reason"]
assert reason["category"] == "stop" and abs(reason["reference_value"] - 0.8) < 0.03, reason
assert all(abs(w["value"] - 0.8) < 0.1 for w in reason["windows"]), reason["windows"]
alarmed = sum(1 for h in report["history"] for w in h["windows"] if w["alarms"])
assert html.count('class="alarm"') == alarmed, (html.count('class="alarm"'), alarmed)
bars = [h for h in report["history"] if h["distribution"]["bins"]]
assert len(bars) == 4, [h["signal"] for h in bars]  # latency, refusal, finish reason, status class
for h in bars:
    d = h["distribution"]
    assert abs(sum(d["reference_shares"]) - 1) < 1e-9 and abs(sum(d["last_window_shares"]) - 1) < 1e-9, d
assert "stop" in history["signals.finish_reason"]["distribution"]["bins"]
assert html.count("<svg") == len(report["history"]) + len(bars), html.count("<svg")
assert "<script" not in html and "src=" not in html and "href=\"http" not in html
PY
{ echo "FAIL report content"; fail=$((fail+1)); }
pass=$((pass+1))
/usr/bin/python3 - "$tmp/first.json" "$tmp/alerts.jsonl" "$tmp/hook.log" <<'PY' || { echo "FAIL first run content"; fail=$((fail+1)); }
import json, sys
d = json.load(open(sys.argv[1]))
assert d["schema"] == "modelguard.monitor-serve/v1" and d["events"] == 4000 and d["firing"], d
firing = {(s["signal"], k) for s in d["signals"] for k, on in s["firing"].items() if on}
assert ("latency_ms", "cusum") in firing and ("signals.refusal", "test") in firing, firing
assert not any(sig == "signals.finish_reason" for sig, _ in firing), firing
alerts = [json.loads(l) for l in open(sys.argv[2])]
assert alerts and all(a["schema"] == "modelguard.monitor-alert/v1" for a in alerts), alerts
# Every alert fired after the drift started (events 3000 on: time >= 1796000000000 of the third file).
assert all(a["status"] == "firing" for a in alerts), alerts
hooks = [json.loads(l) for l in open(sys.argv[3])]
assert hooks[0]["status"] == 500, hooks[0]
assert any(h["key"] == hooks[0]["key"] and h["status"] == 200 for h in hooks[1:]), hooks  # retried, same key
delivered = {h["key"] for h in hooks if h["status"] == 200}
assert delivered == {a["id"] + "-firing" for a in alerts}, (delivered, alerts)
assert all(h["auth"] == "Bearer hook-secret" for h in hooks), hooks
PY
pass=$((pass+1))
expect_grep "state written" "modelguard.monitor-serve-state/v1" "$tmp/state.json"
if grep -q '"prompt\|"content' "$tmp/state.json" "$tmp/alerts.jsonl"; then echo "FAIL text in state"; fail=$((fail+1)); else pass=$((pass+1)); fi

# A second run continues from the state: nothing new read, nothing announced again, still firing.
lines_before=$(wc -l <"$tmp/hook.log")
check "resume: still firing" 1 "$mg" monitor serve --config "$tmp/monitor.yaml" --once
expect_grep "nothing read twice" "0 events read" "$tmp/out"
expect_grep "resume note" "resuming at byte" "$tmp/err"
[ "$(wc -l <"$tmp/hook.log")" = "$lines_before" ] && pass=$((pass+1)) || { echo "FAIL alerts repeated"; fail=$((fail+1)); }

# Normal traffic again: every alert is resolved, with the id it fired with.
gen "$tmp/audit.jsonl" 3000 4 0 0.1
check "resolved: exit 0" 0 "$mg" monitor serve --config "$tmp/monitor.yaml" --once
expect_grep "3000 events" "3000 events read" "$tmp/out"
/usr/bin/python3 - "$tmp/alerts.jsonl" <<'PY' || { echo "FAIL resolve content"; fail=$((fail+1)); }
import json, sys
alerts = [json.loads(l) for l in open(sys.argv[1])]
fired = {a["id"] for a in alerts if a["status"] == "firing"}
resolved = {a["id"] for a in alerts if a["status"] == "resolved"}
assert fired and fired == resolved, (fired, resolved)
PY
pass=$((pass+1))

# The daemon: metrics follow appended events; SIGTERM saves the state and exits 0.
cat >"$tmp/daemon.yaml" <<EOF
audit: $tmp/audit.jsonl
reference_events: 2000
window_events: 250
state: $tmp/daemon-state.json
metrics: 127.0.0.1:0
poll_ms: 20
EOF
"$mg" monitor serve --config "$tmp/daemon.yaml" >"$tmp/daemon.out" 2>"$tmp/daemon.err" &
daemon=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's|.*metrics on http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$tmp/daemon.err")
  [ -n "$port" ] && break
  sleep 0.1
done
metric() { curl -s "http://127.0.0.1:$port/metrics" | sed -n "s/^modelguard_monitor_events_total //p"; }
for _ in $(seq 100); do [ "$(metric)" = 7000 ] && break; sleep 0.1; done
[ "$(metric)" = 7000 ] && pass=$((pass+1)) || { echo "FAIL metrics: $(metric) events, want 7000"; fail=$((fail+1)); }
gen "$tmp/audit.jsonl" 500 5 0 0.1
for _ in $(seq 100); do [ "$(metric)" = 7500 ] && break; sleep 0.1; done
[ "$(metric)" = 7500 ] && pass=$((pass+1)) || { echo "FAIL metrics after append: $(metric)"; fail=$((fail+1)); }
curl -s "http://127.0.0.1:$port/metrics" >"$tmp/metrics.txt"
expect_grep "route gauge" 'modelguard_monitor_reference_complete{route="chat"} 1' "$tmp/metrics.txt"
expect_match "threshold gauge" '^modelguard_monitor_threshold{route="chat",signal="latency_ms",detector="cusum"} [0-9]' "$tmp/metrics.txt"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/nope")" = 404 ] && pass=$((pass+1)) || { echo "FAIL 404"; fail=$((fail+1)); }
[ "$(curl -s -o /dev/null -w '%{http_code}' -X POST "http://127.0.0.1:$port/metrics")" = 405 ] && pass=$((pass+1)) || { echo "FAIL 405"; fail=$((fail+1)); }
kill -TERM $daemon
wait $daemon
code=$?
[ "$code" = 0 ] && pass=$((pass+1)) || { echo "FAIL daemon exit $code"; cat "$tmp/daemon.err"; fail=$((fail+1)); }
/usr/bin/python3 - "$tmp/daemon-state.json" "$tmp/audit.jsonl" <<'PY' || { echo "FAIL daemon state"; fail=$((fail+1)); }
import json, os, sys
s = json.load(open(sys.argv[1]))
assert s["position"]["offset"] == os.path.getsize(sys.argv[2]), (s["position"], os.path.getsize(sys.argv[2]))
assert s["monitor"]["events"] == 7500, s["monitor"]["events"]
PY
pass=$((pass+1))

# A reference file instead of each route's first events.
head -2000 "$tmp/audit.jsonl" >"$tmp/reference.jsonl"
sed -n '2001,4000p' "$tmp/audit.jsonl" >"$tmp/current.jsonl"
cat >"$tmp/ref.yaml" <<EOF
audit: $tmp/current.jsonl
reference_file: $tmp/reference.jsonl
window_events: 250
per_key: false
EOF
check "reference file: drift found" 1 "$mg" monitor serve --config "$tmp/ref.yaml" --once
expect_grep "reference note" "reference: 2000 events" "$tmp/err"

# Hostile input.
check "missing config" 2 "$mg" monitor serve --config "$tmp/none.yaml" --once
printf 'audit: a.jsonl\nwindow_events: [1\n' >"$tmp/broken.yaml"
check "broken YAML" 2 "$mg" monitor serve --config "$tmp/broken.yaml" --once
expect_grep "names the file" "broken.yaml:" "$tmp/err"
printf 'audit: %s\nwindow: 5\n' "$tmp/audit.jsonl" >"$tmp/unknown.yaml"
check "unknown key" 2 "$mg" monitor serve --config "$tmp/unknown.yaml" --once
expect_grep "file:line" "unknown.yaml:2: window: unknown key" "$tmp/err"
mkfifo "$tmp/fifo"
printf 'audit: %s\n' "$tmp/fifo" >"$tmp/fifo.yaml"
check "FIFO audit" 2 timeout 10 "$mg" monitor serve --config "$tmp/fifo.yaml" --once
expect_grep "FIFO refused" "not a regular file" "$tmp/err"
printf 'audit: %s\n' "$tmp/missing.jsonl" >"$tmp/missing.yaml"
check "missing audit" 2 "$mg" monitor serve --config "$tmp/missing.yaml" --once
printf 'audit: %s\nstate: %s\n' "$tmp/audit.jsonl" "$tmp/audit.jsonl" >"$tmp/over.yaml"
check "state over the audit" 2 "$mg" monitor serve --config "$tmp/over.yaml" --once
expect_grep "input named" "is an input" "$tmp/err"
head -c 100 "$tmp/state.json" >"$tmp/cut-state.json"
printf 'audit: %s\nstate: %s\n' "$tmp/audit.jsonl" "$tmp/cut-state.json" >"$tmp/cut.yaml"
check "cut state" 2 "$mg" monitor serve --config "$tmp/cut.yaml" --once
expect_grep "state named" "not a monitor state" "$tmp/err"
: >"$tmp/empty.jsonl"
printf 'audit: %s\n' "$tmp/empty.jsonl" >"$tmp/empty.yaml"
check "empty audit: nothing firing" 0 "$mg" monitor serve --config "$tmp/empty.yaml" --once
expect_grep "empty summary" "0 events read" "$tmp/out"
printf 'not json\n{"route": 5}\n' >"$tmp/junk.jsonl"
printf 'audit: %s\n' "$tmp/junk.jsonl" >"$tmp/junk.yaml"
check "junk lines counted" 0 "$mg" monitor serve --config "$tmp/junk.yaml" --once
expect_grep "junk counted" "1 lines that are not audit events" "$tmp/out"
check "full stdout" 2 "$mg" monitor serve --config "$tmp/empty.yaml" --once -o /dev/full
check "output over the config" 2 "$mg" monitor serve --config "$tmp/empty.yaml" --once -o "$tmp/empty.yaml"
# A webhook nobody answers: given up after its attempts, exit 2, and the state keeps nothing undelivered twice.
cat >"$tmp/dead.yaml" <<EOF
audit: $tmp/current.jsonl
reference_file: $tmp/reference.jsonl
window_events: 250
per_key: false
webhooks:
  - url: http://127.0.0.1:1/alerts
    attempts: 2
    backoff_ms: 10
    timeout_ms: 500
EOF
check "dead webhook: exit 2" 2 "$mg" monitor serve --config "$tmp/dead.yaml" --once
expect_grep "given up" "given up after 2 attempts" "$tmp/err"
finish
