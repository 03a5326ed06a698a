"""The peer of bench/monitor: the drift tests of `monitor run --tests ks,wasserstein,psi,js,chi2` written with
NumPy and SciPy over two CSV files (numeric columns: KS, Wasserstein normed by the reference's standard
deviation, PSI and Jensen-Shannon over Sturges bins of both; categorical ones: chi-square contingency)."""
import csv
import sys

import numpy as np
from scipy import stats
from scipy.spatial import distance


def read(path):
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    return rows[0], list(zip(*rows[1:]))


header, ref = read(sys.argv[1])
_, cur = read(sys.argv[2])
for name, r, c in zip(header, ref, cur):
    try:
        a, b = np.array(r, dtype=float), np.array(c, dtype=float)
    except ValueError:
        keys = sorted(set(r) | set(c))
        table = np.array([[r.count(k) for k in keys], [c.count(k) for k in keys]], dtype=float)
        print(name, stats.chi2_contingency(table)[1])
        continue
    edges = np.histogram_bin_edges(np.concatenate([a, b]), bins="sturges")
    ra, _ = np.histogram(a, bins=edges)
    rb, _ = np.histogram(b, bins=edges)
    sa, sb = ra / ra.sum(), rb / rb.sum()
    sa, sb = np.where(sa == 0, 1e-4, sa), np.where(sb == 0, 1e-4, sb)
    print(name, stats.ks_2samp(a, b).pvalue, stats.wasserstein_distance(a, b) / np.std(a),
          np.sum((sb - sa) * np.log(sb / sa)), distance.jensenshannon(ra, rb))
