#!/usr/bin/python3
"""A monorepo-like tree for `scripts/bench inventory`, the same for a given (files, seed).

Usage: make_tree.py ROOT FILES [SEED]

FILES regular files outside the excluded directories (.git and node_modules hold another ~8% on top, with
AI use in them that discovery must not report). About 60% source (.py .ts .js .go .java, 1-8 KiB, ~3% of them
with one planted AI asset each), ~20% configuration and docs (.json .yaml .md .txt, ~1% planted), ~15% other
(.bin and .png-like random bytes behind a fixed header, .csv), the rest shell, TOML, C and Rust (nothing
planted), and ~0.3% small model files (.npy, .pkl, .safetensors, PyTorch zip).
Every planted file holds exactly one asset that `inventory discover` records once, so the expected count is
exact; ROOT/../<ROOT name>.manifest.json tells the counts by kind and by extension.
"""
import io
import json
import os
import pickle
import random
import struct
import sys
import zipfile

import numpy as np

root = sys.argv[1]
total = int(sys.argv[2])
seed = int(sys.argv[3]) if len(sys.argv) > 3 else 24
rng = random.Random(seed)
np_rng = np.random.default_rng(seed)

WORDS = ("account order invoice customer ledger report parse render cache session queue worker "
         "payment shipment stock price tax region user profile settings audit event metric batch "
         "schedule retry backoff buffer stream reader writer codec header footer index table row "
         "column filter sort merge split join window tick clock timer lock pool socket client server "
         "handler route page view form field value label widget layout theme color font image asset").split()
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"


def ident(parts=2):
    return "_".join(rng.choices(WORDS, k=parts))


def camel(parts=2):
    return "".join(w.capitalize() for w in rng.choices(WORDS, k=parts))


def token(n):
    return "".join(rng.choices(ALNUM, k=n))


def sentence(n=12):
    return " ".join(rng.choices(WORDS, k=n)).capitalize() + "."


class Lines(list):
    """Lines of a file being grown to a size, counting the bytes as they are added."""
    def __init__(self, first=()):
        super().__init__()
        self.size = 0
        self += first

    def __iadd__(self, more):
        for line in more:
            self.append(line)
            self.size += len(line) + 1
        return self


# Filler of each language: plain code without AI use, grown line by line to the target size.
def python_filler(size):
    lines = Lines(["import os", "import json", "from collections import defaultdict",
                   f"from .{rng.choice(WORDS)} import {camel()}", ""])
    while lines.size < size:
        name = ident()
        lines += [f"def {name}({ident(1)}, {ident(1)}=None):",
                  f'    """{sentence(8)}"""',
                  f"    {ident(1)} = defaultdict(list)",
                  f"    for item in {ident(1)} or []:",
                  f"        if item.get('{rng.choice(WORDS)}') > {rng.randint(0, 999)}:",
                  f"            {ident(1)}.append(json.dumps(item))",
                  f"    return os.path.join('{rng.choice(WORDS)}', str({rng.randint(0, 99)}))", ""]
    return "\n".join(lines) + "\n"


def js_filler(size, typed):
    t = ": string" if typed else ""
    lines = Lines([f'import {{ {camel()} }} from "./{rng.choice(WORDS)}";', 'import path from "path";', ""])
    while lines.size < size:
        lines += [f"// {sentence(10)}",
                  f"export function {camel(2)}({rng.choice(WORDS)}{t}, {rng.choice(WORDS)}{t}) {{",
                  f"  const {rng.choice(WORDS)}Map = new Map();",
                  f"  for (const item of [{rng.randint(0, 9)}, {rng.randint(10, 99)}]) {{",
                  f"    {rng.choice(WORDS)}Map.set(`{rng.choice(WORDS)}-${{item}}`, path.join('{rng.choice(WORDS)}', String(item)));",
                  "  }",
                  f"  return {rng.choice(WORDS)}Map.size > {rng.randint(0, 50)};",
                  "}", ""]
    return "\n".join(lines) + "\n"


