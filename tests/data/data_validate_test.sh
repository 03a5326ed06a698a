#!/usr/bin/env bash
# modelguard data schema infer / data validate through the CLI: exit codes CI can use, JSON a script can read,
# drift against a reference, and hostile input (a huge line, a million columns, bad UTF-8, a truncated .npy,
# a FIFO, /dev/full, output == input, an empty file, a damaged schema).
# Usage: data_validate_test.sh MODELGUARD
set -u
mg=$1
source "$(dirname "$0")/../tools/check_lib.sh"

/usr/bin/python3 - "$tmp" <<'PY'
import csv, json, random, sys
import numpy as np
from sklearn.datasets import load_digits
d = sys.argv[1]
random.seed(5)
def table(path, rows, shift=0.0, extra_city=None):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["age", "city", "score", "label"])
        for i in range(rows):
            city = random.choice(["Oslo", "Rome", extra_city or "Kyiv"])
            w.writerow([random.randint(20, 60), city, round(random.gauss(shift, 1), 3), random.randint(0, 1)])
table(f"{d}/train.csv", 600)
table(f"{d}/shifted.csv", 600, shift=1.0, extra_city="Lima")
with open(f"{d}/typed.jsonl", "w") as f:
    for i in range(50):
        f.write(json.dumps({"id": i, "text": f"record {i}", "label": i % 3}) + "\n")
with open(f"{d}/typed-bad.jsonl", "w") as f:
    f.write(json.dumps({"id": "seven", "text": "record", "label": 1}) + "\n")
    f.write("{not json\n")
    f.write(json.dumps({"id": 3, "text": "caf\u00e9", "label": 9}) + "\n")
with open(f"{d}/huge.jsonl", "w") as f:
    f.write('{"t": "' + "a" * (17 << 20) + '"}\n')
with open(f"{d}/wide.csv", "w") as f:
    f.write("h\n" + "," * 1000000 + "\n")
with open(f"{d}/badutf8.csv", "wb") as f:
    f.write(b"name,label\ncaf\xe9,1\nok,0\n")
