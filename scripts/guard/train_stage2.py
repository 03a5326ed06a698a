#!/usr/bin/env python3
"""Trains the guard's second stage: gradient-boosted trees over the first stage's outputs (per-category
scores, each detector's strongest confidence per category, the number of detections, the text's length and
role group), used only for texts the first stage lets through while leaning towards attack (its score at
or above BAND_LOW). It can only add a flag, never block and never clear a detection.

Stacking needs first-stage outputs the first stage did not train on: the training split is cut into five
folds by template (or injected attack, or text), a first-stage model is trained without each fold and
scores it (out-of-fold). The decision threshold per role group comes from the calibration split's benign
texts in the band, scored by the shipped first stage: the second stage may add flags to at most
EXTRA_FLAG_BUDGET of that group's benign calibration texts. The validation split is never read.

usage: train_stage2.py MODELGUARD_BINARY CORPUS.jsonl FIRST_STAGE_MODEL OUTPUT.json
Deterministic for the same corpus, binary and scikit-learn version (printed into the model)."""
import hashlib
import json
import math
import os
import subprocess
import sys
import tempfile
from collections import Counter

import numpy as np
import sklearn
from sklearn.ensemble import GradientBoostingClassifier

CATEGORIES = ["injection", "jailbreak", "prompt_extraction", "harmful_request"]
FOLDS = 5
BAND_LOW = 0.5  # the first stage's score from which a text it allows is re-judged
EXTRA_FLAG_BUDGET = 0.002  # of each group's benign calibration texts, the most the second stage may flag
TREES, LEARNING_RATE, MAX_LEAF_NODES = 200, 0.05, 15


def fold_of(row):
    key = row.get("template") or row.get("attack") or row["text"]
    return int(hashlib.sha256(("fold" + key).encode()).hexdigest()[:8], 16) % FOLDS


def is_document(row):
    return row["role"] in ("document", "tool")


def features(row, result):
    """Mirrors SecondStage::Features in src/guard/second_stage/second_stage.cpp: same names, same values
    (classify's JSON rounds scores to 4 decimals and confidences to 3; the C++ side rounds the same way)."""
    f = {"s_" + c: result["scores"].get(c, 0.0) for c in CATEGORIES}
    f["top"] = result["score"]
    f["detections"] = float(len(result["detections"]))
    for d in result["detections"]:
        name = "d_%s_%s" % (d["detector"], d["category"])
        f[name] = max(f.get(name, 0.0), d["confidence"])
    f["log_chars"] = math.log1p(len(row["text"]))
    f["document"] = 1.0 if is_document(row) else 0.0
    return f


def classify(binary, model, rows, work, name):
    path_in, path_out = os.path.join(work, name + ".jsonl"), os.path.join(work, name + ".scored.jsonl")
    with open(path_in, "w") as out:
        for row in rows:
            out.write(json.dumps(row) + "\n")
    subprocess.run([binary, "guard", "classify", "--model", model, "--input", path_in, "--role-field", "role",
                    "--fail-on", "never", "--output", path_out], check=True, stderr=subprocess.DEVNULL)
    results = [json.loads(line) for line in open(path_out)]
    assert len(results) == len(rows)
    return results


