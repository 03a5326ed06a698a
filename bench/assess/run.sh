#!/usr/bin/env bash
# PGD throughput of `modelguard assess` against the Python baseline (bench/assess/pgd_python.py: the loop
# ART and torchattacks run) on the same TorchScript model and batch size, one and two threads, for the
# digits MLP and a Fashion-MNIST CNN. Prints steps per second and the ratio (>1: modelguard faster).
# usage: bench/assess/run.sh MODELGUARD
set -euo pipefail
mg=$1
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
steps=40
"$mg" harden train --data digits --epochs 20 --out "$tmp/digits.pt" -q > /dev/null
"$mg" harden train --data fashion-mnist --arch cnn --epochs 1 --out "$tmp/fashion.pt" -q > /dev/null
printf '%-16s %7s %7s %14s %14s %7s\n' model threads batch "modelguard/s" "python/s" ratio
for spec in "digits digits.pt 500" "fashion-mnist fashion.pt 256"; do
  set -- $spec
  for threads in 1 2; do
    # modelguard: PGD at one epsilon, so the attack's seconds are steps x gradient evaluations.
    "$mg" assess "$tmp/$2" --data "$1" --attacks evasion --evasion-attacks pgd --epsilons 0.1 --pgd-steps $steps \
      --samples "$3" --threads "$threads" --fail-on never --json -q > "$tmp/mg.json"
    ours=$(/usr/bin/python3 -c 'import json,sys; c=json.load(open(sys.argv[1]))["evasion"]["curves"][0]; print(round(int(sys.argv[2]) / c["cost"]["seconds"], 1))' "$tmp/mg.json" $steps)
    theirs=$(/usr/bin/python3 "$here/pgd_python.py" "$tmp/$2" "$1" "$3" $steps "$threads" | /usr/bin/python3 -c 'import json,sys; print(round(json.load(sys.stdin)["steps_per_second"], 1))')
    printf '%-16s %7s %7s %14s %14s %7s\n' "$1" "$threads" "$3" "$ours" "$theirs" "$(echo "scale=2; $ours / $theirs" | bc)"
  done
done
