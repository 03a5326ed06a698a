#!/usr/bin/env bash
# End to end: the real gateway writes its audit in front of a local upstream (tests/gateway/upstream.py) while
# `monitor serve` follows that audit live. Traffic is normal (one refusal in ten), then a jailbreak-like
# campaign makes the model refuse six times in ten, then traffic is normal again. A local webhook receiver
# must get exactly one alert and one resolve for it, with the same id, and /metrics must show the drift gauge
# going to 1 and back to 0. SIGTERM stops the monitor with exit 0 and its state saved.
# Usage: monitor_gateway_e2e_test.sh MODELGUARD
set -u
mg=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../tools/check_lib.sh"
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
wait_for() { for _ in $(seq 1 300); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }

/usr/bin/python3 "$here/../gateway/upstream.py" "$tmp/up.port" & pids+=($!)
wait_for "$tmp/up.port" || { echo "upstream did not start"; exit 1; }
# The webhook receiver: appends each message (its Idempotency-Key and body) as a line.
cat >"$tmp/hook.py" <<'PY'
import http.server, json, sys
class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))))
        with open(sys.argv[1], "a") as f:
            f.write(json.dumps({"key": self.headers.get("Idempotency-Key"), "body": body}) + "\n")
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", 0), Hook)
open(sys.argv[2], "w").write(str(server.server_address[1]))
server.serve_forever()
PY
/usr/bin/python3 "$tmp/hook.py" "$tmp/hook.log" "$tmp/hook.port" & pids+=($!)
wait_for "$tmp/hook.port" || { echo "webhook receiver did not start"; exit 1; }

cat >"$tmp/gw.yaml" <<YAML
listen: 127.0.0.1:0
threads: 2
upstreams: {model: "127.0.0.1:$(cat "$tmp/up.port")"}
routes:
  - {name: chat, path: /v1/chat/completions, upstream: model}
audit: {jsonl: $tmp/audit.jsonl}
YAML
"$mg" gateway serve --config "$tmp/gw.yaml" 2>"$tmp/gw.err" & pids+=($!)
for _ in $(seq 1 300); do grep -q "listening on" "$tmp/gw.err" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*"msg":"listening on [0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/gw.err" | head -1)
[ -n "$port" ] || { echo "gateway did not start:"; cat "$tmp/gw.err"; exit 1; }

# One detector on one signal, so the campaign is exactly one alert: the refusal rate's window test.
cat >"$tmp/monitor.yaml" <<YAML
audit: $tmp/audit.jsonl
reference_events: 200
window_events: 100
false_alarm_rate: 0.001
detectors: [test]
signals: [signals.refusal]
per_key: false
resolve_after: 1
poll_ms: 20
metrics: 127.0.0.1:0
state: $tmp/state.json
webhooks:
  - url: http://127.0.0.1:$(cat "$tmp/hook.port")/alerts
YAML
"$mg" monitor serve --config "$tmp/monitor.yaml" 2>"$tmp/monitor.err" &
monitor_pid=$!
pids+=($monitor_pid)
for _ in $(seq 1 300); do grep -q "metrics on" "$tmp/monitor.err" 2>/dev/null && break; sleep 0.1; done
metrics_port=$(sed -n 's|.*metrics on http://127.0.0.1:\([0-9]*\)/metrics.*|\1|p' "$tmp/monitor.err" | head -1)
[ -n "$metrics_port" ] || { echo "monitor did not start:"; cat "$tmp/monitor.err"; exit 1; }

# N chat requests over one keep-alive connection, REFUSALS of every ten prompts asking for a refusal.
send() {
  /usr/bin/python3 - "$port" "$1" "$2" <<'PY'
import http.client, json, sys
port, n, refusals = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
for i in range(n):
    text = "refuse" if i % 10 < refusals else "hello %d" % i
    body = json.dumps({"model": "m", "messages": [{"role": "user", "content": text}]})
    connection.request("POST", "/v1/chat/completions", body, {"Content-Type": "application/json"})
    answer = connection.getresponse()
    answer.read()
    assert answer.status == 200, answer.status
    assert len(answer.getheader("X-Modelguard-Request-Id", "")) == 32
PY
}
metric() {  # the value of the first series starting with $1, or "none"
  curl -s "http://127.0.0.1:$metrics_port/metrics" | awk -v series="$1" 'index($0, series) == 1 { print $NF; found = 1; exit }
    END { if (!found) print "none" }'
}
wait_events() {  # until the monitor has read $1 events
  for _ in $(seq 1 600); do [ "$(metric modelguard_monitor_events_total)" = "$1" ] && return 0; sleep 0.05; done
  echo "FAIL the monitor read $(metric modelguard_monitor_events_total) events, want $1"; fail=$((fail+1)); return 1
}
gauge='modelguard_monitor_alert_firing{route="chat",key="",signal="signals.refusal",detector="test"}'
expect() { if [ "$2" = "$3" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: want '$2', got '$3'"; fi; }

send 300 1   # the reference (200 events) and one normal window
wait_events 300
expect "reference complete" 1 "$(metric 'modelguard_monitor_reference_complete{route="chat"}')"
expect "gauge 0 while normal" 0 "$(metric "$gauge")"
send 200 6   # the campaign: two windows at 60 % refusals
wait_events 500
expect "gauge 1 in the campaign" 1 "$(metric "$gauge")"
for _ in $(seq 1 100); do [ -s "$tmp/hook.log" ] && break; sleep 0.05; done
send 200 1   # normal again: the first clean window resolves
wait_events 700
expect "gauge 0 after it" 0 "$(metric "$gauge")"
for _ in $(seq 1 100); do [ "$(wc -l <"$tmp/hook.log")" -ge 2 ] && break; sleep 0.05; done
kill -TERM "$monitor_pid"
wait "$monitor_pid"
expect "SIGTERM: exit 0" 0 "$?"
expect_grep "state saved" '"events":700' "$tmp/state.json"
/usr/bin/python3 - "$tmp/hook.log" "$tmp/audit.jsonl" >"$tmp/check.txt" <<'PY'
import json, sys
hooks = [json.loads(line) for line in open(sys.argv[1])]
print("messages", len(hooks), [h["body"]["status"] for h in hooks])
print("same episode", len({h["body"]["id"] for h in hooks}) == 1)
print("keys", [h["key"] == h["body"]["id"] + "-" + h["body"]["status"] for h in hooks])
print("signal", {(h["body"]["signal"], h["body"]["detector"]) for h in hooks})
firing = hooks[0]["body"]
print("rates", firing["reference_mean"], firing["window_mean"])
events = [json.loads(line) for line in open(sys.argv[2])]
print("audit", len(events), len({e["request_id"] for e in events}))
PY
expect_grep "one alert, one resolve" "messages 2 ['firing', 'resolved']" "$tmp/check.txt"
expect_grep "one episode" "same episode True" "$tmp/check.txt"
expect_grep "idempotency keys" "keys [True, True]" "$tmp/check.txt"
expect_grep "the refusal test" "signal {('signals.refusal', 'test')}" "$tmp/check.txt"
expect_grep "rates in the alert" "rates 0.1 0.6" "$tmp/check.txt"
expect_grep "every event its own id" "audit 700 700" "$tmp/check.txt"
finish
