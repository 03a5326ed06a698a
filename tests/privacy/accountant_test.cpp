// The privacy accountants: the reference vectors of issue 21 (Opacus's analysis formulas), figures computed
// in the same run by an independent code path (tests/privacy/reference_privacy.py: mpmath's exact sums and
// numerical integration, SciPy's root finder), PRV bounds against the Gaussian mechanism's exact curve, the
// monotonicity a sound accountant must have, and the refusals of bad parameters.
#include "modelguard/privacy/accountant.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>

namespace modelguard::privacy {
namespace {

// Runs the reference script on `cases`; one result per case.
nlohmann::json Reference(const nlohmann::json& cases) {
  return modelguard::testing::RunPythonReference("tests/privacy/reference_privacy.py", cases);
}

// The figure as printed to 4 decimals.
double Round4(double v) { return std::round(v * 1e4) / 1e4; }

constexpr double kMnistRate = 256.0 / 60000.0;

TEST(PrivacyRdp, IssueReferenceVectors) {
  auto per_step = SubsampledGaussianRdp(0.01, 1.0, 2);
  ASSERT_TRUE(per_step) << per_step.error().message;
  EXPECT_NEAR(*per_step, 1.7181342207e-4, 5e-15);

  const GaussianSteps mnist{kMnistRate, 1.1, 14063};
  auto report = RdpAccount(std::span(&mnist, 1), 1e-5);
  ASSERT_TRUE(report) << report.error().message;
  EXPECT_EQ(report->orders.size(), 151u);
  EXPECT_DOUBLE_EQ(Round4(report->improved.epsilon), 2.5967) << report->improved.epsilon;
  EXPECT_DOUBLE_EQ(Round4(report->classic.epsilon), 3.0084) << report->classic.epsilon;

  const GaussianSteps small{0.01, 1.0, 300};
  const std::vector<double> orders{2, 5, 10, 20, 100};
  auto report2 = RdpAccount(std::span(&small, 1), 1e-5, orders);
  ASSERT_TRUE(report2) << report2.error().message;
  EXPECT_DOUBLE_EQ(Round4(report2->improved.epsilon), 2.3933) << report2->improved.epsilon;
}

TEST(PrivacyRdp, DefaultOrdersAreOpacus) {
  const auto orders = DefaultRdpOrders();
  ASSERT_EQ(orders.size(), 99u + 52u);
  EXPECT_DOUBLE_EQ(orders.front(), 1.1);
  EXPECT_DOUBLE_EQ(orders[98], 10.9);
  EXPECT_DOUBLE_EQ(orders[99], 12);
  EXPECT_DOUBLE_EQ(orders.back(), 63);
}

TEST(PrivacyRdp, SpecialCasesOfTheSamplingRate) {
  for (double alpha : {1.5, 2.0, 7.3, 32.0}) {
    EXPECT_EQ(*SubsampledGaussianRdp(0, 0.7, alpha), 0.0);
    EXPECT_DOUBLE_EQ(*SubsampledGaussianRdp(1, 0.7, alpha), alpha / (2 * 0.49));
    // q just below 1 approaches the Gaussian mechanism from below (fractional and integer orders alike).
    const double near_one = *SubsampledGaussianRdp(1 - 1e-9, 0.7, alpha);
    EXPECT_LE(near_one, alpha / (2 * 0.49) * (1 + 1e-12)) << alpha;
    EXPECT_NEAR(near_one, alpha / (2 * 0.49), 1e-6) << alpha;
  }
}

TEST(PrivacyRdp, MatchesIndependentComputation) {
  struct Case {
    double q, sigma, alpha;
  };
  // Integer orders against mpmath's exact sum (60 digits); fractional ones against numerical integration of
  // E[(mu / mu0)^alpha], which shares nothing with the series.
  const std::vector<Case> cases{{0.01, 1.0, 2},
                                {0.01, 1.0, 63},
                                {0.004, 0.6, 32},
                                {0.3, 2.0, 17},
                                {0.9, 0.8, 5},
                                {1e-5, 0.5, 40},
                                {0.01, 1.0, 2.5},
                                {0.004, 1.1, 1.1},
                                {0.004, 1.1, 10.9},
                                {0.05, 0.7, 3.7},
                                {0.5, 3.0, 1.5},
                                {0.2, 0.9, 7.25},
                                // The series' valley and bump near z0 (z0 / sigma small); q near 1/2 with large
                                // sigma, where the series is abandoned for quadrature.
                                {0.2, 3.0, 1.5},
                                {0.05, 4.0, 2.5},
                                {0.5, 1000.0, 1.5},
                                {0.45, 300.0, 2.5}};
  nlohmann::json input = nlohmann::json::array();
  for (const auto& c : cases) input.push_back({{"kind", "rdp"}, {"q", c.q}, {"sigma", c.sigma}, {"alpha", c.alpha}});
  const auto expected = Reference(input);
  ASSERT_EQ(expected.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto& c = cases[i];
    auto got = SubsampledGaussianRdp(c.q, c.sigma, c.alpha);
    ASSERT_TRUE(got) << got.error().message;
    const double want = expected[i]["rdp"];
    EXPECT_NEAR(*got, want, 1e-10 * std::max(1.0, want)) << "q " << c.q << " sigma " << c.sigma << " alpha " << c.alpha;
  }
}

TEST(PrivacyRdp, EpsilonAndNoiseMatchIndependentComputation) {
  const std::vector<double> orders{1.5, 2, 3.5, 8, 16, 32, 64};
  nlohmann::json input = nlohmann::json::array();
  input.push_back(
      {{"kind", "epsilon"}, {"q", 0.02}, {"sigma", 0.9}, {"steps", 2000}, {"delta", 1e-6}, {"orders", orders}});
  input.push_back(
      {{"kind", "epsilon"}, {"q", 0.001}, {"sigma", 3.0}, {"steps", 100000}, {"delta", 1e-5}, {"orders", orders}});
  input.push_back({{"kind", "noise"},
                   {"q", 0.01},
                   {"steps", 1000},
                   {"delta", 1e-5},
                   {"epsilon", 2.0},
                   {"orders", orders},
                   {"low", 0.5},
                   {"high", 5.0}});
  const auto expected = Reference(input);
  ASSERT_EQ(expected.size(), 3u);
  const GaussianSteps a{0.02, 0.9, 2000}, b{0.001, 3.0, 100000};
  auto ra = RdpAccount(std::span(&a, 1), 1e-6, orders);
  auto rb = RdpAccount(std::span(&b, 1), 1e-5, orders);
  ASSERT_TRUE(ra && rb);
  EXPECT_NEAR(ra->improved.epsilon, expected[0]["improved"].get<double>(), 1e-8);
  EXPECT_NEAR(ra->classic.epsilon, expected[0]["classic"].get<double>(), 1e-8);
  EXPECT_NEAR(rb->improved.epsilon, expected[1]["improved"].get<double>(), 1e-8);
  EXPECT_NEAR(rb->classic.epsilon, expected[1]["classic"].get<double>(), 1e-8);
  auto sigma = NoiseForEpsilon(2.0, 1e-5, 0.01, 1000, orders);
  ASSERT_TRUE(sigma) << sigma.error().message;
  EXPECT_NEAR(*sigma, expected[2]["sigma"].get<double>(), 1e-7);
}

TEST(PrivacyRdp, HeterogeneousStepsAddUp) {
  // Two phases equal the sum of their RDP curves; splitting one phase in two changes nothing.
  const std::vector<GaussianSteps> phases{{0.01, 1.2, 500}, {0.02, 0.9, 300}};
  auto both = RdpAccount(phases, 1e-5);
  auto first = RdpAccount(std::span(&phases[0], 1), 1e-5);
  auto second = RdpAccount(std::span(&phases[1], 1), 1e-5);
  ASSERT_TRUE(both && first && second);
  for (size_t i = 0; i < both->orders.size(); ++i)
    EXPECT_NEAR(both->rdp[i], first->rdp[i] + second->rdp[i], 1e-12 * both->rdp[i]);
  const std::vector<GaussianSteps> split{{0.01, 1.2, 200}, {0.01, 1.2, 300}, {0.02, 0.9, 300}};
  auto again = RdpAccount(split, 1e-5);
  ASSERT_TRUE(again);
  EXPECT_NEAR(again->improved.epsilon, both->improved.epsilon, 1e-12);
  EXPECT_GT(both->improved.epsilon, first->improved.epsilon);
}

TEST(PrivacyRdp, MonotoneAndFiniteOverAGrid) {
  const auto orders = DefaultRdpOrders();
  const std::vector<double> rates{1e-6, 1e-4, 0.001, 0.01, 0.1, 0.5, 0.9, 1};
  const std::vector<double> sigmas{0.05, 0.3, 0.5, 0.8, 1, 2, 5, 20, 1e4};
  const std::vector<uint64_t> step_counts{1, 10, 1000, 100000, 10000000};
  const std::vector<double> deltas{1e-12, 1e-5, 0.1, 0.9};
  // rdp[q][sigma] per order, checked finite and >= 0.
  std::vector<std::vector<std::vector<double>>> curves(rates.size(), std::vector<std::vector<double>>(sigmas.size()));
  for (size_t qi = 0; qi < rates.size(); ++qi)
    for (size_t si = 0; si < sigmas.size(); ++si)
      for (double alpha : orders) {
        auto r = SubsampledGaussianRdp(rates[qi], sigmas[si], alpha);
        ASSERT_TRUE(r) << r.error().message;
        ASSERT_TRUE(std::isfinite(*r) && *r >= 0) << rates[qi] << " " << sigmas[si] << " " << alpha << " " << *r;
        curves[qi][si].push_back(*r);
      }
  auto eps = [&](size_t qi, size_t si, uint64_t t, double delta) {
    std::vector<double> total = curves[qi][si];
    for (double& v : total) v *= static_cast<double>(t);
    return std::pair(ImprovedEpsilon(orders, total, delta).epsilon, ClassicEpsilon(orders, total, delta).epsilon);
  };
  for (size_t qi = 0; qi < rates.size(); ++qi)
    for (size_t si = 0; si < sigmas.size(); ++si)
      for (size_t ti = 0; ti < step_counts.size(); ++ti)
        for (double delta : deltas) {
          const auto [improved, classic] = eps(qi, si, step_counts[ti], delta);
          const std::string where = "q " + std::to_string(rates[qi]) + " sigma " + std::to_string(sigmas[si]) + " T " +
                                    std::to_string(step_counts[ti]) + " delta " + std::to_string(delta);
          ASSERT_TRUE(std::isfinite(improved) && improved >= 0) << where;
          ASSERT_TRUE(std::isfinite(classic) && classic >= 0) << where;
          EXPECT_LE(improved, classic + 1e-12) << where;
          // More steps, less noise or a higher sampling rate never lower epsilon.
          if (ti > 0) {
            EXPECT_GE(improved, eps(qi, si, step_counts[ti - 1], delta).first) << where;
          }
          if (si > 0) {
            EXPECT_LE(improved, eps(qi, si - 1, step_counts[ti], delta).first + 1e-12) << where;
          }
          if (qi > 0) {
            EXPECT_LE(eps(qi - 1, si, step_counts[ti], delta).first, improved + 1e-12) << where;
          }
        }
  // Per order, too: RDP grows with the order and with q, falls with sigma. log A is summed in log space, so
  // its absolute accuracy is about 1e-16 (times 1 / (alpha - 1)): per-step RDP below 1e-14 (q = 1e-6 with
  // sigma 20) is at that floor, hence the absolute slack.
  constexpr double kSlack = 1e-14;
  for (size_t qi = 0; qi < rates.size(); ++qi)
    for (size_t si = 0; si < sigmas.size(); ++si)
      for (size_t k = 1; k < orders.size(); ++k) {
        const double r = curves[qi][si][k];
        EXPECT_GE(r * (1 + 1e-12) + kSlack, curves[qi][si][k - 1]) << qi << " " << si << " " << k;
        if (si > 0) {
          EXPECT_LE(r, curves[qi][si - 1][k] * (1 + 1e-12) + kSlack) << qi << " " << si << " " << k;
        }
        if (qi > 0) {
          EXPECT_GE(r * (1 + 1e-12) + kSlack, curves[qi - 1][si][k]) << qi << " " << si << " " << k;
        }
      }
}

TEST(PrivacyRdp, RefusesBadParameters) {
  const double nan = std::numeric_limits<double>::quiet_NaN(), inf = std::numeric_limits<double>::infinity();
  for (double q : {-0.1, 1.5, nan, inf}) EXPECT_FALSE(SubsampledGaussianRdp(q, 1, 2)) << q;
  for (double s : {0.0, -1.0, nan, inf, 1e-9}) EXPECT_FALSE(SubsampledGaussianRdp(0.1, s, 2)) << s;
  for (double a : {1.0, 0.5, -3.0, nan, inf, 1e6}) EXPECT_FALSE(SubsampledGaussianRdp(0.1, 1, a)) << a;
  const GaussianSteps ok{0.01, 1, 10}, zero_steps{0.01, 1, 0};
  for (double d : {0.0, 1.0, -1e-5, nan, inf}) {
    EXPECT_FALSE(RdpAccount(std::span(&ok, 1), d)) << d;
    EXPECT_FALSE(PrvAccount(std::span(&ok, 1), d)) << d;
  }
  EXPECT_FALSE(RdpAccount(std::span(&zero_steps, 1), 1e-5));
  EXPECT_FALSE(RdpAccount(std::span<const GaussianSteps>(), 1e-5));
  auto bad = RdpAccount(std::span(&ok, 1), 1e-5, std::vector<double>{2, 1});
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("order"), std::string::npos) << bad.error().message;
}

TEST(PrivacyNoise, ReachesTheTargetAndRefusesTheUnreachable) {
  for (double target : {0.5, 1.0, 3.0, 8.0}) {
    auto sigma = NoiseForEpsilon(target, 1e-5, 0.01, 3000);
    ASSERT_TRUE(sigma) << target << ": " << sigma.error().message;
    const GaussianSteps at{0.01, *sigma, 3000}, below{0.01, *sigma * (1 - 1e-6), 3000};
    EXPECT_LE(RdpAccount(std::span(&at, 1), 1e-5)->improved.epsilon, target);
    EXPECT_GT(RdpAccount(std::span(&below, 1), 1e-5)->improved.epsilon, target);
  }
  // With Opacus's orders (largest 63) epsilon never falls below about 0.1 at delta 1e-5.
  auto unreachable = NoiseForEpsilon(0.05, 1e-5, 0.01, 3000);
  ASSERT_FALSE(unreachable);
  EXPECT_NE(unreachable.error().message.find("unreachable"), std::string::npos) << unreachable.error().message;
  EXPECT_FALSE(NoiseForEpsilon(-1, 1e-5, 0.01, 3000));
  EXPECT_FALSE(NoiseForEpsilon(1, 1e-5, 0.01, 0));
}

// Exact epsilon(delta) of T Gaussian mechanisms with noise sigma (Balle and Wang 2018): mu = sqrt(T) / sigma,
// delta(eps) = Phi(mu/2 - eps/mu) - e^eps Phi(-mu/2 - eps/mu), inverted by bisection.
double GaussianExactEpsilon(double sigma, double steps, double delta) {
  const double mu = std::sqrt(steps) / sigma;
  auto phi = [](double x) { return 0.5 * std::erfc(-x / std::sqrt(2.0)); };
  auto delta_of = [&](double eps) { return phi(mu / 2 - eps / mu) - std::exp(eps) * phi(-mu / 2 - eps / mu); };
  double lo = 0, hi = 100;
  for (int i = 0; i < 200; ++i) {
    const double mid = 0.5 * (lo + hi);
    (delta_of(mid) > delta ? lo : hi) = mid;
  }
  return hi;
}

TEST(PrivacyPrv, BoundsContainTheGaussianMechanismsExactEpsilon) {
  for (const auto& [sigma, steps] : {std::pair(1.0, 1ull), std::pair(2.0, 100ull), std::pair(5.0, 1000ull)}) {
    const GaussianSteps g{1.0, sigma, steps};
    auto prv = PrvAccount(std::span(&g, 1), 1e-5);
    ASSERT_TRUE(prv) << prv.error().message;
    const double exact = GaussianExactEpsilon(sigma, static_cast<double>(steps), 1e-5);
    EXPECT_LE(prv->epsilon_lower, exact) << sigma;
    EXPECT_GE(prv->epsilon_upper, exact) << sigma;
    EXPECT_NEAR(prv->epsilon, exact, 1e-4) << sigma;
  }
}

TEST(PrivacyPrv, IssueReferenceVector) {
  const GaussianSteps mnist{kMnistRate, 1.1, 14063};
  auto prv = PrvAccount(std::span(&mnist, 1), 1e-5);
  ASSERT_TRUE(prv) << prv.error().message;
  // Opacus's PRV accountant reports its upper bound (estimate + eps_error), the issue's 2.39.
  EXPECT_NEAR(prv->epsilon_upper, 2.39, 0.005);
  EXPECT_NEAR(prv->epsilon, 2.39, 0.01);
  EXPECT_LE(prv->epsilon_lower, prv->epsilon);
  EXPECT_GE(prv->epsilon_upper, prv->epsilon);
  EXPECT_LT(prv->epsilon_upper - prv->epsilon_lower, 0.05);
  // RDP is an upper bound on the exact epsilon, which PRV's lower bound cannot exceed.
  EXPECT_LT(prv->epsilon_lower, 2.5967);
  EXPECT_LT(prv->lost_mass, 1e-7);
}

TEST(PrivacyPrv, HeterogeneousAndMonotone) {
  const std::vector<GaussianSteps> phases{{0.01, 1.0, 200}, {0.02, 1.5, 100}};
  auto both = PrvAccount(phases, 1e-5);
  auto first = PrvAccount(std::span(&phases[0], 1), 1e-5);
  ASSERT_TRUE(both && first);
  EXPECT_GT(both->epsilon, first->epsilon);
  const GaussianSteps more{0.01, 1.0, 400}, noisier{0.01, 1.3, 200};
  auto more_steps = PrvAccount(std::span(&more, 1), 1e-5);
  auto more_noise = PrvAccount(std::span(&noisier, 1), 1e-5);
  ASSERT_TRUE(more_steps && more_noise);
  EXPECT_GT(more_steps->epsilon, first->epsilon);
  EXPECT_LT(more_noise->epsilon, first->epsilon);
  // q = 0 releases nothing.
  const GaussianSteps none{0, 1, 100};
  auto zero = PrvAccount(std::span(&none, 1), 1e-5);
  ASSERT_TRUE(zero);
  EXPECT_EQ(zero->epsilon, 0);
}

// A sampled record is all but identified (sigma 1e-6: loss about 5e11), but only with probability 1e-6 < delta:
// epsilon is 0, which PRV finds by counting that far tail against delta; the Gaussian mechanism itself
// (q = 1) has no finite answer on a grid and is refused with a message, while RDP still answers.
TEST(PrivacyPrv, FarTailsAreCountedAgainstDelta) {
  const GaussianSteps rare{1e-6, 1e-6, 1};
  auto prv = PrvAccount(std::span(&rare, 1), 1e-5);
  ASSERT_TRUE(prv) << prv.error().message;
  EXPECT_EQ(prv->epsilon_lower, 0);
  EXPECT_LE(prv->epsilon_upper, 0.011);
  EXPECT_GT(prv->lost_mass, 9e-7);  // the cut tail, about q
  const GaussianSteps exposed{1, 1e-6, 1};
  auto refused = PrvAccount(std::span(&exposed, 1), 1e-5);
  ASSERT_FALSE(refused);
  EXPECT_NE(refused.error().message.find("use RDP"), std::string::npos) << refused.error().message;
  EXPECT_TRUE(RdpAccount(std::span(&exposed, 1), 1e-5));
}

}  // namespace
}  // namespace modelguard::privacy