def go_filler(size, extra_import=""):
    lines = Lines([f"package {rng.choice(WORDS)}", "", "import (", '\t"fmt"', '\t"strings"'])
    if extra_import:
        lines += ["\t" + extra_import]
    lines += [")", ""]
    while lines.size < size:
        lines += [f"// {camel()} {sentence(8)}",
                  f"func {camel()}({rng.choice(WORDS)} string, n int) string {{",
                  "\tparts := []string{}",
                  "\tfor i := 0; i < n; i++ {",
                  f'\t\tparts = append(parts, fmt.Sprintf("{rng.choice(WORDS)}-%d", i))',
                  "\t}",
                  '\treturn strings.Join(parts, ",")',
                  "}", ""]
    return "\n".join(lines) + "\n"


def java_filler(size, extra_import=""):
    lines = Lines([f"package com.example.{rng.choice(WORDS)};", "", "import java.util.List;", "import java.util.ArrayList;"])
    if extra_import:
        lines += [extra_import]
    lines += ["", f"public class {camel()} {{"]
    while lines.size < size:
        lines += [f"    /** {sentence(8)} */",
                  f"    public List<String> {rng.choice(WORDS)}{camel(1)}(int n) {{",
                  "        List<String> out = new ArrayList<>();",
                  f'        for (int i = 0; i < n; i++) out.add("{rng.choice(WORDS)}" + i);',
                  "        return out;",
                  "    }", ""]
    lines.append("}")
    return "\n".join(lines) + "\n"


def insert_line(text, line, at_top=False):
    lines = text.split("\n")
    where = 3 if at_top else rng.randint(4, max(4, len(lines) - 2))
    lines.insert(where, line)
    return "\n".join(lines)


# Planted AI use: one asset per file. Returns (text, kind).
def plant_python(size, n):
    text = python_filler(size)
    choice = n % 5
    if choice == 0:
        module, value = rng.choice([("openai", "openai"), ("anthropic", "anthropic"), ("langchain_openai", "langchain"),
                                    ("transformers", "huggingface"), ("torch", "pytorch")])
        return insert_line(text, f"import {module}", at_top=True), "sdk"
    if choice == 1:
        return insert_line(text, f'    tok = AutoTokenizer.from_pretrained("acme-{n}/encoder-{token(6).lower()}")'), "model-id"
    if choice == 2:
        return insert_line(text, f'API_BASE = "https://api.mistral.ai/v1/{rng.choice(WORDS)}"'), "endpoint"
    if choice == 3:
        return insert_line(text, f'GROQ_TOKEN = "gsk_{token(52)}"'), "credential"
    return insert_line(text, f'    params = {{"model": "claude-3-{rng.choice(["haiku", "opus", "sonnet"])}-{n}"}}'), "model-id"


def plant_js(size, n, typed):
    text = js_filler(size, typed)
    choice = n % 4
    if choice == 0:
        module = rng.choice(["openai", "@anthropic-ai/sdk", "@langchain/core", "@google/generative-ai"])
        return insert_line(text, f'import {camel(1)} from "{module}";', at_top=True), "sdk"
    if choice == 1:
        return insert_line(text, f'const MODEL = "gpt-4o-mini-{n}";'), "model-id"
    if choice == 2:
        return insert_line(text, f'const ENDPOINT = "https://api.openai.com/v1/{rng.choice(WORDS)}";'), "endpoint"
    return insert_line(text, f'const HF = "hf_{token(36)}";'), "credential"


def plant_go(size, n):
    if n % 2 == 0:
        return go_filler(size, '"github.com/sashabaranov/go-openai"'), "sdk"
    return insert_line(go_filler(size), f'const endpoint = "https://api.anthropic.com/v1/{rng.choice(WORDS)}"'), "endpoint"


def plant_java(size, n):
    if n % 2 == 0:
        return java_filler(size, "import com.anthropic.client.AnthropicClient;"), "sdk"
    return insert_line(java_filler(size), f'    static final String MODEL = "gemini-1.5-flash-{n}";'), "model-id"


