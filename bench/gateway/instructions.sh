#!/usr/bin/env bash
# Instructions per request, the stable figure behind the throughput ratios: each proxy runs under
# valgrind's callgrind (one worker thread, every thread of the process counted, including the audit
# writer) while a keep-alive client sends N requests; the difference between a run of N1 and a run of N2
# requests, divided by N2 - N1, leaves out start-up and shutdown.
# usage: instructions.sh MODELGUARD UPSTREAM_PORT KEY_SHA256 TMPDIR   (prints "name instructions_per_request")
set -euo pipefail
mg=$1 up=$2 hash=$3 tmp=$4
command -v valgrind >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends valgrind >/dev/null
n1=${CALLGRIND_N1:-200} n2=${CALLGRIND_N2:-1200}
port=18441
client() {  # client PORT N: N POSTs on one keep-alive connection; fails unless all are 200
  /usr/bin/python3 - "$1" "$2" <<'PY'
import http.client, sys
port, n = int(sys.argv[1]), int(sys.argv[2])
body = b'{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hello there"}]}'
headers = {"Content-Type": "application/json", "Authorization": "Bearer bench-key-123"}
c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
for _ in range(n):
    c.request("POST", "/v1/chat/completions", body, headers)
    r = c.getresponse(); r.read()
    if r.status != 200: sys.exit(f"status {r.status}")
PY
}
wait_port() { for _ in $(seq 1 600); do (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0; sleep 0.1; done; echo "port $1 never opened" >&2; return 1; }
total_ir() { awk '/^(summary|totals):/ {print $2}' "$1" | tail -1; }
# run NAME N COMMAND...: the total instructions of COMMAND serving N requests
run() {
  local name=$1 n=$2; shift 2
  rm -f "$tmp/cg-audit.jsonl"  # each run starts a new chain: re-reading the last run's lines is not per-request work
  valgrind --tool=callgrind --callgrind-out-file="$tmp/cg.$name.$n" "$@" >/dev/null 2>"$tmp/cg.$name.$n.err" &
  local pid=$!
  wait_port "$port"
  client "$port" "$n"
  kill -TERM "$pid"; wait "$pid" 2>/dev/null || true
  total_ir "$tmp/cg.$name.$n"
}
per_request() {
  local name=$1; shift
  local a b
  a=$(run "$name" "$n1" "$@")
  b=$(run "$name" "$n2" "$@")
  echo "$name $(( (b - a) / (n2 - n1) ))"
}
cat > "$tmp/cg-nginx.conf" <<NGINX
worker_processes 1;
daemon off;
master_process off;
error_log $tmp/cg-nginx.log;
pid $tmp/cg-nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  upstream model { server 127.0.0.1:$up; keepalive 8; }
  server { listen 127.0.0.1:$port;
    location / { proxy_pass http://model; proxy_http_version 1.1; proxy_set_header Connection ""; } }
}
NGINX
cat > "$tmp/cg-off.json" <<JSON
{"listen": "127.0.0.1:$port", "threads": 1, "upstreams": {"m": "127.0.0.1:$up"},
 "routes": [{"path": "/v1/*", "upstream": "m", "filters": []}]}
JSON
cat > "$tmp/cg-on.json" <<JSON
{"listen": "127.0.0.1:$port", "threads": 1, "upstreams": {"m": "127.0.0.1:$up"},
 "filters": {"api_key": {"keys": [{"id": "k", "sha256": "$hash"}]},
             "rate_limit": {"requests_per_second": 1000000000, "burst": 1000000000},
             "token_budget": {"tokens": 1000000000000, "default_max_tokens": 16}},
 "routes": [{"path": "/v1/*", "upstream": "m", "filters": ["api_key", "rate_limit", "token_budget"]}],
 "audit": {"jsonl": "$tmp/cg-audit.jsonl"}}
JSON
# The same with the audit event's signals switched off: the difference is what signals cost per request.
sed 's/"upstream": "m", "filters": \["api_key"/"upstream": "m", "signals": {"enabled": false}, "filters": ["api_key"/' \
  "$tmp/cg-on.json" > "$tmp/cg-on-nosignals.json"
per_request nginx nginx -p "$tmp" -c "$tmp/cg-nginx.conf"
per_request modelguard-off "$mg" gateway serve --config "$tmp/cg-off.json"
per_request modelguard-on "$mg" gateway serve --config "$tmp/cg-on.json"
per_request modelguard-on-nosignals "$mg" gateway serve --config "$tmp/cg-on-nosignals.json"
