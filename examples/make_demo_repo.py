#!/usr/bin/python3
"""Writes a small downloaded-model directory for the demo: benign files made by the real libraries and
two poisoned ones made the way attackers make them (an object whose __reduce__ runs a command)."""
import os
import sys

import joblib
import numpy as np
import torch
import torch.nn as nn

out = sys.argv[1]
os.makedirs(out, exist_ok=True)


class Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


net = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 2))
torch.save(net.state_dict(), os.path.join(out, "pytorch_model.bin"))
np.save(os.path.join(out, "embeddings.npy"), np.random.default_rng(0).normal(size=(16, 4)).astype(np.float32))
joblib.dump({"scaler_mean": np.zeros(4)}, os.path.join(out, "preprocess.joblib"), compress=3)
torch.save({"state_dict": net.state_dict(), "hook": Payload()}, os.path.join(out, "checkpoint_poisoned.pt"))
joblib.dump({"weights": np.arange(100.0), "init": Payload()}, os.path.join(out, "model_poisoned.joblib"))
with open(os.path.join(out, "README.md"), "w") as f:
    f.write("# demo-model\nA tiny classifier.\n")
print(f"demo repository written to {out}")
