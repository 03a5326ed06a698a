#!/usr/bin/env bash
# Our BOMs validate against the official CycloneDX 1.6 and 1.7 JSON schemas, and the same validator rejects
# every official invalid-* example (so the check can fail). Also checks what the BOM says about a model.
# usage: bom_schema_test.sh MODELGUARD FIXTURE_DIR SHARED_DIR NODE_MODULES
set -uo pipefail
mg=$1 fixtures=$2 shared=$3 node_modules=$4
here=$(cd "$(dirname "$0")" && pwd)
schemas=$shared/interop/cyclonedx/schema
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export NODE_PATH=$node_modules
passed=0 failed=0
check() {  # name, command...
  local name=$1; shift
  if "$@" > "$work/out.txt" 2>&1; then passed=$((passed + 1)); else failed=$((failed + 1)); echo "FAIL: $name"; cat "$work/out.txt"; fi
}
property() {  # bom, name -> value of the model component's property
  /usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print(next(p['value'] for p in d['metadata']['component']['properties'] if p['name']==sys.argv[2]))" "$1" "$2"
}

# A Hugging Face style model directory: real torch weights, a safetensors file, config and model card.
model=$work/bert-tiny
mkdir -p "$model"
cp "$fixtures/benign/torch_state_dict.pt" "$model/pytorch_model.bin"
/usr/bin/python3 - "$model" <<'PY'
import json, struct, sys
d = sys.argv[1]
header = json.dumps({"w": {"dtype": "F32", "shape": [4, 8], "data_offsets": [0, 128]},
                     "b": {"dtype": "F32", "shape": [8], "data_offsets": [128, 160]}}).encode()
open(f"{d}/model.safetensors", "wb").write(struct.pack("<Q", len(header)) + header + b"\0" * 160)
json.dump({"architectures": ["BertForSequenceClassification"], "model_type": "bert", "torch_dtype": "float32"},
          open(f"{d}/config.json", "w"))
open(f"{d}/README.md", "w").write("---\nlicense: apache-2.0\npipeline_tag: text-classification\n"
                                  "datasets:\n- imdb\nlanguage: [en]\n---\n# bert-tiny\n")
PY
mkdir -p "$work/corpus"
printf '{"text":"good film","label":1}\n{"text":"bad film","label":0}\n' > "$work/corpus/train.jsonl"
openssl genpkey -algorithm ed25519 -out "$work/key.pem" 2>/dev/null
check "data manifest" "$mg" data manifest "$work/corpus" --records -o "$work/corpus.json"
check "sign" "$mg" sign key "$model" --private-key "$work/key.pem" --signature "$model/model.sig"
for v in 1.6 1.7; do
  check "bom $v" "$mg" bom "$model" --format cyclonedx-$v --signature "$model/model.sig" \
    --dataset-manifest "$work/corpus.json" -o "$work/bom-$v.json"
  check "bom $v validates" node "$here/validate_bom.js" "$schemas" "$v" "$work/bom-$v.json"
  # The official examples: every valid-* passes and every invalid-* fails with the same validator.
  for f in "$shared"/interop/cyclonedx/examples/$v/invalid-*.json; do
    check "rejects $(basename "$f")" bash -c '! node "$0" "$1" "$2" "$3"' "$here/validate_bom.js" "$schemas" "$v" "$f"
  done
  check "accepts official valid-* $v" node "$here/validate_bom.js" "$schemas" "$v" "$shared"/interop/cyclonedx/examples/$v/valid-*.json
done
bom=$work/bom-1.6.json
check "parameters from safetensors" test "$(property "$bom" modelguard:parameters)" = 40
check "clean verdict" test "$(property "$bom" modelguard:scan:verdict)" = clean
check "signature matches" test "$(property "$bom" modelguard:signature:matches-model)" = true
check "architecture" grep -q '"modelArchitecture": "BertForSequenceClassification"' "$bom"
check "license id" grep -q '"id": "Apache-2.0"' "$bom"
check "dataset component" grep -q '"type": "data"' "$bom"
# A poisoned weight file changes the verdict, and the signature no longer matches the model.
cp "$fixtures/malicious/$(ls "$fixtures/malicious" | grep -m1 '\.pkl$')" "$model/pytorch_model.bin"
check "bom of poisoned model" "$mg" bom "$model" --signature "$model/model.sig" -o "$work/poisoned.json"
check "poisoned verdict" bash -c "test \"\$(/usr/bin/python3 -c \"import json; d=json.load(open('$work/poisoned.json')); print([p['value'] for p in d['metadata']['component']['properties'] if p['name']=='modelguard:scan:verdict'][0])\")\" != clean"
check "poisoned signature mismatch" test "$(property "$work/poisoned.json" modelguard:signature:matches-model)" = false
check "bad format refused" bash -c "'$mg' bom '$model' --format spdx; test \$? -eq 2"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
