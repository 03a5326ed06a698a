// Isotonic regression against scikit-learn's IsotonicRegression (tests/stats/reference_stats.py, kind
// "isotonic"), on calibration-shaped data drawn here with fixed seeds: confidences in [0, 1] and 0/1 outcomes.
#include "modelguard/stats/isotonic.h"

#include <gtest/gtest.h>

#include <cmath>
#include <nlohmann/json.hpp>
#include <random>
#include <vector>

#include "test_support.h"

namespace modelguard::stats {
namespace {

struct Case {
  std::vector<double> x, y, w, at;
};

// Overconfident predictions: stated confidence p, right with probability p^2; confidences rounded to `grid`
// steps so that many points share an x (the pooling of ties is part of what is compared).
Case Calibration(size_t n, double grid, bool weighted, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> uniform(0, 1);
  Case c;
  for (size_t i = 0; i < n; ++i) {
    double p = 0.3 + 0.7 * uniform(rng);
    if (grid > 0) p = std::round(p / grid) * grid;
    c.x.push_back(p);
    c.y.push_back(uniform(rng) < p * p ? 1.0 : 0.0);
    if (weighted) c.w.push_back(0.5 + uniform(rng));
  }
  // Inside, at the fitted points, between them, and outside the fitted range (clipped).
  for (double a : {-1.0, 0.0, 0.2, 0.3, 0.3333, 0.5, 0.61, 0.75, 0.9, 0.95, 0.999, 1.0, 2.0}) c.at.push_back(a);
  for (size_t i = 0; i < 50; ++i) c.at.push_back(uniform(rng));
  return c;
}

TEST(IsotonicTest, EqualsScikitLearn) {
  std::vector<Case> cases = {Calibration(2000, 0, false, 1), Calibration(2000, 0.01, false, 2),
                             Calibration(300, 0.05, true, 3), Calibration(50, 0, true, 4), Calibration(1, 0, false, 5)};
  // Hand-made: a fully decreasing sequence pools to one value; ties with different outcomes.
  cases.push_back({{0.1, 0.2, 0.3, 0.4}, {1, 1, 0, 0}, {}, {0, 0.15, 0.35, 1}});
  cases.push_back({{0.5, 0.5, 0.5, 0.9, 0.9}, {0, 1, 1, 0, 1}, {}, {0.4, 0.5, 0.7, 0.9, 1}});
  nlohmann::json requests = nlohmann::json::array();
  for (const Case& c : cases) {
    nlohmann::json request = {{"kind", "isotonic"}, {"x", c.x}, {"y", c.y}, {"at", c.at}};
    if (!c.w.empty()) request["w"] = c.w;
    requests.push_back(request);
  }
  const nlohmann::json expected = modelguard::testing::RunPythonReference("tests/stats/reference_stats.py", requests);
  ASSERT_EQ(expected.size(), cases.size());
  for (size_t i = 0; i < cases.size(); ++i) {
    const Case& c = cases[i];
    const IsotonicMap map = IsotonicMap::Fit(c.x, c.y, c.w);
    const auto& predictions = expected[i].at("predictions");
    ASSERT_EQ(predictions.size(), c.at.size());
    for (size_t j = 0; j < c.at.size(); ++j)
      EXPECT_NEAR(map.Apply(c.at[j]), predictions[j].get<double>(), 1e-12) << "case " << i << " at " << c.at[j];
    // The fitted values never decrease and stay in [0, 1].
    for (size_t j = 0; j < map.ys().size(); ++j) {
      EXPECT_GE(map.ys()[j], 0.0);
      EXPECT_LE(map.ys()[j], 1.0);
      if (j > 0) {
        EXPECT_LE(map.ys()[j - 1], map.ys()[j]);
        EXPECT_LT(map.xs()[j - 1], map.xs()[j]);
      }
    }
  }
}

TEST(IsotonicTest, LeavesOutWhatCannotBeFitted) {
  const double nan = std::nan("");
  const std::vector<double> x = {0.2, nan, 0.4, 0.6, INFINITY};
  const std::vector<double> y = {0, 1, 1, nan, 1};
  const IsotonicMap map = IsotonicMap::Fit(x, y, std::vector<double>{1, 1, 1, 1, 1});
  ASSERT_EQ(map.xs(), (std::vector<double>{0.2, 0.4}));
  EXPECT_DOUBLE_EQ(map.Apply(0.3), 0.5);
  // A zero weight leaves its point out.
  const IsotonicMap weighted =
      IsotonicMap::Fit(std::vector<double>{0.1, 0.2}, std::vector<double>{1, 0}, std::vector<double>{0, 1});
  EXPECT_EQ(weighted.xs(), std::vector<double>{0.2});
  // A saved map comes back the same; points that are not an isotonic map are refused.
  const auto restored = IsotonicMap::FromPoints(map.xs(), map.ys());
  ASSERT_TRUE(restored);
  EXPECT_EQ(restored->Apply(0.3), map.Apply(0.3));
  EXPECT_FALSE(IsotonicMap::FromPoints({0.2, 0.2}, {0, 1}));  // x not strictly increasing
  EXPECT_FALSE(IsotonicMap::FromPoints({0.2, 0.3}, {1, 0}));  // y decreasing
  EXPECT_FALSE(IsotonicMap::FromPoints({0.2, 0.3}, {0}));     // lengths differ
  EXPECT_FALSE(IsotonicMap::FromPoints({0.2, nan}, {0, 1}));
  // Nothing to fit: the map is empty and passes values through.
  const IsotonicMap none = IsotonicMap::Fit(std::vector<double>{}, std::vector<double>{});
  EXPECT_TRUE(none.empty());
  EXPECT_EQ(none.Apply(0.7), 0.7);
}

}  // namespace
}  // namespace modelguard::stats
