#!/usr/bin/env bash
# Scanner throughput and peak memory against baselines measured in the same run:
#   (a) 2M-element float list pickle (~18 MB): python -m pickletools, picklescan
#   (b) real-looking torch checkpoint (default 1 GB): cat (disk/page-cache bound), picklescan
#   (c) 10,000 small files: cat, picklescan
# picklescan is used when PICKLESCAN_SRC points at its src/ directory (not installable from Debian).
# Env: BENCH_DIR (inputs, default /tmp/modelguard-bench), CHECKPOINT_MB (1024), SMALL_FILES (10000).
set -euo pipefail
mg=$1
here=$(cd "$(dirname "$0")" && pwd)
dir=${BENCH_DIR:-/tmp/modelguard-bench}
mb=${CHECKPOINT_MB:-1024}
small=${SMALL_FILES:-10000}
picklescan_src=${PICKLESCAN_SRC:-}
py=/usr/bin/python3

if [ ! -f "$dir/.ready-$mb-$small" ]; then
  rm -rf "$dir"; mkdir -p "$dir"
  "$py" "$here/make_inputs.py" "$dir" "$mb" "$small"
  touch "$dir/.ready-$mb-$small"
fi

# run LABEL CMD... -> sets SECS and KB (peak RSS) of the command, output discarded
run() {
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -f "%M" -o "$dir/.mem" "$@" >/dev/null 2>&1 || true
  end=$(date +%s.%N)
  SECS=$(echo "$end - $start" | bc -l)
  KB=$(tail -1 "$dir/.mem")
}
best_of() {  # best_of N CMD... -> SECS minimal over N runs, KB of that run
  local n=$1; shift; local best="" bkb=""
  for _ in $(seq "$n"); do run "$@"; if [ -z "$best" ] || (( $(echo "$SECS < $best" | bc -l) )); then best=$SECS; bkb=$KB; fi; done
  SECS=$best; KB=$bkb
}
mbps() { echo "scale=1; $1 / 1048576 / $2" | bc -l; }
ratio() { echo "scale=1; $1 / $2" | bc -l; }
picklescan=(env PYTHONPATH="$picklescan_src" "$py" -m picklescan)
if [ -n "$picklescan_src" ] && ! "${picklescan[@]}" --help >/dev/null 2>&1; then
  echo "PICKLESCAN_SRC=$picklescan_src does not run; skipping that baseline" >&2
  picklescan_src=""
fi

size_a=$(stat -c %s "$dir/float_list.pkl")
size_b=$(stat -c %s "$dir/checkpoint.pt")
size_c=$(du -sb "$dir/small" | cut -f1)
cat "$dir/checkpoint.pt" > /dev/null  # warm the page cache for every contender alike

echo "inputs: float_list.pkl $((size_a/1048576)) MB, checkpoint.pt $((size_b/1048576)) MB, $small small files"

# (a) opcode-heavy pickle, single job
best_of 3 "$mg" scan -q -j 1 --format json "$dir/float_list.pkl"; ours=$SECS; ours_kb=$KB
run "$py" -m pickletools "$dir/float_list.pkl"; base=$SECS; base_kb=$KB
echo "BENCH opcode-heavy-pickle: ours $(mbps "$size_a" "$ours") MB/s (peak $((ours_kb/1024)) MB), pickletools $(mbps "$size_a" "$base") MB/s (peak $((base_kb/1024)) MB), ratio $(ratio "$base" "$ours")"
if [ -n "$picklescan_src" ]; then
  run "${picklescan[@]}" -p "$dir/float_list.pkl"; base=$SECS; base_kb=$KB
  echo "BENCH opcode-heavy-pickle: ours $(mbps "$size_a" "$ours") MB/s, picklescan $(mbps "$size_a" "$base") MB/s (peak $((base_kb/1024)) MB), ratio $(ratio "$base" "$ours")"
fi

# (b) large checkpoint
best_of 3 "$mg" scan -q --format json "$dir/checkpoint.pt"; ours=$SECS; ours_kb=$KB
best_of 3 cat "$dir/checkpoint.pt"; base=$SECS
echo "BENCH torch-checkpoint: ours $(mbps "$size_b" "$ours") MB/s (peak $((ours_kb/1024)) MB), cat $(mbps "$size_b" "$base") MB/s, ratio $(ratio "$base" "$ours")"
if [ -n "$picklescan_src" ]; then
  run "${picklescan[@]}" -p "$dir/checkpoint.pt"; base=$SECS; base_kb=$KB
  echo "BENCH torch-checkpoint: ours $(mbps "$size_b" "$ours") MB/s, picklescan $(mbps "$size_b" "$base") MB/s (peak $((base_kb/1024)) MB), ratio $(ratio "$base" "$ours")"
fi

# (c) many small files, all cores
best_of 3 "$mg" scan -q --format json "$dir/small"; ours=$SECS; ours_kb=$KB
best_of 3 find "$dir/small" -type f -exec cat {} +; base=$SECS
echo "BENCH small-files: ours $(echo "scale=0; $small / $ours" | bc -l) files/s (peak $((ours_kb/1024)) MB), cat $(echo "scale=0; $small / $base" | bc -l) files/s, ratio $(ratio "$base" "$ours")"
if [ -n "$picklescan_src" ]; then
  run "${picklescan[@]}" -p "$dir/small"; base=$SECS
  echo "BENCH small-files: ours $(echo "scale=0; $small / $ours" | bc -l) files/s, picklescan $(echo "scale=0; $small / $base" | bc -l) files/s, ratio $(ratio "$base" "$ours")"
fi
