#!/usr/bin/env bash
# modelguard hash against sha256sum and `openssl dgst -sha256` on one large file and on many small files
# (all cores for modelguard; the baselines are single-process, as users run them).
# Env: BENCH_DIR (/tmp/modelguard-bench-hash), LARGE_MB (4096), SMALL_FILES (100000).
set -euo pipefail
mg=$1
dir=${BENCH_DIR:-/tmp/modelguard-bench-hash}
mb=${LARGE_MB:-4096}; small=${SMALL_FILES:-100000}
if [ ! -f "$dir/.ready-$mb-$small" ]; then
  rm -rf "$dir"; mkdir -p "$dir/small"
  head -c "$((mb * 1048576))" /dev/urandom > "$dir/large.bin"
  /usr/bin/python3 - "$dir/small" "$small" <<'PY'
import os, sys
d, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    sub = os.path.join(d, f"d{i // 1000:03d}")
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f"f{i}"), "wb") as f:
        f.write(os.urandom(512 + i % 3584))
PY
  touch "$dir/.ready-$mb-$small"
fi
best() {
  local best=""
  for _ in 1 2 3; do
    local s e t; s=$(date +%s.%N); "$@" >/dev/null 2>&1; e=$(date +%s.%N); t=$(echo "$e - $s" | bc -l)
    if [ -z "$best" ] || (( $(echo "$t < $best" | bc -l) )); then best=$t; fi
  done
  echo "$best"
}
cat "$dir/large.bin" > /dev/null
ours_files=$(best "$mg" hash "$dir/large.bin")
ours_shards=$(best "$mg" hash --method shards --shard-size 268435456 "$dir/large.bin")
sum=$(best sha256sum "$dir/large.bin")
ossl=$(best openssl dgst -sha256 "$dir/large.bin")
mbs() { echo "scale=0; $mb / $1" | bc -l; }
echo "BENCH hash-large-file (files method, one stream): ours $(mbs "$ours_files") MB/s, sha256sum $(mbs "$sum") MB/s, ratio $(echo "scale=2; $sum / $ours_files" | bc -l)"
echo "BENCH hash-large-file (256 MB shards, all cores): ours $(mbs "$ours_shards") MB/s, openssl $(mbs "$ossl") MB/s, ratio $(echo "scale=2; $ossl / $ours_shards" | bc -l)"
ours=$(best "$mg" hash "$dir/small")
sum=$(best sh -c "find \"$dir/small\" -type f -print0 | xargs -0 sha256sum")
echo "BENCH hash-small-files ($small): ours $(echo "scale=0; $small / $ours" | bc -l) files/s, sha256sum $(echo "scale=0; $small / $sum" | bc -l) files/s, ratio $(echo "scale=2; $sum / $ours" | bc -l)"
