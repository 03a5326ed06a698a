#!/usr/bin/env bash
# The gateway end to end: a real upstream (tests/gateway/upstream.py), the real binary, curl as the client.
# usage: gateway_test.sh MODELGUARD NODE_MODULES
set -u
mg=$1 node_modules=$2
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0; fail=0
expect() {  # expect NAME WANT GOT
  if [ "$2" = "$3" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: want '$2', got '$3'"; fi
}
expect_grep() {  # expect_grep NAME PATTERN FILE
  if grep -q -- "$2" "$3"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: '$2' not in $3"; head -c 400 "$3"; echo; fi
}
wait_for() { for _ in $(seq 1 100); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }

/usr/bin/python3 "$here/upstream.py" "$tmp/upstream.port" & pids+=($!)
wait_for "$tmp/upstream.port" || { echo "upstream did not start"; exit 1; }
upstream=$(cat "$tmp/upstream.port")

good_key=mg-test-$RANDOM$RANDOM; scoped_key=mg-scoped-$RANDOM; revoked_key=mg-revoked-$RANDOM
hash() { printf '%s' "$1" | "$mg" gateway hash-key -; }
cat > "$tmp/gateway.json" <<JSON
{
  "listen": "127.0.0.1:0",
  "upstreams": {"model": "127.0.0.1:$upstream", "down": "127.0.0.1:1",
                "keyed": {"targets": ["127.0.0.1:$upstream"], "headers": {"Authorization": "Bearer sk-upstream-only"}}},
  "filters": {"rate_limit": {"requests_per_second": 0.01, "burst": 3},
              "token_budget": {"tokens": 100, "window_seconds": 3600, "default_max_tokens": 5},
              "api_key": {"keys": [
    {"id": "team-a", "sha256": "$(hash "$good_key")", "owner": "team a"},
    {"id": "predict-only", "sha256": "$(hash "$scoped_key")", "routes": ["classifier"]},
    {"id": "old", "sha256": "$(hash "$revoked_key")", "revoked": true}]}},
  "routes": [
    {"name": "chat", "path": "/v1/chat/completions", "upstream": "model", "filters": ["api_key"]},
    {"name": "classifier", "path": "/predict", "upstream": "model", "filters": ["api_key"]},
    {"name": "broken", "path": "/broken/*", "upstream": "down", "filters": []},
    {"name": "limited", "path": "/limited/*", "upstream": "model", "filters": ["api_key", "rate_limit"]},
    {"name": "budgeted", "path": "/budgeted/v1/chat/completions", "upstream": "model", "filters": ["api_key", "token_budget"]},
    {"name": "keyed", "path": "/keyed/v1/chat/completions", "upstream": "keyed", "filters": ["api_key"]},
    {"name": "rest", "path": "/*", "upstream": "model", "filters": []}],
  "audit": {"jsonl": "$tmp/audit.jsonl"},
  "limits": {"max_request_bytes": 4096}
}
JSON
"$mg" gateway serve --config "$tmp/gateway.json" 2> "$tmp/gateway.err" & pids+=($!)
for _ in $(seq 1 100); do grep -q "listening on" "$tmp/gateway.err" && break; sleep 0.1; done
port=$(sed -n 's/.*listening on 127.0.0.1:\([0-9]*\).*/\1/p' "$tmp/gateway.err")
[ -n "$port" ] || { echo "gateway did not start:"; cat "$tmp/gateway.err"; exit 1; }
gw=http://127.0.0.1:$port
chat='{"model":"m","messages":[{"role":"user","content":"hello"}]}'
code() { curl -s -o "$tmp/body" -w '%{http_code}' "$@"; }

expect healthz 200 "$(code "$gw/healthz")"
expect no-key 401 "$(code -X POST -H 'Content-Type: application/json' -d "$chat" "$gw/v1/chat/completions")"
expect_grep no-key-openai-error '"type":"missing_api_key"' "$tmp/body"
expect wrong-key 401 "$(code -X POST -H "Authorization: Bearer nope" -d "$chat" "$gw/v1/chat/completions")"
expect good-key 200 "$(code -X POST -H "Authorization: Bearer $good_key" -H 'Content-Type: application/json' -d "$chat" "$gw/v1/chat/completions")"
expect_grep forwarded '"content": "echo: hello"' "$tmp/body"
# The gateway key authenticated the client to the gateway: it is not forwarded to the model provider.
expect_grep gateway-key-not-forwarded '"saw_authorization": false' "$tmp/body"
# Two credentials: the filter would judge one and the upstream might read the other.
expect duplicate-authorization 400 "$(code -X POST -H "Authorization: Bearer $good_key" -H "Authorization: Bearer nope" -d "$chat" "$gw/v1/chat/completions")"
expect duplicate-x-api-key 400 "$(code -X POST -H "x-api-key: $good_key" -H "X-Api-Key: other" -d "$chat" "$gw/v1/chat/completions")"
expect x-api-key 200 "$(code -X POST -H "x-api-key: $good_key" -d '{"x":[1,2]}' "$gw/predict")"
# Other spellings of the chat path reach the chat route (and its api_key filter), never the unfiltered
# catch-all "/*"; the upstream is sent the normal form. Encoded separators are refused.
expect path-double-slash 401 "$(code --path-as-is -X POST -d "$chat" "$gw//v1/chat/completions")"
expect path-dot-dot-trailing-slash 401 "$(code --path-as-is -X POST -d "$chat" "$gw/x/../v1/chat/completions/")"
expect path-dot-with-key 200 "$(code --path-as-is -X POST -H "x-api-key: $good_key" -d "$chat" "$gw/./v1/chat/completions/")"
expect_grep path-forwarded-normalised '"path": "/v1/chat/completions"' "$tmp/body"
expect path-encoded-slash 400 "$(code --path-as-is -X POST -H "x-api-key: $good_key" -d "$chat" "$gw/v1%2Fchat/completions")"
expect_grep path-encoded-slash-says 'encoded slash' "$tmp/body"
# The upstream gets its configured credential and never the client's gateway key, whichever field carried it.
expect upstream-credential-bearer 200 "$(code -X POST -H "Authorization: Bearer $good_key" -d "$chat" "$gw/keyed/v1/chat/completions")"
expect_grep upstream-credential-exact '"authorization": \["Bearer sk-upstream-only"\]' "$tmp/body"
expect upstream-credential-x-api-key 200 "$(code -X POST -H "x-api-key: $good_key" -d "$chat" "$gw/keyed/v1/chat/completions")"
expect_grep upstream-credential-exact-2 '"authorization": \["Bearer sk-upstream-only"\], "x_api_key": \[\]' "$tmp/body"
if grep -q -- "$good_key" "$tmp/body"; then fail=$((fail+1)); echo "FAIL the client's key reached the upstream"; else pass=$((pass+1)); fi
expect scoped-key-other-route 403 "$(code -X POST -H "Authorization: Bearer $scoped_key" -d "$chat" "$gw/v1/chat/completions")"
expect scoped-key-own-route 200 "$(code -X POST -H "Authorization: Bearer $scoped_key" -d '{"x":[1]}' "$gw/predict")"
expect revoked-key 401 "$(code -X POST -H "Authorization: Bearer $revoked_key" -d "$chat" "$gw/v1/chat/completions")"
expect unknown-route 404 "$(code "$gw/v2/other")"
head -c 10000 /dev/zero | tr '\0' a > "$tmp/big"
expect too-large 413 "$(code -X POST -H "Authorization: Bearer $good_key" --data-binary @"$tmp/big" "$gw/v1/chat/completions")"
expect upstream-down 502 "$(code "$gw/broken/x")"
# Methods and bodies a proxy must not pass on: TRACE (cross-site tracing), and a body that nlohmann's parser
# would read only up to a NUL byte while the upstream reads on.
expect trace-refused 405 "$(code -X TRACE -H "Authorization: Bearer $good_key" "$gw/v1/chat/completions")"
expect_grep trace-error-type '"type":"method_not_allowed"' "$tmp/body"
printf '{"model":"m","messages":[]}\0{"model":"other"}' > "$tmp/smuggled"
expect nul-smuggled-body 400 "$(code -X POST -H "Authorization: Bearer $good_key" --data-binary @"$tmp/smuggled" "$gw/v1/chat/completions")"
# HEAD: the upstream's answer states a length but has no body; the gateway must not wait for one.
expect head-answered "501 0" "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -I -H "x-api-key: $good_key" "$gw/predict") $?"
# Keep-alive: several requests over one connection.
curl -s -o /dev/null -o /dev/null -w '%{num_connects}\n' "$gw/healthz" "$gw/healthz" > "$tmp/connects"
expect keep-alive "1 0" "$(tr '\n' ' ' < "$tmp/connects" | sed 's/ $//')"
# Rate limit: a burst of 3, then 429 with Retry-After (one request per 100 s, so a slow machine cannot refill it).
for i in 1 2 3; do expect "rate-limit-burst-$i" 404 "$(code -H "x-api-key: $good_key" "$gw/limited/x")"; done
expect rate-limited 429 "$(curl -s -o "$tmp/body" -D "$tmp/headers" -w '%{http_code}' -H "x-api-key: $good_key" "$gw/limited/x")"
expect_grep retry-after "Retry-After: 10[01]" "$tmp/headers"
# Token budget under 200 concurrent requests: worst case (3 prompt + 5 max tokens) is reserved before
# forwarding and settled to usage (5), so the 100-token budget is never overshot.
/usr/bin/python3 "$here/concurrent_chat.py" 200 "$good_key" "$gw/budgeted/v1/chat/completions" > "$tmp/budget.txt"
read -r ok refused other < "$tmp/budget.txt"
echo "token budget under 200 concurrent requests: $ok admitted, $refused refused"
expect budget-no-errors 0 "$other"
expect budget-all-answered 200 "$((ok + refused))"
if [ "$((ok * 5))" -le 100 ] && [ "$ok" -ge 12 ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL budget: $ok requests got through (5 tokens each, budget 100)"; fi
expect budget-spent 429 "$(code -X POST -H "Authorization: Bearer $good_key" -d "$chat" "$gw/budgeted/v1/chat/completions")"
expect_grep budget-error-type '"type":"insufficient_quota"' "$tmp/body"

# The official openai npm client, through the gateway.
NODE_PATH=$node_modules node "$here/openai_client.js" "$gw/v1" "$good_key" > "$tmp/sdk.json" 2>&1
expect_grep sdk-chat '"content":"echo: from the sdk"' "$tmp/sdk.json"
expect_grep sdk-usage '"total_tokens":5' "$tmp/sdk.json"
expect_grep sdk-stream '"streamed":"echo: streamed"' "$tmp/sdk.json"
expect_grep audit-stream-event '"stream":true,"tokens":7' "$tmp/audit.jsonl"
expect_grep sdk-auth-error '"status":401,"type":"invalid_api_key","name":"AuthenticationError"' "$tmp/sdk.json"
code "$gw/metrics" > /dev/null
blocked=$((5 + 1 + 1 + 2 + 2 + refused + 1 + 3))  # 401s, 403, 413, TRACE and NUL refusals, duplicate credentials, budget refusals, the SDK's bad key, the path cases
expect_grep metrics-blocked "modelguard_gateway_blocked_total $blocked" "$tmp/body"
expect_grep metrics-5xx 'modelguard_gateway_requests_total{route="broken",code="5xx"} 1' "$tmp/body"
expect_grep metrics-latency-histogram 'modelguard_gateway_request_duration_seconds_count{route="chat"} [1-9]' "$tmp/body"
expect_grep metrics-blocks-by-reason 'modelguard_gateway_blocks_total{filter="token_budget",reason="insufficient_quota"} '"$((refused + 1))" "$tmp/body"

# Audit: one event per proxied request, digests instead of bodies, a chain that detects edits.
sleep 0.2
events=$(wc -l < "$tmp/audit.jsonl")
expect audit-events "$((12 + 2 + 3 + 4 + 200 + 1 + 1 + 6))" "$events"  # ... duplicate credentials, TRACE, NUL and HEAD, ... the SDK's streamed chat too
expect_grep audit-key-id '"key_id":"team-a"' "$tmp/audit.jsonl"
if grep -q "hello" "$tmp/audit.jsonl"; then fail=$((fail+1)); echo "FAIL audit holds the prompt"; else pass=$((pass+1)); fi
"$mg" audit verify "$tmp/audit.jsonl" > "$tmp/verify.out"; expect audit-intact 0 $?
sed -i '3s/"status":200/"status":201/' "$tmp/audit.jsonl"
"$mg" audit verify "$tmp/audit.jsonl" > "$tmp/verify.out"; expect audit-tampered 1 $?
expect_grep audit-names-line "line 4" "$tmp/verify.out"

# Bad configuration: a precise message and exit 2.
echo '{"routes": [{"path": "/x", "upstream": "nowhere"}]}' > "$tmp/bad.json"
"$mg" gateway serve --config "$tmp/bad.json" 2> "$tmp/bad.err"; expect bad-config-exit 2 $?
expect_grep bad-config-message "routes\[0\].upstream: no upstream named 'nowhere'" "$tmp/bad.err"

# SIGTERM stops the gateway with exit 0.
kill -TERM "${pids[1]}"; wait "${pids[1]}"; expect sigterm-exit 0 $?
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
