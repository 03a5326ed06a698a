#!/usr/bin/env bash
# scripts/bench privacy accuracy: the accuracy table of docs/privacy.md (`harden dp-sgd`). DP-SGD at
# epsilon 1, 3 and 8 (delta 1e-5) for the Fashion-MNIST CNN and the digits MLP, one thread, one training at a
# time. Fashion-MNIST models are scored on the whole 10,000-image test set (the CLI's own figure uses its
# first 1,000); digits models on the held-out half (899 samples), five runs each.
# `validation` trains on the first 50,000 Fashion-MNIST training images and scores on the last 10,000 (the
# split the settings were tuned on, never the test set); digits rows are skipped then.
# Usage: bench/privacy/accuracy.sh MODELGUARD [test|validation]
# Settings can be overridden: FASHION="--batch-size B --epochs N --lr L --max-grad-norm C --momentum M",
# DIGITS="...", EPSILONS="1 3 8", DATASETS="fashion-mnist digits".
set -euo pipefail
mg=$1
split=${2:-test}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fashion_settings=${FASHION:---batch-size 512 --epochs 5 --lr 0.6 --max-grad-norm 1 --momentum 0.9}
digits_settings=${DIGITS:---batch-size 64 --epochs 10 --lr 0.1 --max-grad-norm 1 --momentum 0.9}
epsilons=${EPSILONS:-1 3 8}
datasets=${DATASETS:-fashion-mnist digits}

data=fashion-mnist label=fashion-mnist
if [ "$split" = validation ]; then
  data="idx:$tmp/validation" label="fashion-mnist (validation)"
fi

# Writes the validation split as IDX files (first 50,000 training images: train; last 10,000: t10k).
if [ "$split" = validation ]; then
  mkdir -p "$tmp/validation"
  BENCH_DIR=$here OUT=$tmp/validation /usr/bin/python3 -c '
import os, sys
import numpy as np
sys.path.insert(0, os.path.join(os.environ["BENCH_DIR"], ".."))
import fashion_mnist
x, y = fashion_mnist.idx("train-images-idx3-ubyte.gz"), fashion_mnist.idx("train-labels-idx1-ubyte.gz")
def write(prefix, images, labels):
    out = os.environ["OUT"]
    with open(f"{out}/{prefix}-images-idx3-ubyte", "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + b"".join(int(d).to_bytes(4, "big") for d in images.shape) + images.tobytes())
    with open(f"{out}/{prefix}-labels-idx1-ubyte", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + len(labels).to_bytes(4, "big") + labels.tobytes())
write("train", x[:50000], y[:50000])
write("t10k", x[50000:], y[50000:])
'
fi

# The whole evaluation set of an IDX directory (or Debian's Fashion-MNIST test set) through the saved model.
score() {  # model.pt -> accuracy
  BENCH_DIR=$here SPLIT=$split VALIDATION=$tmp/validation MODEL=$1 /usr/bin/python3 -c '
import os, sys
import numpy as np
import torch
sys.path.insert(0, os.path.join(os.environ["BENCH_DIR"], ".."))
import fashion_mnist
torch.set_num_threads(1)
if os.environ["SPLIT"] == "validation":
    d = os.environ["VALIDATION"]
    x = np.fromfile(f"{d}/t10k-images-idx3-ubyte", np.uint8, offset=16).reshape(-1, 1, 28, 28)
    y = np.fromfile(f"{d}/t10k-labels-idx1-ubyte", np.uint8, offset=8)
    x = (x / 255.0).astype(np.float32)
else:
    _, _, x, y = fashion_mnist.load()
model = torch.jit.load(os.environ["MODEL"])
with torch.no_grad():
    predicted = torch.cat([model(torch.from_numpy(x[i:i + 1000])).argmax(1) for i in range(0, len(x), 1000)])
print(f"{(predicted.numpy() == y.astype(np.int64)).mean():.4f}")
'
}

summary() {  # JSON on stdin -> "sigma steps epsilon training_seconds cli_accuracy"
  /usr/bin/python3 -c 'import json, sys
d = json.load(sys.stdin)
p = d["privacy"]
print("%.3f %d %.3f %.0f %.4f" % (p["noise_multiplier"], p["steps"], p["epsilon"], d["training_seconds"], d["held_out_accuracy"]))'
}

echo "| data | model | target ε | σ | steps | ε (RDP) | held-out accuracy | training s | settings |"
echo "|---|---|---|---|---|---|---|---|---|"
if [[ " $datasets " == *" fashion-mnist "* ]]; then
  for eps in $epsilons; do
    # shellcheck disable=SC2086  # the settings are a list of options
    read -r sigma steps spent seconds _ < <(taskset -c 0 "$mg" harden dp-sgd --data "$data" --arch cnn --epsilon "$eps" \
      --delta 1e-5 $fashion_settings --threads 1 --out "$tmp/fashion.pt" -q | summary)
    echo "| $label | cnn | $eps | $sigma | $steps | $spent | $(score "$tmp/fashion.pt") | $seconds | $fashion_settings |"
  done
fi
# Digits trains in seconds: five runs each (the batches and noise differ every run), mean and range.
if [[ " $datasets " == *" digits "* && "$split" != validation ]]; then
  for eps in $epsilons; do
    accuracies=()
    for _ in 1 2 3 4 5; do
      # shellcheck disable=SC2086
      read -r sigma steps spent seconds accuracy < <(taskset -c 0 "$mg" harden dp-sgd --data digits --arch mlp \
        --epsilon "$eps" --delta 1e-5 $digits_settings --threads 1 --out "$tmp/digits.pt" -q | summary)
      accuracies+=("$accuracy")
    done
    range=$(printf '%s\n' "${accuracies[@]}" | /usr/bin/python3 -c 'import sys
a = [float(v) for v in sys.stdin]
print("%.3f (%.3f-%.3f, 5 runs)" % (sum(a) / len(a), min(a), max(a)))')
    echo "| digits | mlp | $eps | $sigma | $steps | $spent | $range | $seconds | $digits_settings |"
  done
fi
