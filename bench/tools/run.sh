#!/usr/bin/env bash
# The tools filter's cost: the latency it adds per judged tool call, whole and streamed, and the saturated
# throughput it keeps, against the same gateway without filters and against nginx proxy_pass (the peer: a
# proxy that judges nothing). The upstream is nginx answering a fixed chat completion that calls one tool
# (read_file with a path), as JSON or as a server-sent-event stream of 8 argument deltas; the request declares
# the tool with its schema, so each request is one judged call: listed, declared, the configured and the
# declared schema, a path glob, an audit decision.
# usage: bench/tools/run.sh MODELGUARD   (scripts/bench tools builds it and calls this)
set -euo pipefail
mg=$1
duration=${DURATION:-10s}; connections=${CONNECTIONS:-32}; threads=2; workers=${WORKERS:-$(nproc)}
command -v wrk >/dev/null && command -v nginx >/dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk nginx-light >/dev/null
tmp=$(mktemp -d)
pids=()
stop_nginx() { for conf in upstream peer; do [ -s "$tmp/$conf.pid" ] && kill "$(cat "$tmp/$conf.pid")" 2>/dev/null; done; true; }
trap 'set +e; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; stop_nginx; sleep 0.2; rm -rf "$tmp"' EXIT
up=18441 peer=18442 gw=18443
call='{"id":"call_1","type":"function","function":{"name":"read_file","arguments":"{\\"path\\": \\"/srv/data/report.csv\\"}"}}'
whole='{"id":"c1","object":"chat.completion","choices":[{"index":0,"finish_reason":"tool_calls","message":{"role":"assistant","content":null,"tool_calls":['"$call"']}}],"usage":{"total_tokens":5}}'
# The stream: the call's arguments in 8 deltas, then the finish and [DONE].
stream=$(/usr/bin/python3 - <<'PY'
import json
args = '{"path": "/srv/data/report.csv"}'
base = {"id": "c1", "object": "chat.completion.chunk"}
def ev(delta, finish=None):
    return "data: " + json.dumps(dict(base, choices=[{"index": 0, "delta": delta, "finish_reason": finish}])) + "\n\n"
out = ev({"role": "assistant", "content": None, "tool_calls": [{"index": 0, "id": "call_1", "type": "function",
                                                               "function": {"name": "read_file", "arguments": ""}}]})
step = (len(args) + 7) // 8
for i in range(0, len(args), step):
    out += ev({"tool_calls": [{"index": 0, "function": {"arguments": args[i:i + step]}}]})
out += ev({}, "tool_calls") + "data: [DONE]\n\n"
print(out.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n"), end="")
PY
)
cat > "$tmp/upstream.conf" <<NGINX
worker_processes 1;
error_log $tmp/upstream.log;
pid $tmp/upstream.pid;
events { worker_connections 4096; }
http {
  access_log off;
  server { listen 127.0.0.1:$up;
    location /v1/ { default_type application/json; return 200 '$whole'; }
    location /sse/v1/ { default_type text/event-stream; return 200 '$stream'; } }
}
NGINX
cat > "$tmp/peer.conf" <<NGINX
worker_processes $workers;
error_log $tmp/peer.log;
pid $tmp/peer.pid;
events { worker_connections 4096; }
http {
  access_log off;
  upstream model { server 127.0.0.1:$up; keepalive 64; }
  server { listen 127.0.0.1:$peer;
    location / { proxy_pass http://model; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; } }
}
NGINX
nginx -p "$tmp" -c "$tmp/upstream.conf"
nginx -p "$tmp" -c "$tmp/peer.conf"
cat > "$tmp/off.yaml" <<YAML
listen: 127.0.0.1:$gw
threads: $workers
upstreams: {m: "127.0.0.1:$up"}
routes:
  - {name: chat, path: /v1/chat/completions, upstream: m, filters: []}
  - {name: sse, path: /sse/v1/chat/completions, upstream: m, filters: []}
YAML
cat > "$tmp/tools.yaml" <<YAML
listen: 127.0.0.1:$gw
threads: $workers
upstreams: {m: "127.0.0.1:$up"}
filters:
  tools:
    tools:
      - name: read_file
        parameters:
          type: object
          properties: {path: {type: string, maxLength: 200, pattern: "^/[A-Za-z0-9_./-]+\$"}}
          required: [path]
          additionalProperties: false
        arguments: [{field: /path, allow_globs: ["/srv/data/*"], deny_globs: ["*.key"]}]
        output: allow
routes:
  - {name: chat, path: /v1/chat/completions, upstream: m, filters: [tools]}
  - {name: sse, path: /sse/v1/chat/completions, upstream: m, filters: [tools]}
audit: {jsonl: $tmp/audit.jsonl}
YAML
cat > "$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"model":"m","messages":[{"role":"user","content":"read the report"}],"tools":[{"type":"function","function":{"name":"read_file","description":"Reads a file","parameters":{"type":"object","properties":{"path":{"type":"string"}},"required":["path"]}}}]}'
wrk.headers["Content-Type"] = "application/json"
LUA
# measure URL [unloaded], start_gateway CONFIG
source "$(dirname "$0")/../gateway/wrk.sh"
stop_gateway() { kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true; }
declare -A r
for kind in whole sse; do
  path=/v1/chat/completions; [ "$kind" = sse ] && path=/sse/v1/chat/completions
  read -r r[direct_rps_$kind] r[direct_p50_$kind] r[direct_p99_$kind] < <(measure "http://127.0.0.1:$up$path" unloaded)
  read -r r[nginx_rps_$kind] r[nginx_p50_$kind] r[nginx_p99_$kind] < <(measure "http://127.0.0.1:$peer$path" unloaded)
  read -r r[nginx_srps_$kind] _ _ < <(measure "http://127.0.0.1:$peer$path")
done
for config in off tools; do
  start_gateway "$tmp/$config.yaml"
  for kind in whole sse; do
    path=/v1/chat/completions; [ "$kind" = sse ] && path=/sse/v1/chat/completions
    read -r r[${config}_rps_$kind] r[${config}_p50_$kind] r[${config}_p99_$kind] < <(measure "http://127.0.0.1:$gw$path" unloaded)
    read -r r[${config}_srps_$kind] _ _ < <(measure "http://127.0.0.1:$gw$path")
  done
  stop_gateway
done
# The audit must show judged calls: the benchmark measured what it claims.
judged=$(grep -c '"decision":"allow"' "$tmp/audit.jsonl" || true)
[ "$judged" -gt 0 ] || { echo "no judged tool call in the audit" >&2; exit 1; }
ratio() { echo "scale=2; $1 / $2" | bc; }
added() { echo "scale=3; $1 - $2" | bc; }
for kind in whole sse; do
  label="whole answer"; [ "$kind" = sse ] && label="stream, 8 argument deltas"
  echo "BENCH tools $label, unloaded (one connection), p50 / p99 ms:"
  echo "BENCH tools   direct upstream: ${r[direct_p50_$kind]} / ${r[direct_p99_$kind]}"
  echo "BENCH tools   nginx proxy_pass: ${r[nginx_p50_$kind]} / ${r[nginx_p99_$kind]}"
  echo "BENCH tools   modelguard, no filters: ${r[off_p50_$kind]} / ${r[off_p99_$kind]}"
  echo "BENCH tools   modelguard, tools filter: ${r[tools_p50_$kind]} / ${r[tools_p99_$kind]}"
  echo "BENCH tools   added per judged call: p50 $(added "${r[tools_p50_$kind]}" "${r[off_p50_$kind]}") ms, p99 $(added "${r[tools_p99_$kind]}" "${r[off_p99_$kind]}") ms"
  echo "BENCH tools $label, saturated ($connections connections): nginx ${r[nginx_srps_$kind]} req/s, modelguard no filters ${r[off_srps_$kind]} req/s, tools filter ${r[tools_srps_$kind]} req/s ($(ratio "${r[tools_srps_$kind]}" "${r[nginx_srps_$kind]}")x nginx, $(ratio "${r[tools_srps_$kind]}" "${r[off_srps_$kind]}")x no filters)"
done
echo "BENCH tools judged calls in the audit: $judged"
