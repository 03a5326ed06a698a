#!/usr/bin/env bash
# Whole-directory scan of a large model (safetensors + GGUF + ONNX with external data) against `cat` of the
# same files, and a tree of small mixed-format files against `cat`. Both warm page cache.
# Env: BENCH_DIR (default /tmp/modelguard-bench-formats), SAFETENSORS_MB (2048), GGUF_MB (1024), SMALL_FILES (10000).
set -euo pipefail
mg=$1
here=$(cd "$(dirname "$0")" && pwd)
dir=${BENCH_DIR:-/tmp/modelguard-bench-formats}
st=${SAFETENSORS_MB:-2048}; gg=${GGUF_MB:-1024}; small=${SMALL_FILES:-10000}
if [ ! -f "$dir/.ready-$st-$gg-$small" ]; then
  rm -rf "$dir"; mkdir -p "$dir"
  /usr/bin/python3 "$here/make_inputs.py" "$dir" "$st" "$gg" "$small"
  touch "$dir/.ready-$st-$gg-$small"
fi
best() {  # best-of-3 wall seconds of a command, output discarded
  local best=""
  for _ in 1 2 3; do
    local s e t
    s=$(date +%s.%N); "$@" >/dev/null 2>&1 || true; e=$(date +%s.%N)
    t=$(echo "$e - $s" | bc -l)
    if [ -z "$best" ] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  done
  echo "$best"
}
bytes=$(du -sb "$dir/model" | cut -f1)
cat "$dir"/model/* > /dev/null
ours=$(best "$mg" scan -q --format json "$dir/model")
base=$(best sh -c "cat \"$dir\"/model/* > /dev/null")
echo "BENCH model-directory ($((bytes / 1048576)) MB): ours $(echo "scale=0; $bytes / 1048576 / $ours" | bc -l) MB/s, cat $(echo "scale=0; $bytes / 1048576 / $base" | bc -l) MB/s, ratio $(echo "scale=1; $base / $ours" | bc -l)"
"$mg" scan -q --format json "$dir/model" | /usr/bin/python3 -c "import json,sys; d=json.load(sys.stdin); print('  findings:', sum(len(f['findings']) for f in d['files']), 'formats:', sorted({f['format'] for f in d['files']}))"
ours=$(best "$mg" scan -q --format json "$dir/small")
base=$(best find "$dir/small" -type f -exec cat {} +)
echo "BENCH small-mixed-files ($small): ours $(echo "scale=0; $small / $ours" | bc -l) files/s, cat $(echo "scale=0; $small / $base" | bc -l) files/s, ratio $(echo "scale=1; $base / $ours" | bc -l)"
