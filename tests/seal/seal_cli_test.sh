#!/usr/bin/env bash
# seal, unseal and rekey through the CLI: key files, passphrases (a file, or the environment), --info, JSON,
# standard output; a sparse file past 4 GiB (chunk indexes and offsets beyond 32 bits) sealed and unsealed
# in constant memory; hostile input: wrong and missing keys, a key file others can read, a model that is
# not a file, output over the input, an altered file (nothing written), a truncated one, a full disk. hash and
# verify of sealed files say that the digest is the sealed bytes'; given the key, scan, hash and verify read
# the plaintext (findings of a sealed malicious pickle, digests equal to the plain model's, a signature over
# the plain model verified on its sealed copy), and a wrong key or an altered file is reported.
# Usage: seal_cli_test.sh MODELGUARD
set -u
mg=$1
source "$(dirname "$0")/../tools/check_lib.sh"

head -c 300000 /dev/urandom >"$tmp/model.bin"
check "new key" 0 "$mg" seal --new-key "$tmp/k"
check "key mode 0600" 0 test "$(stat -c %a "$tmp/k")" = 600
check "an existing key is not replaced" 2 "$mg" seal --new-key "$tmp/k"
check "seal" 0 "$mg" seal "$tmp/model.bin" -o "$tmp/model.sealed" --key-file "$tmp/k" --chunk-size 65536
expect_grep "seal: says the key" "under a key file" "$tmp/out"
check "info without a key" 0 "$mg" unseal "$tmp/model.sealed" --info
expect_grep "info: digest" "$(sha256sum "$tmp/model.bin" | cut -c1-64)" "$tmp/out"
check "unseal" 0 "$mg" unseal "$tmp/model.sealed" -o "$tmp/back.bin" --key-file "$tmp/k"
check "round trip" 0 cmp "$tmp/model.bin" "$tmp/back.bin"
check "unseal to standard output" 0 bash -c "\"$mg\" unseal \"$tmp/model.sealed\" -o - --key-file \"$tmp/k\" | cmp - \"$tmp/model.bin\""
check "seal json" 0 "$mg" seal "$tmp/model.bin" -o "$tmp/j.sealed" --key-file "$tmp/k" --format json
expect_grep "json: chunks" '"chunks": 1' "$tmp/out"
printf 'a passphrase\n' >"$tmp/pw"
check "rekey to a passphrase" 0 "$mg" rekey "$tmp/model.sealed" -o "$tmp/p.sealed" --key-file "$tmp/k" --new-passphrase-file "$tmp/pw"
check "passphrase from the environment" 0 env MODELGUARD_SEAL_PASSPHRASE='a passphrase' "$mg" unseal "$tmp/p.sealed" -o "$tmp/p.bin" --passphrase-file env:
check "passphrase round trip" 0 cmp "$tmp/model.bin" "$tmp/p.bin"
check "help has an example" 0 "$mg" seal --help
expect_grep "help example" "Example" "$tmp/out"

# Hostile input.
"$mg" seal --new-key "$tmp/k2" >/dev/null
check "wrong key" 2 "$mg" unseal "$tmp/model.sealed" -o "$tmp/x" --key-file "$tmp/k2"
expect_grep "wrong key: names both ids" "wrong key" "$tmp/err"
check "nothing written on a wrong key" 1 test -e "$tmp/x"
check "no key" 2 "$mg" unseal "$tmp/model.sealed" -o "$tmp/x"
check "two keys" 2 "$mg" seal "$tmp/model.bin" -o "$tmp/x" --key-file "$tmp/k" --passphrase-file "$tmp/pw"
cp "$tmp/k" "$tmp/open.key"; chmod 644 "$tmp/open.key"
check "a key others can read" 2 "$mg" seal "$tmp/model.bin" -o "$tmp/x" --key-file "$tmp/open.key"
expect_grep "open key: says chmod" "chmod 600" "$tmp/err"
check "a directory as the model" 2 "$mg" seal "$tmp" -o "$tmp/x" --key-file "$tmp/k"
mkfifo "$tmp/fifo"
check "a FIFO as the model" 2 "$mg" seal "$tmp/fifo" -o "$tmp/x" --key-file "$tmp/k"
check "output over the input" 2 "$mg" seal "$tmp/model.bin" -o "$tmp/model.bin" --key-file "$tmp/k"
check "model intact" 0 cmp "$tmp/model.bin" "$tmp/back.bin"
check "to a full disk" 2 "$mg" seal "$tmp/model.bin" -o /dev/full --key-file "$tmp/k"
cp "$tmp/model.sealed" "$tmp/altered.sealed"
printf '\x00' | dd of="$tmp/altered.sealed" bs=1 seek=200000 conv=notrunc status=none
check "altered: refused" 2 "$mg" unseal "$tmp/altered.sealed" -o "$tmp/altered.bin" --key-file "$tmp/k"
expect_grep "altered: says so" "does not authenticate" "$tmp/err"
check "altered: nothing written" 1 test -e "$tmp/altered.bin"
head -c 1000 "$tmp/model.sealed" >"$tmp/cut.sealed"
check "truncated" 2 "$mg" unseal "$tmp/cut.sealed" -o "$tmp/x" --key-file "$tmp/k"
check "not sealed" 2 "$mg" unseal "$tmp/model.bin" --info
: >"$tmp/empty"
check "empty model seals" 0 "$mg" seal "$tmp/empty" -o "$tmp/empty.sealed" --key-file "$tmp/k"
check "empty model unseals" 0 "$mg" unseal "$tmp/empty.sealed" -o "$tmp/empty.back" --key-file "$tmp/k"
check "empty round trip" 0 cmp "$tmp/empty" "$tmp/empty.back"

