#!/usr/bin/python3
"""Independent confident learning (numpy) on scikit-learn out-of-sample probabilities, for the C++ labels
audit method to be checked against.

usage: reference_confident_learning.py X.f32 Y.i64 FOLDS.i64 N FEATURES CLASSES OUT.npy
X: N x FEATURES float32, Y: the given labels, FOLDS: each sample's fold (the same folds the C++ side uses).
Writes the cross_val_predict probabilities (LogisticRegression) to OUT.npy as float64 and prints one JSON
line: the indices of the label issues and the out-of-sample accuracy.
"""
import json
import sys

import numpy as np
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import PredefinedSplit, cross_val_predict


def round_preserving_total(row):
    out = np.floor(row).astype(np.int64)
    left = int(round(row.sum())) - int(out.sum())
    fractions = row - np.floor(row)
    order = np.argsort(-fractions, kind="stable")
    out[order[:max(left, 0)]] += 1
    return out


def label_issues(p, labels, classes):
    n = len(labels)
    counts = np.bincount(labels, minlength=classes)
    thresholds = np.array([p[labels == j, j].mean() if counts[j] else np.inf for j in range(classes)])
    confident = p >= thresholds - 1e-6
    masked = np.where(confident, p, -1.0)
    guess = masked.argmax(axis=1)
    has = confident.any(axis=1)
    raw = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(raw, (labels[has], guess[has]), 1)
    np.fill_diagonal(raw, np.maximum(raw.diagonal(), 1))
    calibrated = raw / np.maximum(raw.sum(axis=1, keepdims=True), 1e-6) * counts[:, None]
    joint = np.array([round_preserving_total(row) for row in calibrated])
    issues = np.zeros(n, dtype=bool)
    for s in range(classes):
        members = np.flatnonzero(labels == s)
        for j in range(classes):
            if j == s or joint[s, j] <= 0:
                continue
            margin = p[members, j] - p[members, s]
            order = np.argsort(-margin, kind="stable")
            issues[members[order[: joint[s, j]]]] = True
    issues &= p.argmax(axis=1) != labels
    return issues


def main():
    x_path, y_path, folds_path = sys.argv[1:4]
    n, features, classes = int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
    out_path = sys.argv[7]
    x = np.fromfile(x_path, dtype=np.float32).reshape(n, features)
    y = np.fromfile(y_path, dtype=np.int64)
    folds = np.fromfile(folds_path, dtype=np.int64)
    learner = LogisticRegression(max_iter=2000)
    p = cross_val_predict(learner, x, y, cv=PredefinedSplit(folds), method="predict_proba")
    np.save(out_path, p.astype(np.float64))
    issues = label_issues(p, y, classes)
    accuracy = float((p.argmax(axis=1) == y).mean())
    print(json.dumps({"issues": np.flatnonzero(issues).tolist(), "accuracy": accuracy}))


if __name__ == "__main__":
    main()