def config_filler(ext, size):
    if ext == ".json":
        doc = {}
        while len(json.dumps(doc)) < size:
            doc[ident()] = {rng.choice(WORDS): rng.randint(0, 10 ** 6), "enabled": rng.random() < 0.5,
                            "tags": [rng.choice(WORDS) for _ in range(3)]}
        return json.dumps(doc, indent=2) + "\n"
    if ext == ".yaml":
        lines = Lines([])
        while lines.size < size:
            lines += [f"{ident()}:", f"  {rng.choice(WORDS)}: {rng.randint(0, 999)}", f"  {rng.choice(WORDS)}: {rng.choice(WORDS)}"]
        return "\n".join(lines) + "\n"
    if ext == ".md":
        lines = Lines([f"# {camel()}", ""])
        while lines.size < size:
            lines += [sentence(rng.randint(8, 20)) for _ in range(3)] + [""]
        return "\n".join(lines) + "\n"
    lines = Lines([])
    while lines.size < size:
        lines += [sentence(rng.randint(6, 16))]
    return "\n".join(lines) + "\n"


def plant_config(ext, size, n):
    if ext == ".json":
        doc = json.loads(config_filler(".json", size))
        doc["mcpServers"] = {f"tools-{n}": {"command": "npx", "args": ["-y", f"@acme/tools-{n}"]}}
        return json.dumps(doc, indent=2) + "\n", "mcp-server"
    if ext == ".yaml":
        return config_filler(".yaml", size) + f"model: acme-{n}/ranker-v{rng.randint(1, 9)}\n", "model-id"
    if ext == ".md":
        return config_filler(".md", size) + f"\nRequests go to https://api.groq.com/openai/v1/{rng.choice(WORDS)}.\n", "endpoint"
    return config_filler(".txt", size) + f"\nANTHROPIC=sk-ant-api03-{token(90)}\n", "credential"


def binary_file(ext, size):
    # A fixed header keeps random bytes from looking like a model by chance (a .bin whose ninth byte is '{'
    # would be a cut-short safetensors file, which discovery rightly records).
    header = b"\x89PNG\r\n\x1a\n" if ext == ".png" else b"\x00MGBLOB\x00\x00\x00"
    return header + rng.randbytes(size - len(header))


def csv_file(size):
    lines = Lines(["id,name,amount,region"])
    while lines.size < size:
        lines += [f"{rng.randint(1, 10 ** 6)},{rng.choice(WORDS)},{rng.randint(0, 10 ** 5) / 100},{rng.choice(WORDS)}"]
    return "\n".join(lines) + "\n"


def model_file(n):
    kind = n % 4
    shape = (rng.randint(4, 64), rng.randint(4, 64))
    array = np_rng.standard_normal(shape).astype(np.float32)
    if kind == 0:
        buffer = io.BytesIO()
        np.save(buffer, array)
        return ".npy", buffer.getvalue()
    if kind == 1:
        return ".pkl", pickle.dumps({"weights": array.tolist()[:8], "bias": [rng.random() for _ in range(16)],
                                     "epoch": n}, protocol=4)
    if kind == 2:
        data = array.tobytes()
        header = json.dumps({"weight": {"dtype": "F32", "shape": list(shape), "data_offsets": [0, len(data)]},
                             "__metadata__": {"format": "pt"}}).encode()
        header += b" " * (-len(header) % 8)
        return ".safetensors", struct.pack("<Q", len(header)) + header + data
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as z:
        z.writestr("archive/data.pkl", pickle.dumps({"weight": n}, protocol=2))
        z.writestr("archive/version", "3\n")
        z.writestr("archive/data/0", array.tobytes())
    return ".pt", buffer.getvalue()


# Directory layout: services/<svc>/<layer>/<pkg>/..., ~40 files a directory.
def directories(count):
    dirs = []
    for i in range(count):
        depth = rng.randint(1, 3)
        parts = [rng.choice(["services", "libs", "apps", "tools", "platform"]), f"{rng.choice(WORDS)}-{i // 25}"]
        parts += [rng.choice(["src", "internal", "pkg", "lib", "docs", "config", "test"])]
        parts += [f"{rng.choice(WORDS)}{j}" for j in range(depth)]
        dirs.append(os.path.join(*parts))
    return dirs


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb" if isinstance(data, bytes) else "w") as f:
        f.write(data)


# Shares of FILES by extension (the rest after the model files).
MIX = [(".py", 0.25), (".ts", 0.12), (".js", 0.10), (".go", 0.07), (".java", 0.06),
       (".json", 0.06), (".yaml", 0.05), (".md", 0.06), (".txt", 0.03),
       (".bin", 0.06), (".png", 0.05), (".csv", 0.04),
       (".sh", 0.01), (".toml", 0.01), (".c", 0.015), (".rs", 0.015)]
