#!/usr/bin/env bash
# `modelguard watermark detect` on sequences watermarked by the reference scheme (tests/watermark/reference.py,
# torch) and on random ones: exit codes, the text and JSON results, JSON Lines of several sequences, standard
# input; hostile input: empty, truncated and non-numeric files, ids outside the vocabulary, bad schemes, a
# directory, the result written over its input or to a full disk.
# Usage: watermark_cli_test.sh MODELGUARD
set -u
mg=$1
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../tools/check_lib.sh"

cat >"$tmp/cases.json" <<'JSON'
{"green_lists": [], "generate": {"seed": 5, "sequences": 2, "length": 121, "vocab_size": 500, "gamma": 0.25,
 "delta": 2.5, "key": 15485863}}
JSON
/usr/bin/python3 "$here/reference.py" "$tmp/cases.json" >"$tmp/reference.json" || { echo "FAIL reference.py"; exit 1; }
/usr/bin/python3 - "$tmp" <<'PY'
import json, random, sys
tmp = sys.argv[1]
ref = json.load(open(tmp + "/reference.json"))
json.dump(ref["generated"][0]["tokens"], open(tmp + "/marked.json", "w"))
with open(tmp + "/both.jsonl", "w") as f:
    rng = random.Random(1)
    f.write(json.dumps([rng.randrange(500) for _ in range(121)]) + "\n")
    f.write(json.dumps(ref["generated"][1]["tokens"]) + "\n")
open(tmp + "/plain.txt", "w").write(" ".join(str(random.Random(2).randrange(500)) for _ in range(200)) + "\n")
print(ref["generated"][0]["z"], file=open(tmp + "/marked.z", "w"))
PY

check "watermarked: exit 1" 1 "$mg" watermark detect --tokens "$tmp/marked.json" --vocab-size 500
expect_grep "watermarked: verdict" "WATERMARKED: z" "$tmp/out"
check "json" 1 "$mg" watermark detect --tokens "$tmp/marked.json" --vocab-size 500 --format json
/usr/bin/python3 - "$tmp" <<'PY' && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL json fields"; }
import json, sys
tmp = sys.argv[1]
doc = json.load(open(tmp + "/out"))
z = float(open(tmp + "/marked.z").read())
s = doc["sequences"][0]
assert doc["schema"] == "modelguard.watermark-detect/v1" and doc["watermarked"] is True, doc
assert s["scored"] == 120 and abs(s["z"] - z) < 1e-9, (s["z"], z)
assert doc["scheme"]["green_list_size"] == 125 and s["windows"], doc["scheme"]
PY
check "random plain numbers: exit 0" 0 "$mg" watermark detect --tokens "$tmp/plain.txt" --vocab-size 500
expect_grep "random: verdict" "no watermark: z" "$tmp/out"
check "jsonl: one of two" 1 "$mg" watermark detect --tokens "$tmp/both.jsonl" --vocab-size 500
expect_grep "jsonl: first clean" "sequence 1: no watermark" "$tmp/out"
expect_grep "jsonl: second marked" "sequence 2: WATERMARKED" "$tmp/out"
check "standard input" 1 bash -c "\"$mg\" watermark detect --tokens - --vocab-size 500 <\"$tmp/marked.json\""
check "another key: no watermark" 0 "$mg" watermark detect --tokens "$tmp/marked.json" --vocab-size 500 --key 7
check "help has an example" 0 "$mg" watermark detect --help
expect_grep "help example" "Example" "$tmp/out"

# Hostile input.
: >"$tmp/empty"
check "empty file" 2 "$mg" watermark detect --tokens "$tmp/empty" --vocab-size 500
expect_grep "empty: says so" "empty" "$tmp/err"
printf '[1, 2, 3' >"$tmp/truncated"
check "truncated" 2 "$mg" watermark detect --tokens "$tmp/truncated" --vocab-size 500
printf '1 2 three\n' >"$tmp/words"
check "not numbers" 2 "$mg" watermark detect --tokens "$tmp/words" --vocab-size 500
check "id outside the vocabulary" 2 "$mg" watermark detect --tokens "$tmp/marked.json" --vocab-size 10
expect_grep "outside: names the token" "outside a vocabulary of 10" "$tmp/err"
check "gamma 1" 2 "$mg" watermark detect --tokens "$tmp/marked.json" --vocab-size 500 --gamma 1
check "vocabulary 0" 2 "$mg" watermark detect --tokens "$tmp/marked.json" --vocab-size 0
check "missing --vocab-size" 2 "$mg" watermark detect --tokens "$tmp/marked.json"
check "missing file" 2 "$mg" watermark detect --tokens "$tmp/absent.json" --vocab-size 500
check "directory" 2 "$mg" watermark detect --tokens "$tmp" --vocab-size 500
cp "$tmp/marked.json" "$tmp/keep.json"
check "output over its input" 2 "$mg" watermark detect --tokens "$tmp/marked.json" --vocab-size 500 -o "$tmp/marked.json"
check "input intact" 0 cmp "$tmp/marked.json" "$tmp/keep.json"
check "output to a full disk" 2 "$mg" watermark detect --tokens "$tmp/marked.json" --vocab-size 500 -o /dev/full
finish
