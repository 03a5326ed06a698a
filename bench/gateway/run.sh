#!/usr/bin/env bash
# wrk through modelguard gateway vs directly against the same upstream, and vs nginx proxy_pass as the peer.
# The upstream is nginx answering a fixed chat-completion JSON, so the proxies are what is measured. The
# upstream and the peer proxy are separate nginx instances; the peer gets as many workers as the gateway
# gets threads (WORKERS, default: the number of cores), so both proxies have the same share of the machine.
# Throughput is measured saturated (CONNECTIONS keep-alive connections); latency is measured unloaded
# (one connection, one request at a time), where it is the proxy's own cost rather than queueing.
# Env: DURATION (10s), CONNECTIONS (64), THREADS (2), WORKERS (nproc), CALLGRIND (1: also count instructions
# per request with bench/gateway/instructions.sh; 0: skip).
set -euo pipefail
mg=$1
duration=${DURATION:-10s}; connections=${CONNECTIONS:-64}; threads=${THREADS:-2}; workers=${WORKERS:-$(nproc)}
command -v wrk >/dev/null && command -v nginx >/dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk nginx-light >/dev/null
tmp=$(mktemp -d)
pids=()
stop_nginx() { for conf in upstream peer; do [ -s "$tmp/$conf.pid" ] && kill "$(cat "$tmp/$conf.pid")" 2>/dev/null; done; true; }
trap 'set +e; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; stop_nginx; sleep 0.2; rm -rf "$tmp"' EXIT
up=18431 peer=18432 gw=18433 sse_peer=18434
here=$(cd "$(dirname "$0")" && pwd)
# The streaming upstream: the tests' SSE model endpoint (Python), behind nginx with buffering off as the peer.
/usr/bin/python3 "$here/../../tests/gateway/upstream.py" "$tmp/sse.port" & pids+=($!)
for _ in $(seq 1 100); do [ -s "$tmp/sse.port" ] && break; sleep 0.1; done
sse_up=$(cat "$tmp/sse.port")
cat > "$tmp/upstream.conf" <<NGINX
worker_processes 1;
error_log $tmp/upstream.log;
pid $tmp/upstream.pid;
events { worker_connections 4096; }
http {
  access_log off;
  server { listen 127.0.0.1:$up;
    location / { default_type application/json;
      return 200 '{"id":"c1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"hi"}}],"usage":{"total_tokens":5}}'; } }
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
    location / { proxy_pass http://model; proxy_http_version 1.1; proxy_set_header Connection ""; } }
  upstream sse { server 127.0.0.1:$sse_up; keepalive 8; }
  server { listen 127.0.0.1:$sse_peer;
    location / { proxy_pass http://sse; proxy_http_version 1.1; proxy_set_header Connection ""; proxy_buffering off; } }
}
NGINX
mkdir -p "$tmp/logs"
nginx -p "$tmp" -c "$tmp/upstream.conf"
nginx -p "$tmp" -c "$tmp/peer.conf"
key=bench-key-123
hash=$(printf '%s' "$key" | "$mg" gateway hash-key -)
cat > "$tmp/off.json" <<JSON
{"listen": "127.0.0.1:$gw", "threads": $workers, "upstreams": {"m": "127.0.0.1:$up", "sse": "127.0.0.1:$sse_up"},
 "routes": [{"path": "/v1/*", "upstream": "m", "filters": []}, {"path": "/sse/v1/chat/completions", "upstream": "sse", "filters": []}]}
JSON
cat > "$tmp/on.json" <<JSON
{"listen": "127.0.0.1:$gw", "threads": $workers, "upstreams": {"m": "127.0.0.1:$up"},
 "filters": {"api_key": {"keys": [{"id": "k", "sha256": "$hash"}]},
             "rate_limit": {"requests_per_second": 1000000000, "burst": 1000000000},
             "token_budget": {"tokens": 1000000000000, "default_max_tokens": 16}},
 "routes": [{"path": "/v1/*", "upstream": "m", "filters": ["api_key", "rate_limit", "token_budget"]}],
 "audit": {"jsonl": "$tmp/audit.jsonl"}}
JSON
cat > "$tmp/guard.json" <<JSON
{"listen": "127.0.0.1:$gw", "threads": $workers, "upstreams": {"m": "127.0.0.1:$up"},
 "filters": {"guard": {"pii": "redact", "secrets": "block"}},
 "routes": [{"path": "/v1/*", "upstream": "m", "filters": ["guard"]}]}
JSON
cat > "$tmp/post.lua" <<'LUA'
wrk.method = "POST"
wrk.body = '{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"hello there"}]}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer bench-key-123"
LUA
# measure URL [unloaded], start_gateway CONFIG
source "$(dirname "$0")/../gateway/wrk.sh"
read -r direct_rps direct_p50 direct_p99 < <(measure "http://127.0.0.1:$up/v1/chat/completions")
read -r _ udirect_p50 udirect_p99 < <(measure "http://127.0.0.1:$up/v1/chat/completions" unloaded)
read -r nginx_rps nginx_p50 nginx_p99 < <(measure "http://127.0.0.1:$peer/v1/chat/completions")
read -r _ unginx_p50 unginx_p99 < <(measure "http://127.0.0.1:$peer/v1/chat/completions" unloaded)
start_gateway "$tmp/off.json"
read -r off_rps off_p50 off_p99 < <(measure "http://127.0.0.1:$gw/v1/chat/completions")
read -r _ uoff_p50 uoff_p99 < <(measure "http://127.0.0.1:$gw/v1/chat/completions" unloaded)
# Streaming: time to the first event and to the end, direct vs nginx (proxy_buffering off) vs modelguard.
requests=${STREAM_REQUESTS:-300}
read -r sd_first sd_first99 sd_total < <(/usr/bin/python3 "$here/ttft.py" "$sse_up" /v1/chat/completions "$requests")
read -r sn_first sn_first99 sn_total < <(/usr/bin/python3 "$here/ttft.py" "$sse_peer" /v1/chat/completions "$requests")
read -r sg_first sg_first99 sg_total < <(/usr/bin/python3 "$here/ttft.py" "$gw" /sse/v1/chat/completions "$requests")
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
start_gateway "$tmp/on.json"
read -r on_rps on_p50 on_p99 < <(measure "http://127.0.0.1:$gw/v1/chat/completions")
read -r _ uon_p50 uon_p99 < <(measure "http://127.0.0.1:$gw/v1/chat/completions" unloaded)
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
start_gateway "$tmp/guard.json"
read -r guard_rps guard_p50 guard_p99 < <(measure "http://127.0.0.1:$gw/v1/chat/completions")
read -r _ uguard_p50 uguard_p99 < <(measure "http://127.0.0.1:$gw/v1/chat/completions" unloaded)
kill "${pids[-1]}"; wait "${pids[-1]}" 2>/dev/null || true
ratio() { echo "scale=2; $1 / $2" | bc; }
added() { echo "scale=3; $1 - $2" | bc; }
echo "BENCH gateway saturated ($connections connections, $workers workers/threads per proxy):"
echo "BENCH gateway   direct upstream: $direct_rps req/s, p50 $direct_p50 ms, p99 $direct_p99 ms"
echo "BENCH gateway   nginx proxy_pass (keepalive pool): $nginx_rps req/s, p50 $nginx_p50 ms, p99 $nginx_p99 ms"
echo "BENCH gateway   modelguard filters off: $off_rps req/s ($(ratio "$off_rps" "$nginx_rps")x nginx), p50 $off_p50 ms, p99 $off_p99 ms"
echo "BENCH gateway   modelguard api_key+rate_limit+token_budget+audit: $on_rps req/s ($(ratio "$on_rps" "$nginx_rps")x nginx), p50 $on_p50 ms, p99 $on_p99 ms"
echo "BENCH gateway   modelguard guard filter (injection, pii redact, secrets): $guard_rps req/s ($(ratio "$guard_rps" "$nginx_rps")x nginx), p50 $guard_p50 ms, p99 $guard_p99 ms"
echo "BENCH gateway unloaded (one connection, one request at a time), latency added to the direct request:"
echo "BENCH gateway   direct upstream: p50 $udirect_p50 ms, p99 $udirect_p99 ms"
echo "BENCH gateway   nginx proxy_pass: added p50 $(added "$unginx_p50" "$udirect_p50") ms, p99 $(added "$unginx_p99" "$udirect_p99") ms"
echo "BENCH gateway   modelguard filters off: added p50 $(added "$uoff_p50" "$udirect_p50") ms, p99 $(added "$uoff_p99" "$udirect_p99") ms"
echo "BENCH gateway   modelguard api_key+rate_limit+token_budget+audit: added p50 $(added "$uon_p50" "$udirect_p50") ms, p99 $(added "$uon_p99" "$udirect_p99") ms"
echo "BENCH gateway   modelguard guard filter: added p50 $(added "$uguard_p50" "$udirect_p50") ms, p99 $(added "$uguard_p99" "$udirect_p99") ms"
echo "BENCH gateway stream direct: first event p50 $sd_first ms (p99 $sd_first99), whole stream p50 $sd_total ms"
echo "BENCH gateway stream nginx (proxy_buffering off): first event p50 $sn_first ms (p99 $sn_first99), added p50 $(added "$sn_first" "$sd_first") ms"
echo "BENCH gateway stream modelguard: first event p50 $sg_first ms (p99 $sg_first99), added p50 $(added "$sg_first" "$sd_first") ms, whole stream added p50 $(added "$sg_total" "$sd_total") ms"
# The stable figure: instructions per request under callgrind (independent of machine load).
if [ "${CALLGRIND:-1}" = 1 ]; then
  "$here/instructions.sh" "$mg" "$up" "$hash" "$tmp" > "$tmp/instructions.txt"
  cg() { awk -v n="$1" '$1 == n {print $2}' "$tmp/instructions.txt"; }
  cg_nginx=$(cg nginx)
  echo "BENCH gateway instructions per request (callgrind, one worker, all threads counted):"
  echo "BENCH gateway   nginx proxy_pass: $cg_nginx"
  echo "BENCH gateway   modelguard filters off: $(cg modelguard-off) ($(ratio "$(cg modelguard-off)" "$cg_nginx")x nginx's)"
  echo "BENCH gateway   modelguard api_key+rate_limit+token_budget+audit: $(cg modelguard-on) ($(ratio "$(cg modelguard-on)" "$cg_nginx")x nginx's)"
  echo "BENCH gateway   of which audit signals: $(( $(cg modelguard-on) - $(cg modelguard-on-nosignals) )) (the same with signals: {enabled: false}: $(cg modelguard-on-nosignals))"
fi
