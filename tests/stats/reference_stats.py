"""Reference figures for tests/stats/stats_test.cpp, from SciPy and NumPy (Debian's python3-scipy).

Reads a JSON list of cases from argv[1] and prints one JSON list of results: each case names the
function and its inputs; the result holds what SciPy/NumPy compute for it.
"""
import json
import sys

import numpy as np
from scipy import stats
from scipy.spatial import distance


def run(case):
    kind = case["kind"]
    if kind == "ks":
        method = case.get("method", "auto")
        r = stats.ks_2samp(case["a"], case["b"], method=method)
        return {"statistic": float(r.statistic), "p_value": float(r.pvalue)}
    if kind == "chi2_contingency":
        r = stats.chi2_contingency(np.array([case["a"], case["b"]], dtype=float))
        return {"statistic": float(r[0]), "p_value": float(r[1]), "dof": float(r[2])}
    if kind == "chisquare":
        obs = np.array(case["a"], dtype=float)
        exp = np.array(case["b"], dtype=float)
        exp = exp * obs.sum() / exp.sum()
        r = stats.chisquare(obs, exp)
        return {"statistic": float(r.statistic), "p_value": float(r.pvalue)}
    if kind == "js":
        base = case.get("base") or None
        return {"distance": float(distance.jensenshannon(case["a"], case["b"], base=base))}
    if kind == "wasserstein":
        return {"distance": float(stats.wasserstein_distance(case["a"], case["b"]))}
    if kind == "psi":
        # Written out from the definition, independently of the C++ code: shares, empty bins at 1e-4.
        r = np.array(case["a"], dtype=float)
        c = np.array(case["b"], dtype=float)
        r = r / r.sum()
        c = c / c.sum()
        r[r == 0] = 1e-4
        c[c == 0] = 1e-4
        return {"distance": float(np.sum((c - r) * np.log(c / r)))}
    if kind == "histogram":
        both = np.concatenate([np.array(case["a"], dtype=float), np.array(case["b"], dtype=float)])
        edges = np.histogram_bin_edges(both, bins="sturges")
        counts, _ = np.histogram(case["a"], bins=edges)
        return {"edges": edges.tolist(), "counts": counts.astype(float).tolist()}
    if kind == "chi2_sf":
        return {"p_value": float(stats.chi2.sf(case["x"], case["dof"]))}
    if kind == "shapiro":
        return {"statistic": float(stats.shapiro(case["a"]).statistic)}
    if kind == "binom_logsf":
        return {"p_value": float(stats.binom.logsf(case["k"] - 1, case["n"], case["p"]))}
    if kind == "kolmogorov_sf":
        return {"p_value": float(stats.kstwobign.sf(case["x"]))}
    raise ValueError(kind)


with open(sys.argv[1]) as f:
    cases = json.load(f)
print(json.dumps([run(c) for c in cases]))
