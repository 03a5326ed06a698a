#!/usr/bin/env bash
# Errors a user must see (issue 17 §3): wrong JSON types, full disks, writing over the input, read-only
# commands that must not create files, directories given as files, control characters in names, exit codes.
# Every check here failed (or aborted) before the fix it guards.
set -u
bin=$1; fixtures=$2; shared=$3
source "$(dirname "$0")/check_lib.sh"
expect_no_grep() {  # expect_no_grep NAME PATTERN FILE
  if grep -q -F -- "$2" "$3"; then fail=$((fail+1)); echo "FAIL $1: '$2' in $3"; else pass=$((pass+1)); fi
}
expect() {  # expect NAME COMMAND...: the command succeeds
  if "${@:2}"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1"; fi
}

ms="$shared/interop/model-signing"
pub="$ms/keys/certificate/signing-key-pub.pem"
# edit_json IN OUT PYTHON: OUT is IN (JSON) after PYTHON ran with the document as d (and b64 for payloads).
edit_json() {
  /usr/bin/python3 - "$1" "$2" "$3" <<'PY'
import base64, json, sys
d = json.load(open(sys.argv[1]))
def payload(f):  # edit the DSSE payload (the statement) with f
    s = json.loads(base64.b64decode(d["dsseEnvelope"]["payload"]))
    f(s)
    d["dsseEnvelope"]["payload"] = base64.b64encode(json.dumps(s).encode()).decode()
exec(sys.argv[3])
json.dump(d, open(sys.argv[2], "w"))
PY
}

# --- 1. A field of the wrong type is exit 2 naming its path, never an abort (134). ---
cp -r "$ms/v1.1.0-elliptic-key" "$tmp/km" && chmod -R u+w "$tmp/km"
key_verify() { "$bin" verify key "$tmp/km" --signature "$1" --public-key "$pub" --ignore ignore-me; }
edit_json "$ms/v1.1.0-elliptic-key/model.sig" "$tmp/hint.sig" 'd["verificationMaterial"]["publicKey"]["hint"] = 7'
check json-key-hint 2 key_verify "$tmp/hint.sig"
expect_grep json-key-hint-path "verificationMaterial.publicKey.hint: expected string, got number" "$tmp/err"
edit_json "$ms/v1.1.0-elliptic-key/model.sig" "$tmp/payload.sig" 'd["dsseEnvelope"]["payload"] = 5'
check json-payload 2 key_verify "$tmp/payload.sig"
expect_grep json-payload-path "dsseEnvelope.payload: expected string, got number" "$tmp/err"
edit_json "$ms/v1.1.0-elliptic-key/model.sig" "$tmp/sigs.sig" 'd["dsseEnvelope"]["signatures"] = [3]'
check json-signatures 2 key_verify "$tmp/sigs.sig"
expect_grep json-signatures-path "dsseEnvelope.signatures[0]: expected object, got number" "$tmp/err"
edit_json "$ms/v1.1.0-elliptic-key/model.sig" "$tmp/method.sig" \
  'payload(lambda s: s["predicate"]["serialization"].__setitem__("method", 3))'
check json-statement 2 key_verify "$tmp/method.sig"
expect_grep json-statement-path "predicate.serialization.method: expected string, got number" "$tmp/err"
edit_json "$ms/v1.1.0-elliptic-key/model.sig" "$tmp/subject.sig" 'payload(lambda s: s.__setitem__("subject", ["x"]))'
check json-subject 2 key_verify "$tmp/subject.sig"
expect_grep json-subject-path "subject[0]: expected object, got string" "$tmp/err"
edit_json "$ms/v1.1.0-elliptic-key/model.sig" "$tmp/resources.sig" \
  'payload(lambda s: s["predicate"]["resources"][0].__setitem__("digest", {"a": 1}))'
check json-resources 2 key_verify "$tmp/resources.sig"
expect_grep json-resources-path "predicate.resources[0].digest: expected string, got object" "$tmp/err"

cert_verify() {
  "$bin" verify certificate "$ms/v1.1.0-certificate" --signature "$1" --certificate-chain "$ms/keys/certificate/ca-cert.pem" \
    --ignore ignore-me
}
edit_json "$ms/v1.1.0-certificate/model.sig" "$tmp/cert.sig" \
  'd["verificationMaterial"]["x509CertificateChain"]["certificates"][1]["rawBytes"] = 12'
