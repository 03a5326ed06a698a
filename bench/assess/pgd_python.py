#!/usr/bin/python3
"""The Python baseline for bench/assess: L-inf PGD written the way ART / torchattacks do it, on the same
TorchScript model, with Debian's python3-torch.  usage: pgd_python.py MODEL.pt DATASET N STEPS THREADS
Prints JSON: steps per second and the robust accuracy reached."""
import gzip
import json
import sys
import time

import numpy as np
import torch


def load(dataset, n):
    if dataset == "digits":
        raw = np.loadtxt(gzip.open("/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz"), delimiter=",")
        return torch.tensor(raw[-n:, :-1] / 16.0, dtype=torch.float32), torch.tensor(raw[-n:, -1], dtype=torch.int64)
    base = "/usr/share/datasets/fashion-mnist/"
    images = np.frombuffer(gzip.open(base + "t10k-images-idx3-ubyte.gz").read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)
    labels = np.frombuffer(gzip.open(base + "t10k-labels-idx1-ubyte.gz").read(), np.uint8, offset=8)
    return torch.tensor(images[:n] / 255.0, dtype=torch.float32), torch.tensor(labels[:n], dtype=torch.int64)


def main():
    model_path, dataset, n, steps, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
    torch.set_num_threads(threads)
    model = torch.jit.load(model_path)
    model.eval()
    x, y = load(dataset, n)
    eps, alpha = 0.1, 2.5 * 0.1 / steps
    adv = (x + torch.empty_like(x).uniform_(-eps, eps)).clamp(0, 1)
    start = time.perf_counter()
    for _ in range(steps):
        adv.requires_grad_(True)
        loss = torch.nn.functional.cross_entropy(model(adv), y, reduction="sum")
        (grad,) = torch.autograd.grad(loss, adv)
        adv = torch.min(torch.max(adv.detach() + alpha * grad.sign(), x - eps), x + eps).clamp(0, 1)
    seconds = time.perf_counter() - start
    with torch.no_grad():
        accuracy = (model(adv).argmax(1) == y).double().mean().item()
    print(json.dumps({"steps_per_second": steps / seconds, "robust_accuracy": accuracy}))


if __name__ == "__main__":
    main()
