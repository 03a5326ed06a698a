# Shared by the gateway's end-to-end tests (source it after setting `mg`): a temporary directory removed at
# exit with every process started into `pids`, pass/fail counting, and waiting for a file to fill.
tmp=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$tmp"; }
trap cleanup EXIT
pass=0; fail=0
expect() { if [ "$2" = "$3" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: want '$2', got '$3'"; fi; }
wait_for() { for _ in $(seq 1 150); do [ -s "$1" ] && return 0; sleep 0.1; done; return 1; }
