#!/usr/bin/env bash
# Writes DIR/marked.txt and DIR/unmarked.txt (with DIR/{marked,unmarked}-reference.json): 200 GPT-2 ids the
# reference scheme (reference.py, torch) generated with the watermark on (delta 2.5, gamma 0.25, the
# reference key) and off, decoded to text by js-tiktoken. For watermark_cli_test.sh and the gateway's
# watermark filter test.
# Usage: marked_text.sh DIR TOKENIZER_FIXTURES NODE_MODULES
set -eu
tmp=$1 tokfix=$2 node_modules=$3
here=$(cd "$(dirname "$0")" && pwd)
# The ids: GPT-2 tokens that are a space and ASCII letters (" the", " Paris"), so that the decoded text
# splits back into exactly these tokens; the reference samples among them, watermark on (delta 2.5) and off.
/usr/bin/python3 - "$tmp" "$tokfix" <<'PY'
import base64, json, re, sys
tmp, tokfix = sys.argv[1:]
allowed = []
for line in open(tokfix + "/gpt2.tiktoken"):
    token, rank = line.split()
    if re.fullmatch(rb" [A-Za-z]+", base64.b64decode(token)):
        allowed.append(int(rank))
assert len(allowed) > 10000, len(allowed)
for name, delta in (("marked", 2.5), ("unmarked", 0.0)):
    json.dump({"green_lists": [], "generate": {"seed": 11, "sequences": 1, "length": 200, "vocab_size": 50257,
               "gamma": 0.25, "delta": delta, "key": 15485863, "allowed": allowed}},
              open(f"{tmp}/{name}-cases.json", "w"))
PY
for name in marked unmarked; do
  /usr/bin/python3 "$here/reference.py" "$tmp/$name-cases.json" >"$tmp/$name-reference.json"
done
# Decoded by js-tiktoken, not by us.
NODE_PATH="$node_modules" node - "$tmp" <<'JS'
const fs = require("fs");
const { Tiktoken } = require("js-tiktoken/lite");
const ranks = require("js-tiktoken/ranks/gpt2");
const encoder = new Tiktoken(ranks.default ?? ranks);
const tmp = process.argv[2];
for (const name of ["marked", "unmarked"]) {
  const ids = JSON.parse(fs.readFileSync(`${tmp}/${name}-reference.json`)).generated[0].tokens;
  fs.writeFileSync(`${tmp}/${name}.txt`, encoder.decode(ids));
}
JS
