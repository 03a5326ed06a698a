"""Array and image datasets for tests/data/validate_test.cpp, written by the real tools (NumPy, PIL).

Usage: make_datasets.py DIR. Writes:
  digits_x.npy, digits_y.npy      scikit-learn's digits (float32 features, int64 labels)
  digits.npz / digits_z.npz       the same with np.savez and np.savez_compressed (members x and y)
  digits_u8_be.npy                the features as big-endian uint16 (byte order and integer reading)
  idx/train-images-idx3-ubyte.gz  an IDX pair of 8x8 images (gzip) and its labels
  images/<class>/...              PNG (grey, RGB, RGBA) and JPEG (grey, RGB) files, one broken PNG
  stats.json                      what NumPy computes for the checks (means, counts)
"""
import gzip
import json
import os
import struct
import sys

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

out = sys.argv[1]
os.makedirs(out, exist_ok=True)
digits = load_digits()
x = digits.data.astype(np.float32)
y = digits.target.astype(np.int64)
np.save(f"{out}/digits_x.npy", x)
np.save(f"{out}/digits_y.npy", y)
np.savez(f"{out}/digits.npz", x=x, y=y)
np.savez_compressed(f"{out}/digits_z.npz", x=x, y=y)
np.save(f"{out}/digits_u16_be.npy", x.astype(">u2"))

os.makedirs(f"{out}/idx", exist_ok=True)
rng = np.random.default_rng(3)
images = (rng.random((40, 8, 8)) * 255).astype(np.uint8)
labels = rng.integers(0, 4, 40).astype(np.uint8)
with gzip.open(f"{out}/idx/train-images-idx3-ubyte.gz", "wb") as f:
    f.write(struct.pack(">BBBBIII", 0, 0, 8, 3, 40, 8, 8) + images.tobytes())
with gzip.open(f"{out}/idx/train-labels-idx1-ubyte.gz", "wb") as f:
    f.write(struct.pack(">BBBBI", 0, 0, 8, 1, 40) + labels.tobytes())

pictures = {}
for cls, mode, ext, size in [("grey", "L", "png", (12, 10)), ("colour", "RGB", "png", (16, 16)),
                             ("alpha", "RGBA", "png", (8, 8)), ("grey", "L", "jpg", (12, 10)),
                             ("colour", "RGB", "jpg", (16, 16))]:
    os.makedirs(f"{out}/images/{cls}", exist_ok=True)
    channels = {"L": 1, "RGB": 3, "RGBA": 4}[mode]
    for i in range(3):
        shape = (size[1], size[0]) if channels == 1 else (size[1], size[0], channels)
        pixels = (rng.random(shape) * 255).astype(np.uint8)
        name = f"{out}/images/{cls}/{mode}_{i}.{ext}"
        Image.fromarray(pixels, mode).save(name)
        back = np.asarray(Image.open(name).convert("L" if channels == 1 else "RGB"), dtype=np.float64) / 255
        pictures[os.path.relpath(name, out)] = {"mean": float(back.mean()), "width": size[0], "height": size[1]}
with open(f"{out}/images/colour/broken.png", "wb") as f:
    f.write(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)

with open(f"{out}/stats.json", "w") as f:
    json.dump({"digits_mean0": float(x[0].mean()), "digits_std0": float(x[0].std()), "samples": len(y),
               "idx_mean0": float(images[0].mean() / 255), "idx_label0": int(labels[0]), "pictures": pictures}, f)