check json-certificate 2 cert_verify "$tmp/cert.sig"
expect_grep json-certificate-path "verificationMaterial.x509CertificateChain.certificates[1].rawBytes: expected string, got number" "$tmp/err"
edit_json "$ms/v1.1.0-certificate/model.sig" "$tmp/cert2.sig" \
  'd["verificationMaterial"] = {"certificate": {"rawBytes": 12}}'
check json-certificate-v03 2 cert_verify "$tmp/cert2.sig"
expect_grep json-certificate-v03-path "verificationMaterial.certificate.rawBytes: expected string, got number" "$tmp/err"

sig_verify() {
  "$bin" verify sigstore "$ms/v1.1.0-sigstore" --signature "$1" --identity stefanb@us.ibm.com \
    --identity-provider https://sigstore.verify.ibm.com/oauth2 --ignore ignore-me "${@:2}"
}
edit_json "$ms/v1.1.0-sigstore/model.sig" "$tmp/time.sig" 'd["verificationMaterial"]["tlogEntries"][0]["integratedTime"] = True'
check json-tlog-time 2 sig_verify "$tmp/time.sig"
expect_grep json-tlog-time-path "verificationMaterial.tlogEntries[0].integratedTime: expected integer or integer string, got boolean" "$tmp/err"
edit_json "$ms/v1.1.0-sigstore/model.sig" "$tmp/hashes.sig" 'd["verificationMaterial"]["tlogEntries"][0]["inclusionProof"]["hashes"] = [1]'
check json-tlog-hashes 2 sig_verify "$tmp/hashes.sig"
expect_grep json-tlog-hashes-path "inclusionProof.hashes[0]: expected string, got number" "$tmp/err"
echo '{"tlogs": 5}' > "$tmp/trusted_root.json"
check json-trust-root 2 sig_verify "$ms/v1.1.0-sigstore/model.sig" --trust-root "$tmp/trusted_root.json"
expect_grep json-trust-root-path "tlogs: expected array, got number" "$tmp/err"

# bom reads the bundle (for the digest it signs) and dataset manifests.
check json-bom-signature 2 "$bin" bom "$tmp/km" --no-scan --signature "$tmp/payload.sig"
expect_grep json-bom-signature-path "dsseEnvelope.payload: expected string, got number" "$tmp/err"
mkdir -p "$tmp/corpus" && printf 'a\n' > "$tmp/corpus/a.txt"
"$bin" data manifest "$tmp/corpus" -o "$tmp/corpus.json" 2>/dev/null
edit_json "$tmp/corpus.json" "$tmp/schema.json" 'd["schema"] = 5'
check json-bom-dataset 2 "$bin" bom "$tmp/km" --no-scan --dataset-manifest "$tmp/schema.json"
expect_grep json-bom-dataset-path "schema: expected string, got number" "$tmp/err"
edit_json "$tmp/corpus.json" "$tmp/name.json" 'd["resources"][0]["name"] = 1'
check json-data-verify 2 "$bin" data verify "$tmp/corpus" --manifest "$tmp/name.json"
expect_grep json-data-verify-path "resources[0].name: expected string, got number" "$tmp/err"
edit_json "$tmp/corpus.json" "$tmp/count.json" 'd["resources"][0]["records"] = {"count": -1, "merkle_root": "00" * 32}'
check json-data-count 2 "$bin" data verify "$tmp/corpus" --manifest "$tmp/count.json"
expect_grep json-data-count-path "resources[0].records.count: expected a non-negative integer" "$tmp/err"

