#pragma once
// Noise for releasing statistics, sampled exactly: integer-valued discrete Laplace and discrete Gaussian
// variables drawn with integer arithmetic only (Canonne, Kamath and Steinke 2020, "The Discrete Gaussian for
// Differential Privacy", Algorithms 1-3), from uniformly random bits.
//
// Why not floating-point noise: Mironov 2012 ("On Significance of the Least Significant Bits for Differential
// Privacy") showed that x + Laplace noise computed in doubles leaves gaps in the set of outputs that depend on
// x, so some outputs are possible for one dataset and impossible for its neighbour: no epsilon holds. Here
// the true value is rounded to a public grid of width g (a power of two), the noise is a whole number of grid
// steps, and the release is g * (k + Z) with k and Z integers: every output is a grid point, and the
// probability of each is exactly the mechanism's.
#include <cstdint>
#include <memory>
#include <span>

#include "modelguard/core/result.h"

namespace modelguard::privacy {

// Uniform 64-bit words. Releases use SecureRandomBits; tests use a seeded source to be reproducible.
class RandomBits {
 public:
  virtual ~RandomBits() = default;
  virtual Result<uint64_t> Next() = 0;
};
// OpenSSL's CSPRNG, read 4 KiB at a time.
std::unique_ptr<RandomBits> SecureRandomBits();
// SplitMix64 from a seed: reproducible, predictable, for tests only.
std::unique_ptr<RandomBits> SeededRandomBits(uint64_t seed);

// Rational numbers are numerator / denominator with 64-bit parts; a zero denominator is refused.
// Bernoulli(exp(-n / d)).
Result<bool> BernoulliExp(RandomBits& bits, uint64_t numerator, uint64_t denominator);
// P(Z = z) proportional to exp(-|z| / scale), scale = numerator / denominator > 0 (at most kMaxNoiseScale).
Result<int64_t> DiscreteLaplace(RandomBits& bits, uint64_t scale_numerator, uint64_t scale_denominator);
// P(Z = z) proportional to exp(-z^2 / (2 sigma^2)), sigma^2 = numerator / denominator, sigma at most
// kMaxDiscreteGaussianSigma.
Result<int64_t> DiscreteGaussian(RandomBits& bits, uint64_t variance_numerator, uint64_t variance_denominator);

// Permute-and-flip (McKenna and Sheldon 2020, "Permute-and-Flip: A new mechanism for differentially private
// selection"): candidates in random order, each accepted with probability exp(epsilon (u - u_max) /
// (2 sensitivity)), epsilon = numerator / denominator; the first accepted is the answer (the best one always
// is, so it ends). epsilon-DP for utilities that change by at most `sensitivity` between neighbours, and never
// worse in expected utility than the exponential mechanism. Returns the candidate's index.
Result<size_t> PermuteAndFlip(RandomBits& bits, std::span<const int64_t> utilities, uint64_t sensitivity,
                              uint64_t epsilon_numerator, uint64_t epsilon_denominator);

inline constexpr uint64_t kMaxNoiseScale = uint64_t{1} << 50;
inline constexpr double kMaxDiscreteGaussianSigma = 65536;

// The exact delta of the discrete Gaussian mechanism with variance sigma^2 and integer L2 sensitivity
// `sensitivity` at `epsilon` (Canonne et al. 2020, Thm. 7): sum over y > epsilon sigma^2 / sensitivity -
// sensitivity / 2 of p(y) - e^epsilon p(y + sensitivity), summed directly (every term is positive, so no
// difference of two nearly equal tails is formed).
double DiscreteGaussianDelta(double variance, uint64_t sensitivity, double epsilon);
// The smallest variance numerator v (denominator kVarianceDenominator) whose delta is at most `delta`.
inline constexpr uint64_t kVarianceDenominator = 256;
Result<uint64_t> CalibrateDiscreteGaussian(uint64_t sensitivity, double epsilon, double delta);

// Probability mass and CDF of the two distributions, for confidence intervals and tests.
double DiscreteLaplaceCdf(double scale, int64_t z);  // P(Z <= z)
double DiscreteGaussianCdf(double variance, int64_t z);
// The smallest w >= 0 with P(|Z| <= w) >= level.
int64_t DiscreteLaplaceHalfWidth(double scale, double level);
int64_t DiscreteGaussianHalfWidth(double variance, double level);

}  // namespace modelguard::privacy
