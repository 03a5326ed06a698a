// Special functions behind the p-values: the regularised incomplete gamma function (chi-square) and the
// limiting Kolmogorov distribution (KS beyond the exact range). Series and continued fraction as in
// Abramowitz & Stegun 6.5.29 and 6.5.31; the Kolmogorov series from Kolmogorov (1933) and its Jacobi-theta
// form for small arguments.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>

#include "modelguard/stats/stats.h"

namespace modelguard::stats {
namespace {

constexpr int kMaxIterations = 10000;
constexpr double kEpsilon = 1e-16;
constexpr double kTiny = 1e-300;  // keeps the continued fraction's denominators away from zero

// P(a, x) by its power series: converges fast for x < a + 1.
double GammaPSeries(double a, double x) {
  double term = 1.0 / a;
  double sum = term;
  for (int n = 1; n < kMaxIterations; ++n) {
    term *= x / (a + n);
    sum += term;
    if (std::fabs(term) < std::fabs(sum) * kEpsilon) break;
  }
  return sum * std::exp(-x + a * std::log(x) - std::lgamma(a));
}

// Q(a, x) by its continued fraction (modified Lentz): converges fast for x >= a + 1.
double GammaQContinuedFraction(double a, double x) {
  double b = x + 1.0 - a;
  double c = 1.0 / kTiny;
  double d = 1.0 / b;
  double h = d;
  for (int i = 1; i < kMaxIterations; ++i) {
    const double an = -i * (i - a);
    b += 2.0;
    d = an * d + b;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < kEpsilon) break;
  }
  return std::exp(-x + a * std::log(x) - std::lgamma(a)) * h;
}

}  // namespace

double RegularizedGammaP(double a, double x) {
  if (!(a > 0) || std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
  if (x <= 0) return 0.0;
  if (std::isinf(x)) return 1.0;
  return x < a + 1.0 ? GammaPSeries(a, x) : 1.0 - GammaQContinuedFraction(a, x);
}

double RegularizedGammaQ(double a, double x) {
  if (!(a > 0) || std::isnan(x)) return std::numeric_limits<double>::quiet_NaN();
  if (x <= 0) return 1.0;
  if (std::isinf(x)) return 0.0;
  return x < a + 1.0 ? 1.0 - GammaPSeries(a, x) : GammaQContinuedFraction(a, x);
}

double ChiSquareSurvival(double statistic, double dof) {
  if (!(dof > 0)) return std::numeric_limits<double>::quiet_NaN();
  return RegularizedGammaQ(dof / 2.0, statistic / 2.0);
}

double KolmogorovSurvival(double lambda) {
  if (std::isnan(lambda)) return lambda;
  if (lambda <= 0) return 1.0;
  if (lambda < 1.0) {
    // cdf = sqrt(2 pi) / lambda * sum_k exp(-(2k-1)^2 pi^2 / (8 lambda^2)): the alternating series below
    // converges slowly here.
    const double factor = -std::numbers::pi * std::numbers::pi / (8.0 * lambda * lambda);
    double sum = 0;
    for (int k = 1; k < 100; ++k) {
      const double term = std::exp((2.0 * k - 1) * (2.0 * k - 1) * factor);
      sum += term;
      if (term < kEpsilon * sum) break;
    }
    return 1.0 - std::sqrt(2.0 * std::numbers::pi) / lambda * sum;
  }
  // 2 sum_k (-1)^(k-1) exp(-2 k^2 lambda^2)
  double sum = 0;
  for (int k = 1; k < 100; ++k) {
    const double term = std::exp(-2.0 * k * k * lambda * lambda);
    sum += (k % 2 == 1 ? term : -term);
    if (term < kEpsilon * std::fabs(sum)) break;
  }
  return std::fmin(1.0, std::fmax(0.0, 2.0 * sum));
}

double BinomialLogSurvival(uint64_t k, uint64_t n, double p) {
  if (k == 0) return 0.0;
  if (k > n || !(p > 0)) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return 0.0;
  const auto log_term = [&](uint64_t i) {
    const double di = static_cast<double>(i), dn = static_cast<double>(n);
    return std::lgamma(dn + 1) - std::lgamma(di + 1) - std::lgamma(dn - di + 1) + di * std::log(p) +
           (dn - di) * std::log1p(-p);
  };
  // The terms rise to the mode and fall after it: log-sum-exp around the largest.
  double largest = -std::numeric_limits<double>::infinity();
  for (uint64_t i = k; i <= n; ++i) largest = std::max(largest, log_term(i));
  double sum = 0;
  for (uint64_t i = k; i <= n; ++i) sum += std::exp(log_term(i) - largest);
  return std::min(0.0, largest + std::log(sum));
}

}  // namespace modelguard::stats