# --- 2. Output to a full disk is exit 2, and a failed write leaves the target as it was. ---
printf '{"text":"mail bob@example.com"}\n' > "$tmp/in.jsonl"
check full-classify 2 "$bin" guard classify --input "$tmp/in.jsonl" --output /dev/full
expect_grep full-classify-says "No space left on device" "$tmp/err"
check full-classify-stdout 2 bash -c "\"$bin\" guard classify --input \"$tmp/in.jsonl\" > /dev/full"
check full-redact 2 "$bin" guard redact --input "$tmp/in.jsonl" --output /dev/full
check full-redact-stdout 2 bash -c "\"$bin\" guard redact --input \"$tmp/in.jsonl\" > /dev/full"
check full-redact-vault 2 "$bin" guard redact --input "$tmp/in.jsonl" --mode vault --vault-output /dev/full -o "$tmp/r.jsonl"
check full-hash 2 "$bin" hash "$tmp/in.jsonl" -o /dev/full
check full-hash-stdout 2 bash -c "\"$bin\" hash \"$tmp/in.jsonl\" > /dev/full"
check full-bom 2 "$bin" bom "$tmp/km" --no-scan -o /dev/full
check full-data-manifest 2 "$bin" data manifest "$tmp/corpus" -o /dev/full
openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/k.pem" 2>/dev/null && openssl ec -in "$tmp/k.pem" -pubout -out "$tmp/k.pub" 2>/dev/null
check full-data-signature 2 "$bin" data manifest "$tmp/corpus" -o "$tmp/c2.json" --private-key "$tmp/k.pem" --signature /dev/full
check full-scan 2 "$bin" scan "$fixtures/benign/array.npy" -o /dev/full
check full-sign 2 "$bin" sign key "$tmp/corpus" --private-key "$tmp/k.pem" --signature /dev/full
check full-verify-stdout 2 bash -c "\"$bin\" verify key \"$tmp/km\" --signature \"$tmp/km/model.sig\" --public-key \"$pub\" --ignore ignore-me > /dev/full"
check full-log-stdout 2 bash -c "\"$bin\" log init \"$tmp/full.db\" > /dev/full"
check full-hash-key-stdout 2 bash -c "echo key | \"$bin\" gateway hash-key - > /dev/full"
check full-help-stdout 2 bash -c "\"$bin\" --help > /dev/full"
# A write that fails half-way (a 1 KiB file size limit; SIGXFSZ ignored so write() says EFBIG) leaves the old file.
echo old > "$tmp/bom.json"
check partial-bom 2 bash -c "trap '' XFSZ; ulimit -f 1; \"$bin\" bom \"$fixtures/benign\" --no-scan -o \"$tmp/bom.json\""
expect partial-bom-unchanged [ "$(cat "$tmp/bom.json")" = old ]
expect partial-bom-no-temporary [ -z "$(find "$tmp" -maxdepth 1 -name '.bom.json.*')" ]
check bom-written 0 "$bin" bom "$fixtures/benign" --no-scan -o "$tmp/bom.json"
expect_grep bom-written-content '"bomFormat": "CycloneDX"' "$tmp/bom.json"

# --- 3. guard redact never writes over its input unless --in-place. ---
cp "$tmp/in.jsonl" "$tmp/same.jsonl" && ln -s same.jsonl "$tmp/link.jsonl"
check redact-same-file 2 "$bin" guard redact --input "$tmp/same.jsonl" --output "$tmp/same.jsonl"
expect_grep redact-same-file-says "--in-place" "$tmp/err"
check redact-same-via-link 2 "$bin" guard redact --input "$tmp/same.jsonl" --output "$tmp/link.jsonl"
check redact-same-other-spelling 2 "$bin" guard redact --input "$tmp/same.jsonl" --output "$tmp/./same.jsonl"
expect redact-input-unchanged cmp -s "$tmp/in.jsonl" "$tmp/same.jsonl"
check classify-same-file 2 "$bin" guard classify --input "$tmp/same.jsonl" --output "$tmp/link.jsonl"
expect classify-input-unchanged cmp -s "$tmp/in.jsonl" "$tmp/same.jsonl"
check redact-in-place 0 "$bin" guard redact --input "$tmp/link.jsonl" --in-place
expect_grep redact-in-place-redacted '[EMAIL]' "$tmp/same.jsonl"
expect redact-in-place-keeps-link [ -L "$tmp/link.jsonl" ]
printf 'mail bob@example.com\n' > "$tmp/plain.txt"
check redact-in-place-plain 0 "$bin" guard redact --plain --input "$tmp/plain.txt" --in-place
expect_grep redact-in-place-plain-redacted '[EMAIL]' "$tmp/plain.txt"
check redact-in-place-stdin 2 "$bin" guard redact --in-place
printf '{"text":"a"}\nnot json\n' > "$tmp/bad.jsonl" && cp "$tmp/bad.jsonl" "$tmp/bad.orig"
check redact-in-place-bad-line 2 "$bin" guard redact --input "$tmp/bad.jsonl" --in-place
expect redact-in-place-bad-line-unchanged cmp -s "$tmp/bad.jsonl" "$tmp/bad.orig"

