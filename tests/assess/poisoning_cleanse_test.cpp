// The Neural Cleanse audit method: a BadNets-backdoored digits model (4x4 patch, 10 %, target 0) is flagged
// with class 0 named; the same architecture trained on clean digits is not.
#include <gtest/gtest.h>

#include <cstdio>

#include "assess/audit_methods_support.h"
#include "assess/backdoor_fixtures.h"
#include "src/assess/poisoning/cleanse/cleanse.h"

namespace modelguard::assess::testing {
namespace {

using poisoning::AuditInput;
using poisoning::CleanseMethod;
using poisoning::MethodResult;

MethodResult Audit(LocalModel& model, const Dataset& clean, uint64_t seed = 1) {
  AuditInput input;
  input.model = &model;
  input.data = &clean;
  input.clean = &clean;
  input.seed = seed;
  auto result = CleanseMethod().run(input);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  if (!result.ok()) return {};
  EXPECT_TRUE(result->scores.empty());
  return std::move(*result);
}

// Fifteen epochs: the backdoor is in place (attack success 1.0), and the clean classes have not yet been
// overfitted into needing only tiny triggers. Trained longer (60 epochs), clean classes' minimal triggers
// shrink towards the backdoor's and the anomaly index of class 0 falls to 1.6-2.4 on 8x8 digits.
constexpr int kEpochs = 15;

std::string Describe(const MethodResult& result) {
  std::string out;
  char buffer[96];
  for (const auto& entry : result.details["classes"]) {
    std::snprintf(buffer, sizeof buffer, " %d:%.2f(%.2f)", entry["class"].get<int>(), entry["mask_l1"].get<double>(),
                  entry["anomaly_index"].get<double>());
    out += buffer;
  }
  return out;
}

TEST(PoisoningCleanseTest, FlagsTheBackdooredModelAndNamesClassZero) {
  const auto start = std::chrono::steady_clock::now();
  const DataSplit split = DigitImages();
  const Poisoned poisoned = PoisonWithTrigger(split.train, Trigger::kPatch, 0.1, 0, 1);
  LocalModel model = TrainOn(poisoned.data, "mlp", kEpochs, 1);
  const double attack_success = model.Predict(FeaturesTensor(TriggeredTestSet(split.test, Trigger::kPatch, 0)))
                                    .eq(0)
                                    .to(torch::kFloat64)
                                    .mean()
                                    .item<double>();
  ASSERT_GT(attack_success, 0.9) << "the fixture's backdoor did not take";
  const MethodResult result = Audit(model, split.test);
  std::printf("attack success %.3f\n", attack_success);
  std::printf("cleanse, backdoored: flagged %d, target %s, norms(anomaly index):%s, %.1f s\n", result.model_flagged,
              result.details["suspected_target"].dump().c_str(), Describe(result).c_str(), SecondsSince(start));
  EXPECT_TRUE(result.model_flagged);
  EXPECT_EQ(result.details["suspected_target"], 0);
  EXPECT_GT(result.details["classes"][0]["anomaly_index"].get<double>(), 2);
  ASSERT_FALSE(result.pictures.empty());
  EXPECT_EQ(result.pictures[0].height, 8);
  EXPECT_EQ(result.pictures[0].width, 8);
  EXPECT_EQ(result.pictures[0].pixels.size(), 64u);
  // The recovered trigger sits where the patch is: most of its mass in the bottom-right 4x4 corner.
  double corner = 0, total = 0;
  for (int y = 0; y < 8; ++y)
    for (int x = 0; x < 8; ++x) {
      const double v = result.pictures[0].pixels[static_cast<size_t>(y * 8 + x)];
      total += v;
      if (y >= 4 && x >= 4) corner += v;
    }
  std::printf("share of the recovered trigger's mass in the patch corner: %.3f\n", corner / total);
  EXPECT_GT(corner / total, 0.5);
}

TEST(PoisoningCleanseTest, DoesNotFlagACleanModel) {
  const auto start = std::chrono::steady_clock::now();
  const DataSplit split = DigitImages();
  LocalModel model = TrainOn(split.train, "mlp", kEpochs, 1);
  const MethodResult result = Audit(model, split.test);
  std::printf("cleanse, clean: flagged %d, norms(anomaly index):%s, %.1f s\n", result.model_flagged,
              Describe(result).c_str(), SecondsSince(start));
  EXPECT_FALSE(result.model_flagged);
  EXPECT_TRUE(result.details["suspected_target"].is_null());
  ASSERT_EQ(result.pictures.size(), 1u);  // the smallest-norm trigger, for the report
  // Same seed, same verdict and norms.
  const MethodResult again = Audit(model, split.test);
  EXPECT_EQ(again.details["classes"], result.details["classes"]);
}

TEST(PoisoningCleanseTest, SamplesTheModelCannotTakeAreAnError) {
  auto model = BuildModel({}, {64}, 10, 1);
  ASSERT_TRUE(model.ok());
  auto iris = LoadDataset("iris", 0.5, 1);
  ASSERT_TRUE(iris.ok());
  AuditInput input;
  input.model = &*model;
  input.data = &iris->test;
  auto result = CleanseMethod().run(input);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("does not take these samples"), std::string::npos) << result.error().message;
  input.model = nullptr;
  EXPECT_FALSE(CleanseMethod().run(input).ok());
}

TEST(PoisoningCleanseTest, AnomalyIndexUsesTheConsistencyConstant) {
  // Median 5, absolute deviations {4, 1, 0, 1, 15}: MAD = 1.4826 * 1.
  const auto indexes = poisoning::AnomalyIndexes({1, 4, 5, 6, 20});
  ASSERT_EQ(indexes.size(), 5u);
  EXPECT_NEAR(indexes[0], 4 / 1.4826, 1e-9);
  EXPECT_NEAR(indexes[2], 0, 1e-12);
  EXPECT_NEAR(indexes[4], 15 / 1.4826, 1e-9);
}

}  // namespace
}  // namespace modelguard::assess::testing
