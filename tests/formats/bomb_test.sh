#!/usr/bin/env bash
# Decompression bombs of every codec, nested and spread over many members: each is a finding
# (archive.decompression-bomb, exit 1), costs under 2 s of CPU and keeps the scan under 256 MB resident.
# CPU time rather than wall time is asserted so a loaded CI machine does not fail the test; both are printed.
# Under ASan/UBSan (shadow memory, quarantine, instrumented copies) only the findings and exit codes are
# asserted: the memory and time budgets are properties of the product build, checked in the dev and release ones.
set -u
bin=$1; src=$2
sanitized=0
if ldd "$bin" 2>/dev/null | grep -qE 'lib(asan|ubsan)'; then sanitized=1; fi
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 "$src/tests/fixtures/make_bombs.py" "$tmp" || { echo "FAIL: cannot write the bombs"; exit 1; }
pass=0; fail=0
for f in zeros.zip zeros.gz zeros.bz2 zeros.xz zeros.zst nested.zip many.zip; do
  /usr/bin/time -f "%M %U %S %e" -o "$tmp/time" "$bin" scan --format json "$tmp/$f" >"$tmp/out" 2>"$tmp/err"
  rc=$?
  read -r rss user sys wall < <(tail -1 "$tmp/time")
  cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
  echo "$f ($(stat -c %s "$tmp/$f") bytes): exit $rc, max RSS ${rss} KB, CPU ${cpu} s, wall ${wall} s"
  ok=1
  [ "$rc" = 1 ] || { echo "FAIL $f: exit $rc, want 1"; ok=0; }
  grep -q '"archive.decompression-bomb"' "$tmp/out" || { echo "FAIL $f: no archive.decompression-bomb finding"; ok=0; }
  if [ $sanitized = 0 ]; then
    [ "$rss" -lt 262144 ] || { echo "FAIL $f: max RSS ${rss} KB >= 256 MiB"; ok=0; }
    awk -v c="$cpu" 'BEGIN { exit !(c < 2.0) }' || { echo "FAIL $f: ${cpu} s of CPU >= 2 s"; ok=0; }
  fi
  if [ $ok = 1 ]; then pass=$((pass+1)); else fail=$((fail+1)); head -c 2000 "$tmp/out"; head -5 "$tmp/err"; fi
done
# Raising the limits is honoured: the 256 MiB bz2 bomb is analysed in full with a larger member cap.
"$bin" scan --format json --max-member-size 300000000 --max-compression-ratio 0 "$tmp/zeros.bz2" >"$tmp/out" 2>&1
if grep -q '"archive.decompression-bomb"' "$tmp/out"; then
  fail=$((fail+1)); echo "FAIL raised limits: still a decompression-bomb finding"
else
  pass=$((pass+1))
fi
echo "$pass passed, $fail failed"
[ "$fail" = 0 ]
