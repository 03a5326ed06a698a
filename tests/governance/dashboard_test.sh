#!/usr/bin/env bash
# `modelguard report` end to end: the site of a synthetic organisation (fixtures/org_snapshot.json) on
# 2026-12-01, its exit code and printed checklist (text and JSON), the same bytes when written twice, usage and
# I/O errors; then the site in a real browser (dashboard_browser.js: Debian's headless chromium via
# puppeteer-core, nothing downloaded) against dashboard_expected.json, with screenshots kept in SCREENSHOT_DIR.
# Usage: dashboard_test.sh MODELGUARD NODE_MODULES SCREENSHOT_DIR
set -u
mg=$1 node_modules=$2 shots=$3
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../tools/check_lib.sh"
fixture="$here/fixtures/org_snapshot.json"

check "report: exit 1 (an organisation-wide no)" 1 "$mg" report --snapshot "$fixture" --now 2026-12-01 -o "$tmp/site"
expect_grep "text: inventory no" "no             Do we have a complete inventory" "$tmp/out"
expect_grep "text: incident plan yes" "yes            Do we have an incident response plan" "$tmp/out"
expect_grep "site written" "site written to $tmp/site/index.html" "$tmp/err"
for page in index inventory shadow controls reviews incidents; do
  [ -s "$tmp/site/$page.html" ] && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL $page.html missing"; }
done
[ "$(ls "$tmp/site/models" | wc -l)" = 3 ] && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL 3 model pages"; }

check "report json" 1 "$mg" report --snapshot "$fixture" --now 2026-12-01 -o "$tmp/site2" --format json
/usr/bin/python3 - "$tmp/out" <<'PY' && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL json result"; }
import json, sys
doc = json.load(open(sys.argv[1]))
assert doc["schema"] == "modelguard.governance-report/v1", doc["schema"]
answers = {a["question"]: a["answer"] for a in doc["organisation"]}
assert answers == {"inventory": "no", "training-data": "partial", "assessment": "no", "llm-protection": "partial",
                   "incident-plan": "yes", "framework": "partial", "vendors": "no"}, answers
assert [m["model"] for m in doc["per_model"]] == ["credit-risk-scorer", "support-assistant", "invoice-extractor"]
assert doc["now"] == "2026-12-01T00:00:00Z"
PY
# The same snapshot and date: the same bytes.
diff -r "$tmp/site" "$tmp/site2" >/dev/null && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL sites differ"; }

# A snapshot where nothing is "no": exit 0.
/usr/bin/python3 - "$fixture" "$tmp/good.json" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
doc["assets"] = [a for a in doc["assets"] if a.get("registered_as")]
doc["models"] = [m for m in doc["models"] if m["name"] == "credit-risk-scorer"]
doc["evidence"] = [e for e in doc["evidence"] if e["model"] == "credit-risk-scorer"]
json.dump(doc, open(sys.argv[2], "w"))
PY
check "report: exit 0 when no answer is no" 0 "$mg" report --snapshot "$tmp/good.json" --now 2026-12-01 -o "$tmp/good"

# Usage and I/O errors: exit 2 with a message.
check "neither --db nor --snapshot" 2 "$mg" report -o "$tmp/x"
expect_grep "neither: message" "give either --db DB or --snapshot FILE" "$tmp/err"
check "both --db and --snapshot" 2 "$mg" report --db "$tmp/g.db" --snapshot "$fixture" -o "$tmp/x"
check "no -o" 2 "$mg" report --snapshot "$fixture"
check "bad --now" 2 "$mg" report --snapshot "$fixture" --now 2026-02-30 -o "$tmp/x"
expect_grep "bad --now: message" "--now: expected YYYY-MM-DD" "$tmp/err"
check "missing snapshot" 2 "$mg" report --snapshot "$tmp/none.json" -o "$tmp/x"
echo '{"schema": "modelguard.governance-snapshot/v1", "models": [{"name": 1}]}' >"$tmp/bad.json"
check "malformed snapshot" 2 "$mg" report --snapshot "$tmp/bad.json" -o "$tmp/x"
expect_grep "malformed: names the member" "models[0].name: expected string, got number" "$tmp/err"
check "a database that does not exist" 2 "$mg" report --db "$tmp/none.db" -o "$tmp/x"
[ ! -e "$tmp/none.db" ] && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL report created a database"; }
echo "a file" >"$tmp/file"
check "output onto a file" 2 "$mg" report --snapshot "$fixture" -o "$tmp/file"
expect_grep "output onto a file: message" "exists and is not a" "$tmp/err"
mkdir -p "$tmp/keep"; cp "$fixture" "$tmp/keep/checklist.json"
check "a page over the input" 2 "$mg" report --snapshot "$tmp/keep/checklist.json" -o "$tmp/keep"
expect_grep "over the input: message" "over the input" "$tmp/err"
cmp -s "$fixture" "$tmp/keep/checklist.json" && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL input overwritten"; }
check "bad format" 2 "$mg" report --snapshot "$fixture" -o "$tmp/x" --format sarif
check "help" 0 "$mg" report --help
expect_grep "help: example" "Example" "$tmp/out"

# The browser.
if [ ! -x /usr/bin/chromium ] || [ ! -f "$node_modules/puppeteer-core/package.json" ]; then
  echo "FAIL the browser test needs /usr/bin/chromium and puppeteer-core in $node_modules (scripts/install-deps, scripts/npm-tools)"
  fail=$((fail+1))
else
  rm -rf "$shots"
  if NODE_PATH="$node_modules" node "$here/dashboard_browser.js" "$tmp/site" "$here/dashboard_expected.json" "$shots" >"$tmp/browser" 2>&1; then
    pass=$((pass+1))
  else
    fail=$((fail+1)); echo "FAIL browser"
  fi
  cat "$tmp/browser"
fi
finish
