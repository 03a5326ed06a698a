#!/usr/bin/env bash
# `modelguard watermark detect` on sequences watermarked by the reference scheme (tests/watermark/reference.py,
# torch) and on random ones: exit codes, the text and JSON results, JSON Lines of several sequences, standard
# input; hostile input: empty, truncated and non-numeric files, ids outside the vocabulary, bad schemes, a
# directory, the result written over its input or to a full disk.
# Then --text with --tokenizer: a text whose GPT-2 ids the reference scheme watermarked (sampled among
# GPT-2's " word" tokens, which a text gives back whole) and js-tiktoken decoded is found with the ranks file
# and the tokenizer.json (tests/fixtures/make_tokenizer_fixtures.js), at the reference's z; unwatermarked
# text, another tokenizer, another vocabulary size are not; hostile texts and tokenizer files are errors.
# Usage: watermark_cli_test.sh MODELGUARD TOKENIZER_FIXTURES NODE_MODULES
set -u
mg=$1 tokfix=${2:-} node_modules=${3:-}
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

# --text with --tokenizer.
if [ ! -f "$tokfix/gpt2.tiktoken" ] || [ ! -d "$node_modules/js-tiktoken" ]; then
  echo "FAIL no tokenizer fixtures in '$tokfix' or no js-tiktoken in '$node_modules' (fixtures.tokenizers, scripts/npm-tools)"
  exit 1
fi
"$here/marked_text.sh" "$tmp" "$tokfix" "$node_modules" || { echo "FAIL marked_text.sh"; exit 1; }
cat >"$tmp/prose.txt" <<'TXT'
It is a truth universally acknowledged, that a single man in possession of a good fortune, must be in want of a
wife. However little known the feelings or views of such a man may be on his first entering a neighbourhood,
this truth is so well fixed in the minds of the surrounding families, that he is considered as the rightful
property of some one or other of their daughters. "My dear Mr. Bennet," said his lady to him one day, "have you
heard that Netherfield Park is let at last?" Mr. Bennet replied that he had not.
TXT
zcheck() {  # NAME REFERENCE_JSON_OR_- MIN_Z MAX_Z VOCAB: the JSON result's z, token count and vocabulary size
  /usr/bin/python3 - "$tmp/out" "$2" "$3" "$4" "$5" <<'PY' && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL $1"; }
import json, sys
out, ref, lo, hi, vocab = sys.argv[1:]
doc = json.load(open(out))
s = doc["sequences"][0]
assert doc["scheme"]["vocab_size"] == int(vocab), doc["scheme"]
assert float(lo) < s["z"] < float(hi), s["z"]
print(f"  z {s['z']:.3f} over {s['scored']} scored tokens", file=sys.stderr)
if ref != "-":
    r = json.load(open(ref))["generated"][0]
    assert s["tokens"] == 200 and s["scored"] == 199, s
    assert abs(s["z"] - r["z"]) < 1e-9 and s["green"] == r["green"], (s["z"], r["z"])
PY
}
check "text, ranks file: watermarked" 1 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tokfix/gpt2.tiktoken" --format json
zcheck "text, ranks file: the reference's ids and z" "$tmp/marked-reference.json" 4 1000 50257
check "text, tokenizer.json: watermarked" 1 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tokfix/gpt2.tokenizer.json" --format json
zcheck "text, tokenizer.json: the reference's ids and z" "$tmp/marked-reference.json" 4 1000 50257
expect_grep "json: the tokenizer" '"split_pattern": "gpt2"' "$tmp/out"
check "text: verdict" 1 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tokfix/gpt2.tiktoken"
expect_grep "text: verdict says" "WATERMARKED: z" "$tmp/out"
check "text from standard input" 1 bash -c "\"$mg\" watermark detect --text - --tokenizer \"$tokfix/gpt2.tiktoken\" <\"$tmp/marked.txt\""
check "unwatermarked generation" 0 "$mg" watermark detect --text "$tmp/unmarked.txt" --tokenizer "$tokfix/gpt2.tiktoken" --format json
zcheck "unwatermarked: the reference's z, below 4" "$tmp/unmarked-reference.json" -1000 4 50257
check "prose" 0 "$mg" watermark detect --text "$tmp/prose.txt" --tokenizer "$tokfix/gpt2.tokenizer.json" --format json
zcheck "prose: below 4" - -4 4 50257
check "another tokenizer (cl100k): no watermark" 0 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tokfix/cl100k_base.tiktoken" --format json
zcheck "cl100k: its vocabulary, z below 4" - -6 4 100277
check "llama3 tokenizer.json: no watermark" 0 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tokfix/llama3.tokenizer.json"
check "padded vocabulary: other green lists" 0 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tokfix/gpt2.tiktoken" --vocab-size 50272 --format json
zcheck "padded vocabulary: z below 4" - -6 4 50272
check "split pattern named" 1 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tokfix/gpt2.tiktoken" --split-pattern r50k
check "help: text example" 0 "$mg" watermark detect --help
expect_grep "help: --text example" "--text answer.txt --tokenizer" "$tmp/out"

