#!/usr/bin/env python3
# scripts/bench data, data audit part 2: BadNets on Fashion-MNIST (issue 20's benchmark evidence). A 4 x 4
# white patch in the bottom-right corner on 5 % and 10 % of the 60,000 training images, relabelled to class 0;
# a CNN trained on them by `modelguard harden train`; `modelguard data audit` (spectral, clustering); then the
# share of the poison among the top 1.5 x poison count of the combined rank, and the attack success and
# held-out accuracy of a model retrained on the cleaned copy, against one trained on the clean images. The
# clean model is audited on the clean images too: a clean dataset should flag nothing (per-class flags are
# printed for every case, since one naturally two-shaped class flagged whole is the failure to watch for).
# Usage: bench/data/audit_badnets.py MODELGUARD [EPOCHS [CACHE_DIR]]
# CACHE_DIR keeps the trained models (clean.pt, poisoned-5.pt, poisoned-10.pt) and reuses them in later runs,
# so the audit can be iterated on without retraining (minutes per model on a loaded machine).
import atexit
import json
import os
import shutil
import subprocess
import sys
import tempfile

import numpy as np
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
import fashion_mnist  # noqa: E402

mg = sys.argv[1]
epochs = sys.argv[2] if len(sys.argv) > 2 else "3"
cache = sys.argv[3] if len(sys.argv) > 3 else None
x, y, tx, ty = fashion_mnist.load()
tmp = tempfile.mkdtemp()
atexit.register(shutil.rmtree, tmp, True)


def stamp(images):
    images = images.copy()
    images[:, :, -4:, -4:] = 1.0
    return images


def train(features, labels, out, cached=None):
    if cache and cached:
        kept = os.path.join(cache, cached)
        if not os.path.exists(kept):
            os.makedirs(cache, exist_ok=True)
            train(features, labels, kept)
        return torch.jit.load(kept)
    np.save(f"{tmp}/tx.npy", features)
    np.save(f"{tmp}/ty.npy", labels)
    subprocess.run([mg, "harden", "train", "--data", f"npy:{tmp}/tx.npy,{tmp}/ty.npy", "--arch", "cnn",
                    "--epochs", epochs, "--train-fraction", "0.99", "--out", out, "-q"], check=True,
                   stdout=subprocess.DEVNULL)
    return torch.jit.load(out)


def predict(model, images):
    with torch.no_grad():
        return torch.cat([model(torch.from_numpy(images[i:i + 1000])).argmax(1)
                          for i in range(0, len(images), 1000)]).numpy()


def audit(features, labels, model, top, clean_out=None):
    np.save(f"{tmp}/px.npy", features)
    np.save(f"{tmp}/py.npy", labels)
    command = [mg, "data", "audit", f"npy:{tmp}/px.npy,{tmp}/py.npy", "--model", model, "--format", "json", "--top",
               str(top), "-q"]
    if clean_out:
        command += ["--write-clean", clean_out]
    out = subprocess.run(command, capture_output=True, text=True)
    report = json.loads(out.stdout)
    flags = {}  # method -> {class: flagged samples}: spectral says "flagged", clustering flags its candidate
    for method in report["methods"]:
        flags[method["name"]] = {
            c["class"]: c.get("flagged") or c["cluster_sizes"][0]
            for c in method.get("details", {}).get("classes", []) if c.get("flagged") or c.get("poisoned")}
    return report, flags


triggered = stamp(tx[ty != 0])
clean_path = f"{cache}/clean.pt" if cache else f"{tmp}/clean.pt"
clean_model = train(x, y, f"{tmp}/clean.pt", "clean.pt")
clean_accuracy = (predict(clean_model, tx) == ty).mean()
report, flags = audit(x, y, clean_path, 1000)
print(f"BENCH data audit fashion-mnist clean model on clean data: {report['flagged_samples']} flagged "
      f"(per method, class: count {flags})")
for rate in (0.05, 0.10):
    rng = np.random.default_rng(11)
    poison = np.sort(rng.choice(np.where(y != 0)[0], int(rate * len(y)), replace=False))
    px, py = x.copy(), y.copy()
    px[poison] = stamp(px[poison])
    py[poison] = 0
    name = f"poisoned-{round(rate * 100)}.pt"
    model = train(px, py, f"{tmp}/poisoned.pt", name)
    attack = (predict(model, triggered) == 0).mean()
    report, flags = audit(px, py, f"{cache}/{name}" if cache else f"{tmp}/poisoned.pt", int(1.5 * len(poison)),
                          f"{tmp}/cleaned")
    top = {s["index"] for s in report["ranked"]}
    found = len(top & set(poison.tolist())) / len(poison)
    cx = np.load(f"{tmp}/cleaned/features.npy")
    cy = np.load(f"{tmp}/cleaned/labels.npy")
    retrained = train(cx, cy, f"{tmp}/retrained.pt")
    attack_after = (predict(retrained, triggered) == 0).mean()
    accuracy_after = (predict(retrained, tx) == ty).mean()
    print(f"BENCH data audit badnets fashion-mnist {rate:.0%}: found {found:.3f} in the top 1.5x "
          f"({report['flagged_samples']} flagged, audit {report['seconds']:.0f} s), attack success "
          f"{attack:.3f} -> {attack_after:.3f}, accuracy {clean_accuracy:.4f} (clean model) vs "
          f"{accuracy_after:.4f} (retrained on cleaned), {epochs} epochs; flagged per method, class: {flags}")