# hash and verify read bytes: of a sealed file they say that its digest is the ciphertext's, not the model's.
check "hash of a sealed file" 0 "$mg" hash "$tmp/model.sealed"
expect_grep "hash: says it is sealed" "is a sealed model file" "$tmp/err"
check "hash of a plain file" 0 "$mg" hash "$tmp/model.bin"
cp "$tmp/err" "$tmp/plain.err"
check "hash of a plain file: no such warning" 1 grep -q "sealed model file" "$tmp/plain.err"
mkdir "$tmp/signed"
cp "$tmp/model.bin" "$tmp/signed/weights.bin"
openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$tmp/signer.pem" 2>/dev/null
openssl pkey -in "$tmp/signer.pem" -pubout -out "$tmp/signer.pub" 2>/dev/null
check "sign the plain model" 0 "$mg" sign key "$tmp/signed" --private-key "$tmp/signer.pem" --signature "$tmp/signed.sig"
check "verify the plain model" 0 "$mg" verify key "$tmp/signed" --signature "$tmp/signed.sig" --public-key "$tmp/signer.pub"
cp "$tmp/model.sealed" "$tmp/signed/weights.bin"
check "verify after sealing fails" 1 "$mg" verify key "$tmp/signed" --signature "$tmp/signed.sig" --public-key "$tmp/signer.pub"
expect_grep "verify: says why" "weights.bin is a sealed model file" "$tmp/out"

# With the key, scan, hash and verify read a sealed file's plaintext, never writing it anywhere.
/usr/bin/python3 -c '
import os, pickle, sys
class Payload:
    def __reduce__(self):
        return (os.system, ("echo owned",))
sys.stdout.buffer.write(pickle.dumps(Payload(), protocol=4))' >"$tmp/evil.pkl"
check "seal a malicious pickle" 0 "$mg" seal "$tmp/evil.pkl" -o "$tmp/evil.pkl.sealed" --key-file "$tmp/k"
check "scan without the key: unscannable" 1 "$mg" scan "$tmp/evil.pkl.sealed" --format json
expect_grep "scan without the key: sealed.encrypted" '"sealed.encrypted"' "$tmp/out"
check "scan with the key: the plaintext's findings" 1 "$mg" scan "$tmp/evil.pkl.sealed" --format json --show-info --seal-key-file "$tmp/k"
expect_grep "scan with the key: os.system found" 'posix.system' "$tmp/out"
expect_grep "scan with the key: format is the plaintext's" '"format": "pickle"' "$tmp/out"
expect_grep "scan with the key: says it unsealed" '"scan.unsealed"' "$tmp/out"
check "scan with the key: no sealed.encrypted" 1 grep -q '"sealed.encrypted"' "$tmp/out"
check "scan with the key: nothing left on disk" 0 test "$(ls "$tmp" | grep -c evil)" = 2
check "scan a tree with the key" 1 "$mg" scan "$tmp" --format json --seal-key-file "$tmp/k" --fail-on critical
expect_grep "tree: os.system in the sealed pickle" 'posix.system' "$tmp/out"
check "scan a clean sealed model with the key" 0 "$mg" scan "$tmp/model.sealed" --seal-key-file "$tmp/k"
check "scan with the wrong key" 1 "$mg" scan "$tmp/evil.pkl.sealed" --format json --seal-key-file "$tmp/k2"
expect_grep "wrong key: scan.unseal-failed" '"scan.unseal-failed"' "$tmp/out"
check "scan an altered sealed file" 1 "$mg" scan "$tmp/altered.sealed" --format json --seal-key-file "$tmp/k"
expect_grep "altered: scan.unseal-failed" "does not authenticate" "$tmp/out"
check "scan past --max-unsealed-size" 1 "$mg" scan "$tmp/model.sealed" --format json --seal-key-file "$tmp/k" --max-unsealed-size 1000
expect_grep "max size: says so" "into memory" "$tmp/out"
check "scan with two seal keys" 2 "$mg" scan "$tmp/model.sealed" --seal-key-file "$tmp/k" --seal-passphrase-file "$tmp/pw"
check "scan of a passphrase-sealed file" 0 "$mg" scan "$tmp/p.sealed" --seal-passphrase-file "$tmp/pw"