# Hostile --text and --tokenizer.
: >"$tmp/empty.txt"
check "empty text" 2 "$mg" watermark detect --text "$tmp/empty.txt" --tokenizer "$tokfix/gpt2.tiktoken"
expect_grep "empty text: says so" "empty" "$tmp/err"
printf 'caf\xe9 au lait\n' >"$tmp/latin1.txt"
check "text not UTF-8" 2 "$mg" watermark detect --text "$tmp/latin1.txt" --tokenizer "$tokfix/gpt2.tiktoken"
expect_grep "not UTF-8: says so" "not valid UTF-8 (at byte 3)" "$tmp/err"
check "text without --tokenizer" 2 "$mg" watermark detect --text "$tmp/marked.txt"
expect_grep "no tokenizer: says so" "--text needs --tokenizer" "$tmp/err"
check "--tokens with --tokenizer" 2 "$mg" watermark detect --tokens "$tmp/marked.json" --vocab-size 500 --tokenizer "$tokfix/gpt2.tiktoken"
check "--tokens and --text" 2 "$mg" watermark detect --tokens "$tmp/marked.json" --text "$tmp/marked.txt" --tokenizer "$tokfix/gpt2.tiktoken"
check "neither" 2 "$mg" watermark detect --vocab-size 500
check "bad split pattern" 2 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tokfix/gpt2.tiktoken" --split-pattern o200k
check "vocabulary below the tokenizer's ids" 2 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tokfix/gpt2.tiktoken" --vocab-size 1000
expect_grep "small vocabulary: says so" "outside a vocabulary of 1000" "$tmp/err"
check "tokenizer missing" 2 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tmp/absent.json"
check "tokenizer a directory" 2 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tmp"
check "tokenizer empty" 2 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tmp/empty.txt"
head -c 100000 "$tokfix/gpt2.tokenizer.json" >"$tmp/truncated.json"
check "tokenizer.json truncated" 2 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tmp/truncated.json"
expect_grep "truncated: says so" "not valid JSON" "$tmp/err"
/usr/bin/python3 - "$tmp" "$tokfix" <<'PY'
import json, sys
tmp, tokfix = sys.argv[1:]
base = json.load(open(tokfix + "/gpt2.tokenizer.json"))
def write(name, change):
    doc = json.loads(json.dumps(base))
    change(doc)
    json.dump(doc, open(f"{tmp}/{name}.json", "w"))
write("wordpiece", lambda d: d["model"].update(type="WordPiece"))
write("whitespace", lambda d: d.update(pre_tokenizer={"type": "Whitespace"}))
write("merge-missing", lambda d: d["model"]["merges"].insert(5, "Ġthe zzqqxx"))
write("id-string", lambda d: d["model"]["vocab"].update({"hello": "12"}))
write("vocab-list", lambda d: d["model"].update(vocab=[1, 2]))
write("huge-id", lambda d: d["added_tokens"].append({"id": 10**15, "content": "x"}))
with open(f"{tmp}/bad-base64.tiktoken", "w") as f:
    f.write(open(tokfix + "/gpt2.tiktoken").read().replace("IQ== 0", "I!Q= 0", 1))
with open(f"{tmp}/huge-rank.tiktoken", "w") as f:
    f.write(open(tokfix + "/gpt2.tiktoken").read() + "eHl6eHl6eHl6 4294967296\n")
PY
check "tokenizer.json: WordPiece" 2 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tmp/wordpiece.json"
expect_grep "WordPiece: unsupported" "is not supported (only BPE)" "$tmp/err"
check "tokenizer.json: Whitespace pre-tokenizer" 2 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tmp/whitespace.json"
expect_grep "Whitespace: unsupported" "is not supported" "$tmp/err"
check "tokenizer.json: merge of a missing token" 2 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tmp/merge-missing.json"
expect_grep "merge: names it" 'model.merges[5]: "zzqqxx" is not in the vocabulary' "$tmp/err"
check "tokenizer.json: an id as a string" 2 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tmp/id-string.json"
check "tokenizer.json: vocab a list" 2 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tmp/vocab-list.json"
check "tokenizer.json: huge added id" 2 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tmp/huge-id.json"
check "ranks: invalid base64" 2 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tmp/bad-base64.tiktoken"
expect_grep "base64: says which line" "line 1: the token is not valid base64" "$tmp/err"
check "ranks: huge rank" 2 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tmp/huge-rank.tiktoken"
check "tokenizer from standard input" 2 bash -c "\"$mg\" watermark detect --text \"$tmp/marked.txt\" --tokenizer - <\"$tokfix/gpt2.tiktoken\""
cp "$tokfix/gpt2.tiktoken" "$tmp/ranks.tiktoken"
check "output over the tokenizer" 2 "$mg" watermark detect --text "$tmp/marked.txt" --tokenizer "$tmp/ranks.tiktoken" -o "$tmp/ranks.tiktoken"
check "tokenizer intact" 0 cmp "$tmp/ranks.tiktoken" "$tokfix/gpt2.tiktoken"
finish
