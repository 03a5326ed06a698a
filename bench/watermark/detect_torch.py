# The reference detection of Kirchenbauer et al.'s scheme in torch, as the peer of bench/watermark: for each
# token after the first, torch.randperm(vocab) from a generator seeded with key * previous token, green when
# the token is among the first int(vocab * gamma). Prints the z-scores as a JSON list.
import json
import math
import sys

import torch

path, vocab, gamma, key = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), int(sys.argv[4])
generator = torch.Generator(device="cpu")
size = int(vocab * gamma)
scores = []
for line in open(path):
    tokens = json.loads(line)
    green = 0
    for i in range(1, len(tokens)):
        generator.manual_seed(key * tokens[i - 1])
        green += bool((torch.randperm(vocab, generator=generator)[:size] == tokens[i]).any())
    t = len(tokens) - 1
    scores.append((green - gamma * t) / math.sqrt(t * gamma * (1 - gamma)))
print(json.dumps(scores))
