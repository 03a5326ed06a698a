#pragma once
// Privacy accounting for DP-SGD: the Poisson-subsampled Gaussian mechanism (each record joins a step's batch
// with probability q; the clipped gradient sum gets Gaussian noise of standard deviation sigma times the
// clipping norm), composed over the steps of training, reported as (epsilon, delta).
//
// Two accountants:
//   RDP  Renyi differential privacy (Mironov, Talwar and Zhang 2019, "Renyi Differential Privacy of the
//        Sampled Gaussian Mechanism"): per-step RDP at a list of orders, summed over steps, converted to
//        (epsilon, delta) the classic way (Mironov 2017, Prop. 3) and with the tighter conversion of Balle
//        et al. 2020 ("Hypothesis testing interpretations and Renyi differential privacy", Thm. 21), the one
//        Opacus reports; the best order is chosen.
//   PRV  privacy loss random variables (Gopi, Lee and Wutschitz 2021, "Numerical Composition of Differential
//        Privacy"): the privacy-loss distribution discretised on a grid and composed by FFT; an estimate with
//        lower and upper bounds that account for discretisation, truncation and lost tail mass.
// Both analyse the pair (mixture (1-q) N(0, s^2) + q N(1, s^2), N(0, s^2)), the direction Mironov et al.
// prove dominant for RDP and the one Opacus uses for both accountants.
// No function here throws or aborts on bad input: every parameter is checked and refused with a message.
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::privacy {

// `steps` steps of the subsampled Gaussian mechanism with sampling rate q in [0, 1] and noise multiplier
// sigma > 0 (noise standard deviation over clipping norm). Training whose q or sigma changes is a list.
struct GaussianSteps {
  double sample_rate = 0;
  double noise_multiplier = 0;
  uint64_t steps = 0;
};

// Below this the exponent (k^2 - k) / (2 sigma^2) overflows; such noise protects nothing anyway.
inline constexpr double kMinNoiseMultiplier = 1e-6;
// Refuses q outside [0, 1], sigma < kMinNoiseMultiplier, steps < 1, and NaN or infinite values, naming the parameter.
Status CheckSteps(const GaussianSteps& steps);
// Refuses delta outside (0, 1).
Status CheckDelta(double delta);

// Opacus's default orders: 1.1, 1.2, ..., 10.9 and 12, 13, ..., 63.
std::vector<double> DefaultRdpOrders();
// Orders above this are refused (the integer sum has `alpha` terms; no useful bound needs more).
inline constexpr double kMaxRdpOrder = 100000;

// RDP of one step at order alpha > 1: log(A_alpha) / (alpha - 1). Integer orders: the exact binomial sum;
// fractional: the two-sided series of Mironov et al. (Sec. 3.3), both in log space. q = 0 gives 0, q = 1
// the Gaussian mechanism's alpha / (2 sigma^2).
Result<double> SubsampledGaussianRdp(double sample_rate, double noise_multiplier, double alpha);

// epsilon from a total RDP curve, at the best order; `order` is that order.
struct EpsilonAtOrder {
  double epsilon = 0;
  double order = 0;
};
// Classic: rdp + log(1/delta) / (alpha - 1).
EpsilonAtOrder ClassicEpsilon(std::span<const double> orders, std::span<const double> rdp, double delta);
// Balle et al. 2020: rdp + log((alpha - 1) / alpha) - (log(delta) + log(alpha)) / (alpha - 1), at least 0.
EpsilonAtOrder ImprovedEpsilon(std::span<const double> orders, std::span<const double> rdp, double delta);

struct RdpReport {
  std::vector<double> orders;
  std::vector<double> rdp;  // total over all steps, per order
  EpsilonAtOrder improved;
  EpsilonAtOrder classic;
};
// `orders` empty: DefaultRdpOrders(). Orders must be finite, > 1 and <= kMaxRdpOrder.
Result<RdpReport> RdpAccount(std::span<const GaussianSteps> steps, double delta, std::span<const double> orders = {});

struct PrvOptions {
  // Target half-width of the discretisation error in epsilon (Gopi et al.'s eps_error); the grid's mesh is
  // chosen from it and the number of steps. A coarser mesh is used when the grid would exceed max_points.
  double epsilon_error = 0.01;
  // Probability allowed for the discretisation bound to fail (Gopi et al.'s delta_error), as a share of delta.
  double delta_error_share = 1e-3;
  size_t max_points = size_t{1} << 22;
};

struct PrvReport {
  double epsilon = 0;        // estimate
  double epsilon_lower = 0;  // the true epsilon(delta) is within [lower, upper]
  double epsilon_upper = 0;
  double mesh = 0;           // grid step of the privacy loss
  double epsilon_error = 0;  // the Hoeffding half-width added and subtracted for the bounds
  double delta_error = 0;    // probability that the discretisation error exceeds epsilon_error
  double lost_mass = 0;      // probability mass outside the grids (truncated tails), counted against delta
  size_t grid_points = 0;    // length of the largest composed distribution
};
Result<PrvReport> PrvAccount(std::span<const GaussianSteps> steps, double delta, const PrvOptions& options = {});

// The smallest noise multiplier whose RDP epsilon (improved conversion, `orders` or the default ones) is at
// most `target_epsilon` after `steps`, by bracketing and bisection to a relative 1e-9. An error when no
// noise reaches it (with these orders epsilon cannot fall below a floor set by delta and the largest order).
// When even 2 * kMinNoiseMultiplier reaches the target the search stops there and returns it.
Result<double> NoiseForEpsilon(double target_epsilon, double delta, double sample_rate, uint64_t steps,
                               std::span<const double> orders = {});

}  // namespace modelguard::privacy
