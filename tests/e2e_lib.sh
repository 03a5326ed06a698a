# Shared by the end-to-end shell tests: a temp directory cleaned on exit (KEEP=1 keeps it and the servers
# listed in pids), and expect helpers that count passes and failures. Source it, then end with e2e_summary.
tmp=$(mktemp -d)
pids=()
cleanup() { [ -n "${KEEP:-}" ] && { echo "kept $tmp"; return; }; for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0; fail=0
expect() { if [ "$2" = "$3" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: want '$2', got '$3'"; fi; }
expect_grep() { if grep -q -- "$2" "$3"; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: '$2' not in $3"; head -c 600 "$3"; echo; fi; }
expect_no_grep() { if grep -q -- "$2" "$3"; then fail=$((fail+1)); echo "FAIL $1: '$2' found in $3"; head -c 600 "$3"; echo; else pass=$((pass+1)); fi; }
