#pragma once
// Log-space arithmetic the accountants share (private to src/privacy/).
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

namespace modelguard::privacy {

// log(sum of exp(x_i)), accumulated one term at a time without overflow. Empty: -inf.
class LogSum {
 public:
  void Add(double x) {
    if (std::isnan(x)) {
      value_ = x;
      return;
    }
    if (x == -std::numeric_limits<double>::infinity()) return;
    if (value_ == -std::numeric_limits<double>::infinity()) {
      value_ = x;
      return;
    }
    const double hi = std::max(value_, x), lo = std::min(value_, x);
    value_ = hi + std::log1p(std::exp(lo - hi));
  }
  double value() const { return value_; }

 private:
  double value_ = -std::numeric_limits<double>::infinity();
};

// log(exp(a) - exp(b)) for a >= b; NaN when b > a (a negative total is a bug, never a value).
inline double LogDifference(double a, double b) {
  if (b == -std::numeric_limits<double>::infinity()) return a;
  if (b > a) return std::numeric_limits<double>::quiet_NaN();
  return a + std::log1p(-std::exp(b - a));
}

// log |C(n, k)| for real n >= 0 and integer k in [0, n] (n integer) through lgamma.
inline double LogBinomial(double n, double k) {
  return std::lgamma(n + 1) - std::lgamma(k + 1) - std::lgamma(n - k + 1);
}

// log(erfc(x)) without underflow: erfc itself below x = 26 (erfc(26) is about 6e-296, still a normal
// double), the asymptotic series -x^2 - log(x sqrt(pi)) + log(1 - 1/(2x^2) + 3/(4x^4) - ...) beyond,
// where its first omitted term is below 2e-13.
inline double LogErfc(double x) {
  if (x < 26) return std::log(std::erfc(x));
  const double r = 1 / (2 * x * x);
  const double series = 1 - r * (1 - 3 * r * (1 - 5 * r * (1 - 7 * r)));
  return -x * x - std::log(x) - 0.5 * std::log(std::numbers::pi) + std::log(series);
}

}  // namespace modelguard::privacy
