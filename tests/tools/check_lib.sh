# Sourced by the CLI test scripts: one temporary directory, pass/fail counters and the checks they share.
#   check NAME EXPECTED_EXIT COMMAND...   runs COMMAND (stdout in $tmp/out, stderr in $tmp/err), checks its exit
#   expect_grep NAME TEXT FILE            FILE contains TEXT (a fixed string)
#   expect_match NAME REGEX FILE          FILE has a line matching REGEX (grep's basic regular expressions)
#   finish                                prints the counts; the script's exit status says whether all passed
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
pass=0; fail=0
check() {
  local name=$1 want=$2; shift 2
  "$@" >"$tmp/out" 2>"$tmp/err"; local got=$?
  if [ "$got" = "$want" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $name: exit $got, want $want"; head -5 "$tmp/err"; fi
}
expect_grep() {
  if grep -q -F -- "$2" "$3"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: '$2' not in $3"; head -5 "$3"; fi
}
expect_match() {
  if grep -q -- "$2" "$3"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: no line matching '$2' in $3"; head -5 "$3"; fi
}
finish() {
  echo "$pass passed, $fail failed"
  [ "$fail" = 0 ]
}
