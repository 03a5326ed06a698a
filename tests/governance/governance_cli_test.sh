#!/usr/bin/env bash
# The governance flow end to end on a test organisation built here: signed and unsigned models, a malicious
# pickle, Python and TypeScript code calling hosted LLM APIs, a leaked API key, a notebook, an MCP
# configuration and files with no AI in them. `inventory discover` must find every planted asset and
# nothing else; registering models claims their assets and leaves the rest listed as shadow AI; evidence
# made by real modelguard commands is attached (and logged); incidents keep a timeline. Run on SQLite, then
# on PostgreSQL when a server URI is given (MODELGUARD_TEST_POSTGRES, set by the ctest entry).
#   usage: governance_cli_test.sh MODELGUARD [POSTGRES_URI]
set -uo pipefail
bin=$1
pg=${2:-}
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../tools/check_lib.sh"
server=""
trap '[ -n "$server" ] && kill "$server" 2>/dev/null; rm -rf "$tmp"' EXIT
expect() { if [ "$2" = "$3" ]; then pass=$((pass+1)); else fail=$((fail+1)); echo "FAIL $1: want '$2', got '$3'"; fi; }
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
py=/usr/bin/python3

org=$tmp/org
mkdir -p "$org"/models/signed "$org"/models/unsigned "$org"/models/untrusted "$org"/svc/chat "$org"/web "$org"/research \
  "$org"/agents/.cursor "$org"/docs "$org"/.git/objects "$org"/node_modules/openai
# Models, written by the tools that make them.
$py - "$org" <<'PY'
import json, os, pickle, sys
import numpy as np, torch
org = sys.argv[1]
np.save(f"{org}/models/signed/weights.npy", np.arange(12, dtype=np.float32).reshape(3, 4))
torch.save({"w": torch.zeros(4, 4)}, f"{org}/models/unsigned/classifier.pt")
class Payload:
    def __reduce__(self):
        return (os.system, ("echo pwned",))
with open(f"{org}/models/untrusted/helper.pkl", "wb") as f:
    pickle.dump(Payload(), f)
