#!/usr/bin/env bash
# The CLI contract CI pipelines rely on: exit codes, formats, stdin, output files, policies, --help.
set -u
bin=$1; fixtures=$2; shared=$3
source "$(dirname "$0")/check_lib.sh"

check clean-file 0 "$bin" scan "$fixtures/benign/torch_state_dict.pt"
check malicious-file 1 "$bin" scan "$fixtures/malicious/torch_zip_payload.pt"
check missing-file 2 "$bin" scan "$fixtures/does-not-exist.pt"
check bad-format 2 "$bin" scan --format xml "$fixtures/benign/array.npy"
check bad-fail-on 2 "$bin" scan --fail-on urgent "$fixtures/benign/array.npy"
check no-args 2 "$bin" scan
check help 0 "$bin" scan --help
expect_match help-example "modelguard scan model.pt" "$tmp/out"
check version 0 "$bin" --version
check fail-on-medium 1 "$bin" scan --fail-on medium "$fixtures/benign/torchscript.pt"
check fail-on-critical 0 "$bin" scan --fail-on critical "$fixtures/benign/torchscript.pt"
check bad-policy 2 "$bin" scan --policy "$fixtures/manifest.tsv" "$fixtures/benign/array.npy"

check stdin 1 bash -c "\"$bin\" scan - < \"$fixtures/malicious/pickle_reduce_v0.pkl\""
check json 1 "$bin" scan --format json "$fixtures/malicious" -o "$tmp/report.json"
/usr/bin/python3 - "$tmp/report.json" <<'PY' && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL json-shape"; }
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["schema"] == "modelguard.scan/v1"
assert all(f["findings"] for f in doc["files"]), "every malicious fixture has findings"
assert all(isinstance(f["seconds"], float) for f in doc["files"])
PY
check sarif 1 "$bin" scan --format sarif "$fixtures/malicious/stack_global_memo.pkl" -o "$tmp/report.sarif"
/usr/bin/python3 - "$tmp/report.sarif" <<'PY' && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL sarif-shape"; }
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["version"] == "2.1.0"
run = doc["runs"][0]
rules = run["tool"]["driver"]["rules"]
assert run["results"], "results present"
for r in run["results"]:
    assert rules[r["ruleIndex"]]["id"] == r["ruleId"]
    assert r["level"] in ("error", "warning", "note")
PY

# A user policy can allow a class and raise a rule.
cat > "$tmp/policy.json" <<'JSON'
{"imports": {"allow": ["__main__.Net"]}, "rules": {"torchscript.code": {"severity": "critical"}}}
JSON
check policy-raise 1 "$bin" scan --policy "$tmp/policy.json" "$fixtures/benign/torchscript.pt"

# Symlinks leaving the tree are reported, not followed.
mkdir -p "$tmp/tree"
cp "$fixtures/benign/array.npy" "$tmp/tree/"
ln -s /etc/passwd "$tmp/tree/escape"
mkfifo "$tmp/tree/pipe"
check symlink 0 "$bin" scan --format json "$tmp/tree"
expect_match symlink-reported "scan.symlink" "$tmp/out"
expect_match fifo-reported "scan.special-file" "$tmp/out"

# Repository view: Python next to weights, and auto_map in config.json.
check repo 1 "$bin" scan --format json "$fixtures/repo_remote_code"
expect_match repo-custom-code "repo.custom-code" "$tmp/out"
expect_match repo-remote-code "config.remote-code" "$tmp/out"

check card-mismatch 1 "$bin" scan --format json "$fixtures/repo_card_mismatch"
expect_match card-mismatch-rule "repo.declared-format-mismatch" "$tmp/out"

# ONNX external data resolves next to the model: present -> clean, traversal -> critical.
check onnx-external 0 "$bin" scan "$fixtures/formats/onnx_external"
check onnx-traversal 1 "$bin" scan "$fixtures/formats/onnx_traversal.onnx"
# A 10-byte safetensors file whose header length claims 2^40 bytes is a broken safetensors file (exit 1), not
# an unknown format with an extension mismatch (exit 0).
check safetensors-header-oob 1 "$bin" scan --format json "$fixtures/formats/st_huge_header.safetensors"
expect_match safetensors-header-oob-rule "safetensors.header-out-of-bounds" "$tmp/out"

# hash: the same manifest as sha256sum for a single file, and a JSON manifest for a tree.
check hash-file 0 "$bin" hash "$fixtures/benign/array.npy"
want=$(sha256sum "$fixtures/benign/array.npy" | cut -d' ' -f1)
expect_match hash-matches-sha256sum ".:$want" "$tmp/out"
check hash-tree 0 "$bin" hash --format json --method shards --shard-size 4096 "$fixtures/benign"
expect_match hash-json-schema "modelguard.manifest/v1" "$tmp/out"
check hash-missing 2 "$bin" hash "$fixtures/nope"
check hash-bad-method 2 "$bin" hash --method chunks "$fixtures/benign"

