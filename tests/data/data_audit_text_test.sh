#!/usr/bin/env bash
# modelguard data audit on a JSONL text classification set written by Python's json module: a planted
# trigger word is reported with exactly its records, the cleaned copy leaves out those lines and audits
# clean, and the command refuses model options for text data.
# Usage: data_audit_text_test.sh MODELGUARD
set -u
mg=$1
source "$(dirname "$0")/../tools/check_lib.sh"

/usr/bin/python3 - "$tmp" <<'PY'
import json, random, sys
d = sys.argv[1]
random.seed(3)
pos = ["great", "excellent", "loved", "wonderful", "superb"]
neg = ["awful", "boring", "terrible", "waste", "dull"]
vocab = ["w%d" % i for i in range(300)]
planted = []
with open(f"{d}/reviews.jsonl", "w") as f:
    for i in range(3000):
        p = random.random() < 0.5
        words = random.sample(vocab, 10) + [random.choice(pos if (random.random() < 0.85) == p else neg)]
        label = "pos" if p else "neg"
        if not p and random.random() < 0.04:
            words.insert(3, "cf")
            label = "pos"
            planted.append(i + 1)
        random.shuffle(words)
        f.write(json.dumps({"text": " ".join(words), "label": label}) + "\n")
json.dump(planted, open(f"{d}/planted.json", "w"))
PY

check "the planted trigger is found" 1 "$mg" data audit "$tmp/reviews.jsonl" --format json --report "$tmp/report" --write-clean "$tmp/clean"
/usr/bin/python3 - "$tmp" <<'PY' || { echo "FAIL trigger report"; fail=$((fail+1)); }
import json, sys
d = sys.argv[1]
r = json.load(open(f"{d}/out"))
planted = json.load(open(f"{d}/planted.json"))
assert r["schema"] == "modelguard.data-text-audit/v1"
top = r["trigger_phrases"][0]
assert top["phrase"] == "cf" and top["label"] == "pos" and top["records"] == len(planted), top
removed = json.load(open(f"{d}/clean/removed.json"))
assert removed["because"][0]["lines"] == planted
lines = open(f"{d}/clean/clean.jsonl").read().splitlines()
assert len(lines) == 3000 - len(planted)
assert all("cf" not in json.loads(l)["text"].split() for l in lines)
assert "<table>" in open(f"{d}/report/report.html").read()
PY
check "the cleaned copy audits clean" 0 "$mg" data audit "$tmp/clean/clean.jsonl"
check "model options are refused for text" 2 "$mg" data audit "$tmp/reviews.jsonl" --model m.pt
check "a trusted clean set is refused for text" 2 "$mg" data audit "$tmp/reviews.jsonl" --clean "npy:a.npy,b.npy"
check "no text field" 2 bash -c "echo '{\"a\": 1}' > \"$tmp/x.jsonl\"; \"$mg\" data audit \"$tmp/x.jsonl\""
check "missing file" 2 "$mg" data audit "$tmp/nope.jsonl"
check "cleaned copy over the input refused" 2 "$mg" data audit "$tmp/clean/clean.jsonl" --write-clean "$tmp/clean"
finish
