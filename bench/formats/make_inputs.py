#!/usr/bin/python3
"""Inputs for the format benchmark: a model directory with a large safetensors file, a large GGUF file and
an ONNX model with external data, plus a tree of small mixed-format files.
Usage: make_inputs.py OUTDIR SAFETENSORS_MB GGUF_MB SMALL_FILES"""
import json
import os
import struct
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out, st_mb, gguf_mb, small = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
model_dir = os.path.join(out, "model")
os.makedirs(model_dir, exist_ok=True)
chunk = np.random.default_rng(0).integers(0, 255, size=64 << 20, dtype=np.uint8).tobytes()


def write_blob(f, nbytes):
    while nbytes > 0:
        n = min(nbytes, len(chunk))
        f.write(chunk[:n])
        nbytes -= n


# safetensors: many 64 MB F32 tensors, like a sharded LLM checkpoint.
tensor_bytes = 64 << 20
count = max(1, (st_mb << 20) // tensor_bytes)
header = {"__metadata__": {"format": "pt"}}
for i in range(count):
    header[f"model.layers.{i}.weight"] = {"dtype": "F32", "shape": [tensor_bytes // 4],
                                          "data_offsets": [i * tensor_bytes, (i + 1) * tensor_bytes]}
blob = json.dumps(header).encode()
with open(os.path.join(model_dir, "model.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(blob)) + blob)
    write_blob(f, count * tensor_bytes)


# GGUF v3 with F32 tensors and a chat template.
def gstr(s):
    b = s.encode()
    return struct.pack("<Q", len(b)) + b


count = max(1, (gguf_mb << 20) // tensor_bytes)
kvs = [gstr("general.architecture") + struct.pack("<I", 8) + gstr("llama"),
       gstr("tokenizer.chat_template") + struct.pack("<I", 8) +
       gstr("{% for m in messages %}{{ '<|' + m['role'] + '|>' + m['content'] }}{% endfor %}")]
infos = b"".join(gstr(f"blk.{i}.weight") + struct.pack("<I", 1) + struct.pack("<Q", tensor_bytes // 4) +
                 struct.pack("<IQ", 0, i * tensor_bytes) for i in range(count))
head = b"GGUF" + struct.pack("<IQQ", 3, count, len(kvs)) + b"".join(kvs) + infos
head += b"\0" * ((32 - len(head) % 32) % 32)
with open(os.path.join(model_dir, "model.gguf"), "wb") as f:
    f.write(head)
    write_blob(f, count * tensor_bytes)

# ONNX with external data (256 MB).
w = numpy_helper.from_array(np.ones(64 << 20, dtype=np.float32), "w")
graph = helper.make_graph([helper.make_node("Add", ["x", "w"], ["y"])], "g",
                          [helper.make_tensor_value_info("x", TensorProto.FLOAT, [64 << 20])],
                          [helper.make_tensor_value_info("y", TensorProto.FLOAT, [64 << 20])], initializer=[w])
onnx.save_model(helper.make_model(graph), os.path.join(model_dir, "model.onnx"), save_as_external_data=True,
                location="model.onnx.data", size_threshold=0)

# Small files: config JSON, tiny safetensors, tiny pickles, tokenizer configs.
small_dir = os.path.join(out, "small")
os.makedirs(small_dir, exist_ok=True)
tiny_st = json.dumps({"w": {"dtype": "F32", "shape": [4], "data_offsets": [0, 16]}}).encode()
tiny_st = struct.pack("<Q", len(tiny_st)) + tiny_st + b"\0" * 16
payloads = [(".safetensors", tiny_st), (".json", json.dumps({"model_type": "bert", "hidden_size": 768}).encode()),
            (".pkl", __import__("pickle").dumps({"a": [1.0] * 16}, protocol=4)),
            (".gguf", head[:0] + b"GGUF" + struct.pack("<IQQ", 3, 0, 1) + kvs[0])]
for i in range(small):
    ext, data = payloads[i % len(payloads)]
    with open(os.path.join(small_dir, f"f{i:05d}{ext}"), "wb") as f:
        f.write(data)
print("inputs ready")
