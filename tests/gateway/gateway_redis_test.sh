#!/usr/bin/env bash
# Gateway replicas sharing limits through Redis Cluster and Redis Sentinel, with real redis-server
# processes: a 3-master cluster (scripts/start-redis-cluster) behind two replicas that share one token
# budget under 200 concurrent requests; the master holding the budget's slot restarted under load, once
# with on_error: closed (503 while it is down) and once with on_error: open (admitted while it is down),
# both recovering without a gateway restart; and a Sentinel failover (replica promoted) followed by the
# gateway without a restart. Last, a Redis that never answers: the gateway's one event loop keeps serving
# other requests while one waits, and the waiting one fails closed when its command times out.
# usage: gateway_redis_test.sh MODELGUARD
set -u
mg=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
tmp=$(mktemp -d)
pids=()
redis_ports=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${redis_ports[@]}"; do redis-cli -p "$p" shutdown nosave >/dev/null 2>&1; done
  wait 2>/dev/null; rm -rf "$tmp"
}
trap cleanup EXIT
pass=0; fail=0
expect() { if [ "$2" = "$3" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: want '$2', got '$3'"; fi; }
expect_true() { if eval "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: $2"; fi; }
wait_for() { for _ in $(seq 1 150); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_ports() {  # free_ports N: the first of N consecutive free ports (and their cluster bus ports, +10000)
  for _ in $(seq 1 50); do
    local first=$((20000 + RANDOM % 8000)) ok=1
    for i in $(seq 0 $(($1 - 1))); do port_free $((first + i)) && port_free $((first + i + 10000)) || ok=0; done
    [ $ok = 1 ] && { echo $first; return; }
  done
  echo "no free ports" >&2; exit 1
}
start_gateway() {  # start_gateway NAME CONFIG -> sets gw_port, gw_pid
  "$mg" gateway serve --config "$2" 2> "$tmp/$1.err" & gw_pid=$!; pids+=($gw_pid)
  for _ in $(seq 1 100); do grep -q "listening on" "$tmp/$1.err" 2>/dev/null && break; sleep 0.1; done
  gw_port=$(sed -n 's/.*"msg":"listening on [0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/$1.err" | head -1)
  [ -n "$gw_port" ] || { echo "gateway $1 did not start:"; cat "$tmp/$1.err"; exit 1; }
}
chat() {  # chat PORT [BODY_FILE]: the status code; the answer lands in BODY_FILE ($tmp/body)
  curl -s -o "${2:-$tmp/body}" -w '%{http_code}' --max-time 5 -d '{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}' "http://127.0.0.1:$1/v1/chat/completions"
}
config() {  # config URI ON_ERROR TOKENS
  cat <<YAML
listen: 127.0.0.1:0
state: {redis: "$1", timeout_ms: 200, on_error: $2}
upstreams: {model: "127.0.0.1:$(cat "$tmp/up.port")"}
filters: {token_budget: {tokens: $3, window_seconds: 86400, default_max_tokens: 5}}
routes: [{name: budgeted, path: /v1/chat/completions, upstream: model, filters: [token_budget]}]
YAML
}
start_node() {  # start_node PORT [extra redis-server args...]
  redis-server --port "$1" --bind 127.0.0.1 --save '' --appendonly no --daemonize yes --dir "$tmp" \
    --logfile "$tmp/redis-$1.log" "${@:2}" >/dev/null
  for _ in $(seq 1 50); do redis-cli -p "$1" ping >/dev/null 2>&1 && break; sleep 0.1; done
}

/usr/bin/python3 "$here/upstream.py" "$tmp/up.port" & pids+=($!)
wait_for "$tmp/up.port" || { echo "upstream did not start"; exit 1; }

# --- Redis Cluster: three masters, two replicas sharing one budget -------------------------------------
first=$(free_ports 3)
redis_ports+=("$first" $((first + 1)) $((first + 2)))
cluster=$("$root/scripts/start-redis-cluster" "$first" "$tmp/cluster") || { echo "cluster did not start"; exit 1; }
config "$cluster" closed 100 > "$tmp/closed.yaml"
start_gateway r1 "$tmp/closed.yaml"; r1=$gw_port
start_gateway r2 "$tmp/closed.yaml"; r2=$gw_port
/usr/bin/python3 "$here/concurrent_chat.py" 200 - "http://127.0.0.1:$r1/v1/chat/completions" "http://127.0.0.1:$r2/v1/chat/completions" > "$tmp/shared"
read -r ok refused other < "$tmp/shared"
echo "Redis Cluster (3 masters), two replicas, one 100-token budget, 200 concurrent requests: $ok admitted, $refused refused, $other other"
expect cluster-no-errors 0 "$other"
expect_true cluster-budget-not-exceeded "[ $((ok * 5)) -le 100 ] && [ $ok -ge 12 ]"
# The budget's keys carry the account as a hash tag: all in one slot, on one master.
slot=$(redis-cli -p "$first" cluster keyslot 'mg:budget:{route:budgeted}')
owner=""
for p in "$first" $((first + 1)) $((first + 2)); do
  [ "$(redis-cli -p "$p" cluster countkeysinslot "$slot")" -gt 0 ] && owner=$p
done
expect_true cluster-owner-found "[ -n '$owner' ]"
expect cluster-budget-keys-on-owner 1 "$(redis-cli -p "$owner" exists 'mg:budget:{route:budgeted}')"

# A gateway that fails open, on the same cluster, with a fresh budget.
config "$cluster" open 1000000 > "$tmp/open.yaml"
sed -i 's/name: budgeted/name: open/' "$tmp/open.yaml"
start_gateway open "$tmp/open.yaml"; open_port=$gw_port
expect open-before-outage 200 "$(chat "$open_port")"
open_owner_slot=$(redis-cli -p "$first" cluster keyslot 'mg:budget:{route:open}')
expect_true open-budget-on-same-master "[ $(redis-cli -p "$owner" cluster countkeysinslot "$open_owner_slot") -gt 0 ]"

# The master holding the closed budget's slot goes down under load and comes back with its cluster file.
# (The load writes its answers to a file of its own, so the checks below read their own answer.)
for i in $(seq 1 60); do chat "$r1" "$tmp/load-body"; echo; sleep 0.05; done > "$tmp/under-restart" &
load=$!
sleep 0.3
redis-cli -p "$owner" shutdown nosave >/dev/null 2>&1; sleep 0.3
expect cluster-down-fails-closed 503 "$(chat "$r1")"
expect_true cluster-down-says-why "grep -q limits_unavailable '$tmp/body'"
# The open gateway's budget lives on the same master (both slots fall in the middle master's range of a
# 3-master cluster), so it is down too: on_error open admits anyway.
expect cluster-down-open-admits 200 "$(chat "$open_port")"
start_node "$owner" --cluster-enabled yes --cluster-config-file "$tmp/cluster/nodes-$owner.conf" --cluster-node-timeout 2000
for _ in $(seq 1 100); do redis-cli -p "$owner" cluster info | grep -q '^cluster_state:ok' && break; sleep 0.1; done
sleep 0.6
wait "$load"
expect cluster-restart-answers-clear 0 "$(grep -cvE '^(200|429|503)$' "$tmp/under-restart")"
expect_true cluster-restart-saw-outage "grep -q '^503$' '$tmp/under-restart'"
# The node restarted empty, so the load may already have spent the new budget: 200 or 429, never 503 again.
expect_true cluster-recovered-under-load "awk '/^503$/ {down=1} down && /^(200|429)$/ {up=1} END {exit !up}' '$tmp/under-restart'"
expect_true cluster-recovered-r1 "[[ \"\$(chat $r1)\" =~ ^(200|429)$ ]]"
expect_true cluster-recovered-r2 "[[ \"\$(chat $r2)\" =~ ^(200|429)$ ]]"
expect cluster-recovered-open 200 "$(chat "$open_port")"
echo "closed budget's slot $slot on master $owner (open budget's slot $open_owner_slot): outage and recovery seen"

# --- Redis Sentinel: the gateway follows a failover ----------------------------------------------------
base=$(free_ports 3)
master=$base replica=$((base + 1)) sentinel=$((base + 2))
redis_ports+=("$master" "$replica" "$sentinel")
start_node "$master"
start_node "$replica" --replicaof 127.0.0.1 "$master"
cat > "$tmp/sentinel.conf" <<CONF
port $sentinel
bind 127.0.0.1
daemonize yes
logfile $tmp/sentinel.log
dir $tmp
sentinel monitor main 127.0.0.1 $master 1
sentinel down-after-milliseconds main 1000
sentinel failover-timeout main 5000
CONF
redis-server "$tmp/sentinel.conf" --sentinel >/dev/null
for _ in $(seq 1 50); do redis-cli -p "$sentinel" ping >/dev/null 2>&1 && break; sleep 0.1; done
for _ in $(seq 1 50); do [ "$(redis-cli -p "$master" info replication | grep -c 'slave0:.*state=online')" = 1 ] && break; sleep 0.1; done
config "redis+sentinel://127.0.0.1:$sentinel/main" closed 1000 > "$tmp/sentinel.yaml"
start_gateway sentinel "$tmp/sentinel.yaml"; s_port=$gw_port
expect sentinel-serves 200 "$(chat "$s_port")"
expect sentinel-budget-on-master 1 "$(redis-cli -p "$master" exists 'mg:budget:{route:budgeted}')"
# The sentinel learns about the replica from the master's INFO (every few seconds): retry the failover
# until the sentinel accepts it (it answers NOGOODREPLICA before then).
for _ in $(seq 1 150); do
  [ "$(redis-cli -p "$sentinel" sentinel failover main 2>&1)" = OK ] && break; sleep 0.2
done
for _ in $(seq 1 200); do
  [ "$(redis-cli -p "$sentinel" sentinel get-master-addr-by-name main | tail -1)" = "$replica" ] && break; sleep 0.1
done
expect sentinel-promoted "$replica" "$(redis-cli -p "$sentinel" sentinel get-master-addr-by-name main | tail -1)"
# Wait until the promoted replica accepts writes, then the gateway writes there (READONLY from the old master
# or a dropped connection makes it ask the sentinel again).
for _ in $(seq 1 100); do redis-cli -p "$replica" info replication | grep -q '^role:master' && break; sleep 0.1; done
sleep 1.1  # the gateway asks the sentinel again at least once a second
codes=""
for i in 1 2 3 4 5; do codes="$codes $(chat "$s_port")"; sleep 0.2; done
expect_true sentinel-follows-failover "[[ '$codes' == *' 200' ]]"
expect sentinel-budget-on-new-master 1 "$(redis-cli -p "$replica" exists 'mg:budget:{route:budgeted}')"
echo "sentinel failover: answers after promotion:$codes"

# --- A Redis that accepts connections and never answers, behind a gateway with ONE event loop ---------
# The request waiting on Redis must not hold up the others on that loop: /healthz answers while it waits,
# and the waiting request fails closed (503) once the command times out.
/usr/bin/python3 - "$tmp/silent.port" <<'PY' & pids+=($!)
import socket, sys, time
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(64)
open(sys.argv[1] + ".tmp", "w").write(str(s.getsockname()[1]))
import os; os.rename(sys.argv[1] + ".tmp", sys.argv[1])
held = []
while True:
    c, _ = s.accept(); held.append(c)  # read nothing, answer nothing
PY
wait_for "$tmp/silent.port" || { echo "silent server did not start"; exit 1; }
cat > "$tmp/silent.yaml" <<YAML
listen: 127.0.0.1:0
threads: 1
state: {redis: "redis://127.0.0.1:$(cat "$tmp/silent.port")", timeout_ms: 1500, on_error: closed}
upstreams: {model: "127.0.0.1:$(cat "$tmp/up.port")"}
filters: {token_budget: {tokens: 100, window_seconds: 86400, default_max_tokens: 5}}
routes: [{name: budgeted, path: /v1/chat/completions, upstream: model, filters: [token_budget]}]
YAML
start_gateway silent "$tmp/silent.yaml"; q_port=$gw_port
chat "$q_port" > "$tmp/silent.code" & waiting=$!
sleep 0.3  # the chat request is now waiting for Redis
health=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 5 "http://127.0.0.1:$q_port/healthz")
wait "$waiting"
echo "hanging Redis, one event loop: /healthz meanwhile answered '$health' (code, seconds); the waiting request got $(cat "$tmp/silent.code")"
expect silent-healthz-answers 200 "${health% *}"
expect_true silent-healthz-not-held "awk 'BEGIN{exit !(${health#* } < 0.5)}'"
expect silent-request-fails-closed 503 "$(cat "$tmp/silent.code")"

echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
