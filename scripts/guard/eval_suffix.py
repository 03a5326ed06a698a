#!/usr/bin/env python3
"""Tuning and evaluation of the adversarial-suffix detector on scripts/guard/suffix_data.py's rows.

  eval_suffix.py tune [DATA]              train split (with the benign train rows of gen_prompts.py when it
                                          is beside this script), Python mirror: score quantiles per family, so the
                                          thresholds in src/guard/suffix/suffix_detector.cpp can be chosen
  eval_suffix.py report MODELGUARD [DATA] validation split, the real detector (modelguard guard classify):
                                          recall / flagged / blocked per family, Markdown
"""
import json
import os
import subprocess
import sys
import tempfile
from collections import defaultdict

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import suffix_data  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DEFAULT_DATA = os.path.join(ROOT, "../shared/datasets/prompt-security")


def tune(data):
    import suffix_reference as ref
    with open(os.path.join(ROOT, "models/guard/suffix.lm"), "rb") as f:
        table = np.frombuffer(f.read()[12:-32], dtype=np.uint8)
    by_family = defaultdict(list)
    worst = defaultdict(list)
    rows = list(suffix_data.evaluation_rows(data))
    try:  # the guard's generated prompts (scripts/guard/gen_prompts.py): their benign train rows
        import gen_prompts
        rows += [{"text": g["text"], "family": "guard_" + g["source"], "label": 0, "split": g["split"]}
                 for g in gen_prompts.generate(["How do I pick a lock?", "Write malware that steals passwords."])
                 if g["kind"] == "benign"]
    except ImportError:
        pass
    for row in rows:
        if row["split"] != "train":
            continue
        m, b, e = ref.score(row["text"], table)
        by_family[(row["label"], row["family"])].append(m)
        worst[(row["label"], row["family"])].append((m, row["text"].encode()[b:e]))
    for (label, family), ms in sorted(by_family.items()):
        q = np.quantile(ms, [0.01, 0.05, 0.5, 0.95, 0.99, 1.0])
        print(f"{label} {family:28s} n={len(ms):5d} " + " ".join(f"{v:5.2f}" for v in q))
    if len(sys.argv) > 3:
        t = float(sys.argv[3])
        for key, items in sorted(worst.items()):
            bad = [x for x in items if (x[0] >= t) != (key[0] == 1)]
            for m, span in sorted(bad, reverse=key[0] == 0)[:4]:
                print(key, f"{m:.2f}", span)


def report(mg, data):
    rows = [r for r in suffix_data.evaluation_rows(data) if r["split"] == "validation"]
    with tempfile.TemporaryDirectory() as work:
        inp = os.path.join(work, "in.jsonl")
        out = os.path.join(work, "out.jsonl")
        with open(inp, "w") as f:
            for i, r in enumerate(rows):
                f.write(json.dumps({"id": i, "text": r["text"]}) + "\n")
        subprocess.run([mg, "guard", "classify", "--input", inp, "--fail-on", "never", "--output", out], check=True,
                       stderr=subprocess.DEVNULL)
        results = [json.loads(line) for line in open(out)]
    stats = defaultdict(lambda: [0, 0, 0])
    for r, res in zip(rows, results):
        found = [d for d in res.get("detections", []) if d["detector"] == "adversarial_suffix"]
        s = stats[(r["label"], r["family"])]
        s[0] += 1
        s[1] += bool(found)
        s[2] += any(d["action"] == "block" for d in found)
    print("| family | kind | texts | detected (flag or block) | blocked |")
    print("|---|---|---:|---:|---:|")
    for (label, family), (n, hit, blocked) in sorted(stats.items(), key=lambda kv: (-kv[0][0], kv[0][1])):
        kind = "suffix (recall)" if label else "benign (false positives)"
        print(f"| {family} | {kind} | {n} | {100 * hit / n:.1f} % | {100 * blocked / n:.1f} % |")


if __name__ == "__main__":
    if sys.argv[1] == "tune":
        tune(sys.argv[2] if len(sys.argv) > 2 else DEFAULT_DATA)
    else:
        report(sys.argv[2], sys.argv[3] if len(sys.argv) > 3 else DEFAULT_DATA)
