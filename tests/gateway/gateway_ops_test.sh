#!/usr/bin/env bash
# The gateway in operation, end to end with real peers: server-sent-event streaming (curl and the openai
# SDK), faults (upstream killed mid-stream, slow upstream, client gone mid-stream, slow-loris client,
# malformed and non-UTF-8 bodies) with a file-descriptor leak check, failover and health checks across
# targets, TLS on both sides (openssl-made certificates, Python ssl upstream), JWT (tokens signed by
# Node's crypto), the admin API, SIGHUP reload with a stream in flight, Redis-shared budgets across two
# replicas (a real redis-server, restarted under load), and SIGTERM draining a stream in flight.
# usage: gateway_ops_test.sh MODELGUARD NODE_MODULES
set -u
mg=$1 node_modules=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; [ -n "${redis_port:-}" ] && redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0; fail=0
expect() { if [ "$2" = "$3" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: want '$2', got '$3'"; fi; }
expect_grep() { if grep -q -- "$2" "$3"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: '$2' not in $3"; head -c 600 "$3"; echo; fi; }
expect_true() { if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: $2"; fi; }
wait_for() { for _ in $(seq 1 150); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
start_upstream() {  # start_upstream NAME [--tls CERT KEY]
  /usr/bin/python3 "$here/upstream.py" "$tmp/$1.port" "${@:2}" & pids+=($!)
  wait_for "$tmp/$1.port" || { echo "upstream $1 did not start"; exit 1; }
}
start_gateway() {  # start_gateway NAME CONFIG -> sets gw_pid, gw_port, admin_port
  "$mg" gateway serve --config "$2" 2> "$tmp/$1.err" & gw_pid=$!; pids+=($gw_pid)
  for _ in $(seq 1 100); do grep -q "listening on" "$tmp/$1.err" && break; sleep 0.1; done
  gw_port=$(sed -n 's/.*"msg":"listening on [0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/$1.err" | head -1)
  admin_port=$(sed -n 's/.*"msg":"admin API listening on [0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/$1.err" | head -1)
  [ -n "$gw_port" ] || { echo "gateway $1 did not start:"; cat "$tmp/$1.err"; exit 1; }
}
fds() { ls "/proc/$1/fd" | wc -l; }

start_upstream a
start_upstream b
# Certificates made by the openssl tool: a CA and a server certificate for 127.0.0.1/localhost.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=test-ca -keyout "$tmp/ca.key" -out "$tmp/ca.pem" 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost -keyout "$tmp/server.key" -out "$tmp/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$tmp/san.ext"
openssl x509 -req -in "$tmp/server.csr" -CA "$tmp/ca.pem" -CAkey "$tmp/ca.key" -CAcreateserial -days 2 -extfile "$tmp/san.ext" -out "$tmp/server.pem" 2>/dev/null
start_upstream secure --tls "$tmp/server.pem" "$tmp/server.key"
dead=$(free_port)
admin_key=mg-admin-$RANDOM$RANDOM
jwt_secret=0123456789abcdef0123456789abcdef-test
cat > "$tmp/gateway.yaml" <<YAML
# The operations test's gateway: TLS in front, two live targets and a dead one behind.
listen: 127.0.0.1:0
tls: {certificate: $tmp/server.pem, private_key: $tmp/server.key}
admin: {listen: 127.0.0.1:0, key_sha256: $(printf '%s' "$admin_key" | "$mg" gateway hash-key -)}
keys: {file: $tmp/keys.json}
upstreams:
  pool:
    targets: ["127.0.0.1:$dead", "127.0.0.1:$(cat "$tmp/a.port")", "127.0.0.1:$(cat "$tmp/b.port")"]
    health_check: {path: /healthz, interval_ms: 200, timeout_ms: 500, unhealthy_after: 1}
  secure:
    targets: ["localhost:$(cat "$tmp/secure.port")"]
    tls: {ca_file: $tmp/ca.pem}
  untrusted:
    targets: ["localhost:$(cat "$tmp/secure.port")"]
    tls: true
filters:
  api_key: {keys: []}
  jwt:
    issuer: https://idp.test
    keys: [{alg: HS256, secret: "$jwt_secret"}]
routes:
  - {name: chat, path: /v1/chat/completions, upstream: pool, filters: [api_key]}
  - {name: open, path: /open/v1/chat/completions, upstream: pool}
  - {name: jwt, path: /jwt/v1/chat/completions, upstream: pool, filters: [jwt]}
  - {name: secure, path: /predict, upstream: secure}
  - {name: untrusted, path: /untrusted/predict, upstream: untrusted}
limits: {header_timeout_ms: 1000, upstream_timeout_ms: 2000, max_stream_event_bytes: 65536, drain_timeout_ms: 10000}
audit: {jsonl: $tmp/ops-audit.jsonl}
YAML
start_gateway main "$tmp/gateway.yaml"
gw=https://localhost:$gw_port
admin=http://127.0.0.1:$admin_port
c() { curl -s --cacert "$tmp/ca.pem" "$@"; }
code() { c -o "$tmp/body" -w '%{http_code}' "$@"; }
chat() { printf '{"model":"m","messages":[{"role":"user","content":"%s"}]%s}' "$1" "${2:-}"; }

# TLS termination: our CA's client reaches the gateway; plain HTTP on the TLS port gets nothing.
expect tls-healthz 200 "$(code "$gw/healthz")"
expect plain-http-refused 000 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 3 "http://127.0.0.1:$gw_port/healthz")"

# Admin API: the wrong key is refused; a created key works on its routes until it is revoked.
expect admin-needs-key 401 "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' "$admin/admin/keys")"
curl -s -H "Authorization: Bearer $admin_key" -d '{"owner":"team b","routes":["chat"]}' "$admin/admin/keys" > "$tmp/created.json"
key=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["key"])' "$tmp/created.json")
key_id=$(/usr/bin/python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["id"])' "$tmp/created.json")
expect_grep admin-key-persisted "\"owner\": \"team b\"" "$tmp/keys.json"
if grep -q -- "$key" "$tmp/keys.json"; then fail=$((fail+1)); echo "FAIL the key file holds the secret"; else pass=$((pass+1)); fi
expect admin-key-works 200 "$(code -H "Authorization: Bearer $key" -d "$(chat hello)" "$gw/v1/chat/completions")"

# Failover: the dead first target is skipped, both live targets serve (round robin), and the health
# checker reports the dead one in /metrics.
for i in $(seq 1 6); do c -H "Authorization: Bearer $key" -d "$(chat hello)" "$gw/v1/chat/completions"; echo; done > "$tmp/served"
expect failover-all-ok 6 "$(grep -c '"content": "echo: hello"' "$tmp/served")"
expect failover-both-targets 2 "$(grep -o '"served_by": [0-9]*' "$tmp/served" | sort -u | wc -l)"
sleep 0.5
c "$gw/metrics" > "$tmp/metrics"
expect_grep health-dead-target "modelguard_gateway_upstream_target_healthy{upstream=\"pool\",target=\"127.0.0.1:$dead\"} 0" "$tmp/metrics"
expect_grep health-live-target "modelguard_gateway_upstream_target_healthy{upstream=\"pool\",target=\"127.0.0.1:$(cat "$tmp/a.port")\"} 1" "$tmp/metrics"
touch "$tmp/a.port.unhealthy"; sleep 0.6
for i in 1 2 3 4; do c -d "$(chat hello)" "$gw/open/v1/chat/completions"; echo; done > "$tmp/served2"
expect health-check-steers-away "1" "$(grep -o '"served_by": [0-9]*' "$tmp/served2" | sort -u | wc -l)"
expect_grep health-check-steers-to-b "\"served_by\": $(cat "$tmp/b.port")" "$tmp/served2"
rm "$tmp/a.port.unhealthy"

# Upstream TLS: verified against the configured CA; refused against the system store.
expect upstream-tls 200 "$(code -d '{"x":[1]}' "$gw/predict")"
expect upstream-tls-untrusted 502 "$(code -d '{"x":[1]}' "$gw/untrusted/predict")"
expect_grep upstream-tls-untrusted-says "certificate verify failed" "$tmp/body"

# JWT signed by Node's crypto (an independent implementation).
jwt() { node -e '
const c = require("crypto"); const [secret, iss, exp] = process.argv.slice(1);
const b = (o) => Buffer.from(JSON.stringify(o)).toString("base64url");
const input = b({alg: "HS256", typ: "JWT"}) + "." + b({sub: "svc-1", iss, exp: Math.floor(Date.now() / 1000) + Number(exp)});
console.log(input + "." + c.createHmac("sha256", secret).update(input).digest("base64url"));' "$@"; }
expect jwt-valid 200 "$(code -H "Authorization: Bearer $(jwt "$jwt_secret" https://idp.test 600)" -d "$(chat hi)" "$gw/jwt/v1/chat/completions")"
expect jwt-expired 401 "$(code -H "Authorization: Bearer $(jwt "$jwt_secret" https://idp.test -600)" -d "$(chat hi)" "$gw/jwt/v1/chat/completions")"
expect jwt-wrong-issuer 401 "$(code -H "Authorization: Bearer $(jwt "$jwt_secret" https://evil.test 600)" -d "$(chat hi)" "$gw/jwt/v1/chat/completions")"

# Streaming: events arrive as the upstream sends them, ending with [DONE].
c -N -H "Authorization: Bearer $key" -d "$(chat 'stream me' ',"stream":true')" "$gw/v1/chat/completions" > "$tmp/stream"
expect stream-events 5 "$(grep -c '^data: ' "$tmp/stream")"
expect_grep stream-content '"content": "stream me"' "$tmp/stream"
expect_grep stream-done 'data: \[DONE\]' "$tmp/stream"
# The first event reaches the client long before a slow stream ends (20 events, 100 ms apart).
/usr/bin/python3 - "$gw/open/v1/chat/completions" "$tmp/ca.pem" > "$tmp/ttfb" <<'PY'
import json, ssl, sys, time, urllib.request
url, ca = sys.argv[1], sys.argv[2]
body = json.dumps({"model": "m", "stream": True, "messages": [{"role": "user", "content": "long stream"}]}).encode()
start = time.monotonic()
with urllib.request.urlopen(urllib.request.Request(url, data=body), context=ssl.create_default_context(cafile=ca)) as r:
    first = None
    for line in r:
        if line.startswith(b"data: ") and first is None:
            first = time.monotonic() - start
    total = time.monotonic() - start
print(f"{first:.3f} {total:.3f}")
PY
read -r first total < "$tmp/ttfb"
echo "stream of 20 events 100 ms apart: first event after ${first}s, end after ${total}s"
expect_true stream-not-buffered "awk 'BEGIN{exit !($first < 0.5 && $total > 1.8)}'"
# The openai SDK streams through the gateway (usage from the final chunk).
NODE_EXTRA_CA_CERTS=$tmp/ca.pem NODE_PATH=$node_modules node "$here/openai_client.js" "$gw/v1" "$key" > "$tmp/sdk.json" 2>&1
expect_grep sdk-stream-text '"streamed":"echo: streamed"' "$tmp/sdk.json"
expect_grep sdk-stream-usage '"streamUsage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}' "$tmp/sdk.json"

# Faults. File descriptors before, to compare after.
sleep 0.3; fds_before=$(fds "$gw_pid")
c -N -d "$(chat 'die mid-stream' ',"stream":true')" "$gw/open/v1/chat/completions" > "$tmp/died"
expect_grep mid-stream-partial '"content": "partial "' "$tmp/died"
expect_grep mid-stream-error '"type":"upstream_error"' "$tmp/died"
# A slow upstream gets 504 within upstream_timeout (2 s), never a replay.
slow_code=$(code -d "$(chat slow)" "$gw/open/v1/chat/completions")
echo "slow upstream: $slow_code: $(head -c 200 "$tmp/body")"
expect slow-upstream 504 "$slow_code"
expect_grep slow-upstream-timeout "no answer within 2000 ms" "$tmp/body"
expect_grep slow-upstream-says '"type":"upstream_error"' "$tmp/body"
for i in 1 2 3; do c -N --max-time 0.5 -d "$(chat 'long stream' ',"stream":true')" "$gw/open/v1/chat/completions" > /dev/null; done
expect invalid-json 400 "$(code -d '{"model": ' "$gw/open/v1/chat/completions")"
printf '{"model":"m","messages":[{"role":"user","content":"\xff\xfe"}]}' > "$tmp/bad-utf8"
expect invalid-utf8 400 "$(code --data-binary @"$tmp/bad-utf8" "$gw/open/v1/chat/completions")"
expect_grep invalid-utf8-says "not valid JSON (UTF-8)" "$tmp/body"
expect malformed-http 400 "$(printf 'GET / HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n' | openssl s_client -quiet -connect "127.0.0.1:$gw_port" -CAfile "$tmp/ca.pem" 2>/dev/null | head -1 | awk '{print $2}')"
# Slow loris: a request head that never ends is cut off after header_timeout (1 s).
/usr/bin/python3 - "$gw_port" "$tmp/ca.pem" > "$tmp/loris" <<'PY'
import socket, ssl, sys, time
ctx = ssl.create_default_context(cafile=sys.argv[2])
s = ctx.wrap_socket(socket.create_connection(("127.0.0.1", int(sys.argv[1]))), server_hostname="localhost")
s.sendall(b"POST /open/v1/chat/completions HTTP/1.1\r\nHost: x\r\n")
start = time.monotonic()
answer = b""
try:
    for _ in range(20):
        time.sleep(0.25)
        s.sendall(b"X-Slow: 1\r\n")
except OSError:
    pass
s.settimeout(3)
try:
    answer = s.recv(200)
except OSError:
    pass
print((answer.split(b"\r\n")[0].decode() or "closed").replace(" ", "_"), f"{time.monotonic() - start:.1f}")
PY
read -r loris_answer loris_seconds < "$tmp/loris"
echo "slow-loris client: '$loris_answer' after ${loris_seconds}s"
expect_true slow-loris-cut "awk 'BEGIN{exit !($loris_seconds < 3.5)}'"
c "$gw/healthz" > /dev/null
sleep 1.5; fds_after=$(fds "$gw_pid")
echo "file descriptors before faults: $fds_before, after: $fds_after"
expect_true no-fd-leak "[ $fds_after -le $((fds_before + 4)) ]"
expect gateway-still-up 200 "$(code "$gw/healthz")"

# Revoking through the admin API takes effect at once.
expect admin-revoke 200 "$(curl -s -o /dev/null -w '%{http_code}' -X DELETE -H "Authorization: Bearer $admin_key" "$admin/admin/keys/$key_id")"
expect revoked-key 401 "$(code -H "Authorization: Bearer $key" -d "$(chat hello)" "$gw/v1/chat/completions")"

# SIGHUP reload while a stream is in flight: the stream completes, the new route answers, a broken
# configuration is refused and the running one kept.
c -N -d "$(chat 'long stream' ',"stream":true')" "$gw/open/v1/chat/completions" > "$tmp/during-reload" & stream_pid=$!
sleep 0.5
sed -i 's#^  - {name: open, path: /open/v1/chat/completions, upstream: pool}#&\n  - {name: added, path: /added/v1/chat/completions, upstream: pool}#' "$tmp/gateway.yaml"
kill -HUP "$gw_pid"; sleep 0.5
expect reload-new-route 200 "$(code -d "$(chat hi)" "$gw/added/v1/chat/completions")"
wait "$stream_pid"
expect stream-survives-reload 23 "$(grep -c '^data: ' "$tmp/during-reload")"
cp "$tmp/gateway.yaml" "$tmp/good.yaml"; echo "bogus_key: 1" >> "$tmp/gateway.yaml"
kill -HUP "$gw_pid"; sleep 0.5
expect_grep reload-refused '"msg":"configuration reload failed; keeping the running configuration".*bogus_key: unknown key' "$tmp/main.err"
expect reload-kept-running 200 "$(code -d "$(chat hi)" "$gw/added/v1/chat/completions")"
cp "$tmp/good.yaml" "$tmp/gateway.yaml"

# SIGTERM while a stream is in flight: the stream completes, then the gateway exits 0.
c -N -d "$(chat 'long stream' ',"stream":true')" "$gw/open/v1/chat/completions" > "$tmp/during-drain" & stream_pid=$!
sleep 0.5
kill -TERM "$gw_pid"
sleep 0.2
expect drain-refuses-new 000 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 --cacert "$tmp/ca.pem" "$gw/healthz")"
wait "$stream_pid"
expect stream-survives-drain 23 "$(grep -c '^data: ' "$tmp/during-drain")"
wait "$gw_pid"; expect drained-exit 0 $?
expect_grep drain-logged '"msg":"draining","reason":"SIGTERM"' "$tmp/main.err"
# After all the faults, reloads and the drain, the audit chain is whole and holds the broken stream.
"$mg" audit verify "$tmp/ops-audit.jsonl" > "$tmp/audit-verify.out"; expect audit-chain-after-faults 0 $?
expect_grep audit-records-broken-stream '"upstream":"error:stream_broken"' "$tmp/ops-audit.jsonl"

# (23 events: the role, 20 ticks, the finish reason and [DONE].)

# Two replicas share one budget through a real redis-server; 200 concurrent requests split across them
# never exceed it. Then Redis restarts under load: refusals while it is down (fail closed), no crash,
# admissions again once it is back.
redis_port=$(free_port)
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --logfile "$tmp/redis.log" >/dev/null
for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
cat > "$tmp/replica.yaml" <<YAML
listen: 127.0.0.1:0
state: {redis: "redis://127.0.0.1:$redis_port", timeout_ms: 200}
upstreams: {model: "127.0.0.1:$(cat "$tmp/b.port")"}
filters: {token_budget: {tokens: 100, window_seconds: 86400, default_max_tokens: 5}}
routes: [{name: budgeted, path: /v1/chat/completions, upstream: model, filters: [token_budget]}]
YAML
start_gateway replica1 "$tmp/replica.yaml"; r1=$gw_port; r1_pid=$gw_pid
start_gateway replica2 "$tmp/replica.yaml"; r2=$gw_port; r2_pid=$gw_pid
/usr/bin/python3 "$here/concurrent_chat.py" 200 - "http://127.0.0.1:$r1/v1/chat/completions" "http://127.0.0.1:$r2/v1/chat/completions" > "$tmp/shared-budget"
read -r ok refused other < "$tmp/shared-budget"
echo "shared Redis budget across two replicas, 200 concurrent requests: $ok admitted, $refused refused"
expect shared-budget-no-errors 0 "$other"
expect_true shared-budget-not-exceeded "[ $((ok * 5)) -le 100 ] && [ $ok -ge 12 ]"
# Load keeps coming while Redis goes down and comes back: every answer is 200, 429 or 503, never a hang.
for i in $(seq 1 80); do curl -s -o /dev/null -w '%{http_code}\n' --max-time 5 -d "$(chat hello)" "http://127.0.0.1:$r1/v1/chat/completions"; sleep 0.02; done > "$tmp/under-restart" &
load_pid=$!
sleep 0.3
redis-cli -p "$redis_port" shutdown nosave >/dev/null 2>&1; sleep 0.3
expect redis-down-fails-closed 503 "$(curl -s -o "$tmp/body" -w '%{http_code}' -d "$(chat hello)" "http://127.0.0.1:$r1/v1/chat/completions")"
expect_grep redis-down-says '"type":"limits_unavailable"' "$tmp/body"
redis-server --port "$redis_port" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --logfile "$tmp/redis.log" >/dev/null
for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
sleep 0.6
wait "$load_pid"
expect redis-restart-answers-clear "0" "$(grep -cvE '^(200|429|503)$' "$tmp/under-restart")"
expect_true redis-restart-saw-outage "grep -q '^503$' '$tmp/under-restart'"
# Redis restarted empty, so the load may already have spent the new budget: 200 or 429, not 503.
expect_true redis-recovered-under-load "awk '/^503$/ {down=1} down && /^(200|429)$/ {up=1} END {exit !up}' '$tmp/under-restart'"
expect_true redis-back-answers "[[ \"\$(curl -s -o /dev/null -w '%{http_code}' -d '$(chat hello)' http://127.0.0.1:$r2/v1/chat/completions)\" =~ ^(200|429)$ ]]"
expect replicas-alive "200 200" "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$r1/healthz") $(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$r2/healthz")"
kill -TERM "$r1_pid" "$r2_pid"; wait "$r1_pid"; e1=$?; wait "$r2_pid"; e2=$?
expect replicas-exit-clean "0 0" "$e1 $e2"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