notebook = {"cells": [
    {"cell_type": "markdown", "metadata": {}, "source": ["# Exploration with openai (text, not code)\n"]},
    {"cell_type": "code", "metadata": {}, "outputs": [], "execution_count": 1,
     "source": ["import cohere\n", "from transformers import AutoModelForSequenceClassification\n",
                "m = AutoModelForSequenceClassification.from_pretrained(\"distilbert/distilbert-base-uncased\")\n"]}],
    "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
json.dump(notebook, open(f"{org}/research/explore.ipynb", "w"))
PY
cat > "$org/svc/chat/app.py" <<'EOF'
import os
from openai import OpenAI

client = OpenAI(base_url="https://api.openai.com/v1", api_key=os.environ["OPENAI_API_KEY"])
TOOLS = [{"type": "function", "function": {"name": "lookup_order", "parameters": {"type": "object"}}}]


def answer(question):
    return client.chat.completions.create(model="gpt-4o-mini", messages=[{"role": "user", "content": question}],
                                          tools=TOOLS)
EOF
printf 'OPENAI_API_KEY=sk-proj-Ab12Cd34Ef56Gh78Ij90KlT3BlbkFJMn12Op34Qr56St78Uv90\nLOG_LEVEL=info\n' > "$org/svc/chat/.env"
cat > "$org/web/summarise.ts" <<'EOF'
import Anthropic from "@anthropic-ai/sdk";

const anthropic = new Anthropic();
export async function summarise(text: string) {
  return anthropic.messages.create({ model: "claude-3-5-haiku-latest", max_tokens: 256, messages: [{ role: "user", content: text }] });
}
EOF
echo '{"mcpServers": {"filesystem": {"command": "npx", "args": ["-y", "server-filesystem", "/srv"]}}}' > "$org/agents/.cursor/mcp.json"
# Files without AI in them, and trees discovery must not enter.
printf 'def add(a, b):\n    return a + b\n# the word openai in a comment is not an import\n' > "$org/svc/chat/util.py"
printf '# Docs\nNothing to see; gpt is a word here.\n' > "$org/docs/README.md"
printf 'id,label\n1,cat\n2,dog\n' > "$org/docs/labels.csv"
head -c 4096 /dev/urandom > "$org/docs/blob.bin"
printf 'import openai\n' > "$org/node_modules/openai/index.py"
printf 'import anthropic\n' > "$org/.git/objects/junk.py"
mkfifo "$org/docs/pipe"

# check, with the store's label in front of the name.
check_l() { local name=$1; shift; check "$label $name" "$@"; }

run_flow() {
  local db=$1 label=$2
  # 1. Discovery: exactly the planted assets.
  check_l discover 1 "$bin" inventory discover "$org" --db "$db" --format json -q
  cp "$tmp/out" "$tmp/discover.json"
  $py - "$tmp/discover.json" "$org" <<'PY' && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL $label discovered set"; }
import json, sys
doc = json.load(open(sys.argv[1])); org = sys.argv[2]
assert doc["schema"] == "modelguard.inventory/v1"
got = sorted((a["kind"], a["value"], a["file"][len(org) + 1:]) for a in doc["assets"])
want = sorted([
    ("model-file", "npy", "models/signed/weights.npy"),
    ("model-file", "pytorch-zip", "models/unsigned/classifier.pt"),
    ("model-file", "pickle", "models/untrusted/helper.pkl"),
    ("sdk", "openai", "svc/chat/app.py"),
    ("endpoint", "api.openai.com", "svc/chat/app.py"),
    ("model-id", "gpt-4o-mini", "svc/chat/app.py"),
    ("agent-tool", "lookup_order", "svc/chat/app.py"),
    ("credential", "sk-p...Uv90 (58 chars)", "svc/chat/.env"),
    ("sdk", "anthropic", "web/summarise.ts"),
    ("model-id", "claude-3-5-haiku-latest", "web/summarise.ts"),
    ("sdk", "cohere", "research/explore.ipynb"),
    ("sdk", "huggingface", "research/explore.ipynb"),
    ("model-id", "distilbert/distilbert-base-uncased", "research/explore.ipynb"),
    ("mcp-server", "filesystem", "agents/.cursor/mcp.json"),
])
assert got == want, "\n".join(["unexpected:"] + [str(x) for x in got if x not in want] + ["missing:"] + [str(x) for x in want if x not in got])
assert doc["unregistered"] == len(want)
run = doc["runs"][0]
assert run["read"] == run["files"] and run["skipped"] == 1, run  # the FIFO, never opened
assert any("FIFO" in p for p in doc["problems"]), doc["problems"]
creds = [a for a in doc["assets"] if a["kind"] == "credential"]
assert "Ab12Cd34Ef56" not in json.dumps(doc), "the key is reported redacted"
assert creds[0]["line"] == 1 and creds[0]["detail"] == "OPENAI_KEY"
model = [a for a in doc["assets"] if a["value"] == "npy"][0]
assert model["digest"].startswith("sha256:") and not model["signature"] and not model["bom"]
PY

  # 2. Signature and BOM next to a model: found by the next run, which reads nothing else again.
  openssl ecparam -name prime256v1 -genkey -noout -out "$tmp/signer.pem" 2>/dev/null
  openssl ec -in "$tmp/signer.pem" -pubout -out "$tmp/signer.pub" 2>/dev/null
  "$bin" sign key "$org/models/signed" --private-key "$tmp/signer.pem" --signature "$tmp/model.sig" -q > /dev/null 2>&1
  "$bin" verify key "$org/models/signed" --public-key "$tmp/signer.pub" --signature "$tmp/model.sig" --format json \
    > "$tmp/verify.json" 2> /dev/null
  expect "$label verify evidence made" 0 "$?"
  "$bin" bom "$org/models/signed" --signature "$tmp/model.sig" -o "$tmp/bom.json" -q 2> /dev/null
  cp "$tmp/model.sig" "$org/models/signed/model.sig"
  cp "$tmp/bom.json" "$org/models/signed/bom.json"
  check_l rediscover 1 "$bin" inventory discover "$org" --db "$db" --format json -q
  $py - "$tmp/out" <<'PY' && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL $label rediscover"; }
import json, sys
doc = json.load(open(sys.argv[1]))
run = doc["runs"][0]
assert run["read"] == 2 and run["added"] == 0 and run["gone"] == 0, run  # model.sig and bom.json only
model = [a for a in doc["assets"] if a["value"] == "npy"][0]
assert model["signature"] and model["bom"], model
PY

  # 3. The register: three models, their identifiers claim assets; the rest stays shadow AI.
  expect "$label register fraud" 0 "$("$bin" register add fraud-model --db "$db" --kind ml \
    --file "$org/models/signed/weights.npy" --business-owner "Head of Risk" --security-owner "AppSec" \
    --risk-tier high --criticality critical --data-source transactions.manifest.json --last-review 2026-11-01 -q; echo $?)"
  expect "$label register support" 0 "$("$bin" register add support-bot --db "$db" --kind llm --vendor OpenAI \
    --vendor-audited 2026-06-01 --model-id gpt-4o-mini --endpoint api.openai.com --path "$org/svc/chat" \
    --business-owner "Support lead" --security-owner "AppSec" --risk-tier limited --criticality high -q; echo $?)"
  expect "$label register classifier" 0 "$("$bin" register add ticket-classifier --db "$db" --kind ml \
    --file "$org/models/unsigned/classifier.pt" --business-owner "Ops" --review-months 12 -q; echo $?)"
  expect "$label register duplicate" 2 "$("$bin" register add fraud-model --db "$db" 2>/dev/null; echo $?)"
  expect "$label register bad date" 2 "$("$bin" register add x --db "$db" --last-review 2026-02-30 2>/dev/null; echo $?)"
  expect "$label register bad digest" 2 "$("$bin" register add x --db "$db" --digest sha256:zz 2>/dev/null; echo $?)"
  check_l shadow 1 "$bin" inventory list --db "$db" --shadow --format json
  $py - "$tmp/out" "$org" <<'PY' && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL $label shadow list"; }
import json, sys
doc = json.load(open(sys.argv[1])); org = sys.argv[2]
shadow = sorted((a["kind"], a["file"][len(org) + 1:]) for a in doc["assets"])
assert shadow == sorted([
    ("model-file", "models/untrusted/helper.pkl"),
    ("sdk", "web/summarise.ts"), ("model-id", "web/summarise.ts"),
    ("sdk", "research/explore.ipynb"), ("sdk", "research/explore.ipynb"), ("model-id", "research/explore.ipynb"),
    ("mcp-server", "agents/.cursor/mcp.json"),
]), shadow
assert doc["unregistered"] == 7
PY

  # 4. Evidence from real commands, attached and appended to the transparency log in the same database.
  "$bin" scan "$org/models/signed" --format json > "$tmp/scan-clean.json" 2> /dev/null
  "$bin" scan "$org/models/untrusted" --format json > "$tmp/scan-evil.json" 2> /dev/null
  check_l attach-scan 0 "$bin" register attach fraud-model "$tmp/scan-clean.json" --db "$db"
  expect_grep "$label attach scan summary" "modelguard.scan/v1, pass" "$tmp/out"
  check_l attach-verify 0 "$bin" register attach fraud-model "$tmp/verify.json" --db "$db"
  expect_grep "$label attach verify" "modelguard.verify/v1, pass" "$tmp/out"
  check_l attach-bom 0 "$bin" register attach fraud-model "$tmp/bom.json" --db "$db"
  expect_grep "$label attach bom" "cyclonedx" "$tmp/out"
  check_l attach-evil 0 "$bin" register attach ticket-classifier "$tmp/scan-evil.json" --db "$db"
  expect_grep "$label attach failing scan" "modelguard.scan/v1, fail" "$tmp/out"
  if [ -n "${REDTEAM_REPORT:-}" ]; then
    check_l attach-redteam 0 "$bin" register attach support-bot "$REDTEAM_REPORT" --db "$db"
    expect_grep "$label attach redteam" "modelguard.redteam/v1, fail" "$tmp/out"
  fi
  echo "not json" > "$tmp/junk.json"
  check_l attach-junk 2 "$bin" register attach fraud-model "$tmp/junk.json" --db "$db"
  expect_grep "$label attach junk says why" "not JSON" "$tmp/err"
  check_l attach-unknown-model 2 "$bin" register attach nobody "$tmp/scan-clean.json" --db "$db"
  check_l show 0 "$bin" register show fraud-model --db "$db" --format json
  $py - "$tmp/out" "$tmp/scan-clean.json" <<'PY' && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL $label register show"; }
import hashlib, json, sys
doc = json.load(open(sys.argv[1]))
m = doc["model"]
assert m["business_owner"] == "Head of Risk" and m["risk_tier"] == "high" and m["kind"] == "ml"
kinds = [e["kind"] for e in doc["evidence"]]
assert kinds == ["modelguard.scan/v1", "modelguard.verify/v1", "cyclonedx"], kinds
scan = doc["evidence"][0]
assert scan["digest"] == "sha256:" + hashlib.sha256(open(sys.argv[2], "rb").read()).hexdigest()
assert all(e["log_index"] is not None for e in doc["evidence"])
assert [a["kind"] for a in doc["assets"]] == ["model-file"]
PY
  check_l log-verify 0 "$bin" log verify "$db"

  # 5. Incidents with a timeline.
  local id
  id=$("$bin" incident open --db "$db" --model support-bot --title "System prompt leaked" --severity high --author ana)
  expect "$label incident id" 1 "$id"
  check_l incident-note 0 "$bin" incident note "$id" "Rotated the prompt; guard filter on" --db "$db" --author bo
  check_l incident-list-open 1 "$bin" incident list --db "$db" --open
  check_l incident-close 0 "$bin" incident close "$id" --resolution "Reviewed" --db "$db"
  check_l incident-close-again 2 "$bin" incident close "$id" --db "$db"
  check_l incident-show 0 "$bin" incident show "$id" --db "$db" --format json
  $py -c "
import json,sys; i=json.load(open('$tmp/out'))['incident']
assert [e['kind'] for e in i['timeline']] == ['opened','note','closed'] and not i['open'] and i['model'] == 'support-bot'
assert i['timeline'][1]['author'] == 'bo'" && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL $label incident timeline"; }
  check_l incident-unknown-model 2 "$bin" incident open --db "$db" --model nobody --title x

  # 6. A file that disappears is marked gone, not forgotten.
  mv "$org/web/summarise.ts" "$tmp/summarise.ts.bak"
  check_l discover-gone 1 "$bin" inventory discover "$org" --db "$db" --format json -q
  $py -c "
import json; r=json.load(open('$tmp/out'))['runs'][0]; assert r['gone'] == 2 and r['read'] == 0, r" \
    && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL $label gone"; }
  check_l list-gone 1 "$bin" inventory list --db "$db" --gone --kind model-id --format json
  expect_grep "$label gone listed" '"gone": true' "$tmp/out"
  mv "$tmp/summarise.ts.bak" "$org/web/summarise.ts"
  rm -f "$org/models/signed/model.sig" "$org/models/signed/bom.json"
}

