# Debian's Fashion-MNIST (package fashion-mnist, /usr/share/datasets/fashion-mnist) for the benchmarks that
# train on it: IDX files read with numpy, images scaled to [0, 1] as float32 with one channel.
import gzip

import numpy as np

ROOT = "/usr/share/datasets/fashion-mnist"


def idx(name):
    with gzip.open(f"{ROOT}/{name}", "rb") as f:
        data = f.read()
    dims = data[3]
    shape = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * dims).reshape(shape)


def load():
    """(train images N x 1 x 28 x 28 float32, train labels int64, test images, test labels)"""
    x = (idx("train-images-idx3-ubyte.gz") / 255.0).astype(np.float32)[:, None]
    y = idx("train-labels-idx1-ubyte.gz").astype(np.int64)
    tx = (idx("t10k-images-idx3-ubyte.gz") / 255.0).astype(np.float32)[:, None]
    ty = idx("t10k-labels-idx1-ubyte.gz").astype(np.int64)
    return x, y, tx, ty
