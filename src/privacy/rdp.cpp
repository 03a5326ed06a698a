// RDP accountant for the Poisson-subsampled Gaussian mechanism (Mironov, Talwar and Zhang 2019).
//
// With mu0 = N(0, s^2), mu1 = N(1, s^2) and the mixture mu = (1 - q) mu0 + q mu1, the per-step RDP at order
// alpha is log(A_alpha) / (alpha - 1) with A_alpha = E_{z ~ mu0}[(mu(z) / mu0(z))^alpha]. Since
// mu1 / mu0 = exp((2z - 1) / (2 s^2)), and mu0^(1-k) mu1^k = exp((k^2 - k) / (2 s^2)) N(k, s^2):
//   integer alpha:    A = sum_k C(alpha, k) (1-q)^(alpha-k) q^k exp((k^2 - k) / (2 s^2))
//   fractional alpha: split the integral at z0 = s^2 log(1/q - 1) + 1/2, where (1 - q) = q mu1 / mu0, and
//                     expand (x + y)^alpha around the larger side on each half (a convergent binomial
//                     series). With Phi the normal CDF:
//     A = sum_i C(alpha, i) (1-q)^(alpha-i) q^i     exp((i^2 - i) / (2 s^2)) Phi((z0 - i) / s)
//       + sum_i C(alpha, i) (1-q)^i     q^(alpha-i) exp((j^2 - j) / (2 s^2)) Phi((j - z0) / s),  j = alpha - i.
// Everything is summed in log space: A reaches e^700 and beyond at high orders and low noise. C(alpha, i)
// changes sign for i > alpha, so positive and negative terms are accumulated apart and subtracted once.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numbers>
#include <string>

#include "modelguard/privacy/accountant.h"
#include "src/privacy/numeric.h"

namespace modelguard::privacy {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

// Fractional-order series: stop once both new terms are this far (in log) below the sum so far and past
// their peak. A_alpha >= 1 (Jensen), so this is also an absolute bound of about 1e-16.
constexpr double kSeriesStopLog = -37;
// Past this many terms (q near 1/2 with very large sigma: the series then falls only polynomially) the
// expectation is integrated numerically instead.
constexpr int kMaxSeriesTerms = 200000;

std::string Num(double v) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.6g", v);
  return buffer;
}

double LogAInteger(double q, double sigma, uint64_t alpha) {
  const double log_q = std::log(q);
  const double log_1mq = std::log1p(-q);
  const double inv_2s2 = 1 / (2 * sigma * sigma);
  const double a = static_cast<double>(alpha);
  LogSum sum;
  for (uint64_t k = 0; k <= alpha; ++k) {
    const double kd = static_cast<double>(k);
    sum.Add(LogBinomial(a, kd) + (a - kd) * log_1mq + kd * log_q + (kd * kd - kd) * inv_2s2);
  }
  return sum.value();
}

// log A_alpha by Simpson's rule on log E_{z ~ N(0, s^2)}[((1 - q) + q e^((2z - 1) / (2 s^2)))^alpha], in log
// space. The integrand is a Gaussian bump near 0 (weight (1-q)^alpha) and one near alpha (weight q^alpha,
// tilted), each of width s; [-40 s, alpha + 40 s] holds all but e^-800 of it, at 50 points per s or more.
double LogAQuadrature(double q, double sigma, double alpha) {
  const double low = -40 * sigma, high = alpha + 40 * sigma;
  const double wanted = std::ceil((high - low) / sigma * 50);
  const int intervals = 2 * static_cast<int>(std::clamp(wanted, 2048.0, 524288.0) / 2);
  const double dz = (high - low) / intervals;
  const double log_1mq = std::log1p(-q), log_q = std::log(q);
  const double log_norm = -std::log(sigma * std::sqrt(2 * std::numbers::pi));
  LogSum sum;
  for (int i = 0; i <= intervals; ++i) {
    const double z = low + i * dz;
    const double weight = (i == 0 || i == intervals) ? 1 : (i % 2 ? 4 : 2);
    LogSum ratio;
    ratio.Add(log_1mq);
    ratio.Add(log_q + (2 * z - 1) / (2 * sigma * sigma));
    sum.Add(std::log(weight) + log_norm - z * z / (2 * sigma * sigma) + alpha * ratio.value());
  }
  return sum.value() + std::log(dz / 3);
}

