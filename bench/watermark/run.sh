#!/usr/bin/env bash
# scripts/bench watermark: `modelguard watermark detect` against the reference scheme's detection in Python
# (torch.randperm per scored token, as the authors' WatermarkDetector scores; detect_torch.py) on the same
# sequences, same core, same run. GPT-2's vocabulary (50,257), gamma 0.25, SEQUENCES sequences of 200
# tokens (default 200), half of them watermarked. Reported: scored tokens per second of each and the ratio,
# and that both gave the same z-scores.
# Usage: bench/watermark/run.sh MODELGUARD [SEQUENCES]
set -euo pipefail
mg=$1
sequences=${2:-200}
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat >"$tmp/cases.json" <<JSON
{"green_lists": [], "generate": {"seed": 9, "sequences": $((sequences / 2)), "length": 201, "vocab_size": 50257,
 "gamma": 0.25, "delta": 2.0, "key": 15485863}}
JSON
/usr/bin/python3 "$here/../../tests/watermark/reference.py" "$tmp/cases.json" >"$tmp/reference.json"
/usr/bin/python3 - "$tmp" "$sequences" <<'PY'
import json, random, sys
tmp, n = sys.argv[1], int(sys.argv[2])
marked = [s["tokens"] for s in json.load(open(tmp + "/reference.json"))["generated"]]
rng = random.Random(3)
with open(tmp + "/tokens.jsonl", "w") as f:
    for i in range(n):
        tokens = marked[i // 2] if i % 2 else [rng.randrange(50257) for _ in range(201)]
        f.write(json.dumps(tokens) + "\n")
PY
scored=$((sequences * 200))
start=$(date +%s.%N)
taskset -c 0 "$mg" watermark detect --tokens "$tmp/tokens.jsonl" --vocab-size 50257 --format json >"$tmp/ours.json" || [ $? = 1 ]
end=$(date +%s.%N)
ours=$(echo "$scored / ($end - $start)" | bc)
start=$(date +%s.%N)
taskset -c 0 /usr/bin/python3 "$here/detect_torch.py" "$tmp/tokens.jsonl" 50257 0.25 15485863 >"$tmp/peer.json"
end=$(date +%s.%N)
peer=$(echo "$scored / ($end - $start)" | bc)
/usr/bin/python3 - "$tmp" <<'PY'
import json, sys
tmp = sys.argv[1]
ours = [s["z"] for s in json.load(open(tmp + "/ours.json"))["sequences"]]
peer = json.load(open(tmp + "/peer.json"))
assert len(ours) == len(peer) and all(abs(a - b) < 1e-9 for a, b in zip(ours, peer)), "z-scores differ"
print("same z-scores for all %d sequences; %d watermarked at z > 4" % (len(ours), sum(z > 4 for z in ours)))
PY
echo "BENCH watermark detect, $sequences sequences of 200 scored tokens, vocabulary 50,257: modelguard $ours tokens/s, reference scheme in torch $peer tokens/s, ratio $(echo "scale=1; $ours / $peer" | bc)x"
