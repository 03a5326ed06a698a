# Shared by the gateway benchmarks (bench/gateway, bench/tools); sourced. Expects $mg, $tmp (holding
# post.lua, the request wrk sends), $duration, $threads, $connections and the array pids.

# Prints "requests/s p50_ms p99_ms"; a second argument "unloaded" uses one connection. Non-2xx answers fail the
# benchmark: an error page measured fast is no measurement.
measure() {
  if [ "${2:-}" = unloaded ]; then
    wrk -t1 -c1 -d"$duration" --latency -s "$tmp/post.lua" "$1" > "$tmp/wrk.txt"
  else
    wrk -t"$threads" -c"$connections" -d"$duration" --latency -s "$tmp/post.lua" "$1" > "$tmp/wrk.txt"
  fi
  if grep -q "Non-2xx" "$tmp/wrk.txt"; then
    echo "non-2xx answers from $1:" >&2
    cat "$tmp/wrk.txt" >&2
    exit 1
  fi
  local rps p50 p99
  rps=$(awk '/Requests\/sec/ {print $2}' "$tmp/wrk.txt")
  p50=$(awk '$1 == "50%" {print $2}' "$tmp/wrk.txt")
  p99=$(awk '$1 == "99%" {print $2}' "$tmp/wrk.txt")
  ms() { case $1 in *us) echo "scale=3; ${1%us} / 1000" | bc;; *ms) echo "${1%ms}";; *s) echo "scale=3; ${1%s} * 1000" | bc;; esac; }
  echo "$rps $(ms "$p50") $(ms "$p99")"
}

# Starts `modelguard gateway serve --config CONFIG` in the background (its pid last in pids).
start_gateway() {
  "$mg" gateway serve --config "$1" > /dev/null 2> "$tmp/gw.err" & pids+=($!)
  for _ in $(seq 1 100); do grep -q listening "$tmp/gw.err" && return; sleep 0.1; done
  echo "gateway did not start" >&2; cat "$tmp/gw.err" >&2; exit 1
}