Result<double> LogAFractional(double q, double sigma, double alpha) {
  const double log_q = std::log(q);
  const double log_1mq = std::log1p(-q);
  const double inv_2s2 = 1 / (2 * sigma * sigma);
  const double z0 = sigma * sigma * (std::log(1 / q - 1)) + 0.5;
  const double root2s = std::sqrt(2.0) * sigma;
  LogSum positive, negative;
  double log_binom = 0;  // log |C(alpha, i)|
  double sign = 1;       // sign of C(alpha, i)
  double previous0 = kInf, previous1 = kInf;
  for (int i = 0; i < kMaxSeriesTerms; ++i) {
    const double id = i;
    const double j = alpha - id;
    // log Phi(x / s) = log(erfc(-x / (sqrt(2) s)) / 2)
    const double term0 =
        log_binom + j * log_1mq + id * log_q + (id * id - id) * inv_2s2 + LogErfc((id - z0) / root2s) - std::log(2.0);
    const double term1 =
        log_binom + id * log_1mq + j * log_q + (j * j - j) * inv_2s2 + LogErfc((z0 - j) / root2s) - std::log(2.0);
    LogSum& side = sign > 0 ? positive : negative;
    side.Add(term0);
    side.Add(term1);
    // Past the order the binomial coefficients shrink like i^-(alpha+1) and the remaining factors are
    // bounded (for i <= z0 by (q / (1-q))^(i/2), beyond it by a constant, see the header comment's
    // expansion), so once both terms fall and are negligible the rest of the series is too.
    if (id > alpha + 1 && term0 < previous0 && term1 < previous1 &&
        std::max(term0, term1) < positive.value() + kSeriesStopLog)
      return LogDifference(positive.value(), negative.value());
    previous0 = term0;
    previous1 = term1;
    const double factor = alpha - id;  // C(alpha, i+1) = C(alpha, i) (alpha - i) / (i + 1)
    if (factor == 0) return LogDifference(positive.value(), negative.value());
    log_binom += std::log(std::fabs(factor)) - std::log(id + 1);
    if (factor < 0) sign = -sign;
  }
  return LogAQuadrature(q, sigma, alpha);
}

Status CheckOrder(double alpha) {
  if (!std::isfinite(alpha) || alpha <= 1 || alpha > kMaxRdpOrder)
    return MakeError(ErrorCode::kInvalidArgument,
                     "RDP order must be a finite number in (1, " + Num(kMaxRdpOrder) + "], got " + Num(alpha));
  return Ok{};
}

}  // namespace

Status CheckSteps(const GaussianSteps& s) {
  if (!std::isfinite(s.sample_rate) || s.sample_rate < 0 || s.sample_rate > 1)
    return MakeError(ErrorCode::kInvalidArgument, "sample rate must be in [0, 1], got " + Num(s.sample_rate));
  if (!std::isfinite(s.noise_multiplier) || s.noise_multiplier <= 0)
    return MakeError(ErrorCode::kInvalidArgument,
                     "noise multiplier must be a finite number > 0, got " + Num(s.noise_multiplier));
  if (s.noise_multiplier < kMinNoiseMultiplier)
    return MakeError(ErrorCode::kInvalidArgument, "noise multiplier " + Num(s.noise_multiplier) + " is below " +
                                                      Num(kMinNoiseMultiplier) +
                                                      ": no privacy to account for (the figures overflow)");
  if (s.steps < 1) return MakeError(ErrorCode::kInvalidArgument, "steps must be at least 1");
  return Ok{};
}

Status CheckDelta(double delta) {
  if (!std::isfinite(delta) || delta <= 0 || delta >= 1)
    return MakeError(ErrorCode::kInvalidArgument, "delta must be in (0, 1), got " + Num(delta));
  return Ok{};
}

std::vector<double> DefaultRdpOrders() {
  std::vector<double> orders;
  for (int x = 1; x <= 99; ++x) orders.push_back(1 + x / 10.0);
  for (int a = 12; a < 64; ++a) orders.push_back(a);
  return orders;
}

Result<double> SubsampledGaussianRdp(double sample_rate, double noise_multiplier, double alpha) {
  MG_TRY(CheckSteps({sample_rate, noise_multiplier, 1}));
  MG_TRY(CheckOrder(alpha));
  if (sample_rate == 0) return 0.0;
  if (sample_rate == 1) return alpha / (2 * noise_multiplier * noise_multiplier);
  double log_a = 0;
  if (alpha == std::floor(alpha)) {
    log_a = LogAInteger(sample_rate, noise_multiplier, static_cast<uint64_t>(alpha));
  } else {
    MG_ASSIGN_OR_RETURN(log_a, LogAFractional(sample_rate, noise_multiplier, alpha));
  }
  if (std::isnan(log_a))
    return MakeError(ErrorCode::kLimit, "RDP at order " + Num(alpha) + " is not computable for q " + Num(sample_rate) +
                                            ", sigma " + Num(noise_multiplier));
  // A_alpha >= 1 exactly; rounding can leave log A a hair below 0 when q is tiny.
  return std::max(log_a, 0.0) / (alpha - 1);
}

EpsilonAtOrder ClassicEpsilon(std::span<const double> orders, std::span<const double> rdp, double delta) {
  EpsilonAtOrder best{kInf, 0};
  for (size_t i = 0; i < orders.size() && i < rdp.size(); ++i) {
    const double eps = rdp[i] + std::log(1 / delta) / (orders[i] - 1);
    if (std::isfinite(eps) && eps < best.epsilon) best = {eps, orders[i]};
  }
  return best;
}

