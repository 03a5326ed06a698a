#!/usr/bin/env bash
# The tools filter end to end: the official openai npm client runs a tool-calling agent (tools_agent.js)
# through the real gateway against the local upstream (upstream.py), whole and streamed: an allowed call
# passes and its output comes back, a forbidden argument, a schema violation and an undeclared tool are
# denied, a call needing approval is approved and denied through the admin API, an unlisted declared tool
# is refused, and a tool output carrying an injection is blocked; a stream cut while a call is held never
# sends it. Then the audit: every decision (the cut call's as dropped), with the argument digests and the
# deciding rules, and never the arguments themselves.
# usage: gateway_tools_test.sh MODELGUARD NODE_MODULES
set -u
mg=$1
export NODE_PATH=$2
here=$(cd "$(dirname "$0")" && pwd)
source "$here/gateway_lib.sh"
command -v node > /dev/null || { echo "node is missing (scripts/install-deps)"; exit 1; }
[ -f "$NODE_PATH/openai/package.json" ] || { echo "the openai npm package is missing (scripts/npm-tools)"; exit 1; }

/usr/bin/python3 "$here/upstream.py" "$tmp/up.port" & pids+=($!)
wait_for "$tmp/up.port" || { echo "upstream did not start"; exit 1; }
api_key=mg-agent-$RANDOM$RANDOM
admin_key=mg-admin-$RANDOM$RANDOM
cat > "$tmp/gw.yaml" <<YAML
listen: 127.0.0.1:0
threads: 2
admin: {listen: 127.0.0.1:0, key_sha256: $(printf '%s' "$admin_key" | "$mg" gateway hash-key -)}
keys: {file: $tmp/keys.json}
upstreams: {model: "127.0.0.1:$(cat "$tmp/up.port")"}
filters:
  api_key:
    keys: [{id: agent, sha256: $(printf '%s' "$api_key" | "$mg" gateway hash-key -)}]
  tools:
    approval_timeout_seconds: 20
    tools:
      - name: read_file
        parameters:
          type: object
          properties: {path: {type: string, maxLength: 200}}
          required: [path]
          additionalProperties: false
        arguments: [{field: /path, allow_globs: ["/srv/data/*"]}]
      - {name: deploy, approval: required, keys: [agent]}
routes:
  - {name: chat, path: /v1/chat/completions, upstream: model, filters: [api_key, tools]}
audit: {jsonl: $tmp/audit.jsonl}
YAML
"$mg" gateway serve --config "$tmp/gw.yaml" 2> "$tmp/gw.err" & gw_pid=$!; pids+=($gw_pid)
for _ in $(seq 1 100); do grep -q "admin API listening on" "$tmp/gw.err" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*"msg":"listening on [0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/gw.err" | head -1)
admin_port=$(sed -n 's/.*"msg":"admin API listening on [0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/gw.err" | head -1)
[ -n "$port" ] && [ -n "$admin_port" ] || { echo "gateway did not start:"; cat "$tmp/gw.err"; exit 1; }

node "$here/tools_agent.js" "http://127.0.0.1:$port/v1" "$api_key" "http://127.0.0.1:$admin_port" "$admin_key" \
  > "$tmp/agent.json" 2> "$tmp/agent.err"
expect agent-ran 0 "$?"
q() { /usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2], {"d": d}))' "$tmp/agent.json" "$1" 2>&1; }
for s in whole stream; do
  # A whole answer is refused with its HTTP status; a stream has started (200) when its error event comes.
  st=403; [ "$s" = stream ] && st=None
  expect "allowed-call-$s" "read_file /srv/data/report.csv" \
    "$(q "d['allowed_$s']['calls'][0]['name'] + ' ' + d['allowed_$s']['calls'][0]['arguments']['path']")"
  expect "allowed-answer-$s" "echo: tool result: contents of /srv/data/report.csv: 42 lines of CSV" "$(q "d['allowed_$s']['answer']")"
  expect "forbidden-argument-$s" "$st tool_denied" "$(q "'%s %s' % (d['forbidden_argument_$s']['error'].get('status'), d['forbidden_argument_$s']['error']['type'])")"
  expect "schema-violation-$s" "$st tool_denied" "$(q "'%s %s' % (d['schema_violation_$s']['error'].get('status'), d['schema_violation_$s']['error']['type'])")"
  expect "undeclared-$s" "$st tool_denied" "$(q "'%s %s' % (d['undeclared_$s']['error'].get('status'), d['undeclared_$s']['error']['type'])")"
  expect "approved-seen-$s" "deploy {\"env\": \"staging\"} 200 404" \
    "$(q "'%s %s %s %s' % (d['approved_$s']['decided']['tool'], d['approved_$s']['decided']['arguments'], d['approved_$s']['decided']['status'], d['approved_$s']['decided']['again'])")"
  expect "approved-answer-$s" "echo: tool result: deployed to staging" "$(q "d['approved_$s']['answer']")"
  expect "denied-$s" "$st tool_denied deploy" \
    "$(q "'%s %s %s' % (d['denied_$s']['error'].get('status'), d['denied_$s']['error']['type'], d['denied_$s']['decided']['tool'])")"