# verify key: a golden bundle verifies; a copy with a changed file fails with a diff.
ms="$shared/interop/model-signing"
check verify-golden 0 "$bin" verify key "$ms/v1.1.0-elliptic-key" --signature "$ms/v1.1.0-elliptic-key/model.sig" \
  --public-key "$ms/keys/certificate/signing-key-pub.pem" --ignore ignore-me
cp -r "$ms/v1.1.0-elliptic-key" "$tmp/signed" && chmod -R u+w "$tmp/signed" && echo tampered >> "$tmp/signed/signme-2"
check verify-tampered 1 "$bin" verify key "$tmp/signed" --signature "$tmp/signed/model.sig" \
  --public-key "$ms/keys/certificate/signing-key-pub.pem" --ignore ignore-me
expect_match verify-diff "modified: signme-2" "$tmp/out"
check verify-no-key 2 "$bin" verify key "$tmp/signed" --signature "$tmp/signed/model.sig" --public-key "$tmp/nope.pem"

check verify-certificate 0 "$bin" verify certificate "$ms/v0.2.0-certificate" --signature "$ms/v0.2.0-certificate/model.sig" \
  --certificate-chain "$ms/keys/certificate/ca-cert.pem"
# Issue 16: a repeatable option before the positional takes one value, so any order works.
check verify-certificate-any-order 0 "$bin" verify certificate --certificate-chain "$ms/keys/certificate/ca-cert.pem" \
  "$ms/v0.2.0-certificate" --signature "$ms/v0.2.0-certificate/model.sig"
check verify-key-ignore-first 0 "$bin" verify key --ignore ignore-me "$ms/v1.1.0-elliptic-key" \
  --signature "$ms/v1.1.0-elliptic-key/model.sig" --public-key "$ms/keys/certificate/signing-key-pub.pem"
check verify-sigstore-offline 0 "$bin" verify sigstore "$ms/v1.1.0-sigstore" --signature "$ms/v1.1.0-sigstore/model.sig" \
  --identity stefanb@us.ibm.com --identity-provider https://sigstore.verify.ibm.com/oauth2 --ignore ignore-me
expect_match verify-sigstore-warns "no --trust-root" "$tmp/out"
check verify-sigstore-identity 1 "$bin" verify sigstore "$ms/v1.1.0-sigstore" --signature "$ms/v1.1.0-sigstore/model.sig" \
  --identity someone@else.example --identity-provider https://sigstore.verify.ibm.com/oauth2 --ignore ignore-me

# sign -> verify -> log: a signed tree verifies, the log records both and proves the signature's entry.
mkdir -p "$tmp/model/sub" && echo w > "$tmp/model/w.bin" && echo c > "$tmp/model/sub/c.json"
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/k.pem" 2>/dev/null && openssl ec -in "$tmp/k.pem" -pubout -out "$tmp/k.pub" 2>/dev/null
check log-init 0 "$bin" log init "$tmp/t.db" --origin test.example/log --key "$tmp/k.pem"
check sign-key 0 "$bin" sign key "$tmp/model" --private-key "$tmp/k.pem" --signature "$tmp/model/model.sig" --log "$tmp/t.db"
check sign-verify 0 "$bin" verify key "$tmp/model" --signature "$tmp/model/model.sig" --public-key "$tmp/k.pub" --log "$tmp/t.db" -f json
expect_match sign-verify-json '"verified": true' "$tmp/out"
check sign-wrong-key-type 2 "$bin" sign key "$tmp/model" --private-key "$tmp/k.pub"
check log-checkpoint 0 "$bin" log checkpoint "$tmp/t.db" --key "$tmp/k.pem"
cp "$tmp/out" "$tmp/checkpoint.txt"
check log-prove 0 "$bin" log prove "$tmp/t.db" --entry "$tmp/model/model.sig"
expect_match log-prove-index '"leafIdx": 0' "$tmp/out"
check log-prove-absent 1 "$bin" log prove "$tmp/t.db" --entry "$tmp/k.pub"
check log-append 0 "$bin" log append "$tmp/t.db" "$tmp/k.pub"
check log-consistency 0 "$bin" log consistency "$tmp/t.db" --checkpoint "$tmp/checkpoint.txt"
check log-verify 0 "$bin" log verify "$tmp/t.db"
check log-verify-json-intact 0 "$bin" log verify "$tmp/t.db" --format json
expect_match log-verify-json-says-intact '"intact": true' "$tmp/out"
/usr/bin/python3 -c "import sqlite3,sys; c=sqlite3.connect(sys.argv[1]); c.execute('UPDATE entries SET data=X\'00\' WHERE idx=1'); c.commit()" "$tmp/t.db"
check log-tampered 1 "$bin" log verify "$tmp/t.db"
expect_match log-tamper-names-entry "entry 1 was modified" "$tmp/out"

check log-verify-json 1 "$bin" log verify "$tmp/t.db" --format json
expect_match log-verify-json-tampered '"intact": false' "$tmp/out"

