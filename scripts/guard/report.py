#!/usr/bin/env python3
"""Turns scored validation texts into the guard's quality report (used by scripts/eval-guard)."""
import json
import sys
from collections import defaultdict

rows = {}
for line in open(sys.argv[1], encoding="utf-8"):
    row = json.loads(line)
    rows[row["id"]] = row
scored = [json.loads(line) for line in open(sys.argv[2], encoding="utf-8")]
seconds = float(sys.argv[3])
json_out = sys.argv[4] if len(sys.argv) > 4 else ""

by_source = defaultdict(list)
for result in scored:
    row = rows[result["id"]]
    by_source[(row["kind"], row["source"], row["role"])].append((result["score"], result["verdict"]))

# The 1%-FPR operating point per role group, from the pooled benign validation texts of that group.
def threshold_at(scores, fpr):
    scores = sorted(scores, reverse=True)
    k = int(fpr * len(scores))
    return scores[k] if scores else 1.0

group = lambda role: "document" if role in ("document", "tool") else "user"
benign = defaultdict(list)
for (kind, source, role), results in by_source.items():
    if kind == "benign":
        benign[group(role)] += [s for s, _ in results]
operating = {g: threshold_at(s, 0.01) for g, s in benign.items()}

report = {"texts": len(scored), "seconds": round(seconds, 2), "operating_points_1pct_fpr": operating, "attack": [], "not_attack": []}
print(f"Validation split: {len(scored)} texts, classified in {seconds:.2f} s ({1000 * seconds / max(1, len(scored)):.2f} ms/text incl. start-up)\n")
print("| attack source | role | texts | recall at 1% FPR | recall at shipped 'block' | at 'flag' or 'block' |")
print("|---|---|---|---|---|---|")
all_attack = []
for (kind, source, role), results in sorted(by_source.items()):
    if kind != "attack":
        continue
    t = operating.get(group(role), 1.0)
    at_fpr = sum(1 for s, _ in results if s > t) / len(results)
    blocked = sum(1 for _, v in results if v == "block") / len(results)
    flagged = sum(1 for _, v in results if v != "allow") / len(results)
    all_attack += results
    report["attack"].append({"source": source, "role": role, "texts": len(results), "recall_at_1pct_fpr": at_fpr, "recall_block": blocked, "recall_flag_or_block": flagged})
    print(f"| {source} | {role} | {len(results)} | {at_fpr:.1%} | {blocked:.1%} | {flagged:.1%} |")
print("\n| not-attack source | kind | role | texts | blocked (FPR) | flagged or blocked |")
print("|---|---|---|---|---|---|")
for (kind, source, role), results in sorted(by_source.items()):
    if kind == "attack":
        continue
    blocked = sum(1 for _, v in results if v == "block") / len(results)
    flagged = sum(1 for _, v in results if v != "allow") / len(results)
    report["not_attack"].append({"source": source, "kind": kind, "role": role, "texts": len(results), "block_rate": blocked, "flag_or_block_rate": flagged})
    print(f"| {source} | {kind} | {role} | {len(results)} | {blocked:.1%} | {flagged:.1%} |")
# Per category: of the validation texts that are that category, how many got a detection of it (flag or
# block); of the benign texts, how many got one wrongly. Detections of other categories do not count here.
categories = ["injection", "jailbreak", "prompt_extraction", "harmful_request"]
print("\n| category | texts of it | caught as it (flag or block) | benign texts given it | of which blocked |")
print("|---|---|---|---|---|")
report["categories"] = []
for category in categories:
    positives = caught = benign_total = benign_hit = benign_blocked = 0
    for result in scored:
        row = rows[result["id"]]
        hits = [d for d in result["detections"] if d["category"] == category and d["action"] != "allow"]
        if category in row.get("categories", []):
            positives += 1
            caught += 1 if hits else 0
        elif row["kind"] == "benign":
            benign_total += 1
            benign_hit += 1 if hits else 0
            benign_blocked += 1 if any(d["action"] == "block" for d in hits) else 0
    recall = caught / positives if positives else 0.0
    rate = benign_hit / benign_total if benign_total else 0.0
    blocked_rate = benign_blocked / benign_total if benign_total else 0.0
    report["categories"].append({"category": category, "texts": positives, "recall": recall,
                                 "benign_flag_or_block_rate": rate, "benign_block_rate": blocked_rate})
    print(f"| {category} | {positives} | {recall:.1%} | {rate:.1%} | {blocked_rate:.1%} |")
if json_out:
    with open(json_out, "w") as f:
        json.dump(report, f, indent=1)
