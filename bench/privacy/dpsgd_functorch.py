#!/usr/bin/env python3
# scripts/bench privacy, the peer: one DP-SGD epoch in Python with per-sample gradients from functorch's
# vmap(grad(...)) (the vectorised method Opacus offers), on the same data, architecture, expected batch size,
# clipping and noise as `modelguard harden dp-sgd`. Prints the seconds of the training loop alone (data
# loading and model building excluded) and the held-out accuracy.
# Usage: dpsgd_functorch.py DATASET(digits|fashion-mnist) ARCH(mlp|cnn) BATCH SIGMA THREADS
import os
import sys
import time

import numpy as np
import torch
from functorch import grad, make_functional, vmap

dataset, arch, batch, sigma, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(threads)
if dataset == "fashion-mnist":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
    import fashion_mnist
    x, y, tx, ty = (torch.from_numpy(a) for a in fashion_mnist.load())
else:
    from sklearn.datasets import load_digits
    d = load_digits()
    perm = np.random.default_rng(1).permutation(len(d.target))
    allx = torch.tensor(d.data[perm] / 16.0, dtype=torch.float32).reshape(-1, 1, 8, 8)
    ally = torch.tensor(d.target[perm], dtype=torch.int64)
    half = len(ally) // 2
    x, y, tx, ty = allx[:half], ally[:half], allx[half:], ally[half:]
hidden = 128
if arch == "cnn":
    c = max(8, hidden // 4)
    h, w = x.shape[2], x.shape[3]
    model = torch.nn.Sequential(
        torch.nn.Conv2d(1, c, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(c, 2 * c, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2), torch.nn.Flatten(),
        torch.nn.Linear(2 * c * (h // 4) * (w // 4), hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
else:
    features = x[0].numel()
    model = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(features, hidden), torch.nn.ReLU(),
                                torch.nn.Linear(hidden, hidden), torch.nn.ReLU(), torch.nn.Linear(hidden, 10))
fmodel, params = make_functional(model)
params = [p.detach() for p in params]


def sample_loss(p, xi, yi):
    return torch.nn.functional.cross_entropy(fmodel(p, xi.unsqueeze(0)), yi.unsqueeze(0))


per_sample = vmap(grad(sample_loss), in_dims=(None, 0, 0))
n = len(y)
q = batch / n
steps = (n + batch - 1) // batch
velocity = [torch.zeros_like(p) for p in params]
start = time.perf_counter()
for _ in range(steps):
    chosen = torch.nonzero(torch.rand(n) < q).view(-1)
    grads = per_sample(params, x[chosen], y[chosen])
    norms = torch.sqrt(sum(g.reshape(len(chosen), -1).pow(2).sum(1) for g in grads))
    factor = (1.0 / (norms + 1e-12)).clamp(max=1.0)
    for i, g in enumerate(grads):
        noisy = (g * factor.view(-1, *([1] * (g.dim() - 1)))).sum(0) + torch.normal(0.0, sigma, g.shape[1:])
        velocity[i] = 0.9 * velocity[i] + noisy / (q * n)
        params[i] = params[i] - 0.1 * velocity[i]
seconds = time.perf_counter() - start
with torch.no_grad():
    accuracy = (fmodel(params, tx).argmax(1) == ty).float().mean().item()
print(f"{seconds:.3f} {accuracy:.4f} {steps}")
