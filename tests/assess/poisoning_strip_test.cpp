// The STRIP audit method on a BadNets-backdoored digits model (4x4 patch, 10 % poison, target 0).
#include <gtest/gtest.h>

#include <cstdio>

#include "assess/audit_methods_support.h"
#include "assess/backdoor_fixtures.h"
#include "src/assess/poisoning/strip/strip.h"

namespace modelguard::assess::testing {
namespace {

using poisoning::AuditInput;
using poisoning::MethodResult;
using poisoning::StripMethod;

std::vector<size_t> Every(size_t size, size_t first) {
  std::vector<size_t> out;
  for (size_t i = first; i < size; i += 2) out.push_back(i);
  return out;
}

Dataset Concatenate(const Dataset& a, const Dataset& b) {
  Dataset out = a;
  out.features.insert(out.features.end(), b.features.begin(), b.features.end());
  out.labels.insert(out.labels.end(), b.labels.begin(), b.labels.end());
  return out;
}

MethodResult Audit(LocalModel& model, const Dataset& data, const Dataset* clean, uint64_t seed = 1) {
  AuditInput input;
  input.model = &model;
  input.data = &data;
  input.clean = clean;
  input.seed = seed;
  auto result = StripMethod().run(input);
  EXPECT_TRUE(result.ok()) << (result.ok() ? "" : result.error().message);
  if (!result.ok()) return {};
  EXPECT_EQ(result->scores.size(), data.size());
  return std::move(*result);
}

TEST(PoisoningStripTest, DetectsNinetyPercentOfTriggeredInputsAtOnePercentFalseRejection) {
  const auto start = std::chrono::steady_clock::now();
  const DataSplit split = DigitImages();
  const Poisoned poisoned = PoisonWithTrigger(split.train, Trigger::kPatch, 0.1, 0, 1);
  LocalModel model = TrainOn(poisoned.data, "mlp", 30, 1);
  const Dataset triggered_all = TriggeredTestSet(split.test, Trigger::kPatch, 0);
  const double attack_success =
      model.Predict(FeaturesTensor(triggered_all)).eq(0).to(torch::kFloat64).mean().item<double>();
  ASSERT_GT(attack_success, 0.9) << "the fixture's backdoor did not take";

  // Calibration on one half of the clean test set; the other half, clean and triggered, is audited.
  const Dataset calibration = split.test.Subset(Every(split.test.size(), 0));
  const Dataset held_out = split.test.Subset(Every(split.test.size(), 1));
  const Dataset triggered = TriggeredTestSet(held_out, Trigger::kPatch, 0);
  const Dataset audited = Concatenate(held_out, triggered);
  const MethodResult result = Audit(model, audited, &calibration);
  size_t false_rejections = 0, detected = 0;
  for (size_t i = 0; i < audited.size(); ++i) (i < held_out.size() ? false_rejections : detected) += result.flagged[i];
  const double frr = static_cast<double>(false_rejections) / static_cast<double>(held_out.size());
  const double detection = static_cast<double>(detected) / static_cast<double>(triggered.size());
  std::printf(
      "strip: attack success %.3f, threshold %.4f nats, held-out clean false rejection %.4f (%zu of %zu), "
      "triggered detected %.4f (%zu of %zu), %.1f s\n",
      attack_success, result.details["entropy_threshold"].get<double>(), frr, false_rejections, held_out.size(),
      detection, detected, triggered.size(), SecondsSince(start));
  EXPECT_EQ(result.details["calibration"]["source"], "clean samples");
  EXPECT_GE(detection, 0.9);
  EXPECT_LE(frr, 0.03);  // calibrated at 1 % on the other half: a few samples of sampling noise allowed

  // Without a trusted clean set, on the poisoned training data itself (robust normal fit).
  const MethodResult on_training = Audit(model, poisoned.data, nullptr);
  const PrecisionRecall measured = Measure(on_training.flagged, poisoned.poisoned);
  std::printf("strip on the poisoned training set, no clean set: %zu flagged, precision %.3f recall %.3f\n",
              measured.flagged, measured.precision, measured.recall);
  EXPECT_GE(measured.recall, 0.9);

  // Same seed, same scores.
  const MethodResult again = Audit(model, audited, &calibration);
  EXPECT_EQ(again.scores, result.scores);
}

TEST(PoisoningStripTest, RefusesMissingModelAndMismatchedCleanSet) {
  const DataSplit split = DigitImages();
  AuditInput input;
  input.data = &split.test;
  EXPECT_FALSE(StripMethod().run(input).ok());
  auto flat = LoadDataset("iris", 0.5, 1);
  ASSERT_TRUE(flat.ok());
  LocalModel model = TrainOn(split.train.Head(100), "mlp", 1, 1);
  input.model = &model;
  input.clean = &flat->test;
  auto result = StripMethod().run(input);
  ASSERT_FALSE(result.ok());
  EXPECT_NE(result.error().message.find("differ in size"), std::string::npos);
}

}  // namespace
}  // namespace modelguard::assess::testing
