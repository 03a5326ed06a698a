"""The peer for scripts/bench monitor-stream: the same stream monitor written the way a Python user would,
with the standard library's json and SciPy: each audit line parsed, latency, the refusal flag and the finish
reason taken out, a two-sided CUSUM per numeric signal on values standardised by the reference, and per
window of WINDOW events a KS test (scipy.stats.ks_2samp) per numeric signal and a chi-square test
(scipy.stats.chi2_contingency) on the finish reasons. Prints events, alarms and events per second."""
import json
import sys
import time

import numpy as np
from scipy import stats

path, reference_events, window = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
numeric = ("latency_ms", "refusal")
start = time.perf_counter()
reference = {name: [] for name in numeric}
reference_reasons = {}
current = {name: [] for name in numeric}
current_reasons = {}
cusum = {name: [0.0, 0.0] for name in numeric}
mean = {}
sd = {}
alarms = 0
events = 0
k, h = 0.25, 8.0
in_window = 0
with open(path, "rb") as f:
    for line in f:
        event = json.loads(line)
        signals = event.get("signals", {})
        values = {"latency_ms": event.get("latency_ms"), "refusal": 1.0 if signals.get("refusal") else 0.0}
        reason = signals.get("finish_reason")
        events += 1
        if events <= reference_events:
            for name in numeric:
                reference[name].append(values[name])
            reference_reasons[reason] = reference_reasons.get(reason, 0) + 1
            if events == reference_events:
                for name in numeric:
                    mean[name] = float(np.mean(reference[name]))
                    sd[name] = float(np.std(reference[name], ddof=1)) or 1.0
            continue
        for name in numeric:
            v = values[name]
            current[name].append(v)
            z = (v - mean[name]) / sd[name]
            up, down = cusum[name]
            up, down = max(0.0, up + z - k), max(0.0, down - z - k)
            cusum[name] = [up, down]
            if max(up, down) > h:
                alarms += 1
        current_reasons[reason] = current_reasons.get(reason, 0) + 1
        in_window += 1
        if in_window == window:
            for name in numeric:
                if stats.ks_2samp(reference[name], current[name]).pvalue < 0.01:
                    alarms += 1
                current[name] = []
                cusum[name] = [0.0, 0.0]
            names = sorted(set(reference_reasons) | set(current_reasons))
            table = [[reference_reasons.get(n, 0) for n in names], [current_reasons.get(n, 0) for n in names]]
            if len(names) > 1 and stats.chi2_contingency(table)[1] < 0.01:
                alarms += 1
            current_reasons = {}
            in_window = 0
elapsed = time.perf_counter() - start
print(f"{events} events, {alarms} alarms, {events / elapsed:.0f} events/s")