check "hash with the key" 0 "$mg" hash "$tmp/model.sealed" --seal-key-file "$tmp/k"
cp "$tmp/out" "$tmp/hash-sealed"
check "hash with the key: no warning" 1 grep -q "sealed model file" "$tmp/err"
"$mg" hash "$tmp/model.bin" >"$tmp/hash-plain"
check "hash with the key equals the plaintext's" 0 cmp "$tmp/hash-sealed" "$tmp/hash-plain"
mkdir "$tmp/tree-plain" "$tmp/tree-sealed"
cp "$tmp/model.bin" "$tmp/tree-plain/weights.bin"; printf '{"a": 1}' >"$tmp/tree-plain/config.json"
cp "$tmp/model.sealed" "$tmp/tree-sealed/weights.bin.sealed"; cp "$tmp/tree-plain/config.json" "$tmp/tree-sealed/"
for method in files shards; do
  "$mg" hash "$tmp/tree-plain" --method $method --shard-size 70000 >"$tmp/tp-$method"
  check "hash a tree with the key ($method)" 0 "$mg" hash "$tmp/tree-sealed" --method $method --shard-size 70000 --seal-key-file "$tmp/k"
  cp "$tmp/out" "$tmp/ts-$method"
  check "tree with the key equals the plain tree ($method)" 0 cmp "$tmp/ts-$method" "$tmp/tp-$method"
done
cp "$tmp/model.bin" "$tmp/tree-sealed/weights.bin"
check "a sealed file beside its plaintext name" 2 "$mg" hash "$tmp/tree-sealed" --seal-key-file "$tmp/k"
expect_grep "name clash: says so" "would both be named" "$tmp/err"
rm "$tmp/tree-sealed/weights.bin"
check "hash with the wrong key" 2 "$mg" hash "$tmp/tree-sealed" --seal-key-file "$tmp/k2"
expect_grep "hash wrong key: says so" "cannot unseal" "$tmp/err"

check "verify the sealed copy with the key" 0 "$mg" verify key "$tmp/signed" --signature "$tmp/signed.sig" --public-key "$tmp/signer.pub" --seal-key-file "$tmp/k"
mv "$tmp/signed/weights.bin" "$tmp/signed/weights.bin.sealed"
check "verify with the key: the .sealed name is the plaintext's" 0 "$mg" verify key "$tmp/signed" --signature "$tmp/signed.sig" --public-key "$tmp/signer.pub" --seal-key-file "$tmp/k"
cp "$tmp/altered.sealed" "$tmp/signed/weights.bin.sealed"
check "verify an altered sealed copy" 2 "$mg" verify key "$tmp/signed" --signature "$tmp/signed.sig" --public-key "$tmp/signer.pub" --seal-key-file "$tmp/k"
expect_grep "verify altered: says so" "does not authenticate" "$tmp/err"
"$mg" seal "$tmp/back.bin" -o "$tmp/other.sealed" --key-file "$tmp/k" >/dev/null
printf 'x' >>"$tmp/back.bin"
"$mg" seal "$tmp/back.bin" -o "$tmp/signed/weights.bin.sealed" --key-file "$tmp/k" >/dev/null
check "verify a sealed copy of another model" 1 "$mg" verify key "$tmp/signed" --signature "$tmp/signed.sig" --public-key "$tmp/signer.pub" --seal-key-file "$tmp/k"
expect_grep "verify other model: names the file" "weights.bin" "$tmp/out"

# Past 4 GiB: a sparse file (holes read as zeros), sealed in 64 MiB chunks, unsealed to standard output and
# compared with zeros; peak memory stays at a few chunks, not the file.
truncate -s 4300M "$tmp/sparse.bin"
printf 'end' >>"$tmp/sparse.bin"
check "sparse: seal" 0 /usr/bin/time -f "%M" -o "$tmp/rss" "$mg" seal "$tmp/sparse.bin" -o "$tmp/sparse.sealed" --key-file "$tmp/k" --chunk-size 67108864
check "sparse: bounded memory" 0 test "$(tail -1 "$tmp/rss")" -lt 1200000
rm -f "$tmp/sparse.bin"
check "sparse: unseal" 0 bash -c "\"$mg\" unseal \"$tmp/sparse.sealed\" -o - --key-file \"$tmp/k\" | tail -c 3 | grep -q end"
finish
