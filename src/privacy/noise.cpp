// Exact samplers for the discrete Laplace and discrete Gaussian distributions (Canonne, Kamath and Steinke
// 2020, Algorithms 1-3), built from uniform integers only: no floating-point number ever touches a sample.
#include "modelguard/privacy/noise.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstring>
#include <limits>
#include <span>
#include <vector>

#include "modelguard/core/hash.h"
#include "modelguard/core/random.h"

namespace modelguard::privacy {
namespace {

__extension__ typedef unsigned __int128 Uint128;
__extension__ typedef __int128 Int128;
constexpr Uint128 kUint128Max = ~Uint128{0};

class SecureBits final : public RandomBits {
 public:
  Result<uint64_t> Next() override {
    if (used_ == buffer_.size()) {
      MG_TRY(SecureRandomBytes(std::span(reinterpret_cast<uint8_t*>(buffer_.data()), sizeof buffer_)));
      used_ = 0;
    }
    return buffer_[used_++];
  }

 private:
  std::array<uint64_t, 512> buffer_{};
  size_t used_ = buffer_.size();
};

class SeededBits final : public RandomBits {
 public:
  explicit SeededBits(uint64_t seed) : counter_(seed) {}
  Result<uint64_t> Next() override { return Mix64(counter_++); }

 private:
  uint64_t counter_;
};

// Uniform on [0, bound): rejection below 2^w mod bound keeps every residue equally likely.
Result<Uint128> UniformBelow(RandomBits& bits, Uint128 bound) {
  if (bound <= std::numeric_limits<uint64_t>::max()) {
    const auto m = static_cast<uint64_t>(bound);
    const uint64_t threshold = (0 - m) % m;
    for (;;) {
      MG_ASSIGN_OR_RETURN(uint64_t r, bits.Next());
      if (r >= threshold) return Uint128{r % m};
    }
  }
  const Uint128 threshold = (Uint128{0} - bound) % bound;
  for (;;) {
    MG_ASSIGN_OR_RETURN(uint64_t high, bits.Next());
    MG_ASSIGN_OR_RETURN(uint64_t low, bits.Next());
    const Uint128 r = Uint128{high} << 64 | low;
    if (r >= threshold) return r % bound;
  }
}

// Bernoulli(exp(-n / d)), d > 0 (Canonne et al., Algorithm 1).
Result<bool> BernoulliExpWide(RandomBits& bits, Uint128 n, Uint128 d) {
  // gamma > 1: exp(-gamma) = exp(-1)^floor(gamma) * exp(-(gamma - floor(gamma))). Each factor is a coin that
  // ends the loop with probability 1 - 1/e, so a huge gamma costs about 1.6 coins, not gamma of them.
  while (n > d) {
    MG_ASSIGN_OR_RETURN(bool one, BernoulliExpWide(bits, 1, 1));
    if (!one) return false;
    n -= d;
  }
  // gamma in [0, 1]: K is the first k with Bernoulli(gamma / k) = 0; P(K odd) = exp(-gamma).
  for (uint64_t k = 1;; ++k) {
    // P(K > k) = gamma^k / k!, so k never comes near the point where d * k overflows; refuse rather than wrap.
    if (d > kUint128Max / k) return MakeError(ErrorCode::kLimit, "Bernoulli(exp(-gamma)): counter overflow");
    MG_ASSIGN_OR_RETURN(Uint128 u, UniformBelow(bits, d * k));
    if (u >= n) return k % 2 == 1;
  }
}

// Discrete Laplace with scale t / s (Canonne et al., Algorithm 2): X = U + t V has P(X = x) proportional to
// exp(-x / t), so floor(X / s) is geometric with ratio exp(-s / t); a random sign, with -0 rejected.
Result<int64_t> DiscreteLaplaceWide(RandomBits& bits, uint64_t t, uint64_t s) {
  for (;;) {
    MG_ASSIGN_OR_RETURN(Uint128 u, UniformBelow(bits, t));
    MG_ASSIGN_OR_RETURN(bool keep, BernoulliExpWide(bits, u, t));
    if (!keep) continue;
    uint64_t v = 0;
    for (;;) {
      MG_ASSIGN_OR_RETURN(bool more, BernoulliExpWide(bits, 1, 1));
      if (!more) break;
      ++v;
    }
    const Uint128 x = u + Uint128{t} * v;
    const Uint128 y = x / s;
    MG_ASSIGN_OR_RETURN(Uint128 sign, UniformBelow(bits, 2));
    if (sign == 1 && y == 0) continue;
    // Beyond int64 the probability is below exp(-2^13) for every allowed scale: start over.
    if (y > static_cast<Uint128>(std::numeric_limits<int64_t>::max())) continue;
    return sign == 1 ? -static_cast<int64_t>(y) : static_cast<int64_t>(y);
  }
}

uint64_t IntegerSqrt(uint64_t value) {
  auto root = static_cast<uint64_t>(std::sqrt(static_cast<double>(value)));
  while (root > 0 && Uint128{root} * root > value) --root;
  while (Uint128{root + 1} * (root + 1) <= value) ++root;
  return root;
}

// Terms of the discrete Gaussian beyond this many standard deviations weigh less than exp(-100) each.
constexpr double kGaussianSumSigmas = 14.2;

// sum over all integers y of exp(-y^2 / (2 s^2)). By Poisson summation it equals
// s sqrt(2 pi) (1 + 2 sum_k exp(-2 pi^2 s^2 k^2)); from s = 0.5 on, terms past k = 2 are below e^-88 of the
// first, so three terms are exact in long double. Below, the direct sum has few terms.
long double GaussianNormaliser(long double s2) {
  const long double s = std::sqrt(s2);
  if (s >= 0.5L) {
    const long double pi = 3.141592653589793238462643383279502884L;
    const long double e = std::exp(-2 * pi * pi * s2);
    return s * std::sqrt(2 * pi) * (1 + 2 * e + 2 * e * e * e * e);
  }
  long double total = 1;
  for (long double y = 1; y <= 40; ++y) total += 2 * std::exp(-y * y / (2 * s2));
  return total;
}

}  // namespace

std::unique_ptr<RandomBits> SecureRandomBits() { return std::make_unique<SecureBits>(); }
std::unique_ptr<RandomBits> SeededRandomBits(uint64_t seed) { return std::make_unique<SeededBits>(seed); }

Result<bool> BernoulliExp(RandomBits& bits, uint64_t numerator, uint64_t denominator) {
  if (denominator == 0) return MakeError(ErrorCode::kInvalidArgument, "Bernoulli(exp(-n/d)): d must be > 0");
  return BernoulliExpWide(bits, numerator, denominator);
}

Result<int64_t> DiscreteLaplace(RandomBits& bits, uint64_t scale_numerator, uint64_t scale_denominator) {
  if (scale_numerator == 0 || scale_denominator == 0)
    return MakeError(ErrorCode::kInvalidArgument, "discrete Laplace: the scale must be a positive fraction");
  if (scale_numerator / scale_denominator >= kMaxNoiseScale)
    return MakeError(ErrorCode::kInvalidArgument, "discrete Laplace: scale above 2^50");
  return DiscreteLaplaceWide(bits, scale_numerator, scale_denominator);
}

Result<int64_t> DiscreteGaussian(RandomBits& bits, uint64_t variance_numerator, uint64_t variance_denominator) {
  if (variance_numerator == 0 || variance_denominator == 0)
    return MakeError(ErrorCode::kInvalidArgument, "discrete Gaussian: the variance must be a positive fraction");
  // These bounds keep every product below in 128 bits: t <= 2^16 + 1, d <= 2^16, n <= 2^48.
  if (variance_denominator > (uint64_t{1} << 16) ||
      variance_numerator / variance_denominator >=
          static_cast<uint64_t>(kMaxDiscreteGaussianSigma * kMaxDiscreteGaussianSigma))
    return MakeError(ErrorCode::kInvalidArgument,
                     "discrete Gaussian: sigma above 65536 or a variance denominator above 2^16");
  const uint64_t sn = variance_numerator, sd = variance_denominator;
  const uint64_t t = IntegerSqrt(sn / sd) + 1;  // floor(sigma) + 1
  for (;;) {
    // Canonne et al., Algorithm 3: a discrete Laplace proposal of scale t, accepted with probability
    // exp(-(|y| - sigma^2 / t)^2 / (2 sigma^2)) = exp(-(|y| t sd - sn)^2 / (2 t^2 sd sn)).
    MG_ASSIGN_OR_RETURN(int64_t y, DiscreteLaplaceWide(bits, t, 1));
    const uint64_t magnitude = y < 0 ? uint64_t(0) - static_cast<uint64_t>(y) : static_cast<uint64_t>(y);
    // Past 2^30 the acceptance probability is below exp(-2^27): rejecting it outright changes nothing
    // representable, and keeps |y| t sd below 2^63.
    if (magnitude > (uint64_t{1} << 30)) continue;
    const Uint128 scaled = Uint128{magnitude} * t * sd;
    const Uint128 difference = scaled >= sn ? scaled - sn : Uint128{sn} - scaled;
    const Uint128 numerator = difference * difference;
    const Uint128 denominator = Uint128{2} * t * t * sd * sn;
    MG_ASSIGN_OR_RETURN(bool accept, BernoulliExpWide(bits, numerator, denominator));
    if (accept) return y;
  }
}

Result<size_t> PermuteAndFlip(RandomBits& bits, std::span<const int64_t> utilities, uint64_t sensitivity,
                              uint64_t epsilon_numerator, uint64_t epsilon_denominator) {
  if (utilities.empty()) return MakeError(ErrorCode::kInvalidArgument, "permute-and-flip: no candidates");
  if (sensitivity == 0 || epsilon_numerator == 0 || epsilon_denominator == 0 ||
      epsilon_denominator > (uint64_t{1} << 32) || sensitivity > (uint64_t{1} << 60))
    return MakeError(ErrorCode::kInvalidArgument, "permute-and-flip: epsilon and sensitivity must be positive");
  const int64_t best = *std::max_element(utilities.begin(), utilities.end());
  std::vector<size_t> order(utilities.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  // A Fisher-Yates shuffle drawn one position at a time, so an early acceptance stops the shuffling too.
  for (size_t position = 0; position < order.size(); ++position) {
    MG_ASSIGN_OR_RETURN(Uint128 pick, UniformBelow(bits, order.size() - position));
    std::swap(order[position], order[position + static_cast<size_t>(pick)]);
    const size_t candidate = order[position];
    const Uint128 gap = static_cast<Uint128>(static_cast<Int128>(best) - utilities[candidate]);
    // gap < 2^64 and epsilon_numerator < 2^64, so the product fits in 128 bits.
    MG_ASSIGN_OR_RETURN(bool accept, BernoulliExpWide(bits, Uint128{epsilon_numerator} * gap,
                                                      Uint128{epsilon_denominator} * 2 * sensitivity));
    if (accept) return candidate;
  }
  return MakeError(ErrorCode::kLimit, "permute-and-flip: the best candidate was not accepted");
}

double DiscreteGaussianDelta(double variance, uint64_t sensitivity, double epsilon) {
  const long double s2 = variance;
  const auto weight = [&](long double y) { return std::exp(-y * y / (2 * s2)); };
  const long double reach = std::ceil(kGaussianSumSigmas * std::sqrt(s2)) + 1;
  const long double shift = static_cast<long double>(sensitivity);
  const long double threshold = static_cast<long double>(epsilon) * s2 / shift - shift / 2;
  const long double ratio = std::exp(static_cast<long double>(epsilon));
  long double delta = 0;
  // y > threshold; below -reach every term is negligible (p(y + shift) <= p(y) e^-epsilon there too). Past
  // the mode the terms only fall: once one weighs less than 1e-22 of the sum so far, the rest cannot matter.
  for (long double y = std::max(std::floor(threshold) + 1, -reach); y <= reach; ++y) {
    const long double w = weight(y);
    delta += std::max<long double>(0, w - ratio * weight(y + shift));
    if (y > 0 && w < 1e-22L * delta) break;
  }
  return static_cast<double>(delta / GaussianNormaliser(s2));
}

Result<uint64_t> CalibrateDiscreteGaussian(uint64_t sensitivity, double epsilon, double delta) {
  if (sensitivity == 0) return MakeError(ErrorCode::kInvalidArgument, "discrete Gaussian: sensitivity 0");
  if (!(epsilon > 0) || !std::isfinite(epsilon) || !(delta > 0 && delta < 1))
    return MakeError(ErrorCode::kInvalidArgument, "discrete Gaussian: epsilon must be > 0 and delta in (0, 1)");
  const uint64_t limit =
      static_cast<uint64_t>(kMaxDiscreteGaussianSigma * kMaxDiscreteGaussianSigma) * kVarianceDenominator - 1;
  const auto delta_at = [&](uint64_t numerator) {
    return DiscreteGaussianDelta(static_cast<double>(numerator) / kVarianceDenominator, sensitivity, epsilon);
  };
  uint64_t high = kVarianceDenominator;  // sigma = 1
  while (delta_at(high) > delta) {
    if (high >= limit)
      return MakeError(ErrorCode::kInvalidArgument,
                       "discrete Gaussian: this (epsilon, delta) needs sigma above 65536 grid steps");
    high = std::min(limit, high * 2);
  }
  uint64_t low = 0;  // delta_at(low) > delta, or low = 0
  while (high - low > 1) {
    const uint64_t middle = low + (high - low) / 2;
    (delta_at(middle) <= delta ? high : low) = middle;
  }
  return high;
}

double DiscreteLaplaceCdf(double scale, int64_t z) {
  // P(Z <= z) = 1 - p^(z+1) / (1 + p) for z >= 0 and p^(-z) / (1 + p) below, with p = exp(-1 / scale).
  const double p = std::exp(-1 / scale);
  if (z >= 0) return 1 - std::exp(-static_cast<double>(z + 1) / scale) / (1 + p);
  return std::exp(static_cast<double>(z) / scale) / (1 + p);
}

double DiscreteGaussianCdf(double variance, int64_t z) {
  const long double s2 = variance;
  const auto weight = [&](long double y) { return std::exp(-y * y / (2 * s2)); };
  const long double reach = std::ceil(kGaussianSumSigmas * std::sqrt(s2)) + 1;
  // Sums over the short tail only: P(Z <= z) = 1 - P(Z >= z + 1) for z >= 0, and P(Z >= -z) for z < 0
  // (symmetry).
  const long double start = static_cast<long double>(z >= 0 ? z : -z) + (z >= 0 ? 1 : 0);
  long double tail = 0;
  for (long double y = start; y <= reach; ++y) tail += weight(y);
  const long double share = tail / GaussianNormaliser(s2);
  return static_cast<double>(z >= 0 ? 1 - share : share);
}

int64_t DiscreteLaplaceHalfWidth(double scale, double level) {
  // P(|Z| > w) = 2 p^(w + 1) / (1 + p): the smallest w with that at most 1 - level.
  const double p = std::exp(-1 / scale);
  const double w = std::ceil(-scale * std::log((1 - level) * (1 + p) / 2)) - 1;
  return static_cast<int64_t>(std::max(0.0, w));
}

int64_t DiscreteGaussianHalfWidth(double variance, double level) {
  const long double s2 = variance;
  const auto weight = [&](long double y) { return std::exp(-y * y / (2 * s2)); };
  const long double reach = std::ceil(kGaussianSumSigmas * std::sqrt(s2)) + 1;
  const long double total = GaussianNormaliser(s2);
  long double inside = 1;
  int64_t w = 0;
  while (inside / total < level && w < static_cast<int64_t>(reach)) {
    ++w;
    inside += 2 * weight(static_cast<long double>(w));
  }
  return w;
}

}  // namespace modelguard::privacy
