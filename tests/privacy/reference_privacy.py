"""Reference figures for tests/privacy/accountant_test.cpp, by a code path independent of the C++ one.

The C++ accountant sums binomial series in log space (Mironov, Talwar and Zhang 2019). Here the same
quantity, A_alpha = E_{z ~ N(0, s^2)}[((1 - q) + q exp((2z - 1) / (2 s^2)))^alpha], is computed
  - for integer orders by the exact binomial sum in mpmath's arbitrary precision, and
  - for fractional orders by numerical integration of that expectation (mpmath.quad), no series at all,
then converted to (epsilon, delta) the classic way and with Balle et al. 2020's conversion.

Reads a JSON list of cases from argv[1]; prints one JSON list of results.
"""
import json
import sys

import mpmath
from scipy import optimize

mpmath.mp.dps = 60


def log_a_integer(q, sigma, alpha):
    q, s = mpmath.mpf(q), mpmath.mpf(sigma)
    total = mpmath.mpf(0)
    for k in range(alpha + 1):
        total += mpmath.binomial(alpha, k) * (1 - q) ** (alpha - k) * q ** k * mpmath.exp((k * k - k) / (2 * s * s))
    return mpmath.log(total)


def log_a_integral(q, sigma, alpha):
    q, s, a = mpmath.mpf(q), mpmath.mpf(sigma), mpmath.mpf(alpha)

    def f(z):
        density = mpmath.exp(-z * z / (2 * s * s)) / (s * mpmath.sqrt(2 * mpmath.pi))
        return density * ((1 - q) + q * mpmath.exp((2 * z - 1) / (2 * s * s))) ** a

    # The integrand peaks between 0 and alpha (the mixture's tilt); split there so quad sees each bump.
    z0 = s * s * mpmath.log(1 / q - 1) + mpmath.mpf(1) / 2 if q < 1 else mpmath.mpf(0)
    points = sorted({mpmath.mpf(0), a, z0, a - 12 * s, a + 12 * s, -12 * s, 12 * s})
    return mpmath.log(mpmath.quad(f, [-mpmath.inf] + points + [mpmath.inf]))


def rdp(q, sigma, alpha):
    if q == 0:
        return 0.0
    if q == 1:
        return alpha / (2 * sigma * sigma)
    if float(alpha).is_integer():
        return float(log_a_integer(q, sigma, int(alpha)) / (alpha - 1))
    return float(log_a_integral(q, sigma, alpha) / (alpha - 1))


def run(case):
    kind = case["kind"]
    if kind == "rdp":
        return {"rdp": rdp(case["q"], case["sigma"], case["alpha"])}
    if kind == "epsilon":
        orders = case["orders"]
        delta = case["delta"]
        total = [case["steps"] * rdp(case["q"], case["sigma"], a) for a in orders]
        classic = min(r + mpmath.log(1 / mpmath.mpf(delta)) / (a - 1) for r, a in zip(total, orders))
        improved = min(r + mpmath.log((a - 1) / mpmath.mpf(a)) - (mpmath.log(delta) + mpmath.log(a)) / (a - 1)
                       for r, a in zip(total, orders))
        return {"classic": float(classic), "improved": float(max(improved, 0))}
    if kind == "noise":
        # The sigma whose improved-conversion epsilon is the target, by SciPy's Brent root finder.
        def gap(sigma):
            return run({"kind": "epsilon", "q": case["q"], "sigma": sigma, "steps": case["steps"],
                        "delta": case["delta"], "orders": case["orders"]})["improved"] - case["epsilon"]
        return {"sigma": optimize.brentq(gap, case["low"], case["high"], xtol=1e-10)}
    if kind == "discrete_gaussian_delta":
        # The hockey-stick divergence of N_Z(0, s^2) from N_Z(sensitivity, s^2) at epsilon, by its definition
        # (sum over every integer of max(0, p(y) - e^eps p(y - sensitivity))), in 60-digit arithmetic.
        s2 = mpmath.mpf(case["variance"])
        shift = int(case["sensitivity"])
        reach = int(mpmath.ceil(30 * mpmath.sqrt(s2))) + shift
        weight = lambda y: mpmath.exp(-mpmath.mpf(y) ** 2 / (2 * s2))
        total = mpmath.fsum(weight(y) for y in range(-reach, reach + 1))
        ratio = mpmath.exp(case["epsilon"])
        delta = mpmath.fsum(max(mpmath.mpf(0), weight(y) - ratio * weight(y - shift))
                            for y in range(-reach, reach + shift + 1))
        return {"delta": float(delta / total)}
    raise ValueError(kind)


if __name__ == "__main__":
    cases = json.load(open(sys.argv[1]))
    print(json.dumps([run(c) for c in cases]))
