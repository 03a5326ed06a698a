#!/usr/bin/env python3
"""Per-language figures of the signature detector on gen_multilingual.py's data.

Reads the generated rows and `modelguard guard classify` output for them (same order) and prints a Markdown
table: per language, the share of attacks the signatures catch (any signature rule; and with the rule of the
attack's own intent) and the share of benign look-alikes any signature fires on. --misses prints what was
missed and what fired on benign text (tuning on the train split only).

Usage: eval_multilingual.py ROWS.jsonl SCORED.jsonl [--misses]
"""
import collections
import json
import sys

INTENT_RULE = {"override": ("injection.override.",), "role": ("injection.role_change.", "injection.role_reassignment"),
               "extract": ("prompt_leak.extract.", "leak.system_prompt_request")}


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    with open(argv[1], encoding="utf-8") as f:
        rows = [json.loads(line) for line in f]
    with open(argv[2], encoding="utf-8") as f:
        scored = [json.loads(line) for line in f]
    if len(rows) != len(scored):
        sys.exit(f"{len(rows)} rows but {len(scored)} results")
    stats = collections.defaultdict(lambda: collections.Counter())
    misses = []
    for row, result in zip(rows, scored):
        fired = [d["rule_id"] for d in result.get("detections", []) if d["detector"] == "signature"]
        s = stats[row["lang"]]
        if row["label"] == 1:
            s["attacks"] += 1
            s["caught"] += bool(fired)
            own = any(r.startswith(INTENT_RULE[row["intent"]]) for r in fired)
            s["own"] += own
            s[row["intent"] + "_n"] += 1
            s[row["intent"] + "_caught"] += bool(fired)
            if not own:
                misses.append(("MISS", row["lang"], row["intent"], row["text"], fired))
        else:
            s["benign"] += 1
            s["flagged"] += bool(fired)
            if fired:
                misses.append(("FP", row["lang"], row["intent"], row["text"], fired))

    def pct(a, b):
        return f"{100.0 * a / b:.1f} %" if b else "–"

    print("| language | attacks | caught (any signature) | override | role change | extraction | caught by the intent's rule | benign | benign flagged |")
    print("|---|---|---|---|---|---|---|---|---|")
    total = collections.Counter()
    for lang in sorted(stats):
        s = stats[lang]
        total.update(s)
        print(f"| {lang} | {s['attacks']} | {pct(s['caught'], s['attacks'])} | {pct(s['override_caught'], s['override_n'])} | "
              f"{pct(s['role_caught'], s['role_n'])} | {pct(s['extract_caught'], s['extract_n'])} | {pct(s['own'], s['attacks'])} | "
              f"{s['benign']} | {pct(s['flagged'], s['benign'])} |")
    s = total
    print(f"| **all** | {s['attacks']} | {pct(s['caught'], s['attacks'])} | {pct(s['override_caught'], s['override_n'])} | "
          f"{pct(s['role_caught'], s['role_n'])} | {pct(s['extract_caught'], s['extract_n'])} | {pct(s['own'], s['attacks'])} | "
          f"{s['benign']} | {pct(s['flagged'], s['benign'])} |")
    if "--misses" in argv:
        for kind, lang, intent, text, fired in misses:
            print(kind, lang, intent, text, fired, sep="\t")


if __name__ == "__main__":
    main(sys.argv)
