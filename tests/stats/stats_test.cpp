// The shared statistics against SciPy and NumPy: every case is computed by both, in the same run
// (tests/stats/reference_stats.py), on samples drawn here with fixed seeds.
#include "modelguard/stats/stats.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>

namespace modelguard::stats {
namespace {

using Sample = std::vector<double>;

// Runs the reference script on `cases`; one result per case.
nlohmann::json Reference(const nlohmann::json& cases) {
  return modelguard::testing::RunPythonReference("tests/stats/reference_stats.py", cases);
}

Sample Normal(size_t n, double mean, double sd, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::normal_distribution<double> normal(mean, sd);
  Sample out(n);
  for (double& v : out) v = normal(random);
  return out;
}

Sample Integers(size_t n, int high, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<int> uniform(0, high);
  Sample out(n);
  for (double& v : out) v = uniform(random);
  return out;
}

void ExpectRelative(double actual, double expected, double tolerance, const std::string& what) {
  EXPECT_NEAR(actual, expected, tolerance * std::max(std::fabs(expected), 1e-300)) << what;
}

TEST(StatsKs, MatchesScipyExactAndAsymptotic) {
  struct Case {
    Sample a, b;
    double tolerance;  // relative, on the p-value
  };
  std::vector<Case> cases = {
      {Normal(50, 0, 1, 1), Normal(60, 0.5, 1, 2), 1e-9},         // exact, unequal sizes
      {Normal(200, 0, 1, 3), Normal(200, 0, 1, 4), 1e-9},         // exact, equal sizes, no shift
      {Normal(300, 0, 1, 5), Normal(250, 0.4, 1, 6), 1e-7},       // exact, small p
      {Integers(400, 5, 7), Integers(300, 5, 8), 1e-9},           // ties
      {Integers(120, 3, 9), Integers(80, 4, 10), 1e-7},           // ties and a shift
      {Normal(3000, 0, 1, 11), Normal(2000, 0.05, 1, 12), 1e-6},  // exact, larger
      {Normal(1, 0, 1, 13), Normal(7, 0, 1, 14), 1e-9},
  };
  nlohmann::json requests = nlohmann::json::array();
  for (const auto& c : cases) requests.push_back({{"kind", "ks"}, {"a", c.a}, {"b", c.b}});
  // Beyond the exact range: SciPy's asymptotic p-value is the finite-n distribution at round(n m / (n + m)),
  // ours the limiting one, so the two agree to about a percent.
  const Sample big_a = Normal(12000, 0, 1, 15), big_b = Normal(11000, 0.02, 1, 16);
  requests.push_back({{"kind", "ks"}, {"a", big_a}, {"b", big_b}});
  const auto reference = Reference(requests);
  ASSERT_EQ(reference.size(), requests.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const auto ours = KsTwoSample(cases[i].a, cases[i].b);
    EXPECT_TRUE(ours.exact);
    ExpectRelative(ours.statistic, reference[i]["statistic"].get<double>(), 1e-12, "D, case " + std::to_string(i));
    ExpectRelative(ours.p_value, reference[i]["p_value"].get<double>(), cases[i].tolerance,
                   "p, case " + std::to_string(i));
  }
  const auto ours = KsTwoSample(big_a, big_b);
  EXPECT_FALSE(ours.exact);
  ExpectRelative(ours.statistic, reference.back()["statistic"].get<double>(), 1e-12, "D, asymptotic");
  ExpectRelative(ours.p_value, reference.back()["p_value"].get<double>(), 0.02, "p, asymptotic");
}

// The statistic against its definition, the largest distance between the two empirical CDFs over every
// value of either sample (and just below it), on samples of every size relation, with ties within and
// across samples, infinities and signed zeros.
TEST(StatsKs, StatisticIsTheLargestCdfDistance) {
  std::mt19937_64 random(21);
  const double kInfinity = std::numeric_limits<double>::infinity();
  for (int trial = 0; trial < 3000; ++trial) {
    const auto draw = [&](size_t size) {
      Sample out(size);
      const int spread = 1 + static_cast<int>(random() % 12);
      for (double& v : out) {
        const uint64_t kind = random() % 40;
        v = kind == 0   ? kInfinity
            : kind == 1 ? -kInfinity
            : kind == 2 ? -0.0
                        : static_cast<double>(random() % spread) - 3;
      }
      return out;
    };
    const Sample a = draw(1 + random() % 30), b = draw(1 + random() % 30);
    double expected = 0;
    const auto cdf = [](const Sample& sample, double x, bool inclusive) {
      double count = 0;
      for (double v : sample) count += inclusive ? (v <= x) : (v < x);
      return count / static_cast<double>(sample.size());
    };
    for (const Sample* side : {&a, &b})
      for (double x : *side)
        for (bool inclusive : {false, true})
          expected = std::max(expected, std::fabs(cdf(a, x, inclusive) - cdf(b, x, inclusive)));
    const auto ours = KsTwoSample(a, b);
    ASSERT_NEAR(ours.statistic, expected, 1e-12) << "trial " << trial;
    ASSERT_EQ(KsTwoSample(b, a).statistic, ours.statistic) << "trial " << trial;
  }
}

TEST(StatsKs, EmptyAndNanSamples) {
  EXPECT_EQ(KsTwoSample({}, Sample{1, 2}).p_value, 1.0);
  const Sample with_nan{1, 2, std::nan(""), 3};
  const auto a = KsTwoSample(with_nan, Sample{1, 2, 3});
  EXPECT_EQ(a.statistic, 0.0);
  EXPECT_EQ(a.p_value, 1.0);
  // Disjoint samples: D = 1 and a tiny, but positive, p-value.
  const auto b = KsTwoSample(Sample{1, 2, 3, 4, 5}, Sample{6, 7, 8, 9, 10});
  EXPECT_EQ(b.statistic, 1.0);
  EXPECT_GT(b.p_value, 0.0);
  EXPECT_LT(b.p_value, 0.01);
}

TEST(StatsChiSquare, MatchesScipy) {
  const std::vector<std::pair<Sample, Sample>> tables = {
      {{30, 70}, {45, 55}},  // one degree of freedom: Yates' correction
      {{10, 20, 30, 40, 50}, {12, 18, 35, 30, 60}},
      {{100, 0, 50, 3}, {90, 4, 60, 0}},
      {{5, 0, 7}, {6, 0, 2}},  // a category empty on both sides is dropped
  };
  nlohmann::json requests = nlohmann::json::array();
  for (const auto& [a, b] : tables) {
    Sample ra, rb;  // SciPy refuses an all-zero column
    for (size_t k = 0; k < a.size(); ++k)
      if (a[k] + b[k] > 0) ra.push_back(a[k]), rb.push_back(b[k]);
    requests.push_back({{"kind", "chi2_contingency"}, {"a", ra}, {"b", rb}});
  }
  const size_t fits = 2;  // the tables without a category expected empty (SciPy answers inf or NaN there)
  for (size_t i = 0; i < fits; ++i)
    requests.push_back({{"kind", "chisquare"}, {"a", tables[i].second}, {"b", tables[i].first}});
  for (double x : {0.5, 3.0, 17.0, 80.0})
    for (double dof : {1.0, 4.0, 30.0}) requests.push_back({{"kind", "chi2_sf"}, {"x", x}, {"dof", dof}});
  for (double x : {0.3, 0.8, 1.0, 1.36, 2.5}) requests.push_back({{"kind", "kolmogorov_sf"}, {"x", x}});
  const auto reference = Reference(requests);
  ASSERT_EQ(reference.size(), requests.size());
  size_t at = 0;
  for (const auto& [a, b] : tables) {
    const auto ours = ChiSquareContingency(a, b);
    ExpectRelative(ours.statistic, reference[at]["statistic"].get<double>(), 1e-10, "contingency statistic");
    ExpectRelative(ours.p_value, reference[at]["p_value"].get<double>(), 1e-9, "contingency p");
    EXPECT_EQ(ours.dof, reference[at]["dof"].get<double>());
    ++at;
  }
  for (size_t i = 0; i < fits; ++i) {
    const auto ours = ChiSquareGoodnessOfFit(tables[i].second, tables[i].first);
    ExpectRelative(ours.statistic, reference[at]["statistic"].get<double>(), 1e-10, "goodness of fit");
    ExpectRelative(ours.p_value, reference[at]["p_value"].get<double>(), 1e-9, "goodness of fit p");
    ++at;
  }
  // An observed count where nothing was expected: no fit at all (SciPy's statistic is inf there too); a
  // category empty on both sides adds nothing (SciPy's 0/0 gives NaN).
  const auto impossible = ChiSquareGoodnessOfFit(tables[2].second, tables[2].first);
  EXPECT_TRUE(std::isinf(impossible.statistic));
  EXPECT_EQ(impossible.p_value, 0.0);
  EXPECT_FALSE(std::isnan(ChiSquareGoodnessOfFit(tables[3].second, tables[3].first).p_value));
  for (double x : {0.5, 3.0, 17.0, 80.0})
    for (double dof : {1.0, 4.0, 30.0})
      ExpectRelative(ChiSquareSurvival(x, dof), reference[at++]["p_value"].get<double>(), 1e-10, "chi2 sf");
  for (double x : {0.3, 0.8, 1.0, 1.36, 2.5})
    ExpectRelative(KolmogorovSurvival(x), reference[at++]["p_value"].get<double>(), 1e-10, "kolmogorov sf");
}

TEST(StatsDistances, MatchScipyAndNumpy) {
  const Sample p{10, 20, 30, 0, 40}, q{15, 15, 25, 5, 40};
  const Sample a = Normal(500, 0, 1, 21), b = Normal(400, 0.3, 1.2, 22);
  const Sample ties_a = Integers(100, 6, 23), ties_b = Integers(90, 8, 24);
  nlohmann::json requests = nlohmann::json::array();
  requests.push_back({{"kind", "js"}, {"a", p}, {"b", q}});
  requests.push_back({{"kind", "js"}, {"a", p}, {"b", q}, {"base", 2}});
  requests.push_back({{"kind", "psi"}, {"a", p}, {"b", q}});
  requests.push_back({{"kind", "wasserstein"}, {"a", a}, {"b", b}});
  requests.push_back({{"kind", "wasserstein"}, {"a", ties_a}, {"b", ties_b}});
  requests.push_back({{"kind", "histogram"}, {"a", a}, {"b", b}});
  requests.push_back({{"kind", "histogram"}, {"a", ties_a}, {"b", ties_b}});
  requests.push_back({{"kind", "histogram"}, {"a", Sample{3, 3, 3}}, {"b", Sample{3}}});
  const auto reference = Reference(requests);
  ASSERT_EQ(reference.size(), requests.size());
  ExpectRelative(JensenShannonDistance(p, q), reference[0]["distance"].get<double>(), 1e-12, "js");
  ExpectRelative(JensenShannonDistance(p, q, 2), reference[1]["distance"].get<double>(), 1e-12, "js base 2");
  ExpectRelative(PopulationStabilityIndex(p, q), reference[2]["distance"].get<double>(), 1e-12, "psi");
  ExpectRelative(WassersteinDistance(a, b), reference[3]["distance"].get<double>(), 1e-10, "wasserstein");
  ExpectRelative(WassersteinDistance(ties_a, ties_b), reference[4]["distance"].get<double>(), 1e-10, "ties");
  const std::vector<std::pair<Sample, Sample>> histograms = {{a, b}, {ties_a, ties_b}, {{3, 3, 3}, {3}}};
  for (size_t i = 0; i < histograms.size(); ++i) {
    const auto& expected = reference[5 + i];
    const auto edges = SturgesEdges(histograms[i].first, histograms[i].second);
    ASSERT_EQ(edges.size(), expected["edges"].size()) << i;
    for (size_t k = 0; k < edges.size(); ++k)
      EXPECT_NEAR(edges[k], expected["edges"][k].get<double>(), 1e-12) << i << " edge " << k;
    EXPECT_EQ(HistogramCounts(histograms[i].first, edges), expected["counts"].get<Sample>()) << i;
  }
  EXPECT_EQ(JensenShannonDistance(p, p), 0.0);
  EXPECT_TRUE(std::isnan(JensenShannonDistance(Sample{0, 0}, q)));
}

TEST(StatsBinomial, LogSurvivalMatchesScipyIntoTheFarTail) {
  struct Case {
    uint64_t k, n;
    double p;
  };
  const std::vector<Case> cases = {{3, 10, 0.5},     {10, 10, 0.5},  {100, 100, 0.3}, {460, 500, 0.5},
                                   {1, 1000, 0.001}, {30, 200, 0.1}, {600, 1000, 0.3}};
  nlohmann::json requests = nlohmann::json::array();
  for (const auto& c : cases) requests.push_back({{"kind", "binom_logsf"}, {"k", c.k}, {"n", c.n}, {"p", c.p}});
  const auto reference = Reference(requests);
  ASSERT_EQ(reference.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i)
    ExpectRelative(BinomialLogSurvival(cases[i].k, cases[i].n, cases[i].p), reference[i]["p_value"].get<double>(), 1e-9,
                   "binomial case " + std::to_string(i));
  // Past SciPy's range (its logsf underflows to -inf here): every trial a success, n ln p exactly.
  EXPECT_NEAR(BinomialLogSurvival(2000, 2000, 0.5), 2000 * std::log(0.5), 1e-9);
  EXPECT_EQ(BinomialLogSurvival(0, 5, 0.5), 0.0);
  EXPECT_TRUE(std::isinf(BinomialLogSurvival(6, 5, 0.5)));
}

// PRADA's normality statistic against scipy.stats.shapiro (SWILK, Royston 1995: an independent
// implementation of the same approximation).
TEST(StatsShapiroWilk, MatchesScipyOnNormalSkewedAndSmallSamples) {
  std::mt19937_64 random(11);
  std::normal_distribution<double> normal(3, 2);
  std::exponential_distribution<double> exponential(1.0);
  std::vector<Sample> samples;
  nlohmann::json requests = nlohmann::json::array();
  for (size_t n : {3u, 4u, 5u, 6u, 11u, 50u, 400u, 2000u}) {
    for (int kind = 0; kind < 2; ++kind) {
      Sample values(n);
      for (double& v : values) v = kind == 0 ? normal(random) : exponential(random);
      requests.push_back({{"kind", "shapiro"}, {"a", values}});
      samples.push_back(std::move(values));
    }
  }
  const auto reference = Reference(requests);
  ASSERT_EQ(reference.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i)
    EXPECT_NEAR(ShapiroWilkW(samples[i]), reference[i]["statistic"].get<double>(), 2e-3) << "n=" << samples[i].size();
  EXPECT_DOUBLE_EQ(ShapiroWilkW(Sample{1, 1, 1, 1}), 1.0);
  EXPECT_DOUBLE_EQ(ShapiroWilkW(Sample{1, 2}), 1.0);
}

TEST(StatsNormalQuantile, KnownValues) {
  EXPECT_NEAR(NormalQuantile(0.5), 0.0, 1e-9);
  EXPECT_NEAR(NormalQuantile(0.975), 1.959963985, 1e-7);
  EXPECT_NEAR(NormalQuantile(0.001), -3.090232306, 1e-7);
}

TEST(StatsMedian, OddEvenNonFiniteAndEmpty) {
  EXPECT_DOUBLE_EQ(Median({3, 1, 2}), 2.0);
  EXPECT_DOUBLE_EQ(Median({4, 1, 3, 2}), 2.5);
  EXPECT_DOUBLE_EQ(Median({-1, -1, 7, 7}), 3.0);
  EXPECT_DOUBLE_EQ(Median({5, std::nan(""), 1, std::numeric_limits<double>::infinity(), 3}), 3.0);
  EXPECT_TRUE(std::isnan(Median({})));
  EXPECT_TRUE(std::isnan(Median({std::nan("")})));
}

}  // namespace
}  // namespace modelguard::stats