# Settings and bad input.
db=$tmp/governance.db
check setting-unknown 2 "$bin" register setting colour blue --db "$db"
check setting-months-bad 2 "$bin" register setting assessment_months soon --db "$db"
check setting-set 0 "$bin" register setting incident_plan docs/incident-response.md --db "$db"
check setting-get 0 "$bin" register setting incident_plan --db "$db"
expect_grep setting-value "docs/incident-response.md" "$tmp/out"
check list-missing-db 2 "$bin" inventory list --db "$tmp/none.db"
expect_grep missing-db-says "no governance database" "$tmp/err"
check list-not-ours 2 "$bin" register list --db "$org/docs/labels.csv"
check discover-missing-path 2 "$bin" inventory discover "$tmp/nope" --db "$db"
check discover-fifo-root 2 "$bin" inventory discover "$org/docs/pipe" --db "$db"
check attach-fifo 2 timeout 20 "$bin" register attach fraud-model "$org/docs/pipe" --db "$db"
expect_grep attach-fifo-says "FIFO" "$tmp/err"
check discover-output-over-db 2 "$bin" inventory discover "$org/docs" --db "$db" -o "$db"
check discover-full-disk 2 "$bin" inventory discover "$org/docs" --db "$db" -o /dev/full
check discover-bad-assets 2 "$bin" inventory discover "$org" --db "$db" --assets "$org/docs/labels.csv"