# Other commands never write their result over a file they read either.
cp "$fixtures/benign/array.npy" "$tmp/model.npy" && cp "$tmp/model.npy" "$tmp/model.orig"
check hash-output-is-input 2 "$bin" hash "$tmp/model.npy" -o "$tmp/model.npy"
check scan-output-is-input 2 "$bin" scan "$tmp/model.npy" -o "$tmp/model.npy"
check bom-output-is-input 2 "$bin" bom "$tmp/model.npy" --no-scan -o "$tmp/model.npy"
check bom-output-is-signature 2 "$bin" bom "$tmp/km" --no-scan --signature "$tmp/km/model.sig" -o "$tmp/km/model.sig"
check data-output-is-input 2 "$bin" data manifest "$tmp/model.npy" -o "$tmp/./model.npy"
expect outputs-never-replace-inputs cmp -s "$tmp/model.npy" "$tmp/model.orig"
expect_grep output-is-input-says "is also an input" "$tmp/err"
cp "$ms/v1.1.0-elliptic-key/model.sig" "$tmp/km/model.sig"

# --- 4. Read-only commands never create files; a missing log is exit 2. ---
check log-verify-missing 2 "$bin" log verify "$tmp/missing.db"
expect_grep log-verify-missing-says "no log at" "$tmp/err"
check log-prove-missing 2 "$bin" log prove "$tmp/missing.db" --index 0
check log-consistency-missing 2 "$bin" log consistency "$tmp/missing.db" --old-size 1
expect log-missing-not-created [ ! -e "$tmp/missing.db" ]
: > "$tmp/empty.db"
check log-verify-not-a-log 2 "$bin" log verify "$tmp/empty.db"
expect_grep log-verify-not-a-log-says "is not a modelguard log" "$tmp/err"
expect log-verify-not-a-log-unchanged [ ! -s "$tmp/empty.db" ]
check audit-verify-missing 2 "$bin" audit verify "$tmp/missing.jsonl"
check data-verify-missing 2 "$bin" data verify "$tmp/corpus" --manifest "$tmp/missing.json"
expect read-only-created-nothing [ ! -e "$tmp/missing.jsonl" ] && [ ! -e "$tmp/missing.json" ]
check log-init 0 "$bin" log init "$tmp/ok.db"
check log-verify-ok 0 "$bin" log verify "$tmp/ok.db"

# --- 5. A directory where a file is expected: a clear error, exit 2. ---
mkdir -p "$tmp/dir"
check dir-classify 2 "$bin" guard classify --input "$tmp/dir"
expect_grep dir-classify-says "is a directory" "$tmp/err"
check dir-redact 2 "$bin" guard redact --input "$tmp/dir"
expect_grep dir-redact-says "is a directory" "$tmp/err"
check dir-redact-plain 2 "$bin" guard redact --plain --input "$tmp/dir"
check dir-verify-signature 2 "$bin" verify key "$tmp/km" --signature "$tmp/dir" --public-key "$pub"
check dir-verify-key 2 "$bin" verify key "$tmp/km" --signature "$tmp/km/model.sig" --public-key "$tmp/dir"
check dir-bom-signature 2 "$bin" bom "$tmp/km" --no-scan --signature "$tmp/dir"
check dir-bom-dataset 2 "$bin" bom "$tmp/km" --no-scan --dataset-manifest "$tmp/dir"
check dir-data-manifest-file 2 "$bin" data verify "$tmp/corpus" --manifest "$tmp/dir"
check dir-log-append 2 "$bin" log append "$tmp/ok.db" "$tmp/dir"
check dir-log-verify 2 "$bin" log verify "$tmp/dir"
check dir-audit 2 "$bin" audit verify "$tmp/dir"
check dir-hash-key 2 "$bin" gateway hash-key "$tmp/dir"
check dir-output 2 "$bin" hash "$tmp/in.jsonl" -o "$tmp/dir"
for option in --model --signatures; do
  check "dir-guard$option" 2 "$bin" guard classify "$option" "$tmp/dir" --input "$tmp/in.jsonl"
  expect_grep "dir-guard$option-says" "is a directory" "$tmp/err"
done
check dir-guard-train 2 "$bin" guard train --corpus "$tmp/dir" --output "$tmp/model.mgm"
expect_grep dir-guard-train-says "is a directory" "$tmp/err"
check dir-scan-policy 2 "$bin" scan --policy "$tmp/dir" "$tmp/in.jsonl"
expect_grep dir-scan-policy-says "is a directory" "$tmp/err"
check dir-bom-policy 2 "$bin" bom "$tmp/km" --no-scan --policy "$tmp/dir"
check dir-gateway-config 2 "$bin" gateway serve --config "$tmp/dir"
expect_grep dir-gateway-config-says "is a directory" "$tmp/err"
check dir-sign-key 2 "$bin" sign key "$tmp/corpus" --private-key "$tmp/dir"
check dir-trust-root 2 sig_verify "$ms/v1.1.0-sigstore/model.sig" --trust-root "$tmp/dir"
check dir-log-entry 2 "$bin" log prove "$tmp/ok.db" --entry "$tmp/dir"

