#!/usr/bin/env python3
# scripts/bench data, data audit part: spectral signatures and activation clustering on 60,000 x 512
# activations, `modelguard data audit` against a numpy/sklearn implementation of the same methods, in the
# same run on the same core. The activations are random but structured like a penultimate layer: ten classes,
# each a low-rank Gaussian around its own mean, non-negative (after a ReLU) and scaled into [0, 1]; 5 % of the
# samples are a tight poisoned cluster relabelled to class 0. The dataset's features ARE the activations: the
# audited model is one Linear layer (TorchScript), whose input is what the audit reads.
# Measured (dev build, a loaded 2-core machine, one thread on one core each): spectral 46 s vs numpy 174 s
# (ratio 3.8), clustering 50 s vs numpy/sklearn 186 s (ratio 3.7); both flag the same 670 samples / class 0.
# Usage: bench/data/audit.py MODELGUARD [SAMPLES] [FEATURES]
import os

# One thread on both sides: the comparison is per core, and BLAS or OpenMP threads spinning on one pinned core
# would slow both down unevenly.
for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[variable] = "1"

import atexit
import json
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np
import torch
from sklearn.cluster import KMeans
from sklearn.metrics import silhouette_score

mg = sys.argv[1]
samples = int(sys.argv[2]) if len(sys.argv) > 2 else 60000
features = int(sys.argv[3]) if len(sys.argv) > 3 else 512
classes, rank, poison_share = 10, 16, 0.05

rng = np.random.default_rng(7)
labels = rng.integers(0, classes, samples)
means = rng.normal(0, 1, (classes, features))
bases = rng.normal(0, 1, (classes, rank, features)) / np.sqrt(rank)
acts = np.empty((samples, features))
for c in range(classes):
    idx = np.where(labels == c)[0]
    acts[idx] = means[c] + rng.normal(0, 1, (len(idx), rank)) @ bases[c]
acts += rng.normal(0, 0.3, (samples, features))
poison = rng.choice(np.where(labels != 0)[0], int(poison_share * samples), replace=False)
acts[poison] = means[labels[poison]] * 0.5 + rng.normal(0, 0.3, (len(poison), features)) + 2.0 * rng.normal(0, 1, features)
labels[poison] = 0
acts = np.maximum(acts, 0)
acts = (acts / acts.max()).astype(np.float32)

tmp = tempfile.mkdtemp()
atexit.register(shutil.rmtree, tmp, True)
np.save(f"{tmp}/x.npy", acts)
np.save(f"{tmp}/y.npy", labels.astype(np.int64))
# A nearest-class-mean classifier as one Linear layer (logits = -|x - centre|^2 / 2 up to a per-sample
# constant), its centres those of the clean samples: a model that learned the classes, as the audit assumes.
clean = np.ones(samples, bool)
clean[poison] = False
centres = np.stack([acts[clean & (labels == c)].mean(0) for c in range(classes)])
linear = torch.nn.Linear(features, classes)
with torch.no_grad():
    temperature = 20.0
    linear.weight.copy_(torch.from_numpy(centres * temperature))
    linear.bias.copy_(torch.from_numpy(-0.5 * (centres ** 2).sum(1) * temperature))
torch.jit.script(linear).save(f"{tmp}/linear.pt")
model = torch.jit.load(f"{tmp}/linear.pt")


def ours(method):
    out = subprocess.run(["taskset", "-c", "0", mg, "data", "audit", f"npy:{tmp}/x.npy,{tmp}/y.npy", "--model",
                          f"{tmp}/linear.pt", "--methods", method, "--threads", "1", "--format", "json", "--top", "0",
                          "-q"],
                         capture_output=True, text=True)
    if out.returncode not in (0, 1):
        sys.exit(f"modelguard data audit failed: {out.stderr}")
    return json.loads(out.stdout)


# The same methods in numpy/sklearn, as the modelguard docs describe them (docs/data.md, "data audit").
def spectral_reference(a, y):
    scores, variance = {}, {}
    for c in range(classes):
        idx = np.where(y == c)[0]
        r = a[idx] - a[idx].mean(0)
        v = np.linalg.svd(r, full_matrices=False)[2][0]
        scores[c] = (idx, (r @ v) ** 2)
        variance[c] = scores[c][1].mean()
    median = np.median(list(variance.values()))
    flagged = set()
    for c, (idx, s) in scores.items():
        if variance[c] >= 2 * median:  # only classes with a spectral signature
            flagged.update(idx[np.argsort(-s, kind="stable")[: int(np.ceil(1.5 * 0.05 * len(idx)))]].tolist())
    return flagged


def clustering_reference(a, y, logits):
    masked = logits.copy()
    masked[np.arange(len(y)), y] = -np.inf
    p = np.exp(masked - masked.max(1, keepdims=True))
    elsewhere = (p / p.sum(1, keepdims=True)).max(1)
    poisoned = []
    for c in range(classes):
        idx = np.where(y == c)[0]
        r = a[idx] - a[idx].mean(0)
        z = r @ np.linalg.svd(r, full_matrices=False)[2][:10].T
        k = KMeans(n_clusters=2, n_init=8, random_state=c).fit(z)
        sample = np.random.default_rng(c).permutation(len(idx))[:4000]
        sil = silhouette_score(z[sample], k.labels_[sample])
        conf = [elsewhere[idx][k.labels_ == j].mean() for j in range(2)]
        cand = int(np.argmax(conf))
        share = (k.labels_ == cand).mean()
        if sil > 0.35 and share <= 0.6 and conf[cand] - conf[1 - cand] >= 0.06:
            poisoned.append(c)
    return poisoned


a64 = acts.astype(np.float64)
with torch.no_grad():
    model_logits = model(torch.from_numpy(acts)).double().numpy()
os.sched_setaffinity(0, {0})  # the same single core as modelguard
start = time.perf_counter()
ref_flagged = spectral_reference(a64, labels)
ref_spectral = time.perf_counter() - start
start = time.perf_counter()
ref_poisoned = clustering_reference(a64, labels, model_logits)
ref_clustering = time.perf_counter() - start

spectral = ours("spectral")
ours_flagged_count = spectral["flagged_samples"]
clustering = ours("clustering")
our_spectral, our_clustering = spectral["seconds"], clustering["seconds"]
our_poisoned = [c["class"] for c in clustering["methods"][0]["details"]["classes"] if c["poisoned"]]
print(f"BENCH data audit spectral: {samples} x {features}, ours {our_spectral:.2f} s, numpy {ref_spectral:.2f} s, "
      f"ratio {ref_spectral / our_spectral:.2f} (numpy time / ours; flagged: ours {ours_flagged_count}, "
      f"numpy {len(ref_flagged)})")
print(f"BENCH data audit clustering: {samples} x {features}, ours {our_clustering:.2f} s, numpy/sklearn "
      f"{ref_clustering:.2f} s, ratio {ref_clustering / our_clustering:.2f} (poisoned classes: ours {our_poisoned}, "
      f"sklearn {ref_poisoned})")
