// Normality: the standard normal quantile and the Shapiro-Wilk W statistic (stats.h), shared by PRADA's
// model-extraction detector and, later, by monitoring.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>

#include "modelguard/stats/stats.h"

namespace modelguard::stats {

double Median(std::vector<double> values) {
  values.erase(std::remove_if(values.begin(), values.end(), [](double v) { return !std::isfinite(v); }), values.end());
  if (values.empty()) return std::nan("");
  const size_t middle = values.size() / 2;
  std::nth_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle), values.end());
  const double upper = values[middle];
  if (values.size() % 2 == 1) return upper;
  return (upper + *std::max_element(values.begin(), values.begin() + static_cast<std::ptrdiff_t>(middle))) / 2;
}

double NormalQuantile(double p) {
  // Peter J. Acklam's algorithm: rational approximations in a central and two tail regions.
  static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,  -2.759285104469687e+02,
                             1.383577518672690e+02,  -3.066479806614716e+01, 2.506628277459239e+00};
  static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                             6.680131188771972e+01, -1.328068155288572e+01};
  static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                             -2.549732539343734e+00, 4.374664141464968e+00,  2.938163982698783e+00};
  static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                             3.754408661907416e+00};
  if (p <= 0) return -std::numeric_limits<double>::infinity();
  if (p >= 1) return std::numeric_limits<double>::infinity();
  constexpr double kLow = 0.02425;
  if (p < kLow) {
    const double q = std::sqrt(-2 * std::log(p));
    return (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  if (p > 1 - kLow) {
    const double q = std::sqrt(-2 * std::log(1 - p));
    return -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
           ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
  }
  const double q = p - 0.5, r = q * q;
  return (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
         (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
}

std::vector<double> ShapiroWilkCoefficients(size_t n) {
  std::vector<double> a(n);
  if (n < 3) return a;
  if (n == 3) {
    a[0] = -std::sqrt(0.5);
    a[2] = std::sqrt(0.5);
    return a;
  }
  // Royston (1992), "Approximating the Shapiro-Wilk W-test for non-normality", Statistics and Computing 2:
  // expected normal order statistics m_i, and polynomial corrections in u = 1/sqrt(n) for the extremes.
  std::vector<double> m(n);
  double ssm = 0;
  for (size_t i = 0; i < n; ++i) {
    m[i] = NormalQuantile((static_cast<double>(i + 1) - 0.375) / (static_cast<double>(n) + 0.25));
    ssm += m[i] * m[i];
  }
  const double u = 1.0 / std::sqrt(static_cast<double>(n));
  const double root = std::sqrt(ssm);
  const double an = m[n - 1] / root + 0.221157 * u - 0.147981 * u * u - 2.071190 * std::pow(u, 3) +
                    4.434685 * std::pow(u, 4) - 2.706056 * std::pow(u, 5);
  a[n - 1] = an;
  a[0] = -an;
  size_t first = 1;
  double phi = 0;
  if (n > 5) {
    const double an1 = m[n - 2] / root + 0.042981 * u - 0.293762 * u * u - 1.752461 * std::pow(u, 3) +
                       5.682633 * std::pow(u, 4) - 3.582633 * std::pow(u, 5);
    a[n - 2] = an1;
    a[1] = -an1;
    first = 2;
    phi = (ssm - 2 * m[n - 1] * m[n - 1] - 2 * m[n - 2] * m[n - 2]) / (1 - 2 * an * an - 2 * an1 * an1);
  } else {
    phi = (ssm - 2 * m[n - 1] * m[n - 1]) / (1 - 2 * an * an);
  }
  const double scale = std::sqrt(phi);
  for (size_t i = first; i < n - first; ++i) a[i] = m[i] / scale;
  return a;
}

double ShapiroWilkOfSample(std::vector<double>& x, const std::vector<double>* coefficients) {
  std::erase_if(x, [](double v) { return !std::isfinite(v); });  // NaN would break the sort's ordering
  const size_t n = x.size();
  if (n < 3) return 1.0;
  std::sort(x.begin(), x.end());
  const double mean = std::accumulate(x.begin(), x.end(), 0.0) / static_cast<double>(n);
  double spread = 0;
  for (double v : x) spread += (v - mean) * (v - mean);
  if (!(spread > 0) || !std::isfinite(spread)) return 1.0;
  std::vector<double> computed;
  if (!coefficients || coefficients->size() != n) {
    computed = ShapiroWilkCoefficients(n);
    coefficients = &computed;
  }
  double numerator = 0;
  for (size_t i = 0; i < n; ++i) numerator += (*coefficients)[i] * x[i];
  return std::min(1.0, numerator * numerator / spread);
}

double ShapiroWilkW(std::span<const double> values) {
  std::vector<double> x(values.begin(), values.end());
  return ShapiroWilkOfSample(x, nullptr);
}

}  // namespace modelguard::stats
