#!/usr/bin/python3
"""Benchmark inputs: (a) an opcode-heavy pickle, (b) a large real-looking torch checkpoint, (c) many small
files. Usage: make_inputs.py OUTDIR CHECKPOINT_MB SMALL_FILES"""
import os
import pickle
import sys

import torch

out, checkpoint_mb, small = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
os.makedirs(out, exist_ok=True)

with open(os.path.join(out, "float_list.pkl"), "wb") as f:
    pickle.dump([float(i) * 0.5 for i in range(2_000_000)], f, protocol=4)

# A transformer-like state dict: many named tensors, a few large ones.
layers, state = 0, {}
remaining = checkpoint_mb * 1024 * 1024 // 4
while remaining > 0:
    n = min(remaining, 4 * 1024 * 1024)
    state[f"model.layers.{layers}.mlp.weight"] = torch.ones(n)
    state[f"model.layers.{layers}.mlp.bias"] = torch.zeros(16)
    state[f"model.layers.{layers}.norm.weight"] = torch.ones(16)
    remaining -= n
    layers += 1
torch.save(state, os.path.join(out, "checkpoint.pt"))

small_dir = os.path.join(out, "small")
os.makedirs(small_dir, exist_ok=True)
payloads = [pickle.dumps({"id": 1, "w": [0.1] * 20}, protocol=p) for p in range(6)]
for i in range(small):
    with open(os.path.join(small_dir, f"f{i:05d}.pkl"), "wb") as f:
        f.write(payloads[i % len(payloads)])
print("inputs ready")
