"""Fixture for tests/monitor/batch_test.cpp: reference and current feature arrays written by NumPy
(500 x 4, the current shifted by one standard deviation). argv[1]: JSON list with one {"dir": ...}."""
import json
import sys

import numpy as np

case = json.load(open(sys.argv[1]))[0]
rng = np.random.default_rng(9)
np.save(case["dir"] + "/ref.npy", rng.normal(0, 1, (500, 4)).astype(np.float32))
np.save(case["dir"] + "/cur.npy", rng.normal(1, 1, (500, 4)).astype(np.float32))
print(json.dumps([{"written": 2}]))