x = load_digits().data.astype(np.float32)
np.save(f"{d}/x.npy", x)
np.save(f"{d}/y.npy", load_digits().target)
raw = open(f"{d}/x.npy", "rb").read()
open(f"{d}/cut.npy", "wb").write(raw[: len(raw) // 3])
PY

check "infer a csv schema" 0 "$mg" data schema infer "$tmp/train.csv" -o "$tmp/train.schema.json"
/usr/bin/python3 - "$tmp/train.schema.json" <<'PY' || { echo "FAIL schema content"; fail=$((fail+1)); }
import json, sys
s = json.load(open(sys.argv[1]))
assert s["schema"] == "modelguard.data-schema/v1"
cols = {c["name"]: c for c in s["columns"]}
assert cols["age"]["type"] == "integer" and 20 <= cols["age"]["min"] <= cols["age"]["max"] <= 60
assert sorted(cols["city"]["domain"]) == ["Kyiv", "Oslo", "Rome"], cols["city"]
assert cols["score"]["type"] == "number"
assert s["label"] == "label" and set(s["classes"]) == {"0", "1"}
PY
check "the data passes its own schema" 0 "$mg" data validate "$tmp/train.csv" --schema "$tmp/train.schema.json" --reference "$tmp/train.csv"
expect_grep "text verdict" "passed" "$tmp/out"
check "shifted data fails with drift" 1 "$mg" data validate "$tmp/shifted.csv" --schema "$tmp/train.schema.json" --reference "$tmp/train.csv" --format json
/usr/bin/python3 - "$tmp/out" <<'PY' || { echo "FAIL drift json"; fail=$((fail+1)); }
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "modelguard.data-validation/v1"
rules = {(v["rule"], v.get("column")) for v in r["violations"]}
assert ("data.domain", "city") in rules, rules
assert ("data.drift", "score") in rules, rules
cols = {c["column"]: c for c in r["drift"]["columns"]}
assert cols["score"]["test"] == "ks" and cols["score"]["p_value"] < 1e-10, cols["score"]
assert cols["age"]["drift"] is False
PY
check "--fail-on critical lets it pass" 0 "$mg" data validate "$tmp/shifted.csv" --schema "$tmp/train.schema.json" --reference "$tmp/train.csv" --fail-on critical
check "bad --fail-on" 2 "$mg" data validate "$tmp/train.csv" --schema "$tmp/train.schema.json" --fail-on severe

check "jsonl schema" 0 "$mg" data schema infer "$tmp/typed.jsonl" -o "$tmp/typed.schema.json"
check "jsonl violations" 1 "$mg" data validate "$tmp/typed-bad.jsonl" --schema "$tmp/typed.schema.json" --format json
/usr/bin/python3 - "$tmp/out" <<'PY' || { echo "FAIL jsonl violations"; fail=$((fail+1)); }
import json, sys
rules = {v["rule"] for v in json.load(open(sys.argv[1]))["violations"]}
assert {"data.type", "data.unreadable-records", "data.unknown-class"} <= rules, rules
PY
check "npy schema with labels" 0 "$mg" data schema infer "$tmp/x.npy" --labels "$tmp/y.npy" -o "$tmp/x.schema.json"
check "npy validates" 0 "$mg" data validate "$tmp/x.npy" --labels "$tmp/y.npy" --schema "$tmp/x.schema.json"
check "truncated npy is an error" 2 "$mg" data schema infer "$tmp/cut.npy"
expect_grep "truncated npy message" "promises" "$tmp/err"

check "huge line is an error" 2 "$mg" data schema infer "$tmp/huge.jsonl"
check "a million columns is an error" 2 "$mg" data schema infer "$tmp/wide.csv"
check "bad UTF-8 is a string, not a crash" 0 "$mg" data schema infer "$tmp/badutf8.csv" -o "$tmp/badutf8.schema.json"
check "bad UTF-8 validates" 0 "$mg" data validate "$tmp/badutf8.csv" --schema "$tmp/badutf8.schema.json" --format json
# Header names are renamed as docs/data.md says: repeats get the first free .N suffix, names that are not
# UTF-8 keep their bytes as \xNN (a backslash doubled, control characters escaped); the schema still matches.
printf 'a,a,a.1,a,,,caf\xe9,x\\\xff\tq\n1,2,3,4,5,6,7,8\n' > "$tmp/names.csv"
printf 'a\ta.1\ta\n1\t2\t3\n' > "$tmp/names.tsv"
check "renamed columns" 0 "$mg" data schema infer "$tmp/names.csv" -o "$tmp/names.schema.json"
check "renamed tsv columns" 0 "$mg" data schema infer "$tmp/names.tsv" -o "$tmp/names-tsv.schema.json"
/usr/bin/python3 - "$tmp/names.schema.json" "$tmp/names-tsv.schema.json" <<'PY' || { echo "FAIL renamed columns"; fail=$((fail+1)); }
import json, sys
names = [c["name"] for c in json.load(open(sys.argv[1]))["columns"]]
assert names == ["a", "a.1", "a.1.1", "a.2", "", ".1", "caf\\xe9", "x\\\\\\xff\\tq"], names
names = [c["name"] for c in json.load(open(sys.argv[2]))["columns"]]
assert names == ["a", "a.1", "a.2"], names
PY
check "renamed columns validate" 0 "$mg" data validate "$tmp/names.csv" --schema "$tmp/names.schema.json" --format json
check "output == input refused" 2 "$mg" data schema infer "$tmp/train.csv" -o "$tmp/train.csv"
check "full disk is an error" 2 "$mg" data schema infer "$tmp/train.csv" -o /dev/full
: > "$tmp/empty.csv"
check "empty file: nothing to infer" 2 "$mg" data schema infer "$tmp/empty.csv"
check "empty file fails validation" 1 "$mg" data validate "$tmp/empty.csv" --schema "$tmp/train.schema.json"
expect_grep "empty rule" "data.empty" "$tmp/out"
echo '{"schema": "modelguard.data-schema/v1", "columns": [{"name": "a", "type": "integr"}]}' > "$tmp/bad.schema.json"
check "damaged schema" 2 "$mg" data validate "$tmp/train.csv" --schema "$tmp/bad.schema.json"
expect_grep "damaged schema message" "unknown type 'integr'" "$tmp/err"
check "missing schema file" 2 "$mg" data validate "$tmp/train.csv" --schema "$tmp/nope.json"
check "missing dataset" 2 "$mg" data schema infer "$tmp/nope.csv"
mkfifo "$tmp/fifo.csv"
cat "$tmp/train.csv" > "$tmp/fifo.csv" &
check "a FIFO is read as a stream" 0 "$mg" data validate "$tmp/fifo.csv" --schema "$tmp/train.schema.json"
# An IDX labels file found by name that is a FIFO: refused at once, never a blocked read.
mkdir -p "$tmp/idx"
/usr/bin/python3 -c '
import struct, sys
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, 2, 2, 2) + bytes(8))' "$tmp/idx/train-images-idx3-ubyte"
mkfifo "$tmp/idx/train-labels-idx1-ubyte"
check "IDX labels that are a FIFO" 2 timeout 20 "$mg" data schema infer "$tmp/idx/train-images-idx3-ubyte"
expect_grep "IDX FIFO labels message" "train-labels-idx1-ubyte" "$tmp/err"
check "stdin with a format" 0 bash -c "\"$mg\" data schema infer - --input-format csv < \"$tmp/train.csv\""
check "an array from stdin is refused" 2 bash -c "\"$mg\" data schema infer - --input-format npy < \"$tmp/x.npy\""
check "help has an example" 0 "$mg" data validate --help
expect_grep "help example" "modelguard data validate" "$tmp/out"
finish
