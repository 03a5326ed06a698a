# The green-list scheme of Kirchenbauer et al. 2023 as their reference implementation runs it on the CPU,
# written here with Debian's python3-torch: the previous token times the hash key seeds a torch.Generator,
# torch.randperm(vocab_size) from it, the first int(vocab_size * gamma) entries are green. Prints JSON:
#   green_lists: each case's green list, in randperm's order;
#   generated: token sequences sampled from random logits with delta added to the green ones, with the
#              green count and z-score the reference detector gives them. With "allowed" (a list of ids),
#              only those tokens are sampled (the others' logits are -inf), the first one included.
import json
import math
import sys

import torch

cases = json.load(open(sys.argv[1]))


def green_list(vocab_size, gamma, key, previous):
    generator = torch.Generator(device="cpu")
    generator.manual_seed(key * previous)
    permutation = torch.randperm(vocab_size, device="cpu", generator=generator)
    return permutation[: int(vocab_size * gamma)].tolist()


out = {"green_lists": [green_list(c["vocab_size"], c["gamma"], c["key"], c["previous"]) for c in cases["green_lists"]]}

generated = []
g = cases["generate"]
logits_generator = torch.Generator(device="cpu")
logits_generator.manual_seed(g["seed"])
allowed = g.get("allowed")
if allowed is not None:
    barred = torch.ones(g["vocab_size"], dtype=torch.bool)
    barred[torch.tensor(allowed, dtype=torch.long)] = False
for _ in range(g["sequences"]):
    if allowed is None:
        tokens = [int(torch.randint(g["vocab_size"], (1,), generator=logits_generator))]
    else:
        tokens = [allowed[int(torch.randint(len(allowed), (1,), generator=logits_generator))]]
    for _ in range(g["length"] - 1):
        logits = torch.randn(g["vocab_size"], generator=logits_generator)
        green = torch.tensor(green_list(g["vocab_size"], g["gamma"], g["key"], tokens[-1]), dtype=torch.long)
        logits[green] += g["delta"]
        if allowed is not None:
            logits[barred] = float("-inf")
        probabilities = torch.softmax(logits, dim=0)
        tokens.append(int(torch.multinomial(probabilities, 1, generator=logits_generator)))
    # The reference detector: every token after the first scored against the green list its previous seeds.
    scored = len(tokens) - 1
    green_count = sum(tokens[i] in set(green_list(g["vocab_size"], g["gamma"], g["key"], tokens[i - 1]))
                      for i in range(1, len(tokens)))
    gamma = g["gamma"]
    z = (green_count - gamma * scored) / math.sqrt(scored * gamma * (1 - gamma))
    generated.append({"tokens": tokens, "green": green_count, "z": z})
out["generated"] = generated
print(json.dumps(out))