EpsilonAtOrder ImprovedEpsilon(std::span<const double> orders, std::span<const double> rdp, double delta) {
  EpsilonAtOrder best{kInf, 0};
  for (size_t i = 0; i < orders.size() && i < rdp.size(); ++i) {
    const double a = orders[i];
    const double eps = rdp[i] + std::log((a - 1) / a) - (std::log(delta) + std::log(a)) / (a - 1);
    if (std::isfinite(eps) && eps < best.epsilon) best = {eps, a};
  }
  // A negative figure means (0, delta)-DP already holds.
  best.epsilon = std::max(best.epsilon, 0.0);
  return best;
}

Result<RdpReport> RdpAccount(std::span<const GaussianSteps> steps, double delta, std::span<const double> orders) {
  if (steps.empty()) return MakeError(ErrorCode::kInvalidArgument, "no steps to account for");
  for (const auto& s : steps) MG_TRY(CheckSteps(s));
  MG_TRY(CheckDelta(delta));
  RdpReport report;
  report.orders = orders.empty() ? DefaultRdpOrders() : std::vector<double>(orders.begin(), orders.end());
  for (double a : report.orders) MG_TRY(CheckOrder(a));
  report.rdp.assign(report.orders.size(), 0.0);
  for (const auto& s : steps) {
    for (size_t i = 0; i < report.orders.size(); ++i) {
      MG_ASSIGN_OR_RETURN(const double per_step,
                          SubsampledGaussianRdp(s.sample_rate, s.noise_multiplier, report.orders[i]));
      report.rdp[i] += per_step * static_cast<double>(s.steps);
    }
  }
  report.improved = ImprovedEpsilon(report.orders, report.rdp, delta);
  report.classic = ClassicEpsilon(report.orders, report.rdp, delta);
  if (!std::isfinite(report.improved.epsilon) || !std::isfinite(report.classic.epsilon))
    return MakeError(ErrorCode::kLimit, "epsilon is infinite at every order (noise too low for these orders)");
  return report;
}

Result<double> NoiseForEpsilon(double target_epsilon, double delta, double sample_rate, uint64_t steps,
                               std::span<const double> orders) {
  if (!std::isfinite(target_epsilon) || target_epsilon <= 0)
    return MakeError(ErrorCode::kInvalidArgument,
                     "target epsilon must be a finite number > 0, got " + Num(target_epsilon));
  MG_TRY(CheckSteps({sample_rate, 1, steps}));
  MG_TRY(CheckDelta(delta));
  if (sample_rate == 0) return MakeError(ErrorCode::kInvalidArgument, "sample rate 0 needs no noise");
  const std::vector<double> order_list =
      orders.empty() ? DefaultRdpOrders() : std::vector<double>(orders.begin(), orders.end());
  for (double a : order_list) MG_TRY(CheckOrder(a));
  // With infinite noise the RDP is 0 and only the conversion's own term remains: no sigma goes below it.
  const std::vector<double> zeros(order_list.size(), 0.0);
  const double floor = ImprovedEpsilon(order_list, zeros, delta).epsilon;
  if (target_epsilon <= floor)
    return MakeError(ErrorCode::kInvalidArgument,
                     "epsilon " + Num(target_epsilon) + " is unreachable at delta " + Num(delta) +
                         ": with these RDP orders epsilon never falls below " + Num(floor) +
                         " however much noise is added (raise epsilon or delta, or add larger orders)");
  // epsilon at sigma; +inf (a value, not an error) when no order gives a finite figure.
  std::vector<double> total(order_list.size());
  auto epsilon_at = [&](double sigma) -> Result<double> {
    for (size_t i = 0; i < order_list.size(); ++i) {
      MG_ASSIGN_OR_RETURN(const double per_step, SubsampledGaussianRdp(sample_rate, sigma, order_list[i]));
      total[i] = per_step * static_cast<double>(steps);
    }
    return ImprovedEpsilon(order_list, total, delta).epsilon;
  };
  // Bracket: epsilon falls as sigma grows. hi reaches the target, lo does not.
  double hi = 1;
  for (;;) {
    MG_ASSIGN_OR_RETURN(const double eps, epsilon_at(hi));
    if (eps <= target_epsilon) break;
    hi *= 2;
    if (hi > 1e7)
      return MakeError(ErrorCode::kInvalidArgument,
                       "epsilon " + Num(target_epsilon) + " is not reached with noise multiplier up to 1e7");
  }
  double lo = hi / 2;
  for (;;) {
    if (lo < kMinNoiseMultiplier) return hi;  // so little noise suffices that the search stops at its floor
    MG_ASSIGN_OR_RETURN(const double eps, epsilon_at(lo));
    if (eps > target_epsilon) break;
    hi = lo;
    lo /= 2;
  }
  while (hi - lo > 1e-9 * hi) {
    const double mid = 0.5 * (lo + hi);
    MG_ASSIGN_OR_RETURN(const double eps, epsilon_at(mid));
    (eps <= target_epsilon ? hi : lo) = mid;
  }
  return hi;
}

}  // namespace modelguard::privacy
