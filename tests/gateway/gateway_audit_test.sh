#!/usr/bin/env bash
# The audit trail under stress: the gateway killed with SIGKILL under load leaves a file whose chain still
# verifies (every line written is whole and chained; only events still queued in memory are lost), and a
# SIGTERM under load drains: every request that got an answer has its event in the file.
# usage: gateway_audit_test.sh MODELGUARD
set -u
mg=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/gateway_lib.sh"
expect_true() { if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: $2"; fi; }
start_gateway() {  # start_gateway NAME CONFIG -> sets gw_port, gw_pid
  "$mg" gateway serve --config "$2" 2> "$tmp/$1.err" & gw_pid=$!; pids+=($gw_pid)
  for _ in $(seq 1 100); do grep -q "listening on" "$tmp/$1.err" 2>/dev/null && break; sleep 0.1; done
  gw_port=$(sed -n 's/.*"msg":"listening on [0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/$1.err" | head -1)
  [ -n "$gw_port" ] || { echo "gateway $1 did not start:"; cat "$tmp/$1.err"; exit 1; }
}
/usr/bin/python3 "$here/upstream.py" "$tmp/up.port" & pids+=($!)
wait_for "$tmp/up.port" || { echo "upstream did not start"; exit 1; }
config() {  # config AUDIT_FILE
  cat <<YAML
listen: 127.0.0.1:0
threads: 2
upstreams: {model: "127.0.0.1:$(cat "$tmp/up.port")"}
routes: [{name: chat, path: /v1/chat/completions, upstream: model}]
audit: {jsonl: $1}
YAML
}
load() {  # load PORT N OUT: N requests from 16 concurrent clients; one status code per line
  /usr/bin/python3 - "$1" "$2" > "$3" <<'PY'
import sys, threading, urllib.request, urllib.error
port, n = sys.argv[1], int(sys.argv[2])
body = b'{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hello"}]}'
lock, left = threading.Lock(), [n]
def client():
    while True:
        with lock:
            if left[0] == 0: return
            left[0] -= 1
        try:
            code = urllib.request.urlopen(urllib.request.Request(f"http://127.0.0.1:{port}/v1/chat/completions", data=body), timeout=10).status
        except urllib.error.HTTPError as e:
            code = e.code
        except Exception:
            code = 0
        print(code, flush=True)
threads = [threading.Thread(target=client) for _ in range(16)]
for t in threads: t.start()
for t in threads: t.join()
PY
}

# SIGKILL under load, three times into the same file (each restart continues the chain).
config "$tmp/killed.jsonl" > "$tmp/killed.yaml"
for round in 1 2 3; do
  start_gateway "killed$round" "$tmp/killed.yaml"
  load "$gw_port" 100000 "$tmp/killed-load$round" & loader=$!
  sleep 1.5
  kill -9 "$gw_pid"; wait "$gw_pid" 2>/dev/null
  wait "$loader"
done
lines=$(wc -l < "$tmp/killed.jsonl")
answered=$(cat "$tmp"/killed-load* | grep -c '^200$')
echo "SIGKILL x3 under load: $answered answered, $lines audit lines"
expect_true sigkill-wrote-events "[ $lines -gt 100 ]"
"$mg" audit verify "$tmp/killed.jsonl" > "$tmp/verify-killed" 2>&1
expect sigkill-chain-verifies 0 "$?"
expect_true sigkill-lines-whole "[ \"\$(tail -c 1 '$tmp/killed.jsonl' | od -An -c | tr -d ' ')\" = '\\n' ]"

# SIGTERM under load: the gateway stops taking connections, finishes what it has, writes every event.
config "$tmp/drained.jsonl" > "$tmp/drained.yaml"
start_gateway drained "$tmp/drained.yaml"
load "$gw_port" 100000 "$tmp/drained-load" & loader=$!
sleep 1.5
kill -TERM "$gw_pid"; wait "$gw_pid"; code=$?
wait "$loader"
answered=$(grep -c '^200$' "$tmp/drained-load")
lines=$(wc -l < "$tmp/drained.jsonl")
echo "SIGTERM under load: $answered answered, $lines audit lines"
expect sigterm-exit-code 0 "$code"
expect_true sigterm-answered-some "[ $answered -gt 100 ]"
expect_true sigterm-every-answer-audited "[ $lines -ge $answered ]"
"$mg" audit verify "$tmp/drained.jsonl" > "$tmp/verify-drained" 2>&1
expect sigterm-chain-verifies 0 "$?"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
