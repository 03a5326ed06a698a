// The drift tests' registry (stats/drift.h): every figure against SciPy/NumPy on the same data
// (tests/stats/reference_stats.py), Evidently's choice of test, planted drift found, and the false-alarm
// rate of the p-value tests on identically distributed samples.
#include "modelguard/stats/drift.h"
#include "test_support.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <set>

namespace modelguard::stats {
namespace {

std::vector<double> Normal(size_t n, double mean, uint64_t seed) {
  std::mt19937_64 random(seed);
  std::normal_distribution<double> normal(mean, 1.0);
  std::vector<double> out(n);
  for (double& v : out) v = normal(random);
  return out;
}

ColumnSample Numeric(std::vector<double> values) {
  ColumnSample sample;
  sample.numeric = true;
  sample.observations = values.size();
  sample.distinct = std::set<double>(values.begin(), values.end()).size();
  sample.values = std::move(values);
  return sample;
}

ColumnSample Categorical(std::vector<std::pair<std::string, double>> counts) {
  ColumnSample sample;
  for (const auto& [name, count] : counts) sample.observations += static_cast<uint64_t>(count);
  sample.distinct = counts.size();
  sample.categories = std::move(counts);
  return sample;
}

void ExpectRelative(double ours, double theirs, double tolerance, const char* what) {
  EXPECT_NEAR(ours, theirs, tolerance * std::max(1e-300, std::fabs(theirs))) << what;
}

TEST(StatsDrift, NumericFiguresEqualScipy) {
  const auto ref = Numeric(Normal(300, 0, 1)), cur = Numeric(Normal(250, 0.3, 2));
  const auto reference = testing::RunPythonReference(
      "tests/stats/reference_stats.py",
      {{{"kind", "drift_numeric"}, {"a", ref.values}, {"b", cur.values}, {"permutations", 1000}}})[0];
  const DriftSettings settings;
  const auto run = [&](const char* name) { return FindDriftTest(name)->run(ref, cur, settings); };
  ExpectRelative(*run("ks").p_value, reference["ks"], 1e-9, "ks");
  ExpectRelative(run("wasserstein").statistic, reference["wasserstein"], 1e-9, "wasserstein");
  ExpectRelative(run("js").statistic, reference["js"], 1e-9, "js");
  ExpectRelative(run("psi").statistic, reference["psi"], 1e-9, "psi");
  const auto mmd = MaximumMeanDiscrepancy(ref.values, cur.values, 1000, 7);
  ExpectRelative(mmd.mmd2, reference["mmd2"], 1e-9, "mmd2");
  ExpectRelative(mmd.bandwidth, reference["bandwidth"], 1e-12, "bandwidth");
  // Permutation p-values from different generators: equal within Monte-Carlo error (1000 permutations each).
  EXPECT_NEAR(mmd.p_value, reference["mmd_p"].get<double>(), 0.03);
  EXPECT_LT(mmd.p_value, 0.05);  // a shift of 0.3 sd at these sizes
}

TEST(StatsDrift, CategoricalFiguresEqualScipy) {
  const auto ref = Categorical({{"a", 40}, {"b", 160}}), cur = Categorical({{"a", 70}, {"b", 130}});
  const auto z = ProportionZTest(ref, cur);
  const auto reference = testing::RunPythonReference(
      "tests/stats/reference_stats.py", {{{"kind", "z"}, {"x1", 40}, {"n1", 200}, {"x2", 70}, {"n2", 200}},
                                         {{"kind", "chi2_contingency"}, {"a", {40, 160}}, {"b", {70, 130}}}});
  ExpectRelative(z.statistic, reference[0]["statistic"], 1e-12, "z");
  ExpectRelative(*z.p_value, reference[0]["p_value"], 1e-9, "z p");
  const auto chi2 = FindDriftTest("chi2")->run(ref, cur, DriftSettings{});
  ExpectRelative(chi2.statistic, reference[1]["statistic"], 1e-9, "chi2");
  ExpectRelative(*chi2.p_value, reference[1]["p_value"], 1e-9, "chi2 p");
  // Categories are aligned by name, whatever order each side lists them in; a category new in the current
  // data counts (the union).
  const auto cur_new = Categorical({{"c", 50}, {"b", 130}, {"a", 70}});
  std::vector<std::string> names;
  std::vector<double> r, c;
  AlignCategories(ref, cur_new, names, r, c);
  EXPECT_EQ(names, (std::vector<std::string>{"a", "b", "c"}));
  EXPECT_EQ(r, (std::vector<double>{40, 160, 0}));
  EXPECT_EQ(c, (std::vector<double>{70, 130, 50}));
}

TEST(StatsDrift, AutoChoiceIsEvidentlys) {
  const auto many = Numeric(Normal(100, 0, 3));
  const auto few = Numeric({1, 2, 3, 1, 2, 3, 4});
  const auto binary = Categorical({{"yes", 3}, {"no", 5}});
  const auto three = Categorical({{"a", 3}, {"b", 5}, {"c", 1}});
  EXPECT_STREQ(AutoDriftTest(many, 1000).name, "ks");
  EXPECT_STREQ(AutoDriftTest(many, 1001).name, "wasserstein");
  EXPECT_EQ(KindOf(few), ColumnKind::kCategorical);  // numeric with at most 5 values
  EXPECT_STREQ(AutoDriftTest(three, 1000).name, "chi2");
  EXPECT_STREQ(AutoDriftTest(binary, 1000).name, "z");
  EXPECT_STREQ(AutoDriftTest(binary, 5000).name, "js");
  EXPECT_STREQ(AutoDriftTest(three, 5000).name, "js");
  EXPECT_FALSE(Applies(*FindDriftTest("ks"), three));
  EXPECT_FALSE(Applies(*FindDriftTest("z"), three));
  EXPECT_TRUE(Applies(*FindDriftTest("psi"), three));
  EXPECT_TRUE(Applies(*FindDriftTest("psi"), many));
  EXPECT_EQ(FindDriftTest("nope"), nullptr);
  for (const auto& test : DriftTests()) EXPECT_EQ(FindDriftTest(test.name), &test);
}

TEST(StatsDrift, PlantedShiftsAreFoundAndIdenticalSamplesRarelyAlarm) {
  // A mean shift of 0.5 sd with 500 rows a side: every test that applies finds it.
  const auto ref = Numeric(Normal(500, 0, 11)), shifted = Numeric(Normal(500, 0.5, 12));
  for (const char* name : {"ks", "wasserstein", "js", "psi", "mmd"})
    EXPECT_TRUE(FindDriftTest(name)->run(ref, shifted, DriftSettings{}).drift) << name;
  // A new category at 20 %.
  const auto cats = Categorical({{"a", 300}, {"b", 200}});
  const auto with_new = Categorical({{"a", 240}, {"b", 160}, {"new", 100}});
  for (const char* name : {"chi2", "js", "psi"})
    EXPECT_TRUE(FindDriftTest(name)->run(cats, with_new, DriftSettings{}).drift) << name;
  // Identically distributed samples, 1,000 windows of 200 a side: KS alarms at about its level 0.05
  // (2.5 standard errors of slack for the binomial count).
  int alarms = 0;
  const int windows = 1000;
  for (int w = 0; w < windows; ++w) {
    const auto a = Numeric(Normal(200, 0, 1000 + 2 * static_cast<uint64_t>(w)));
    const auto b = Numeric(Normal(200, 0, 1001 + 2 * static_cast<uint64_t>(w)));
    alarms += FindDriftTest("ks")->run(a, b, DriftSettings{}).drift;
  }
  EXPECT_LE(alarms, 0.05 * windows + 2.5 * std::sqrt(0.05 * 0.95 * windows)) << alarms;
  EXPECT_GE(alarms, 20);  // and it is a test at all
}

TEST(StatsDrift, DegenerateInputs) {
  const auto constant = Numeric({3, 3, 3, 3, 3, 3, 3});
  auto outcome = FindDriftTest("wasserstein")->run(constant, Numeric({3, 3, 3}), DriftSettings{});
  EXPECT_FALSE(outcome.drift);
  outcome = FindDriftTest("wasserstein")->run(constant, Numeric({4, 3, 3}), DriftSettings{});
  EXPECT_TRUE(outcome.drift);
  EXPECT_TRUE(std::isinf(outcome.statistic));
  const auto single = Categorical({{"x", 10}});
  EXPECT_FALSE(ProportionZTest(single, single).drift);
  EXPECT_EQ(MaximumMeanDiscrepancy(std::vector<double>{1}, std::vector<double>{2}, 10, 1).p_value, 1);
  DriftSettings strict;
  strict.threshold = 1e-300;
  EXPECT_FALSE(FindDriftTest("ks")->run(Numeric(Normal(50, 0, 5)), Numeric(Normal(50, 0.2, 6)), strict).drift);
}

}  // namespace
}  // namespace modelguard::stats
