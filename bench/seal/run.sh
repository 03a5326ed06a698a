#!/usr/bin/env bash
# scripts/bench seal: `modelguard seal` and `unseal` against age (X25519 recipient, ChaCha20-Poly1305 in 64 KiB
# chunks) and `openssl enc -aes-256-ctr` (a bare cipher: no authentication, no chunking) on the same random
# file of MIB MiB (default 4096), all on every core, files in memory (/dev/shm when it has room) so the disk
# is not what is measured. Best of 2 per tool; ratios against age.
# Usage: bench/seal/run.sh MODELGUARD [MIB]
set -euo pipefail
mg=$1
mib=${2:-4096}
base=/dev/shm
[ "$(df -m --output=avail /dev/shm | tail -1)" -gt $((mib * 3 + 512)) ] || base=${TMPDIR:-/tmp}
tmp=$(mktemp -d "$base/mg-bench-seal.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
head -c $((mib * 1024 * 1024)) /dev/urandom >"$tmp/model.bin"
"$mg" seal --new-key "$tmp/k" >/dev/null
age-keygen -o "$tmp/age.key" 2>/dev/null
recipient=$(grep -o 'age1[0-9a-z]*' "$tmp/age.key" | head -1)
best() {  # prints the best wall time in seconds of 2 runs of the command
  local best=999999
  for _ in 1 2; do
    local start end t
    start=$(date +%s.%N)
    "$@" >/dev/null 2>&1
    end=$(date +%s.%N)
    t=$(echo "$end - $start" | bc)
    if [ "$(echo "$t < $best" | bc)" = 1 ]; then best=$t; fi
  done
  echo "$best"
}
ours_seal=$(best "$mg" seal "$tmp/model.bin" -o "$tmp/m.sealed" --key-file "$tmp/k")
ours_unseal=$(best "$mg" unseal "$tmp/m.sealed" -o "$tmp/m.out" --key-file "$tmp/k")
cmp "$tmp/model.bin" "$tmp/m.out"
rm -f "$tmp/m.out"
age_seal=$(best age -r "$recipient" -o "$tmp/m.age" "$tmp/model.bin")
age_unseal=$(best age -d -i "$tmp/age.key" -o "$tmp/m.out" "$tmp/m.age")
rm -f "$tmp/m.out" "$tmp/m.age"
ossl_seal=$(best openssl enc -aes-256-ctr -pbkdf2 -pass pass:bench -in "$tmp/model.bin" -out "$tmp/m.enc")
ossl_unseal=$(best openssl enc -d -aes-256-ctr -pbkdf2 -pass pass:bench -in "$tmp/m.enc" -out "$tmp/m.out")
rate() { echo "scale=0; $mib / $1" | bc; }
echo "BENCH seal, $mib MiB, $(nproc) cores: modelguard $(rate "$ours_seal") MiB/s, age $(rate "$age_seal") MiB/s, openssl enc (aes-256-ctr, unauthenticated) $(rate "$ossl_seal") MiB/s; modelguard/age $(echo "scale=2; $age_seal / $ours_seal" | bc)x"
echo "BENCH unseal, $mib MiB, $(nproc) cores: modelguard $(rate "$ours_unseal") MiB/s, age $(rate "$age_unseal") MiB/s, openssl enc -d $(rate "$ossl_unseal") MiB/s; modelguard/age $(echo "scale=2; $age_unseal / $ours_unseal" | bc)x"
