#!/usr/bin/env bash
# The watermark filter end to end: the real gateway in front of the local upstream (upstream.py, which echoes
# the user's text), the GPT-2 tokenizer (js-tiktoken's ranks), and a text the reference scheme watermarked
# (tests/watermark/marked_text.sh). A whole answer carrying the watermark gets the header with detected=true
# and its z in the audit; an unwatermarked one is scored and not detected; a streamed answer is scored from
# its deltas into the audit (no header: the stream's head went first); the answers pass unchanged, the audit
# holds numbers and never the text; a bad tokenizer path or vocabulary stops the gateway at start-up.
# usage: gateway_watermark_test.sh MODELGUARD TOKENIZER_FIXTURES NODE_MODULES
set -u
mg=$1 tokfix=$2 node_modules=$3
here=$(cd "$(dirname "$0")" && pwd)
source "$here/gateway_lib.sh"
[ -f "$tokfix/gpt2.tiktoken" ] || { echo "no tokenizer fixtures in '$tokfix' (fixtures.tokenizers)"; exit 1; }
"$here/../watermark/marked_text.sh" "$tmp" "$tokfix" "$node_modules" || { echo "marked_text.sh failed"; exit 1; }

/usr/bin/python3 "$here/upstream.py" "$tmp/up.port" & pids+=($!)
wait_for "$tmp/up.port" || { echo "upstream did not start"; exit 1; }
config() {  # WATERMARK_SETTINGS
  cat <<YAML
listen: 127.0.0.1:0
threads: 2
upstreams: {model: "127.0.0.1:$(cat "$tmp/up.port")"}
filters:
  watermark: $1
routes:
  - {name: chat, path: /v1/chat/completions, upstream: model, filters: [watermark]}
audit: {jsonl: $tmp/audit.jsonl}
YAML
}
config "{tokenizer: $tokfix/gpt2.tiktoken}" > "$tmp/gw.yaml"
"$mg" gateway serve --config "$tmp/gw.yaml" 2> "$tmp/gw.err" & pids+=($!)
for _ in $(seq 1 100); do grep -q '"msg":"listening on' "$tmp/gw.err" 2>/dev/null && break; sleep 0.1; done
port=$(sed -n 's/.*"msg":"listening on [0-9.]*:\([0-9]*\)".*/\1/p' "$tmp/gw.err" | head -1)
[ -n "$port" ] || { echo "gateway did not start:"; cat "$tmp/gw.err"; exit 1; }

ask() {  # NAME TEXT_FILE STREAM(true|false): the answer in $tmp/NAME.body, its head in $tmp/NAME.head
  /usr/bin/python3 -c 'import json,sys; print(json.dumps({"model": "m", "stream": sys.argv[2] == "true",
    "messages": [{"role": "user", "content": open(sys.argv[1]).read()}]}))' "$2" "$3" > "$tmp/$1.request"
  curl -s -o "$tmp/$1.body" -D "$tmp/$1.head" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "@$tmp/$1.request" "http://127.0.0.1:$port/v1/chat/completions"
}
header() { tr -d '\r' < "$tmp/$1.head" | sed -n 's/^[Xx]-[Mm]odelguard-[Ww]atermark: //p'; }
# One request at a time: audit line N is request N.
expect marked-status 200 "$(ask marked "$tmp/marked.txt" false)"
expect marked-header-detected "detected=true" "$(header marked | grep -o 'detected=[a-z]*')"
expect marked-answer-unchanged True "$(/usr/bin/python3 -c 'import json,sys
print(json.load(open(sys.argv[1]))["choices"][0]["message"]["content"] == "echo: " + open(sys.argv[2]).read())' \
  "$tmp/marked.body" "$tmp/marked.txt")"
expect unmarked-status 200 "$(ask unmarked "$tmp/unmarked.txt" false)"
expect unmarked-header "detected=false" "$(header unmarked | grep -o 'detected=[a-z]*')"
expect stream-status 200 "$(ask stream "$tmp/marked.txt" true)"
expect stream-no-header "" "$(header stream)"
expect stream-answer-whole True "$(/usr/bin/python3 -c 'import json,sys
text = "".join(json.loads(l[6:])["choices"][0]["delta"].get("content", "") for l in open(sys.argv[1])
               if l.startswith("data: {") and json.loads(l[6:])["choices"])
print(text == "echo: " + open(sys.argv[2]).read())' "$tmp/stream.body" "$tmp/marked.txt")"
for _ in $(seq 1 50); do [ "$(wc -l < "$tmp/audit.jsonl" 2>/dev/null)" -ge 3 ] && break; sleep 0.1; done
audit() { /usr/bin/python3 -c 'import json,sys
events = [json.loads(l) for l in open(sys.argv[1])]
print(eval(sys.argv[2], {"e": events}))' "$tmp/audit.jsonl" "$1" 2>&1; }
expect audit-events 3 "$(audit 'len(e)')"
expect audit-detected "[True, False, True]" "$(audit '[x["watermark"]["detected"] for x in e]')"
# About 200 tokens: the echo's prefix adds a few, scored like the rest.
expect audit-scored-about-200 True "$(audit 'all(195 <= x["watermark"]["scored"] <= 210 for x in e)')"
expect audit-z-marked True "$(audit 'e[0]["watermark"]["z"] > 10 and e[2]["watermark"]["z"] > 10')"
expect audit-z-unmarked True "$(audit 'e[1]["watermark"]["z"] < 4')"
expect audit-stream-equals-whole True "$(audit 'e[0]["watermark"] == e[2]["watermark"]')"
expect audit-header-equals-audit True "$(/usr/bin/python3 -c 'import json,sys
z = float(sys.argv[2].split(";")[0][2:])
print(abs(json.loads(open(sys.argv[1]).readline())["watermark"]["z"] - z) < 1e-4)' "$tmp/audit.jsonl" "$(header marked)")"
first_words=$(head -c 40 "$tmp/marked.txt")
expect audit-holds-no-text 1 "$(grep -cF "$first_words" "$tmp/audit.jsonl" >/dev/null; echo $?)"

# Settings that cannot work stop the gateway at start-up, naming the key.
for bad in "{tokenizer: $tmp/missing.tiktoken}" "{tokenizer: $tokfix/gpt2.tiktoken, vocab_size: 1000}" \
           "{tokenizer: $tokfix/gpt2.tiktoken, gamma: 1.5}" "{}"; do
  config "$bad" > "$tmp/bad.yaml"
  timeout 20 "$mg" gateway serve --config "$tmp/bad.yaml" > /dev/null 2> "$tmp/bad.err"
  expect "bad-settings-exit: $bad" 2 "$?"
  expect "bad-settings-named: $bad" 1 "$(grep -c 'watermark' "$tmp/bad.err" | head -1 | sed 's/^[1-9][0-9]*$/1/')"
done

echo "gateway watermark: $pass passed, $fail failed"
[ "$fail" = 0 ]