# A log whose size cannot be read is an error (exit 2, saying why), never a proof against an empty tree.
# The entries table's pages are overwritten, so counting them fails while opening the log still works.
check log-big-init 0 "$bin" log init "$tmp/big.db"
/usr/bin/python3 - "$tmp/big.db" <<'PY' && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL log-corrupt-setup"; }
import sqlite3, sys
path = sys.argv[1]
c = sqlite3.connect(path)
c.execute("PRAGMA journal_mode=DELETE")
c.executemany("INSERT INTO entries(idx, kind, time, data, leaf_hash) VALUES (?, 'blob', 0, ?, ?)",
              [(i, b"x" * 200, bytes(32)) for i in range(2000)])
c.commit()
page_size = c.execute("PRAGMA page_size").fetchone()[0]
# The table's and its index's root pages (COUNT(*) may read either): every read starts there.
roots = [r for (r,) in c.execute("SELECT rootpage FROM sqlite_master WHERE tbl_name = 'entries'")]
c.close()
with open(path, "r+b") as f:
    for root in roots:
        f.seek((root - 1) * page_size)
        f.write(b"\xff" * page_size)
PY
check log-size-unreadable 2 "$bin" log prove "$tmp/big.db" --index 0
expect_match log-size-unreadable-says "cannot read the log's size" "$tmp/err"
check log-consistency-size-unreadable 2 "$bin" log consistency "$tmp/big.db" --old-size 1
expect_match log-consistency-size-unreadable-says "cannot read the log's size" "$tmp/err"

# audit verify: --format json like every command that reports a result.
printf '' > "$tmp/empty-audit.jsonl"
check audit-verify-json 0 "$bin" audit verify --format json "$tmp/empty-audit.jsonl"
expect_match audit-verify-json-intact '"intact": true' "$tmp/out"

# --quiet drops notes on stderr, --verbose adds detail; the results on stdout do not change.
check scan-verbose 0 "$bin" scan --verbose "$fixtures/benign/array.npy"
expect_match scan-verbose-detail "modelguard scan: 1 files" "$tmp/err"
check quiet-and-verbose 2 "$bin" scan -q -v "$fixtures/benign/array.npy"
# Every command under --verbose ends with how it ended and what it cost; without it, never.
check hash-verbose 0 "$bin" hash --verbose "$fixtures/benign/array.npy"
expect_match hash-verbose-run "modelguard hash: exit 0 after [0-9.]* s (CPU .* peak memory [0-9.]* MiB)" "$tmp/err"
check scan-verbose-findings 1 "$bin" scan -v "$fixtures/malicious/pickle_reduce_v0.pkl"
expect_match scan-verbose-run "modelguard scan: exit 1 after" "$tmp/err"
check guard-verbose 0 bash -c "echo '{\"text\":\"hello\"}' | \"$bin\" guard classify --verbose"
expect_match guard-verbose-run "modelguard guard classify: exit 0 after" "$tmp/err"
check gateway-hash-key-verbose 0 bash -c "printf k | \"$bin\" gateway hash-key - -v"
expect_match gateway-verbose-run "modelguard gateway hash-key: exit 0 after" "$tmp/err"
check verify-verbose-error 2 "$bin" verify key "$tmp/no-such-model" --signature "$tmp/no-such.sig" --public-key "$tmp/no-such.pub" -v
expect_match verify-verbose-run "modelguard verify key: exit 2 after" "$tmp/err"
check guard-not-verbose 0 bash -c "echo '{\"text\":\"hello\"}' | \"$bin\" guard classify"
if grep -q "exit 0 after" "$tmp/err"; then fail=$((fail+1)); echo "FAIL guard-not-verbose: run summary without --verbose"; else pass=$((pass+1)); fi
# guard help lists the detectors from the guard's own list.
check guard-help 0 "$bin" guard --help
expect_match guard-help-detectors "Detectors, in the order they run:" "$tmp/out"
expect_match guard-help-pii "  pii: " "$tmp/out"
check guard-classify-help 0 "$bin" guard classify --help
expect_match guard-classify-help-detectors "injection_model: " "$tmp/out"

# data manifest/verify with a signed manifest.
mkdir -p "$tmp/corpus" && printf 'a,b\n1,2\n' > "$tmp/corpus/t.csv"
check data-manifest 0 "$bin" data manifest "$tmp/corpus" --records -o "$tmp/corpus.json" --private-key "$tmp/k.pem"
check data-verify 0 "$bin" data verify "$tmp/corpus" --signature "$tmp/corpus.json.sig" --public-key "$tmp/k.pub"
printf '3,4\n' >> "$tmp/corpus/t.csv"
check data-verify-changed 1 "$bin" data verify "$tmp/corpus" --manifest "$tmp/corpus.json"
expect_match data-records "2 records signed, 3 now" "$tmp/out"
check data-manifest-quiet 0 "$bin" data manifest "$tmp/corpus" -q -o "$tmp/corpus2.json"
if [ -s "$tmp/err" ]; then fail=$((fail+1)); echo "FAIL data-manifest-quiet: stderr not empty"; else pass=$((pass+1)); fi
check data-manifest-notes 0 "$bin" data manifest "$tmp/corpus" -o "$tmp/corpus3.json"
expect_match data-manifest-summary "root sha256:" "$tmp/err"

finish
