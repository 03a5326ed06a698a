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
    if kind == "isotonic":
        # scikit-learn's isotonic regression, as NannyML's CBPE calibrates with it.
        from sklearn.isotonic import IsotonicRegression
        fit = IsotonicRegression(y_min=0, y_max=1, increasing=True, out_of_bounds="clip")
        fit.fit(case["x"], case["y"], sample_weight=case.get("w"))
        return {"predictions": fit.predict(case["at"]).tolist()}
    if kind == "drift_numeric":
        # The numeric drift figures of stats/drift.h, each from its definition or SciPy.
        a = np.array(case["a"], dtype=float)
        b = np.array(case["b"], dtype=float)
        edges = np.histogram_bin_edges(np.concatenate([a, b]), bins="sturges")
        ra, _ = np.histogram(a, bins=edges)
        rb, _ = np.histogram(b, bins=edges)
        sa, sb = ra / ra.sum(), rb / rb.sum()
        sa = np.where(sa == 0, 1e-4, sa)
        sb = np.where(sb == 0, 1e-4, sb)
        # MMD^2, unbiased, Gaussian kernel with s^2 = median squared reference-current distance / 2.
        s2 = np.median((a[:, None] - b[None, :]) ** 2) / 2
        def mmd2(x, y):
            kxx = np.exp(-(x[:, None] - x[None, :]) ** 2 / (2 * s2))
            kyy = np.exp(-(y[:, None] - y[None, :]) ** 2 / (2 * s2))
            kxy = np.exp(-(x[:, None] - y[None, :]) ** 2 / (2 * s2))
            n, m = len(x), len(y)
            return ((kxx.sum() - np.trace(kxx)) / (n * (n - 1)) + (kyy.sum() - np.trace(kyy)) / (m * (m - 1))
                    - 2 * kxy.mean())
        observed = mmd2(a, b)
        rng = np.random.default_rng(case.get("seed", 0))
        pooled = np.concatenate([a, b])
        perms = case.get("permutations", 1000)
        hits = 0
        for _ in range(perms):
            p = rng.permutation(pooled)
            hits += mmd2(p[:len(a)], p[len(a):]) >= observed
        return {"ks": float(stats.ks_2samp(a, b).pvalue),
                "wasserstein": float(stats.wasserstein_distance(a, b) / np.std(a)),
                "js": float(distance.jensenshannon(ra, rb)),
                "psi": float(np.sum((sb - sa) * np.log(sb / sa))),
                "mmd2": float(observed), "bandwidth": float(np.sqrt(s2)), "mmd_p": (1 + hits) / (1 + perms)}
    if kind == "z":
        # Two-proportion z-test, pooled, from the counts of the first category and the totals.
        x1, n1, x2, n2 = case["x1"], case["n1"], case["x2"], case["n2"]
        p = (x1 + x2) / (n1 + n2)
        z = (x1 / n1 - x2 / n2) / np.sqrt(p * (1 - p) * (1 / n1 + 1 / n2))
        return {"statistic": float(z), "p_value": float(2 * stats.norm.sf(abs(z)))}
    raise ValueError(kind)


with open(sys.argv[1]) as f:
    cases = json.load(f)
print(json.dumps([run(c) for c in cases]))
