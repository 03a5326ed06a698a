#!/usr/bin/env bash
# FIFOs, sockets and devices, named on the command line or met in a walk, are reported as scan.special-file
# and never opened: every scan runs under `timeout`, so one that blocks opening a FIFO fails instead of
# hanging the suite.
set -u
bin=$1
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
scan_special() {  # scan_special NAME TYPE_TEXT PATH...: exit 0, a scan.special-file finding naming the type
  local name=$1 type=$2; shift 2
  timeout -k 2 10 "$bin" scan --format json "$@" >"$tmp/out" 2>"$tmp/err"; local rc=$?
  if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then fail=$((fail+1)); echo "FAIL $name: scan hung (killed after 10 s)"; return; fi
  if /usr/bin/python3 - "$tmp/out" "$type" <<'PY'; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $name: exit $rc"; head -c 1500 "$tmp/out"; head -5 "$tmp/err"; fi
import json, sys
doc = json.load(open(sys.argv[1]))
special = [f for f in doc["files"] if f["format"] == "special"]
assert special, "no special file reported"
for f in special:
    ids = [x["rule_id"] for x in f["findings"]]
    assert ids == ["scan.special-file"], ids
    assert sys.argv[2] in f["findings"][0]["message"], f["findings"][0]["message"]
    assert f["size"] == 0
assert not any(x["rule_id"] == "scan.io-error" for f in doc["files"] for x in f["findings"])
PY
  [ "$rc" = 0 ] || { fail=$((fail+1)); echo "FAIL $name: exit $rc, want 0 (the finding is low)"; }
}

mkfifo "$tmp/pipe"
scan_special fifo-argument "FIFO" "$tmp/pipe"
ln -s "$tmp/pipe" "$tmp/link-to-pipe"
scan_special symlink-to-fifo-argument "FIFO" "$tmp/link-to-pipe"
/usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$tmp/sock"
scan_special socket-argument "socket" "$tmp/sock"
scan_special dev-null-argument "character device" /dev/null
scan_special dev-zero-argument "character device" /dev/zero  # read, it would never end

# In a walked tree: the FIFO and socket are reported beside the regular file, which is scanned.
mkdir -p "$tmp/tree/sub"
mkfifo "$tmp/tree/sub/pipe"
/usr/bin/python3 -c 'import socket, sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$tmp/tree/sock"
printf '\x80\x02]q\x00.' >"$tmp/tree/list.pkl"
scan_special fifo-and-socket-in-tree "" "$tmp/tree"
if /usr/bin/python3 - "$tmp/out" <<'PY'; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL tree: wrong files"; cat "$tmp/out"; fi
import json, sys
files = {f["path"].rsplit("/", 1)[-1]: f for f in json.load(open(sys.argv[1]))["files"]}
assert files["pipe"]["format"] == "special" and "FIFO" in files["pipe"]["findings"][0]["message"]
assert files["sock"]["format"] == "special" and "socket" in files["sock"]["findings"][0]["message"]
assert files["list.pkl"]["format"] == "pickle", files["list.pkl"]
PY
# Several arguments: the FIFO does not stop the files after it.
timeout -k 2 10 "$bin" scan --format text "$tmp/pipe" "$tmp/tree/list.pkl" >"$tmp/out" 2>&1
rc=$?
if [ "$rc" = 0 ] && grep -q "2 file(s) scanned" "$tmp/out" && grep -q "scan.special-file" "$tmp/out"; then
  pass=$((pass+1))
else
  fail=$((fail+1)); echo "FAIL text-two-arguments: exit $rc"; cat "$tmp/out"
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
