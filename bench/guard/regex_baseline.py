#!/usr/bin/env python3
"""The baseline a Python guard pays (LLM Guard's regex scanners, Presidio's pattern recognisers): the same
signature rules (policies/guard-signatures.json) plus PII and credential patterns, compiled with Python's
`re`, run one after another over each lower-cased text. Prints per-text microseconds, one per line."""
import json
import re
import sys
import time

rules = json.load(open(sys.argv[1], encoding="utf-8"))["rules"]
patterns = [re.compile(p) for r in rules for p in r["patterns"]]
patterns += [re.compile(p, re.I) for p in (
    r"[a-z0-9._%+\-]+@[a-z0-9\-]+(\.[a-z0-9\-]+)*\.[a-z]{2,24}", r"[2-6]\d{3}([ \-]?\d{2,6}){2,5}", r"[a-z]{2}\d{2}( ?[a-z0-9]){11,30}",
    r"\d{3}-\d{2}-\d{4}", r"\+\d{1,3}[ .\-]?(\(\d{1,4}\)[ .\-]?)?\d{1,4}([ .\-]?\d{2,4}){1,4}", r"\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}",
    r"(AKIA|ASIA)[A-Z2-7]{16}", r"gh[pousr]_[A-Za-z0-9]{36,}", r"xox[abposr]-[A-Za-z0-9\-]{10,}", r"(sk|rk)_(live|test)_[A-Za-z0-9]{20,}",
    r"AIza[0-9A-Za-z_\-]{35}", r"eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}", r"-----BEGIN [A-Z ]*PRIVATE KEY-----")]
for line in open(sys.argv[2], encoding="utf-8"):
    text = json.loads(line)["text"]
    start = time.perf_counter()
    folded = " ".join(text.lower().split())
    hits = [m.span() for p in patterns for m in p.finditer(folded)]
    print(f"{(time.perf_counter() - start) * 1e6:.1f}")
