#!/usr/bin/python3
"""Files that are recognisably format X but cut short (or otherwise malformed) are reported as malformed X:
the format is still X and a parse-error finding says what broke, never "unknown". Real files come from the
generated fixtures and from Debian's python3 libraries here (onnx, tarfile); each is cut at several points
(header, metadata, data)."""
import io
import json
import os
import subprocess
import sys
import tarfile
import tempfile

mg, fixtures = sys.argv[1], sys.argv[2]
tmp = tempfile.mkdtemp()
cases = []  # (name, bytes, expected format, parse-error expected, extra rule expected or None)


def add(name, data, fmt, broken=True, rule=None):
    cases.append((name, data, fmt, broken, rule))


def fixture(rel):
    with open(os.path.join(fixtures, rel), "rb") as f:
        return f.read()


# tar: torch's legacy format and NeMo archives are tars (PAX headers, "ustar" at 257).
buf = io.BytesIO()
with tarfile.open(fileobj=buf, mode="w") as t:
    payload = b"\x80\x02]q\x00."
    info = tarfile.TarInfo("model/weights.pkl")
    info.size = len(payload)
    t.addfile(info, io.BytesIO(payload))
tar = buf.getvalue()
for cut in (262, 300, 400, 511):
    add(f"tar-cut-{cut}.tar", tar[:cut], "archive")
bad_sum = bytearray(tar)
bad_sum[148:156] = b"0000000\0"
add("tar-bad-checksum.tar", bytes(bad_sum), "archive")
add("torch-legacy-tar-cut-300.pt", fixture("malicious/torch_legacy_tar.pt")[:300], "archive")
# A pre-POSIX (v7) header: no magic, identified by its checksum; read, not unknown.
v7 = bytearray(tar[:512])
v7[257:265] = b"\0" * 8
v7[148:156] = b" " * 8
v7[148:156] = b"%06o\0 " % sum(v7)
add("v7.tar", bytes(v7) + tar[512:], "archive", broken=False)

# ONNX as exporters write it: ir_version, producer, opsets, then the graph. Cut before the graph.
import onnx  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402

graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1])])
model = helper.make_model(graph, producer_name="pytorch", producer_version="2.1.0",
                          opset_imports=[helper.make_opsetid("", 17)])
full = model.SerializeToString()
graph_at = full.index(b"\x3a")  # field 7, length-delimited
assert full.index(b"pytorch") < graph_at
for cut in (5, full.index(b"pytorch") + 3, graph_at, graph_at + 1, graph_at + 3):
    add(f"onnx-cut-{cut}.onnx", full[:cut], "onnx")
add("onnx-cut-half.onnx", full[:len(full) // 2], "onnx")
no_graph = onnx.ModelProto()
no_graph.CopyFrom(model)
no_graph.ClearField("graph")
add("onnx-no-graph.onnx", no_graph.SerializeToString(), "onnx")
for rel in ("formats/onnx_custom_op.onnx", "formats/onnx_metadata_code.onnx"):
    data = fixture(rel)
    for cut in (4, 10, len(data) // 2, len(data) - 1):
        add(f"{os.path.basename(rel)}-cut-{cut}.onnx", data[:cut], "onnx")

# TensorFlow protobufs (GraphDef, SavedModel) cut after their first node's op tag, mid-node and at the end.
for rel in ("formats/frozen_graph.pb", "formats/saved_model.pb", "formats/graph_readfile.pb"):
    data = fixture(rel)
    for cut in (12, 16, 24, len(data) // 2, len(data) - 1):
        add(f"{os.path.basename(rel)}-cut-{cut}.pb", data[:cut], "tensorflow")

# HDF5 (legacy Keras .h5, written by h5py): the superblock's end-of-file address says how long the file is;
# a shorter one lost data (here the Lambda layer's config at 2052), so it is broken, not clean.
h5 = fixture("formats/legacy_lambda.h5")
for cut in (9, 64, 2052, len(h5) // 2):
    add(f"legacy_lambda-cut-{cut}.h5", h5[:cut], "hdf5")
add("legacy_lambda-cut-end.h5", h5[:-1], "hdf5", rule="keras.lambda")
add("legacy_lambda-whole.h5", h5, "hdf5", broken=False, rule="keras.lambda")

# A chat template cut inside its tag: still a template, still checked (the gadget is found), and broken.
tpl = fixture("formats/template_ssti_lipsum.jinja2")
add("ssti-cut.jinja2", tpl[:-2], "jinja", rule="jinja.template-injection")
add("ssti-cut-mid.jinja2", tpl[:tpl.index(b".system")], "jinja", rule="jinja.template-injection")

paths = []
for name, data, *_ in cases:
    path = os.path.join(tmp, name)
    with open(path, "wb") as f:
        f.write(data)
    paths.append(path)
out = subprocess.run([mg, "scan", "--format", "json", "--show-info"] + paths, capture_output=True, text=True)
report = {f["path"]: f for f in json.loads(out.stdout)["files"]}
failed = 0
for path, (name, data, fmt, broken, rule) in zip(paths, cases):
    f = report[path]
    rules = [x["rule_id"] for x in f["findings"]]
    problems = []
    if f["format"] != fmt:
        problems.append(f"format {f['format']}, want {fmt}")
    if "unknown-format" in rules:
        problems.append("unknown-format finding")
    if broken and "parse-error" not in rules:
        problems.append("no parse-error")
    if not broken and "parse-error" in rules:
        problems.append("unexpected parse-error")
    if rule and rule not in rules:
        problems.append(f"no {rule}")
    if problems:
        failed += 1
        print(f"FAIL {name} ({len(data)} bytes): {'; '.join(problems)}: {rules}")
print(f"{len(cases) - failed} passed, {failed} failed")
sys.exit(1 if failed else 0)
