#!/usr/bin/env bash
# SIGINT/SIGTERM stop long-running commands promptly. scan writes the report of the files finished so far,
# marked incomplete (text line, JSON "complete": false, SARIF executionSuccessful false) and exits 128 +
# the signal; hash and data manifest exit 2 and leave no output file. The slow input is one 13 MB pickle
# hard-linked 2,000 times (no disk space, ~0.1 s of CPU per copy, minutes in all with -j 1).
set -u
bin=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
/usr/bin/python3 -c '
import pickle, sys
open(sys.argv[1], "wb").write(pickle.dumps([{"a": i, "b": str(i)} for i in range(400000)], protocol=2))
' "$tmp/big.pkl" || { echo "FAIL: cannot write the input"; exit 1; }
mkdir "$tmp/tree"
for i in $(seq 1 2000); do ln "$tmp/big.pkl" "$tmp/tree/f$i.pkl"; done

# interrupt NAME SIGNAL WANT_EXIT COMMAND...: starts COMMAND, sends SIGNAL after 1.5 s, expects it to exit
# with WANT_EXIT within 10 s (then it is killed and the case fails).
interrupt() {
  local name=$1 sig=$2 want=$3; shift 3
  "$@" >"$tmp/out" 2>"$tmp/err" &
  local pid=$! waited=0
  sleep 1.5
  kill -"$sig" "$pid"
  while kill -0 "$pid" 2>/dev/null && [ $waited -lt 100 ]; do sleep 0.1; waited=$((waited+1)); done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid"; wait "$pid"
    fail=$((fail+1)); echo "FAIL $name: still running 10 s after SIG$sig"; return 1
  fi
  wait "$pid"; local rc=$?
  echo "$name: exit $rc, $((waited * 100)) ms after SIG$sig"
  if [ "$rc" != "$want" ]; then fail=$((fail+1)); echo "FAIL $name: exit $rc, want $want"; head -5 "$tmp/err"; return 1; fi
  return 0
}
check_py() {  # check_py NAME FILE <<PY: the script asserts on the document
  if /usr/bin/python3 - "$2"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1"; head -c 1000 "$2"; fi
}

if interrupt scan-json-sigterm TERM 143 "$bin" scan -j 1 --format json -o "$tmp/report.json" "$tmp/tree"; then
  check_py scan-json-partial "$tmp/report.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["complete"] is False, doc.get("complete")
assert "SIGTERM" in doc["incomplete_reason"] and "of 2000 files" in doc["incomplete_reason"], doc["incomplete_reason"]
assert 0 < len(doc["files"]) < 2000, len(doc["files"])
assert all(f["format"] == "pickle" for f in doc["files"])
PY
fi
if interrupt scan-text-sigint INT 130 "$bin" scan -j 1 "$tmp/tree"; then
  if grep -q "^INCOMPLETE: interrupted by SIGINT after [0-9]* of 2000 files" "$tmp/out"; then pass=$((pass+1)); else
    fail=$((fail+1)); echo "FAIL scan-text-partial"; cat "$tmp/out"; fi
fi
if interrupt scan-sarif-sigterm TERM 143 "$bin" scan -j 2 --format sarif "$tmp/tree"; then
  check_py scan-sarif-partial "$tmp/out" <<'PY'
import json, sys
run = json.load(open(sys.argv[1]))["runs"][0]
inv = run["invocations"][0]
assert inv["executionSuccessful"] is False, inv
assert "SIGTERM" in inv["toolExecutionNotifications"][0]["message"]["text"]
PY
fi
# A complete scan says so.
"$bin" scan --format json "$tmp/big.pkl" >"$tmp/out" 2>&1
check_py scan-complete "$tmp/out" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["complete"] is True and "incomplete_reason" not in doc
PY

# Hashing stops between 8 MiB chunks; nothing is written.
if interrupt hash-sigterm TERM 2 "$bin" hash -o "$tmp/manifest.txt" "$tmp/tree"; then
  if [ ! -e "$tmp/manifest.txt" ] && grep -q "interrupted by SIGTERM" "$tmp/err"; then pass=$((pass+1)); else
    fail=$((fail+1)); echo "FAIL hash-no-output"; ls -la "$tmp"; cat "$tmp/err"; fi
fi
if interrupt data-manifest-sigint INT 2 "$bin" data manifest -o "$tmp/data.json" "$tmp/tree"; then
  if [ ! -e "$tmp/data.json" ] && grep -q "interrupted by SIGINT" "$tmp/err"; then pass=$((pass+1)); else
    fail=$((fail+1)); echo "FAIL data-manifest-no-output"; ls -la "$tmp"; cat "$tmp/err"; fi
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