done
# Streamed calls reach the client whole, in one chunk, once judged.
expect stream-call-in-one-chunk 1 "$(q "d['allowed_stream']['toolChunks']")"
expect forbidden-names-path "True" "$(q "'/etc/shadow' in d['forbidden_argument_whole']['error']['message']")"
expect schema-names-rule "True" "$(q "'tools.read_file.parameters' in d['schema_violation_whole']['error']['message']")"
expect forbidden-tool "403 tool_not_allowed" "$(q "'%s %s' % (d['forbidden_tool']['error']['status'], d['forbidden_tool']['error']['type'])")"
expect injected-output "403 tool_output_blocked" "$(q "'%s %s' % (d['injected_output']['error']['status'], d['injected_output']['error']['type'])")"
expect nothing-left-pending 0 "$(q "d['pending_after']")"

# The model's stream is cut while a call is held: the client never gets the call, the audit records it.
cut_arguments='{"path": "/srv/data/cut.csv"}'
curl -sS -N "http://127.0.0.1:$port/v1/chat/completions" -H "Authorization: Bearer $api_key" \
  -H 'Content-Type: application/json' \
  -d "$(/usr/bin/python3 -c 'import json,sys; print(json.dumps({"model": "m", "stream": True,
    "messages": [{"role": "user", "content": "cut call read_file " + sys.argv[1]}],
    "tools": [{"type": "function", "function": {"name": "read_file"}}]}))' "$cut_arguments")" > "$tmp/cut.txt" 2>&1
expect cut-stream-error-event 1 "$(grep -c '"type":"upstream_error"' "$tmp/cut.txt" | tr -d ' ')"
expect cut-call-not-sent 0 "$(grep -c -e read_file -e cut.csv "$tmp/cut.txt" | tr -d ' ')"

kill -TERM "$gw_pid"; wait "$gw_pid"
"$mg" audit verify "$tmp/audit.jsonl" > /dev/null 2>&1
expect chain-verifies 0 "$?"
# The decisions in the audit, in request order: tool, decision, rule.
/usr/bin/python3 - "$tmp/audit.jsonl" > "$tmp/decisions" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    event = json.loads(line)
    for d in event.get("tools", []):
        assert len(d["arguments_sha256"]) in (0, 64), d
        print(d["tool"], d["decision"], d["rule"] or "-", event["verdicts"].get("tools"))
PY
grep_count() { grep -c -- "$1" "$tmp/decisions" | tr -d ' '; }
# The allowed agent's call, whole and streamed, and the injected-output agent's first call...
expect audit-allowed-calls 3 "$(grep_count '^read_file allow - allow')"
# ...and the outputs of the allowed and approved calls, read when they were sent back.
expect audit-outputs-read 4 "$(grep_count 'allow_output')"
expect audit-path-denied 2 "$(grep_count '^read_file deny tools.read_file.arguments\[0\] block:tool_denied')"
expect audit-schema-denied 2 "$(grep_count '^read_file deny tools.read_file.parameters')"
expect audit-undeclared 2 "$(grep_count '^deploy deny declared')"
expect audit-approved 2 "$(grep_count '^deploy approved -')"
expect audit-denied 2 "$(grep_count '^deploy denied tools.deploy.approval')"
expect audit-refused-declared 1 "$(grep_count '^shell refuse_declared tools.unlisted block:tool_not_allowed')"
expect audit-output-blocked 1 "$(grep_count '^read_file block_output tools.read_file.output block:tool_output_blocked')"
# The call held when the stream was cut: recorded as dropped, with its arguments' digest.
expect audit-cut-call-dropped 1 "$(grep_count '^read_file dropped stream_ended')"
expect audit-cut-call-digest 1 "$(/usr/bin/python3 - "$tmp/audit.jsonl" "$cut_arguments" <<'PY'
import hashlib, json, sys
digest = hashlib.sha256(sys.argv[2].encode()).hexdigest()
print(sum(1 for line in open(sys.argv[1]) for d in json.loads(line).get("tools", [])
          if d["decision"] == "dropped" and d["arguments_sha256"] == digest))
PY
)"
# Digests only: no argument or tool output text is in the audit file.
expect audit-no-arguments 0 "$(grep -c -e 'srv/data' -e 'etc/shadow' -e 'staging' -e 'credentials' "$tmp/audit.jsonl" | tr -d ' ')"

echo "gateway tools: $pass passed, $fail failed"
[ "$fail" -eq 0 ] || { echo "--- agent"; cat "$tmp/agent.json" "$tmp/agent.err"; echo "--- decisions"; cat "$tmp/decisions"; echo "--- gateway"; tail -20 "$tmp/gw.err"; }
[ "$fail" -eq 0 ]
