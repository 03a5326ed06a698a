// Private statistics: the exact samplers against their distributions (KS over many draws, with a control
// that the test rejects a wrong scale), the discrete Gaussian's delta against a 60-digit computation of its
// definition (tests/privacy/reference_privacy.py), permute-and-flip against its exact selection
// probabilities, released values against the mechanism they claim, and the budget ledger, including
// concurrent callers.
#include "modelguard/privacy/release.h"
#include "modelguard/privacy/ledger.h"
#include "modelguard/privacy/noise.h"
#include "modelguard/stats/stats.h"
#include "test_support.h"

#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <numeric>
#include <sstream>
#include <thread>

namespace modelguard::privacy {
namespace {

// One-sample KS statistic of integer draws against a CDF on the integers: the largest gap between the
// empirical CDF and F, checked on both sides of every jump; p-value from the limiting Kolmogorov
// distribution (conservative for discrete distributions, which is the safe side for "not rejected", and
// still sharp enough to reject the wrong scales below).
double KsPValue(std::vector<int64_t> draws, const std::function<double(int64_t)>& cdf) {
  std::sort(draws.begin(), draws.end());
  const double n = static_cast<double>(draws.size());
  double gap = 0;
  for (size_t i = 0; i < draws.size();) {
    size_t j = i;
    while (j < draws.size() && draws[j] == draws[i]) ++j;
    gap = std::max(gap, std::fabs(static_cast<double>(j) / n - cdf(draws[i])));
    gap = std::max(gap, std::fabs(static_cast<double>(i) / n - cdf(draws[i] - 1)));
    i = j;
  }
  return stats::KolmogorovSurvival(std::sqrt(n) * gap);
}

std::vector<int64_t> Draw(size_t count, const std::function<Result<int64_t>()>& sample) {
  std::vector<int64_t> draws;
  for (size_t i = 0; i < count; ++i) {
    auto value = sample();
    EXPECT_TRUE(value) << value.error().message;
    if (!value) break;
    draws.push_back(*value);
  }
  return draws;
}

TEST(PrivacySampling, BernoulliExpFrequencies) {
  auto bits = SeededRandomBits(1);
  for (auto [n, d] : {std::pair<uint64_t, uint64_t>{3, 10}, {1, 1}, {5, 2}, {0, 7}}) {
    const int trials = 40000;
    int ones = 0;
    for (int i = 0; i < trials; ++i) {
      auto coin = BernoulliExp(*bits, n, d);
      ASSERT_TRUE(coin);
      ones += *coin;
    }
    const double p = std::exp(-static_cast<double>(n) / static_cast<double>(d));
    EXPECT_NEAR(ones / double(trials), p, 4.5 * std::sqrt(p * (1 - p) / trials) + 1e-12) << n << "/" << d;
  }
  EXPECT_FALSE(BernoulliExp(*bits, 1, 0));
}

TEST(PrivacySampling, DiscreteLaplaceMatchesItsDistribution) {
  auto bits = SeededRandomBits(2);
  for (auto [t, s] : {std::pair<uint64_t, uint64_t>{37, 10}, {1, 1}, {1 << 20, 1000}}) {
    const double scale = static_cast<double>(t) / static_cast<double>(s);
    const auto draws = Draw(20000, [&] { return DiscreteLaplace(*bits, t, s); });
    const double p = KsPValue(draws, [&](int64_t z) { return DiscreteLaplaceCdf(scale, z); });
    EXPECT_GT(p, 1e-3) << "scale " << scale;
    // The same draws against a scale 10 % off are rejected: the check can fail.
    const double wrong = KsPValue(draws, [&](int64_t z) { return DiscreteLaplaceCdf(scale * 1.1, z); });
    EXPECT_LT(wrong, 1e-3) << "scale " << scale;
    // Variance 2 r / (1 - r)^2 with r = exp(-1 / scale).
    const double r = std::exp(-1 / scale);
    double sum_squares = 0;
    for (int64_t z : draws) sum_squares += static_cast<double>(z) * static_cast<double>(z);
    EXPECT_NEAR(sum_squares / static_cast<double>(draws.size()) / (2 * r / ((1 - r) * (1 - r))), 1, 0.06);
  }
  EXPECT_FALSE(DiscreteLaplace(*bits, 0, 1));
  EXPECT_FALSE(DiscreteLaplace(*bits, kMaxNoiseScale, 1));
}

// The discrete Gaussian's CDF as a table over +-20 sigma, from its mass function directly.
std::function<double(int64_t)> GaussianCdfTable(double variance) {
  const auto reach = static_cast<int64_t>(std::ceil(20 * std::sqrt(variance))) + 1;
  auto cdf = std::make_shared<std::vector<double>>();
  double total = 0;
  for (int64_t y = -reach; y <= reach; ++y) {
    total += std::exp(-static_cast<double>(y) * static_cast<double>(y) / (2 * variance));
    cdf->push_back(total);
  }
  for (double& c : *cdf) c /= total;
  return [cdf, reach](int64_t z) {
    if (z < -reach) return 0.0;
    if (z >= reach) return 1.0;
    return (*cdf)[static_cast<size_t>(z + reach)];
  };
}

TEST(PrivacySampling, DiscreteGaussianMatchesItsDistribution) {
  auto bits = SeededRandomBits(3);
  for (uint64_t numerator : {uint64_t{3136}, uint64_t{64}, uint64_t{256} * 1500 * 1500}) {  // sigma 3.5, 0.5, 1500
    const double variance = static_cast<double>(numerator) / kVarianceDenominator;
    const auto draws = Draw(20000, [&] { return DiscreteGaussian(*bits, numerator, kVarianceDenominator); });
    const auto cdf = GaussianCdfTable(variance);
    EXPECT_GT(KsPValue(draws, cdf), 1e-3) << variance;
    EXPECT_LT(KsPValue(draws, GaussianCdfTable(variance * 1.21)), 1e-3) << variance;
    for (int64_t z : {int64_t{-3}, int64_t{0}, int64_t{2}, static_cast<int64_t>(std::sqrt(variance))})
      EXPECT_NEAR(DiscreteGaussianCdf(variance, z), cdf(z), 1e-12) << variance << " " << z;
  }
  EXPECT_FALSE(DiscreteGaussian(*bits, 0, 1));
  EXPECT_FALSE(DiscreteGaussian(*bits, 1, uint64_t{1} << 20));
}

TEST(PrivacySampling, DiscreteGaussianDeltaMatchesItsDefinition) {
  const nlohmann::json cases = nlohmann::json::parse(R"([
    {"kind": "discrete_gaussian_delta", "variance": 12.25, "sensitivity": 1, "epsilon": 0.5},
    {"kind": "discrete_gaussian_delta", "variance": 400, "sensitivity": 3, "epsilon": 0.2},
    {"kind": "discrete_gaussian_delta", "variance": 0.3, "sensitivity": 1, "epsilon": 1.0},
    {"kind": "discrete_gaussian_delta", "variance": 2500, "sensitivity": 7, "epsilon": 1.5}])");
  const auto reference = testing::RunPythonReference("tests/privacy/reference_privacy.py", cases);
  ASSERT_EQ(reference.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const double ours = DiscreteGaussianDelta(cases[i]["variance"], cases[i]["sensitivity"], cases[i]["epsilon"]);
    const double theirs = reference[i]["delta"];
    EXPECT_NEAR(ours, theirs, 1e-12 + 1e-9 * theirs) << cases[i].dump();
  }
}

TEST(PrivacySampling, CalibrationIsTheSmallestVarianceThatHoldsDelta) {
  for (auto [sensitivity, epsilon, delta] : {std::tuple<uint64_t, double, double>{1, 1.0, 1e-5}, {40, 0.5, 1e-7}}) {
    auto numerator = CalibrateDiscreteGaussian(sensitivity, epsilon, delta);
    ASSERT_TRUE(numerator) << numerator.error().message;
    const auto at = [&](uint64_t v) {
      return DiscreteGaussianDelta(static_cast<double>(v) / kVarianceDenominator, sensitivity, epsilon);
    };
    EXPECT_LE(at(*numerator), delta);
    EXPECT_GT(at(*numerator - 1), delta);
    // Close to the continuous analytic Gaussian mechanism's sigma (Balle and Wang 2018) at this size.
    const double sigma = std::sqrt(static_cast<double>(*numerator) / kVarianceDenominator);
    EXPECT_GT(sigma, 0.8 * static_cast<double>(sensitivity) * std::sqrt(2 * std::log(1.25 / delta)) / epsilon / 2);
  }
  EXPECT_FALSE(CalibrateDiscreteGaussian(1, 1e-7, 1e-12));  // would need sigma far above 65536
  EXPECT_FALSE(CalibrateDiscreteGaussian(0, 1, 1e-5));
  EXPECT_FALSE(CalibrateDiscreteGaussian(1, 1, 1));
}

TEST(PrivacySampling, PermuteAndFlipHasItsExactSelectionProbabilities) {
  // Exact probabilities by enumerating the 24 orders of 4 candidates: in an order, candidate r wins when
  // every earlier one was rejected and r accepted, with acceptance exp(epsilon (u - u_max) / (2 sensitivity)).
  const std::vector<int64_t> utilities = {0, -1, -3, -2};
  const double epsilon = 1.5;  // 3 / 2
  std::vector<double> accept(utilities.size()), exact(utilities.size(), 0);
  for (size_t i = 0; i < utilities.size(); ++i) accept[i] = std::exp(epsilon * static_cast<double>(utilities[i]) / 2);
  std::vector<size_t> order = {0, 1, 2, 3};
  int orders = 0;
  do {
    ++orders;
    double none_yet = 1;
    for (size_t r : order) {
      exact[r] += none_yet * accept[r];
      none_yet *= 1 - accept[r];
    }
  } while (std::next_permutation(order.begin(), order.end()));
  for (double& p : exact) p /= orders;
  auto bits = SeededRandomBits(4);
  std::vector<double> counts(utilities.size(), 0);
  const int trials = 30000;
  for (int i = 0; i < trials; ++i) {
    auto pick = PermuteAndFlip(*bits, utilities, 1, 3, 2);
    ASSERT_TRUE(pick) << pick.error().message;
    counts[*pick] += 1;
  }
  std::vector<double> expected(exact.size());
  for (size_t i = 0; i < exact.size(); ++i) expected[i] = exact[i] * trials;
  EXPECT_GT(stats::ChiSquareGoodnessOfFit(counts, expected).p_value, 1e-3);
  // Against the exponential mechanism's probabilities (a different distribution) the same counts fail.
  std::vector<double> exponential(utilities.size());
  double total = 0;
  for (size_t i = 0; i < utilities.size(); ++i) total += exponential[i] = accept[i];
  for (double& e : exponential) e = e / total * trials;
  EXPECT_LT(stats::ChiSquareGoodnessOfFit(counts, exponential).p_value, 1e-3);
  EXPECT_FALSE(PermuteAndFlip(*bits, {}, 1, 1, 1));
}

TEST(PrivacyRelease, QueriesParseAndPrint) {
  for (const char* text : {"count", "sum(income)", "mean(age)", "quantile(age, 0.9)", "histogram(city)",
                           "mean(\"a, (b)\")", "sum(\"say \"\"hi\"\"\")"}) {
    auto query = ParseReleaseQuery(text);
    ASSERT_TRUE(query) << text << ": " << query.error().message;
    EXPECT_EQ(ToString(*query), text);
  }
  auto spaced = ParseReleaseQuery("  quantile( age , 0.25 ) ");
  ASSERT_TRUE(spaced);
  EXPECT_EQ(spaced->column, "age");
  EXPECT_DOUBLE_EQ(spaced->quantile, 0.25);
  for (const char* bad : {"", "median(x)", "sum()", "sum(a, b)", "quantile(a)", "quantile(a, 1.5)", "quantile(a, nan)",
                          "sum(\"open", "count(x", "histogram"}) {
    EXPECT_FALSE(ParseReleaseQuery(bad)) << bad;
  }
}

// A table with a person id, an age and a city; `rows_of_p0` rows belong to person p0, one each to the rest.
std::string Table(int people, int rows_of_p0) {
  std::ostringstream csv;
  csv << "person,age,city\n";
  for (int i = 0; i < rows_of_p0; ++i) csv << "p0,90,Paris\n";
  for (int i = 1; i < people; ++i) csv << "p" << i << "," << (i % 80) + 10 << "," << (i % 3 ? "Lyon" : "Nice") << "\n";
  return csv.str();
}

Result<PreparedRelease> Prepare(const std::string& csv, const ReleaseOptions& options) {
  std::istringstream in(csv);
  return PrepareRelease(in, "table.csv", options);
}

std::vector<double> Values(const PreparedRelease& release, size_t count, uint64_t seed, size_t index = 0) {
  auto bits = SeededRandomBits(seed);
  std::vector<double> values;
  for (size_t i = 0; i < count; ++i) {
    auto drawn = release.Draw(*bits);
    EXPECT_TRUE(drawn) << drawn.error().message;
    if (!drawn) break;
    values.push_back(drawn->values.at(index).value);
  }
  return values;
}

TEST(PrivacyRelease, CountFollowsTheDiscreteLaplaceMechanism) {
  ReleaseOptions options;
  options.epsilon = 0.5;
  auto release = Prepare(Table(1000, 1), options);
  ASSERT_TRUE(release) << release.error().message;
  EXPECT_EQ(release->description().mechanism, "discrete-laplace");
  EXPECT_DOUBLE_EQ(release->description().noise_scale, 2.0);  // sensitivity 1 / epsilon 0.5
  const auto values = Values(*release, 5000, 10);
  std::vector<int64_t> noise;
  for (double v : values) noise.push_back(static_cast<int64_t>(v) - 1000);
  EXPECT_GT(KsPValue(noise, [](int64_t z) { return DiscreteLaplaceCdf(2, z); }), 1e-3);
  EXPECT_LT(KsPValue(noise, [](int64_t z) { return DiscreteLaplaceCdf(2.3, z); }), 1e-3);
  // 95 % of draws within the stated half-width.
  const double half = release->description().half_width_95;
  const auto inside =
      std::count_if(noise.begin(), noise.end(), [&](int64_t z) { return static_cast<double>(std::abs(z)) <= half; });
  EXPECT_NEAR(static_cast<double>(inside) / 5000, 0.95, 0.015);
}

TEST(PrivacyRelease, ContributionsAreBoundedPerPerson) {
  // p0 has 500 rows. Without a privacy unit they count 500 times; with one and a limit of 2, twice.
  ReleaseOptions options;
  options.epsilon = 5;
  auto rows = Prepare(Table(300, 500), options);
  options.privacy_unit = "person";
  options.contribution_limit = 2;
  auto people = Prepare(Table(300, 500), options);
  ASSERT_TRUE(rows && people);
  const auto median = [](std::vector<double> v) { return stats::Median(std::move(v)); };
  EXPECT_NEAR(median(Values(*rows, 101, 11)), 799, 1.5);
  EXPECT_NEAR(median(Values(*people, 101, 12)), 301, 1.5);
  EXPECT_DOUBLE_EQ(people->description().sensitivity, 2);  // two rows per person
  options.privacy_unit.clear();
  EXPECT_FALSE(Prepare(Table(3, 1), options));  // a limit without a unit column to enforce it
}

TEST(PrivacyRelease, SumsAreGridMultiplesWithTheClaimedNoise) {
  ReleaseOptions options;
  options.query = *ParseReleaseQuery("sum(age)");
  options.epsilon = 1;
  options.bounds = std::pair(0.0, 50.0);  // ages above 50 are clamped
  const std::string csv = Table(2000, 1);
  double true_sum = 0;
  {
    std::istringstream in(csv);
    std::string line;
    std::getline(in, line);
    while (std::getline(in, line)) {
      const double age = std::stod(line.substr(line.find(',') + 1));
      true_sum += std::min(age, 50.0);
    }
  }
  auto release = Prepare(csv, options);
  ASSERT_TRUE(release) << release.error().message;
  const double g = release->description().granularity;
  EXPECT_EQ(g, std::ldexp(1.0, static_cast<int>(std::floor(std::log2(g)))));  // a power of two
  const double scale_steps = release->description().noise_scale / g;
  EXPECT_GT(scale_steps, 1000);                                         // the grid is fine against the noise
  EXPECT_NEAR(release->description().noise_scale, 50.0, 50.0 * 0.005);  // sensitivity 50 / epsilon 1, rounded
  const auto values = Values(*release, 5000, 13);
  std::vector<int64_t> steps;
  for (double v : values) {
    // Every release is an exact multiple of the grid: no low-order bits for Mironov's attack to read.
    ASSERT_EQ(std::fmod(v, g), 0.0) << v;
    steps.push_back(std::llround((v - true_sum) / g));
  }
  EXPECT_GT(KsPValue(steps, [&](int64_t z) { return DiscreteLaplaceCdf(scale_steps, z); }), 1e-3);
  EXPECT_LT(KsPValue(steps, [&](int64_t z) { return DiscreteLaplaceCdf(scale_steps * 1.15, z); }), 1e-3);
}

TEST(PrivacyRelease, GaussianCountMatchesTheCalibratedDiscreteGaussian) {
  ReleaseOptions options;
  options.mechanism = NoiseMechanism::kGaussian;
  options.epsilon = 1;
  options.delta = 1e-6;
  auto release = Prepare(Table(500, 1), options);
  ASSERT_TRUE(release) << release.error().message;
  const double variance = release->description().noise_scale * release->description().noise_scale;
  EXPECT_LE(DiscreteGaussianDelta(variance, 1, 1), 1e-6);
  std::vector<int64_t> noise;
  for (double v : Values(*release, 5000, 14)) noise.push_back(static_cast<int64_t>(v) - 500);
  EXPECT_GT(KsPValue(noise, GaussianCdfTable(variance)), 1e-3);
  EXPECT_LT(KsPValue(noise, GaussianCdfTable(variance * 1.3)), 1e-3);
}

TEST(PrivacyRelease, MeanQuantileAndHistogramLandNearTheTruth) {
  // 1001 people with ages 0..1000 (bounds 0..1000): mean and median 500.
  std::ostringstream csv;
  csv << "age,city\n";
  for (int i = 0; i <= 1000; ++i) csv << i << "," << (i < 250 ? "Paris" : i < 750 ? "Lyon" : "Metz") << "\n";
  ReleaseOptions options;
  options.epsilon = 1;
  options.bounds = std::pair(0.0, 1000.0);
  options.query = *ParseReleaseQuery("mean(age)");
  auto mean = Prepare(csv.str(), options);
  ASSERT_TRUE(mean) << mean.error().message;
  for (double v : Values(*mean, 200, 15)) EXPECT_NEAR(v, 500, 25);
  options.query = *ParseReleaseQuery("quantile(age, 0.5)");
  auto median = Prepare(csv.str(), options);
  ASSERT_TRUE(median) << median.error().message;
  const auto medians = Values(*median, 200, 16);
  EXPECT_GT(std::count_if(medians.begin(), medians.end(), [](double v) { return std::fabs(v - 500) < 30; }), 190);
  for (double v : medians) EXPECT_EQ(std::fmod(v, median->description().granularity), 0.0);  // grid points
  options.query = *ParseReleaseQuery("quantile(age, 0.9)");
  auto p90 = Prepare(csv.str(), options);
  ASSERT_TRUE(p90);
  EXPECT_NEAR(stats::Median(Values(*p90, 51, 17)), 900, 10);
  options.query = *ParseReleaseQuery("histogram(city)");
  options.bounds.reset();
  options.categories = {"Paris", "Lyon"};
  auto histogram = Prepare(csv.str(), options);
  ASSERT_TRUE(histogram) << histogram.error().message;
  auto bits = SeededRandomBits(18);
  auto drawn = histogram->Draw(*bits);
  ASSERT_TRUE(drawn);
  ASSERT_EQ(drawn->values.size(), 3u);
  EXPECT_EQ(drawn->values[2].label, "(other)");
  EXPECT_NEAR(drawn->values[0].value, 250, 20);
  EXPECT_NEAR(drawn->values[1].value, 500, 20);
  EXPECT_NEAR(drawn->values[2].value, 251, 20);
}

TEST(PrivacyRelease, RefusesWhatWouldLeakOrMakesNoSense) {
  const std::string csv = Table(10, 1);
  const auto refused = [&](const std::string& query, const std::function<void(ReleaseOptions&)>& change) {
    ReleaseOptions options;
    options.epsilon = 1;
    options.query = *ParseReleaseQuery(query);
    change(options);
    auto result = Prepare(csv, options);
    if (result) return std::string("accepted");
    return result.error().message;
  };
  EXPECT_NE(refused("sum(age)", [](auto&) {}).find("--bounds"), std::string::npos);
  EXPECT_NE(refused("histogram(city)", [](auto&) {}).find("--categories"), std::string::npos);
  EXPECT_NE(refused("count", [](auto& o) { o.mechanism = NoiseMechanism::kGaussian; }).find("delta"),
            std::string::npos);
  EXPECT_NE(refused("count", [](auto& o) { o.delta = 1e-6; }).find("Gaussian"), std::string::npos);
  EXPECT_NE(refused("sum(salary)", [](auto& o) { o.bounds = std::pair(0.0, 1.0); }).find("no column"),
            std::string::npos);
  EXPECT_NE(refused("count", [](auto& o) { o.epsilon = 0; }).find("epsilon"), std::string::npos);
  EXPECT_NE(refused("count", [](auto& o) { o.epsilon = NAN; }).find("epsilon"), std::string::npos);
  EXPECT_NE(refused("sum(age)", [](auto& o) { o.bounds = std::pair(5.0, 5.0); }).find("bounds"), std::string::npos);
  EXPECT_NE(refused("histogram(city)", [](auto& o) { o.categories = {"a", "a"}; }).find("twice"), std::string::npos);
  EXPECT_NE(refused("quantile(age, 0.5)",
                    [](auto& o) {
                      o.bounds = std::pair(0.0, 1.0);
                      o.mechanism = NoiseMechanism::kGaussian;
                      o.delta = 1e-6;
                    })
                .find("permute-and-flip"),
            std::string::npos);
  // A header naming a column twice is ambiguous.
  ReleaseOptions options;
  options.epsilon = 1;
  options.query = *ParseReleaseQuery("sum(a)");
  options.bounds = std::pair(0.0, 1.0);
  EXPECT_FALSE(Prepare("a,a\n1,2\n", options));
  // An empty file has no header: no column to find. A count of an empty file is fine.
  EXPECT_FALSE(Prepare("", options));
  options.query = ReleaseQuery{};
  EXPECT_TRUE(Prepare("", options));
  // Cells that are not numbers are missing values, not errors (an error would reveal them).
  options.query = *ParseReleaseQuery("sum(a)");
  EXPECT_TRUE(Prepare("a\n1\nx\nnan\n\n1e999\n", options));
}

TEST(PrivacyRelease, FileDigestAndSpecialFiles) {
  const std::string dir = testing::TempDir("release");
  const std::string path = dir + "/t.csv";
  std::ofstream(path) << Table(5, 1);
  ReleaseOptions options;
  options.epsilon = 1;
  auto release = PrepareReleaseFile(path, options);
  ASSERT_TRUE(release) << release.error().message;
  auto digest = DatasetSha256(path);
  ASSERT_TRUE(digest);
  EXPECT_EQ(release->data_sha256(), *digest);
  EXPECT_EQ(digest->size(), 64u);
  const std::string fifo = dir + "/fifo.csv";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_FALSE(PrepareReleaseFile(fifo, options));  // never blocks on a FIFO
  EXPECT_FALSE(DatasetSha256(fifo));
  EXPECT_FALSE(PrepareReleaseFile(dir, options));
  EXPECT_FALSE(PrepareReleaseFile(dir + "/missing.csv", options));
}

TEST(PrivacyLedger, ChargesAddUpExactlyAndStopAtTheTotal) {
  const std::string path = testing::TempDir("ledger") + "/l.sqlite";
  auto ledger = BudgetLedger::Open(path);
  ASSERT_TRUE(ledger) << ledger.error().message;
  EXPECT_FALSE((*ledger)->Charge("d", 0.1, 0, "count"));  // no budget yet
  ASSERT_TRUE((*ledger)->SetBudget("d", 1.0, 1e-6, false));
  EXPECT_TRUE((*ledger)->SetBudget("d", 1.0, 1e-6, false));   // the same again is fine
  EXPECT_FALSE((*ledger)->SetBudget("d", 2.0, 1e-6, false));  // a different one needs replace
  for (int i = 0; i < 10; ++i) ASSERT_TRUE((*ledger)->Charge("d", 0.1, 0, "count")) << i;
  auto over = (*ledger)->Charge("d", 1e-9, 0, "count");
  ASSERT_FALSE(over);
  EXPECT_EQ(over.error().code, ErrorCode::kLimit);
  auto state = (*ledger)->State("d");
  ASSERT_TRUE(state);
  EXPECT_DOUBLE_EQ(state->spent_epsilon, 1.0);
  EXPECT_EQ(state->charges.size(), 10u);
  // delta is a budget of its own.
  ASSERT_TRUE((*ledger)->SetBudget("e", 5, 1e-6, false));
  EXPECT_TRUE((*ledger)->Charge("e", 0.1, 6e-7, "g"));
  EXPECT_FALSE((*ledger)->Charge("e", 0.1, 6e-7, "g"));
  EXPECT_FALSE((*ledger)->Charge("e", -1, 0, "g"));
  EXPECT_FALSE((*ledger)->Charge("e", NAN, 0, "g"));
  // Budgets survive reopening; a replaced total below the spending leaves nothing.
  ledger->reset();
  auto again = BudgetLedger::Open(path);
  ASSERT_TRUE(again);
  ASSERT_TRUE((*again)->SetBudget("d", 0.5, 0, true));
  EXPECT_FALSE((*again)->Charge("d", 1e-9, 0, "count"));
}

TEST(PrivacyLedger, ConcurrentCallersNeverOverspend) {
  const std::string path = testing::TempDir("ledger-threads") + "/l.sqlite";
  {
    auto ledger = BudgetLedger::Open(path);
    ASSERT_TRUE(ledger);
    ASSERT_TRUE((*ledger)->SetBudget("d", 2.0, 0, false));
  }
  // 8 threads, each with its own connection, 6 charges of 0.1 each: 48 attempts, room for exactly 20.
  std::atomic<int> granted{0}, refused{0}, failed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      auto ledger = BudgetLedger::Open(path);
      if (!ledger) {
        ++failed;
        return;
      }
      for (int i = 0; i < 6; ++i) {
        auto charged = (*ledger)->Charge("d", 0.1, 0, "count");
        if (charged)
          ++granted;
        else if (charged.error().code == ErrorCode::kLimit)
          ++refused;
        else
          ++failed;
      }
    });
  }
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(granted.load(), 20);
  EXPECT_EQ(refused.load(), 28);
}

TEST(PrivacyLedger, RefusesFilesThatAreNotLedgers) {
  const std::string dir = testing::TempDir("ledger-bad");
  std::ofstream(dir + "/text") << "not a database at all, just some text that is long enough to matter\n";
  EXPECT_FALSE(BudgetLedger::Open(dir + "/text"));
  EXPECT_FALSE(BudgetLedger::Open(dir));
  const std::string fifo = dir + "/fifo";
  ASSERT_EQ(mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_FALSE(BudgetLedger::Open(fifo));
}

}  // namespace
}  // namespace modelguard::privacy
