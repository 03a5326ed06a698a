#!/usr/bin/env bash
# scripts/bench privacy: DP-SGD's per-sample gradients. One epoch of `modelguard harden dp-sgd` with the
# layer-wise method and with one backward pass per sample (loop), against a Python DP-SGD epoch whose
# per-sample gradients come from functorch's vmap(grad) (Debian's python3-torch), on the same data,
# architecture, expected batch and noise, one thread each, measured in the same run. Training-loop seconds
# only on every side (loading, accounting and evaluation excluded).
# Usage: bench/privacy/run.sh MODELGUARD [DATASET (digits|fashion-mnist)] [ARCH (mlp|cnn)] [BATCH]
#        bench/privacy/run.sh MODELGUARD accuracy [test|validation]   (the accuracy table: accuracy.sh)
set -euo pipefail
mg=$1
[ "${2:-}" = accuracy ] && exec "$(dirname "$0")/accuracy.sh" "$mg" "${@:3}"
dataset=${2:-fashion-mnist}
arch=${3:-cnn}
batch=${4:-256}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
ours() {  # method -> "seconds accuracy sigma"
  taskset -c 0 "$mg" harden dp-sgd --data "$dataset" --arch "$arch" --epsilon 3 --epochs 1 --batch-size "$batch" \
    --per-sample "$1" --threads 1 --out "$tmp/m.pt" -q |
    /usr/bin/python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["training_seconds"], d["held_out_accuracy"], d["privacy"]["noise_multiplier"])'
}
read -r layer_s layer_acc sigma < <(ours layer-wise)
read -r peer_s peer_acc peer_steps < <(taskset -c 0 /usr/bin/python3 "$here/dpsgd_functorch.py" "$dataset" "$arch" "$batch" "$sigma" 1)
echo "BENCH dp-sgd $dataset $arch batch $batch, one epoch ($peer_steps steps, sigma $sigma): layer-wise ${layer_s} s (accuracy $layer_acc), functorch vmap ${peer_s} s (accuracy $peer_acc), ratio $(echo "scale=2; $peer_s / $layer_s" | bc)"
if [ "${BENCH_LOOP:-1}" = 1 ]; then
  read -r loop_s loop_acc _ < <(ours loop)
  echo "BENCH dp-sgd $dataset $arch: one backward per sample ${loop_s} s (accuracy $loop_acc), layer-wise is $(echo "scale=1; $loop_s / $layer_s" | bc)x faster"
fi