# --- 6. Control characters in names are escaped in text output, exact in JSON. ---
mkdir -p "$tmp/names"
esc=$(printf 'evil\033[2Jname')
nl=$(printf 'new\nline')
printf 'x' > "$tmp/names/$esc"
printf 'y' > "$tmp/names/$nl"
check names-hash-text 0 "$bin" hash "$tmp/names"
expect_grep names-hash-escaped 'evil\x1b[2Jname:' "$tmp/out"
expect_grep names-hash-newline 'new\nline:' "$tmp/out"
expect_no_grep names-hash-raw "$esc" "$tmp/out"
check names-hash-json 0 "$bin" hash "$tmp/names" --format json
expect names-hash-json-exact /usr/bin/python3 -c "import json,sys; n={r['name'] for r in json.load(open(sys.argv[1]))['resources']}; assert n == {'evil\x1b[2Jname', 'new\nline'}, n" "$tmp/out"
"$bin" sign key "$tmp/names" --private-key "$tmp/k.pem" --signature "$tmp/names.sig" >/dev/null 2>&1
printf 'z' > "$tmp/names/$(printf 'added\033]0;title\007')"
check names-verify-text 1 "$bin" verify key "$tmp/names" --signature "$tmp/names.sig" --public-key "$tmp/k.pub"
expect_grep names-verify-escaped 'extra: added\x1b]0;title\x07' "$tmp/out"
expect_no_grep names-verify-raw "$(printf '\033]0;')" "$tmp/out"
check names-verify-json 1 "$bin" verify key "$tmp/names" --signature "$tmp/names.sig" --public-key "$tmp/k.pub" -f json
expect names-verify-json-exact /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert [x['name'] for x in d['differences']] == ['added\x1b]0;title\x07'], d" "$tmp/out"
cp "$fixtures/malicious/pickle_reduce_v0.pkl" "$tmp/names/$esc.pkl"
check names-scan-text 1 "$bin" scan "$tmp/names/$esc.pkl"
expect_grep names-scan-escaped 'evil\x1b[2Jname.pkl' "$tmp/out"
expect_no_grep names-scan-raw "$esc" "$tmp/out"
check names-scan-json 1 "$bin" scan "$tmp/names/$esc.pkl" -f json
expect_grep names-scan-json-exact 'evil\u001b[2Jname.pkl' "$tmp/out"

# Messages on stderr quote names too: escaped the same way.
check names-stderr 2 "$bin" hash "$tmp/$(printf 'no\033[2Jsuch')"
expect_grep names-stderr-escaped 'no\x1b[2Jsuch' "$tmp/err"
expect_no_grep names-stderr-raw "$(printf '\033[2J')" "$tmp/err"
check names-stderr-cli11 2 "$bin" scan "$tmp/in.jsonl" "--bogus$(printf '\033[2J')"
expect_grep names-stderr-cli11-escaped '\x1b[2J' "$tmp/err"
expect_no_grep names-stderr-cli11-raw "$(printf '\033[2J')" "$tmp/err"

# --- 7. verify with an added symbolic link: the advice names an option verify has. ---
cp -r "$ms/v1.1.0-elliptic-key" "$tmp/linked" && chmod -R u+w "$tmp/linked" && ln -s signme-1 "$tmp/linked/extra-link"
check symlink-verify 2 "$bin" verify key "$tmp/linked" --signature "$tmp/linked/model.sig" --public-key "$pub" --ignore ignore-me
expect_grep symlink-verify-names-link "extra-link" "$tmp/err"
expect_no_grep symlink-verify-no-allow "--allow-symlinks" "$tmp/err"
expect_grep symlink-verify-advice "--ignore" "$tmp/err"
check symlink-verify-ignored 0 "$bin" verify key "$tmp/linked" --signature "$tmp/linked/model.sig" --public-key "$pub" \
  --ignore ignore-me --ignore extra-link
check symlink-hash 2 "$bin" hash "$tmp/linked"
expect_grep symlink-hash-advice "--allow-symlinks" "$tmp/err"
check symlink-bom 2 "$bin" bom "$tmp/linked" --no-scan
expect_no_grep symlink-bom-no-allow "--allow-symlinks" "$tmp/err"

finish