# Real red-team evidence for the LLM (a small run against the deterministic vulnerable endpoint).
$py "$here/../redteam/vulnerable_llm.py" "$tmp/port" &
server=$!
for _ in $(seq 100); do [ -s "$tmp/port" ] && break; sleep 0.05; done
"$bin" redteam llm "http://127.0.0.1:$(cat "$tmp/port")/v1/chat/completions" --model vuln --seed 7 \
  --families extraction --format json > "$tmp/redteam.json" 2> /dev/null
export REDTEAM_REPORT=$tmp/redteam.json

run_flow "$db" sqlite

# The dashboard of this organisation, answered from the evidence just attached (today), then eight months on,
# when the red-team run is older than support-bot's six-month cadence. The browser checks of the site itself
# run in dashboard_test.sh.
today=$(date -u +%Y-%m-%d)
later=$(date -u -d "+8 months" +%Y-%m-%d)
check "report today" 1 "$bin" report --db "$db" -o "$tmp/site" --now "$today" --format json
cp "$tmp/out" "$tmp/report-today.json"
check "report later" 1 "$bin" report --db "$db" -o "$tmp/site-later" --now "$later" --format json
$py - "$tmp/report-today.json" "$tmp/out" <<'PY' && pass=$((pass+1)) || { fail=$((fail+1)); echo "FAIL checklist answers"; }
import json, sys
def answers(path):
    doc = json.load(open(path))
    org = {a["question"]: a["answer"] for a in doc["organisation"]}
    per = {m["model"]: {a["question"]: a["answer"] for a in m["answers"]} for m in doc["per_model"]}
    return org, per
