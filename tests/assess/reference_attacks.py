#!/usr/bin/python3
"""Independent FGSM / PGD in Python (Debian's python3-torch) for the C++ engine to be checked against.

usage: reference_attacks.py MODEL.pt INPUTS.f32 LABELS.i64 N FEATURES EPS STEPS
Prints one JSON line: clean, fgsm and pgd (no random start, step 2.5*eps/steps) accuracies, and the PGD
steps per second measured here (for the benchmark).
"""
import json
import sys
import time

import numpy as np
import torch


def main():
    model_path, inputs_path, labels_path = sys.argv[1:4]
    n, features, eps, steps = int(sys.argv[4]), int(sys.argv[5]), float(sys.argv[6]), int(sys.argv[7])
    torch.set_num_threads(int(sys.argv[8]) if len(sys.argv) > 8 else 1)
    model = torch.jit.load(model_path)
    model.eval()
    x = torch.from_numpy(np.fromfile(inputs_path, dtype=np.float32).reshape(n, features))
    y = torch.from_numpy(np.fromfile(labels_path, dtype=np.int64))

    def grad(inp):
        inp = inp.clone().requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(model(inp), y, reduction="sum")
        (g,) = torch.autograd.grad(loss, inp)
        return g

    def accuracy(inp):
        with torch.no_grad():
            return (model(inp).argmax(1) == y).double().mean().item()

    fgsm = (x + eps * grad(x).sign()).clamp(0, 1)
    alpha = 2.5 * eps / steps
    adv = x.clone()
    start = time.perf_counter()
    for _ in range(steps):
        adv = adv + alpha * grad(adv).sign()
        adv = torch.min(torch.max(adv, x - eps), x + eps).clamp(0, 1)
    seconds = time.perf_counter() - start
    print(json.dumps({"clean": accuracy(x), "fgsm": accuracy(fgsm), "pgd": accuracy(adv), "pgd_steps_per_second": steps / seconds}))


if __name__ == "__main__":
    main()
