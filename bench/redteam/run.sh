#!/usr/bin/env bash
# scripts/bench redteam: `modelguard redteam llm` against promptfoo's red team, both attacking the same local
# deliberately vulnerable endpoint (tests/redteam/vulnerable_llm.py) in the same run, at the same
# concurrency: probes judged per second (promptfoo's grading is a request to the endpoint's judge mode,
# ours deterministic detectors), families and transformations covered, and attack success found.
# Usage: bench/redteam/run.sh MODELGUARD [PROMPTFOO_REPEAT]   (CONCURRENCY in the environment, default 4)
set -euo pipefail
mg=$1
repeat=${2:-4}
root=$(cd "$(dirname "$0")/../.." && pwd)
export CONCURRENCY=${CONCURRENCY:-4}
tmp=$(mktemp -d)
pid=
cleanup() {
  if [ -n "$pid" ]; then kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$tmp"
}
trap cleanup EXIT

/usr/bin/python3 "$root/tests/redteam/vulnerable_llm.py" "$tmp/port" & pid=$!
for _ in $(seq 100); do [ -f "$tmp/port" ] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$tmp/port")/v1/chat/completions"
# Every family and converter, three attempts each, so the run is long enough to time.
start=$(date +%s.%N)
"$mg" redteam llm "$url" --model vulnerable --attempts 3 --concurrency "$CONCURRENCY" --seed 7 --format json \
  > "$tmp/ours.json" 2> "$tmp/ours.err" || [ $? = 1 ] || { cat "$tmp/ours.err" >&2; exit 1; }
end=$(date +%s.%N)
ours=$(/usr/bin/python3 - "$tmp/ours.json" "$start" "$end" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
seconds = float(sys.argv[3]) - float(sys.argv[2])
print(json.dumps({"probes": r["finished"], "seconds": round(seconds, 3), "families": len(r["families"]),
                  "converters": len(r["converters"]), "success": r["summary"]["success_rate"]}))
PY
)
# promptfoo's script can exit non-zero after printing its result (its endpoint is killed on the way out).
theirs_line=$(bash "$root/bench/redteam/run_promptfoo.sh" "$repeat" | tee "$tmp/promptfoo.out" | grep '^promptfoo-bench: ') || true
[ -n "$theirs_line" ] || { echo "bench redteam: promptfoo gave no result" >&2; cat "$tmp/promptfoo.out" >&2; exit 1; }
theirs=${theirs_line#promptfoo-bench: }
/usr/bin/python3 - "$ours" "$theirs" <<'PY'
import json, sys
ours, theirs = json.loads(sys.argv[1]), json.loads(sys.argv[2])
ours_rate = ours["probes"] / ours["seconds"]
theirs_rate = theirs["probes_per_second"]
print("BENCH redteam probes/s: ours %.1f probes/s (%d probes, %d families, %d converters, %.1f%% succeeded), "
      "promptfoo %s %.1f probes/s (%d probes, 1 plugin, %d strategies), ratio %.1f"
      % (ours_rate, ours["probes"], ours["families"], ours["converters"], 100 * ours["success"],
         theirs["version"], theirs_rate, theirs["probes"], len(theirs["strategies"]), ours_rate / theirs_rate))
PY