SOURCE_RATE, CONFIG_RATE = 0.03, 0.01

models = max(10, total * 3 // 1000)
plan = []
for ext, share in MIX:
    plan += [ext] * int(round(share * (total - models)))
plan = plan[: total - models]
plan += [".txt"] * (total - models - len(plan))  # the rounding remainder
plan += ["model"] * models
rng.shuffle(plan)

dirs = directories(max(1, total // 40))
expected = {}
by_ext = {}
planted_files = []
used = set()
for i, ext in enumerate(plan):
    directory = dirs[i % len(dirs)]
    size = rng.randint(1024, 8192)
    kind = None
    if ext == "model":
        ext, data = model_file(i)
        kind = "model-file"
    elif ext in (".py", ".ts", ".js", ".go", ".java"):
        if rng.random() < SOURCE_RATE:
            data, kind = {".py": lambda: plant_python(size, i), ".ts": lambda: plant_js(size, i, True),
                          ".js": lambda: plant_js(size, i, False), ".go": lambda: plant_go(size, i),
                          ".java": lambda: plant_java(size, i)}[ext]()
        else:
            data = {".py": lambda: python_filler(size), ".ts": lambda: js_filler(size, True),
                    ".js": lambda: js_filler(size, False), ".go": lambda: go_filler(size),
                    ".java": lambda: java_filler(size)}[ext]()
    elif ext in (".json", ".yaml", ".md", ".txt"):
        size = rng.randint(256, 4096)
        if rng.random() < CONFIG_RATE:
            data, kind = plant_config(ext, size, i)
        else:
            data = config_filler(ext, size)
    elif ext in (".bin", ".png"):
        data = binary_file(ext, rng.randint(1024, 16384))
    elif ext == ".csv":
        data = csv_file(rng.randint(1024, 16384))
    elif ext == ".sh":
        data = "#!/bin/sh\nset -e\n" + "".join(f'echo "{sentence(6)}"\n' for _ in range(size // 60))
    elif ext == ".toml":
        data = config_filler(".yaml", size // 2).replace(":", " =")
    elif ext == ".c":
        data = "".join(f"static int {ident()}(int x) {{ return x * {rng.randint(1, 99)}; }}\n" for _ in range(size // 50))
    else:
        data = "".join(f"fn {ident()}(x: i64) -> i64 {{ x + {rng.randint(1, 99)} }}\n" for _ in range(size // 45))
    name = f"{rng.choice(WORDS)}_{i}{ext}"
    write(os.path.join(root, directory, name), data)
    by_ext[ext] = by_ext.get(ext, 0) + 1
    if kind:
        expected[kind] = expected.get(kind, 0) + 1
        planted_files.append(os.path.join(directory, name))

# Excluded trees (not counted in FILES): git objects, and node_modules with AI SDK code in it.
excluded = 0
for i in range(total // 25):
    write(os.path.join(root, ".git", "objects", f"{i % 256:02x}", f"{i:038x}"), rng.randbytes(rng.randint(200, 4000)))
    excluded += 1
for i in range(total // 25):
    pkg = f"pkg-{i // 20}"
    text = js_filler(rng.randint(1024, 4096), False)
    if i % 10 == 0:
        text = 'import OpenAI from "openai";\nconst URL = "https://api.openai.com/v1/chat";\n' + text
    write(os.path.join(root, "node_modules", pkg, "lib", f"{rng.choice(WORDS)}_{i}.js"), text)
    excluded += 1

manifest = {"files": total, "excluded_files": excluded, "seed": seed, "by_extension": dict(sorted(by_ext.items())),
            "expected_assets": dict(sorted(expected.items())), "expected_total": sum(expected.values())}
with open(os.path.join(os.path.dirname(os.path.abspath(root)), os.path.basename(root) + ".manifest.json"), "w") as f:
    json.dump(manifest, f, indent=1)
with open(os.path.join(os.path.dirname(os.path.abspath(root)), os.path.basename(root) + ".planted.txt"), "w") as f:
    f.write("\n".join(planted_files) + "\n")
print(json.dumps(manifest))
