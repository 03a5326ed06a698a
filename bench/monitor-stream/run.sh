#!/usr/bin/env bash
# scripts/bench monitor-stream: `modelguard monitor serve --once` on an audit file of EVENTS gateway events
# (default 1,000,000; route chat, two keys, latency, a refusal flag, a finish reason), against the same stream
# monitor in Python (json + SciPy: stream_python.py), measured in the same run on the same core. The peer
# does less (two numeric signals and one categorical, one scope, a fixed CUSUM threshold); ours follows
# every signal of the event (latency, tokens, status class, refusal, finish reason), the route and each key,
# with three detectors each. Reported: events per second and peak RSS of each, best of 5, modelguard on the
# scalar signals alone (the goal's workload) and past its start (reference and calibration), and its peak
# RSS at 10x the events (flat memory: windows and references are bounded, not the stream).
# Usage: bench/monitor-stream/run.sh MODELGUARD [EVENTS]
set -euo pipefail
mg=$1
events=${2:-1000000}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
gen() {
  /usr/bin/python3 - "$1" "$2" <<'PY'
import json, math, random, sys
path, n = sys.argv[1], int(sys.argv[2])
rng = random.Random(1)
with open(path, "w") as f:
    for i in range(n):
        event = {"time": 1796000000000 + i, "key_id": "k1" if i % 2 else "k2", "route": "chat", "method": "POST",
                 "path": "/v1/chat/completions", "model": "m", "status": 200,
                 "latency_ms": round(math.exp(5 + 0.5 * rng.gauss(0, 1)), 3), "tokens": rng.randint(10, 500),
                 "request_sha256": "%064x" % rng.getrandbits(256), "response_sha256": "%064x" % rng.getrandbits(256),
                 "signals": {"refusal": rng.random() < 0.1, "finish_reason": rng.choice(["stop"] * 8 + ["length"] * 2)}}
        f.write(json.dumps(event, separators=(",", ":")) + "\n")
PY
}
gen "$tmp/audit.jsonl" "$events"
cat >"$tmp/monitor.yaml" <<YAML
audit: $tmp/audit.jsonl
reference_events: 2000
window_events: 500
YAML
# The peer's own workload: the scalar signals only (latency, tokens, the refusal flag), the route's scope only.
cat >"$tmp/scalar.yaml" <<YAML
audit: $tmp/audit.jsonl
reference_events: 2000
window_events: 500
per_key: false
signals: [latency_ms, tokens, signals.refusal]
YAML
# The same on the stream's first tenth: the rate past the start (the reference and the detectors'
# calibration, a fixed cost per route) is the extra events of the whole stream by the extra time they take.
head -n "$((events / 10))" "$tmp/audit.jsonl" >"$tmp/tenth.jsonl"
sed "s|$tmp/audit.jsonl|$tmp/tenth.jsonl|" "$tmp/scalar.yaml" >"$tmp/tenth.yaml"
# Each run's best of 5 rounds, the runs of a round one after another: this machine's speed varies by up to
# a factor of two from minute to minute (other tenants), so every run gets its chance at a quiet minute
# and the ratios compare runs of the same minutes. The peer, twenty times slower, runs in 3 of the rounds.
time_run() {  # NAME COMMAND...: keeps NAME's best seconds in $tmp/best.NAME, its peak RSS in $tmp/rss.NAME
  local name=$1 start end
  shift
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$tmp/rss" "$@" >/dev/null 2>"$tmp/err" || [ $? = 1 ]
  end=$(date +%s.%N)
  local seconds
  seconds=$(echo "$end - $start" | bc)
  if [ ! -f "$tmp/best.$name" ] || [ "$(echo "$seconds < $(cat "$tmp/best.$name")" | bc)" = 1 ]; then
    echo "$seconds" >"$tmp/best.$name"
    tail -1 "$tmp/rss" >"$tmp/rss.$name"
  fi
}
for round in 1 2 3 4 5; do
  time_run ours taskset -c 0 "$mg" monitor serve --config "$tmp/monitor.yaml" --once
  time_run scalar taskset -c 0 "$mg" monitor serve --config "$tmp/scalar.yaml" --once
  time_run tenth taskset -c 0 "$mg" monitor serve --config "$tmp/tenth.yaml" --once
  [ "$round" -gt 3 ] || time_run peer taskset -c 0 /usr/bin/python3 "$here/stream_python.py" "$tmp/audit.jsonl" 2000 500
done
rate() { echo "$2 / $(cat "$tmp/best.$1")" | bc; }
ours=$(rate ours "$events") peer=$(rate peer "$events") scalar=$(rate scalar "$events")
ours_rss=$(cat "$tmp/rss.ours") peer_rss=$(cat "$tmp/rss.peer")
echo "BENCH monitor serve --once, $events events: modelguard $ours events/s (peak RSS $((ours_rss / 1024)) MiB), Python json + SciPy $peer events/s (peak RSS $((peer_rss / 1024)) MiB), ratio $(echo "scale=1; $ours / $peer" | bc)x"
echo "BENCH monitor serve --once, scalar signals of the route only: modelguard $scalar events/s, ratio $(echo "scale=1; $scalar / $peer" | bc)x to the peer (goal: 1000000 events/s on one core)"
marginal=$(echo "($events - $events / 10) / ($(cat "$tmp/best.scalar") - $(cat "$tmp/best.tenth"))" | bc)
echo "BENCH monitor serve --once, scalar signals, past the start: modelguard $marginal events/s (the ${events} events' time less their first tenth's)"
# Flat memory: ten times the events through the same monitor.
for _ in $(seq 9); do tail -n "$events" "$tmp/audit.jsonl" >>"$tmp/audit10.jsonl"; done
cat "$tmp/audit.jsonl" >>"$tmp/audit10.jsonl"
sed -i "s|$tmp/audit.jsonl|$tmp/audit10.jsonl|" "$tmp/monitor.yaml"
/usr/bin/time -f "%M" -o "$tmp/rss10" "$mg" monitor serve --config "$tmp/monitor.yaml" --once >/dev/null 2>&1 || true
echo "BENCH monitor serve --once, $((events * 10)) events: peak RSS $(($(tail -1 "$tmp/rss10") / 1024)) MiB (vs $((ours_rss / 1024)) MiB at $events)"