def main():
    binary, corpus_path, first_stage, output = sys.argv[1:5]
    rows = [json.loads(line) for line in open(corpus_path, encoding="utf-8")]
    train = [r for r in rows if r["split"] == "train"]
    calibration = [r for r in rows if r["split"] == "calibration"]
    with tempfile.TemporaryDirectory() as work:
        # Out-of-fold first-stage outputs for the training split.
        jobs, held = [], []
        for k in range(FOLDS):
            corpus_k = os.path.join(work, "corpus%d.jsonl" % k)
            with open(corpus_k, "w") as out:
                for r in rows:
                    r2 = dict(r)
                    if r["split"] == "train" and fold_of(r) == k:
                        r2["split"] = "held_out"
                    elif r["split"] != "train":
                        r2["split"] = "calibration" if r["split"] == "calibration" else "unused"
                    out.write(json.dumps(r2) + "\n")
            jobs.append(subprocess.Popen([binary, "guard", "train", "--corpus", corpus_k, "--output",
                                          os.path.join(work, "model%d.mgm" % k)], stdout=subprocess.DEVNULL))
            held.append([r for r in train if fold_of(r) == k])
        for job in jobs:
            if job.wait() != 0:
                sys.exit("train_stage2: a fold's first-stage training failed")
        pairs = []
        for k in range(FOLDS):
            pairs += zip(held[k], classify(binary, os.path.join(work, "model%d.mgm" % k), held[k], work, "fold%d" % k))
        calibration_pairs = list(zip(calibration, classify(binary, first_stage, calibration, work, "calibration")))

    names = sorted(set().union(*[features(r, s).keys() for r, s in pairs]))
    matrix = lambda ps: np.array([[features(r, s).get(n, 0.0) for n in names] for r, s in ps])
    x, y = matrix(pairs), np.array([r["label"] for r, _ in pairs])
    # The first stage's balancing: each source weighs by the square root of its size.
    sizes = Counter(r["source"] for r, _ in pairs)
    weights = np.array([1.0 / math.sqrt(sizes[r["source"]]) for r, _ in pairs])
    model = GradientBoostingClassifier(n_estimators=TREES, learning_rate=LEARNING_RATE, max_leaf_nodes=MAX_LEAF_NODES,
                                       random_state=0)
    model.fit(x, y, sample_weight=weights)

    trees = []
    for estimator in model.estimators_[:, 0]:
        t = estimator.tree_
        trees.append({"feature": [int(v) for v in t.feature], "threshold": [float(v) for v in t.threshold],
                      "left": [int(v) for v in t.children_left], "right": [int(v) for v in t.children_right],
                      "value": [float(v) for v in t.value[:, 0, 0]]})
    # The constant the trees add to: recovered from the library's own raw scores, then checked on every row.
    raw = model.decision_function(x)
    tree_sum = np.array([sum(tree_value(tree, row) for tree in trees) for row in x]) * LEARNING_RATE
    init = float(np.median(raw - tree_sum))
    assert np.max(np.abs(raw - (init + tree_sum))) < 1e-9, "exported trees do not reproduce the model"

    def score(row_features):
        z = init + LEARNING_RATE * sum(tree_value(tree, row_features) for tree in trees)
        return 1.0 / (1.0 + math.exp(-z))

    thresholds = {}
    for group in ("user", "document"):
        in_group = [(r, s) for r, s in calibration_pairs if is_document(r) == (group == "document")]
        benign = [(r, s) for r, s in in_group if r["kind"] == "benign"]
        band = [score([features(r, s).get(n, 0.0) for n in names]) for r, s in benign
                if s["verdict"] == "allow" and s["score"] >= BAND_LOW]
        allowed = int(EXTRA_FLAG_BUDGET * len(benign))
        band.sort(reverse=True)
        thresholds[group] = band[allowed] if allowed < len(band) else 0.5
        thresholds[group] = max(thresholds[group], 0.5)  # never flag what the trees call more likely benign
    doc = {"schema": "modelguard.guard-stage2/v1", "sklearn": sklearn.__version__, "band_low": BAND_LOW,
           "learning_rate": LEARNING_RATE, "init": init, "thresholds": thresholds, "features": names,
           "trees": trees}
    with open(output, "w") as out:
        json.dump(doc, out, separators=(",", ":"))
        out.write("\n")
    print("train_stage2: %d training texts (out-of-fold), %d features, %d trees, thresholds %s -> %s" %
          (len(pairs), len(names), len(trees), json.dumps(thresholds), output), file=sys.stderr)


def tree_value(tree, row):
    node = 0
    while tree["left"][node] != -1:
        node = tree["left"][node] if row[tree["feature"][node]] <= tree["threshold"][node] else tree["right"][node]
    return tree["value"][node]


if __name__ == "__main__":
    main()
