#!/usr/bin/env bash
# modelguard data scan / data redact on files written by Python's csv and json modules: counts per column,
# a redacted copy Python reads back with the same rows and no personal data left, and hostile inputs (huge
# line, bad UTF-8, a million columns, an open quote, output == input, /dev/full, a FIFO, empty files).
# Usage: data_scan_test.sh MODELGUARD
set -u
mg=$1
source "$(dirname "$0")/../tools/check_lib.sh"

/usr/bin/python3 - "$tmp" <<'PY'
import csv, json, sys
d = sys.argv[1]
rows = [["name", "contact", "note"],
        ["Ann Lee", "ann.lee@example.com", "call me on +1 415 555 0134"],
        ["Bob", "bob@example.org", "card 4111 1111 1111 1111, thanks"],
        ["Cy, Jr.", "none", 'said "hello"\non two lines'],
        ["Dee", "n/a", "nothing here"]]
with open(f"{d}/people.csv", "w", newline="") as f:
    csv.writer(f).writerows(rows)  # \r\n line ends and RFC 4180 quoting, as Python writes them
with open(f"{d}/chat.jsonl", "w") as f:
    f.write(json.dumps({"id": 1, "messages": [{"role": "user", "content": "my mail is ann.lee@example.com"}]}) + "\n")
    f.write(json.dumps({"id": 2, "messages": [{"role": "user", "content": "token ghp_" + "a1B2" * 9}]}) + "\n")
    f.write(json.dumps({"id": 3, "messages": [{"role": "user", "content": "what is 2+2?"}]}) + "\n")
with open(f"{d}/clean.jsonl", "w") as f:
    f.write(json.dumps({"q": "What is the capital of Peru?", "a": "Lima"}) + "\n")
with open(f"{d}/huge.jsonl", "w") as f:
    f.write('{"t": "' + "a" * (17 << 20) + '"}\n')
with open(f"{d}/wide.csv", "w") as f:
    f.write("h\n" + "," * 1000000 + "\n")
with open(f"{d}/badutf8.jsonl", "wb") as f:
    f.write(b'{"t": "caf\xe9 ann.lee@example.com"}\n')
with open(f"{d}/open.csv", "w") as f:
    f.write('a,b\n"never closed,1\n')
PY

check "scan csv finds personal data" 1 "$mg" data scan "$tmp/people.csv" --format json
cp "$tmp/out" "$tmp/people.json"
/usr/bin/python3 - "$tmp/people.json" <<'PY' || { echo "FAIL scan csv counts"; fail=$((fail+1)); }
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "modelguard.data-scan/v1" and r["records"] == 4, r
assert r["columns"]["contact"]["entities"].get("EMAIL") == 2, r["columns"]
assert r["columns"]["note"]["values_with_entities"] >= 2, r["columns"]
assert r["columns"]["name"]["values_with_entities"] == 0, r["columns"]
assert "ann.lee" not in json.dumps(r)
PY
check "scan jsonl finds an e-mail and a token" 1 "$mg" data scan "$tmp/chat.jsonl"
expect_grep "jsonl column" "column messages[].content" "$tmp/out"
check "clean file exits 0" 0 "$mg" data scan "$tmp/clean.jsonl"
expect_grep "clean says so" "clean:" "$tmp/out"

check "redact csv" 0 "$mg" data redact "$tmp/people.csv" -o "$tmp/people.clean.csv"
/usr/bin/python3 - "$tmp/people.csv" "$tmp/people.clean.csv" <<'PY' || { echo "FAIL redacted csv"; fail=$((fail+1)); }
import csv, sys
before = list(csv.reader(open(sys.argv[1], newline="")))
after = list(csv.reader(open(sys.argv[2], newline="")))
assert len(before) == len(after) and before[0] == after[0], (before, after)
assert after[3][2] == 'said "hello"\non two lines' and after[4] == before[4], after
text = open(sys.argv[2], newline="").read()
assert "ann.lee@example.com" not in text and "4111 1111" not in text and "[EMAIL]" in text, text
assert text.count("\r\n") == open(sys.argv[1], newline="").read().count("\r\n")
PY
check "the redacted copy scans clean" 0 "$mg" data scan "$tmp/people.clean.csv" --format json
expect_grep "no entity left" '"entities": 0' "$tmp/out"
check "redact jsonl with hash" 0 "$mg" data redact "$tmp/chat.jsonl" -o "$tmp/chat.clean.jsonl" --mode hash
expect_match "hash placeholder" '\[EMAIL:[0-9a-f]\{12\}\]' "$tmp/chat.clean.jsonl"
/usr/bin/python3 -c "import json,sys; [json.loads(l) for l in open(sys.argv[1])]" "$tmp/chat.clean.jsonl" \
  && pass=$((pass+1)) || { echo "FAIL redacted jsonl is not JSON lines"; fail=$((fail+1)); }

# Hostile input and output.
check "huge line is an error" 2 "$mg" data scan "$tmp/huge.jsonl"
expect_grep "huge line says why" "longer than" "$tmp/err"
check "a million columns is an error" 2 "$mg" data scan "$tmp/wide.csv"
expect_grep "columns says why" "columns" "$tmp/err"
check "open quote is an error" 2 "$mg" data scan "$tmp/open.csv"
check "bad UTF-8 line is reported, not a crash" 1 "$mg" data scan "$tmp/badutf8.jsonl"
check "redact refuses to pass a bad line" 2 "$mg" data redact "$tmp/badutf8.jsonl" -o "$tmp/bad.out.jsonl"
[ ! -e "$tmp/bad.out.jsonl" ] && pass=$((pass+1)) || { echo "FAIL output written after a failed redaction"; fail=$((fail+1)); }
cp "$tmp/chat.jsonl" "$tmp/same.jsonl"
check "output == input refused" 2 "$mg" data redact "$tmp/same.jsonl" -o "$tmp/same.jsonl"
cmp -s "$tmp/chat.jsonl" "$tmp/same.jsonl" && pass=$((pass+1)) || { echo "FAIL input changed"; fail=$((fail+1)); }
check "full disk is an error" 2 "$mg" data redact "$tmp/chat.jsonl" -o /dev/full
check "redact needs -o" 2 "$mg" data redact "$tmp/chat.jsonl" -o -
cp "$tmp/chat.jsonl" "$tmp/chat.parquet"
check "unknown extension" 2 "$mg" data scan "$tmp/chat.parquet"
expect_grep "unknown extension says what to do" "--input-format" "$tmp/err"
check "explicit format" 1 "$mg" data scan "$tmp/chat.parquet" --input-format jsonl
check "missing file" 2 "$mg" data scan "$tmp/nope.csv"
check "directory" 2 "$mg" data scan "$tmp"
: > "$tmp/empty.csv"
check "empty csv is clean" 0 "$mg" data scan "$tmp/empty.csv"
mkfifo "$tmp/fifo.jsonl"
cat "$tmp/chat.jsonl" > "$tmp/fifo.jsonl" &
check "a FIFO is read as a stream" 1 "$mg" data scan "$tmp/fifo.jsonl"
wait
check "stdin with a format" 1 bash -c "\"$mg\" data scan - --input-format jsonl < \"$tmp/chat.jsonl\""
finish
