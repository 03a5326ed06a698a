"""The peer of bench/privacy-release: one private release of a CSV column in plain Python (csv module) with
NumPy's floating-point Laplace noise, bounding each person to 3 rows and clamping to public bounds, as one
would write it without a DP library. Usage: release_numpy.py FILE QUERY BOUNDS (QUERY: count, sum(col),
quantile(col,p), or truth to print the exact clamped sum of income)."""
import csv
import sys

import numpy as np

path, query, bounds = sys.argv[1], sys.argv[2], sys.argv[3]
epsilon, limit = 1.0, 3
lo, hi = (float(b) for b in bounds.split(",")) if bounds else (0.0, 0.0)
column = query[query.find("(") + 1:].split(",")[0].rstrip(")") if "(" in query else "income"
kept = {}
values = []
count = 0
with open(path, newline="") as f:
    reader = csv.reader(f)
    header = next(reader)
    unit_at, value_at = header.index("person"), header.index(column)
    for row in reader:
        seen = kept.get(row[unit_at], 0)
        if seen >= limit:
            continue
        kept[row[unit_at]] = seen + 1
        count += 1
        if query != "count":
            try:
                values.append(min(max(float(row[value_at]), lo), hi))
            except ValueError:
                pass
rng = np.random.default_rng()
if query == "truth":
    print(repr(float(np.sum(values))))
elif query == "count":
    print(count + rng.laplace(0, limit / epsilon))
elif query.startswith("sum"):
    print(float(np.sum(values)) + rng.laplace(0, limit * max(abs(lo), abs(hi)) / epsilon))
else:  # quantile: the exponential mechanism over the intervals between sorted values (Smith 2011)
    p = float(query.split(",")[1].rstrip(")"))
    x = np.concatenate(([lo], np.sort(values), [hi]))
    n = len(values)
    ranks = np.arange(n + 1)
    utility = -np.abs(ranks - p * n)
    with np.errstate(divide="ignore"):
        logits = np.log(np.diff(x)) + epsilon * utility / (2 * limit)
    logits -= logits.max()
    weights = np.exp(logits)
    i = rng.choice(n + 1, p=weights / weights.sum())
    print(rng.uniform(x[i], x[i + 1]))
