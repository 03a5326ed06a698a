#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>
#include <numeric>
#include <random>

#include "modelguard/defenses/output_hardening.h"
#include "modelguard/defenses/prada.h"

namespace modelguard::defenses {
namespace {

size_t ArgMax(const std::vector<double>& v) {
  return static_cast<size_t>(std::max_element(v.begin(), v.end()) - v.begin());
}

TEST(OutputHardeningTest, ParsesEverySpellingAndRejectsOthers) {
  for (const char* text : {"probabilities", "top-3", "round-2", "label", "reverse-sigmoid"}) {
    auto policy = ParseOutputPolicy(text);
    ASSERT_TRUE(policy.ok()) << text;
    EXPECT_EQ(policy->Describe(), text);
  }
  for (const char* text : {"top-0", "round-9", "top-", "round-x", "labels", ""})
    EXPECT_FALSE(ParseOutputPolicy(text).ok()) << text;
}

TEST(OutputHardeningTest, EveryModeKeepsThePredictedClass) {
  std::mt19937 random(3);
  for (const char* mode : {"top-1", "top-3", "round-0", "round-1", "round-2", "label", "reverse-sigmoid"}) {
    const OutputPolicy policy = *ParseOutputPolicy(mode);
    for (int trial = 0; trial < 500; ++trial) {
      std::vector<double> p(10);
      std::gamma_distribution<double> gamma(trial % 3 == 0 ? 0.1 : 1.0);
      for (double& v : p) v = gamma(random) + 1e-9;
      const double sum = std::accumulate(p.begin(), p.end(), 0.0);
      for (double& v : p) v /= sum;
      const auto out = HardenScores(p, policy);
      ASSERT_EQ(out.size(), p.size());
      EXPECT_EQ(ArgMax(out), ArgMax(p)) << mode << " trial " << trial;
    }
  }
}

TEST(OutputHardeningTest, ModesShowWhatTheySay) {
  const std::vector<double> p{0.05, 0.6, 0.123456, 0.226544};
  auto top2 = HardenScores(p, *ParseOutputPolicy("top-2"));
  EXPECT_EQ(top2, (std::vector<double>{0, 0.6, 0, 0.226544}));
  auto rounded = HardenScores(p, *ParseOutputPolicy("round-2"));
  EXPECT_DOUBLE_EQ(rounded[2], 0.12);
  auto label = HardenScores(p, *ParseOutputPolicy("label"));
  EXPECT_EQ(label, (std::vector<double>{0, 1, 0, 0}));
  auto deceptive = HardenScores(p, *ParseOutputPolicy("reverse-sigmoid"));
  EXPECT_NEAR(std::accumulate(deceptive.begin(), deceptive.end(), 0.0), 1.0, 1e-9);
  EXPECT_GT(std::abs(deceptive[0] - p[0]), 0.05) << "reverse sigmoid must change the scores";
}

TEST(PradaTest, SyntheticStepsAlarmWhileNaturalSamplesDoNot) {
  std::mt19937_64 random(5);
  std::normal_distribution<double> noise(0, 1);
  // Natural queries: points scattered around class centres; nearest distances are roughly normal.
  PradaDetector natural;
  std::vector<std::vector<double>> centres(4, std::vector<double>(16));
  for (auto& c : centres)
    for (double& v : c) v = 4 * noise(random);
  for (int i = 0; i < 600; ++i) {
    const int cls = i % 4;
    std::vector<double> q(16);
    for (size_t d = 0; d < q.size(); ++d) q[d] = centres[cls][d] + noise(random);
    natural.Observe(q, cls);
  }
  EXPECT_FALSE(natural.last().alarm) << "W=" << natural.last().w;
  // Synthetic queries: each a small fixed step from an earlier one (JBDA-like), so distances cluster at
  // the step size with a few large jumps.
  PradaDetector synthetic;
  std::vector<std::vector<double>> seen;
  int first_alarm = -1;
  for (int i = 0; i < 600; ++i) {
    const int cls = i % 4;
    std::vector<double> q(16);
    if (seen.size() < 8) {
      for (size_t d = 0; d < q.size(); ++d) q[d] = centres[cls][d] + noise(random);
    } else {
      q = seen[std::uniform_int_distribution<size_t>(0, seen.size() - 1)(random)];
      for (double& v : q) v += (noise(random) > 0 ? 0.1 : -0.1);
    }
    seen.push_back(q);
    if (synthetic.Observe(q, cls).alarm && first_alarm < 0) first_alarm = i + 1;
  }
  EXPECT_GT(first_alarm, 0);
  EXPECT_LE(first_alarm, 300);
}

TEST(PradaTest, IgnoresImplausibleClassesAndCapsMemory) {
  PradaOptions options;
  options.max_growing_per_class = 8;
  PradaDetector detector(options);
  for (int i = 0; i < 100; ++i) detector.Observe(std::vector<double>{static_cast<double>(i), 0}, 0);
  detector.Observe(std::vector<double>{1, 2}, 1 << 30);
  detector.Observe(std::vector<double>{1, 2}, -1);
  EXPECT_EQ(detector.queries(), 102u);
}

}  // namespace
}  // namespace modelguard::defenses
