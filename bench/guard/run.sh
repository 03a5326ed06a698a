#!/usr/bin/env bash
# Guard latency per text, single core, all detectors on (normalisation with every decoder, classifier over
# sliding windows, signatures, PII, credentials), for ~200 B, ~2 KB and ~20 KB texts; against the same
# signature and entity rules run with Python's `re` (how Python guards scan) on the same texts and core.
# Env: COUNT (texts per size, default 2000).
set -euo pipefail
mg=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
count=${COUNT:-2000}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$here/make_inputs.py" "$root/../shared/datasets/prompt-security" "$tmp" "$count"
percentiles() {  # reads microseconds, prints "p50 p99" in ms
  sort -n | awk '{v[NR]=$1} END {p50=v[int(NR*0.50)]; p99=v[int(NR*0.99)]; printf "%.3f %.3f\n", p50/1000, p99/1000}'
}
for size in 200 2000 20000; do
  input="$tmp/texts-$size.jsonl"
  taskset -c 0 "$mg" guard classify --input "$input" --timing --fail-on never 2>/dev/null |
    /usr/bin/python3 -c 'import json,sys; [print(json.loads(l)["micros"]) for l in sys.stdin]' > "$tmp/mg.txt"
  taskset -c 0 /usr/bin/python3 "$here/regex_baseline.py" "$root/policies/guard-signatures.json" "$input" > "$tmp/re.txt"
  read -r mg50 mg99 < <(percentiles < "$tmp/mg.txt")
  read -r re50 re99 < <(percentiles < "$tmp/re.txt")
  echo "BENCH guard ${size}B: modelguard p50 ${mg50} ms p99 ${mg99} ms | python re (rules only) p50 ${re50} ms p99 ${re99} ms | speed-up p50 $(echo "scale=1; $re50 / $mg50" | bc)x p99 $(echo "scale=1; $re99 / $mg99" | bc)x"
done
# Start-up, once per process: cold (an empty cache: the rule databases are compiled, then stored) and warm
# (loaded from the user cache, as every start after the first), each including the model load and one text.
startup() {  # startup CACHE_DIR -> milliseconds
  local start end
  start=$(date +%s%N); echo '{"text":"hi"}' | MODELGUARD_CACHE_DIR=$1 "$mg" guard classify >/dev/null 2>&1; end=$(date +%s%N)
  echo $(( (end - start) / 1000000 ))
}
cache="$tmp/cache"
cold=$(startup "$cache")
warm=$(startup "$cache")
off=$(startup off)
echo "BENCH guard start-up: cold cache ${cold} ms (compile and store), warm cache ${warm} ms, cache off ${off} ms (goal < 100 ms warm)"