org, per = answers(sys.argv[1])
# Shadow AI is present and no framework is on record: the organisation says no; the plan is on record.
assert org["inventory"] == "no" and org["framework"] == "no" and org["incident-plan"] == "yes", org
fraud, bot, clf = per["fraud-model"], per["support-bot"], per["ticket-classifier"]
assert fraud["inventory"] == "yes" and bot["inventory"] == "yes" and clf["inventory"] == "yes", per
assert fraud["training-data"] == "no", fraud            # a data source without a manifest
assert bot["training-data"] == "not-applicable", bot    # a vendor model with no data of ours
assert bot["assessment"] == "yes" and fraud["assessment"] == "no", per  # red-teamed today; never assessed
assert bot["llm-protection"] == "no" and fraud["llm-protection"] == "not-applicable", per  # the red team won
assert bot["vendors"] == "yes" and fraud["vendors"] == "not-applicable", per
assert clf["incident-plan"] == "partial" and fraud["incident-plan"] == "yes", per  # no security owner
_, later = answers(sys.argv[2])
assert later["support-bot"]["assessment"] == "no", later["support-bot"]  # the stale assessment
PY
expect_grep "site names the models" "support-bot" "$tmp/site/index.html"
if [ -z "$pg" ]; then
  fail=$((fail+1)); echo "FAIL postgres: MODELGUARD_TEST_POSTGRES is not set (scripts/test starts PostgreSQL)"
else
  # A database of its own, so reruns and other tests never see each other's rows.
  fresh=mg_governance_test_$$
  psql "$pg" -qc "CREATE DATABASE $fresh" > /dev/null
  pg_fresh=${pg/\/\/\/[A-Za-z0-9_]*\?/\/\/\/$fresh?}
  run_flow "$pg_fresh" postgres
  psql "$pg" -qc "DROP DATABASE $fresh" > /dev/null
fi
finish
