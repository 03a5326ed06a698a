// Activation clustering's choice of the poisoned cluster, on activations built by hand: a linear model whose
// input is its penultimate layer, so every figure the method sees is set by the test. It reproduces what went
// wrong on Fashion-MNIST (docs/data.md): a class with two natural shapes (shirts) looked poisoned, and in the
// poisoned class the model tied the clean members to another class more than the poison, so the clean
// majority was taken for the candidate and ruled out by its size.
#include <gtest/gtest.h>

#include <random>

#include "modelguard/assess/audit.h"

namespace modelguard::assess::poisoning {
namespace {

constexpr int64_t kClasses = 5;
constexpr int64_t kDims = 8;  // 0-4: one per class, 5: the trigger, 6: a natural spread, 7: class 1's two shapes
constexpr size_t kPerClass = 400;
constexpr size_t kPoisoned = 80;  // of class 0's samples: 20 %

struct Fixture {
  Dataset data;
  std::vector<size_t> poisoned;  // sorted indices
};

// Values are x / 20 + 0.5 (datasets hold values in [0, 1]); the model's weights undo the scale, which moves
// and scales the activations alike and so changes neither the clusters nor the variance ratios.
Fixture MakeData(bool poison) {
  Fixture out;
  out.data.name = "synthetic";
  out.data.sample_shape = {kDims};
  out.data.classes = kClasses;
  std::mt19937_64 random(7);
  std::normal_distribution<double> noise(0, 0.2), spread(0, 1.0);
  for (int64_t c = 0; c < kClasses; ++c) {
    for (size_t i = 0; i < kPerClass; ++i) {
      double x[kDims];
      for (auto& v : x) v = noise(random);
      x[6] += spread(random);  // every class varies along one natural direction, so its top variance is ~1
      const bool poisoned = poison && c == 0 && i < kPoisoned;
      if (poisoned) {
        // A source class's features, weakened, plus the trigger the model ties to class 0.
        x[1 + i % 4] += 1.0;
        x[5] += 4.0;
        out.poisoned.push_back(out.data.size());
      } else if (c == 0) {
        x[0] += 2.0;
        x[2] += 1.2;  // clean members of class 0 resemble class 2 (T-shirts and shirts)
      } else if (c == 1) {
        // Two natural shapes, well apart (a real split) but along a direction carrying no more variance
        // than other classes' natural spread; one shape resembles class 3.
        x[1] += 2.0;
        if (i % 2 == 0) {
          x[7] += 1.2;
          x[3] += 0.8;
        } else {
          x[7] -= 1.2;
        }
      } else {
        x[c] += 2.0;
      }
      for (double v : x) out.data.features.push_back(static_cast<float>(v / 20 + 0.5));
      out.data.labels.push_back(c);
    }
  }
  return out;
}

// logits = W x with W[c][c] = 3 and the trigger's weight 6 on class 0, in the stored values' scale.
LocalModel MakeModel() {
  torch::Tensor w = torch::zeros({kClasses, kDims});
  for (int64_t c = 0; c < kClasses; ++c) w[c][c] = 3.0;
  w[0][5] = 6.0;
  w = w * 20;
  const torch::Tensor b = -(w.sum(1) * 0.5);
  torch::jit::Module module("Head");
  module.register_parameter("weight", w, false);
  module.register_parameter("bias", b, false);
  module.define(R"(
def forward(self, x):
    return torch.linear(torch.flatten(x, 1), self.weight, self.bias)
)");
  return LocalModel(module, ModelInfo{});
}

const nlohmann::ordered_json& ClassEntry(const MethodResult& result, int64_t c) {
  return result.details["classes"][static_cast<size_t>(c)];
}

// Activation clustering alone on `fixture`, with the linear model whose input is its penultimate layer.
Result<AuditReport> AuditByClustering(const Fixture& fixture) {
  LocalModel model = MakeModel();
  AuditInput input;
  input.model = &model;
  input.data = &fixture.data;
  return RunAudit(input, {"clustering"});
}

TEST(PoisoningClustering, FlagsTheFirmlyHeldPoisonAndNotANaturalSplit) {
  const Fixture fixture = MakeData(true);
  auto report = AuditByClustering(fixture);
  ASSERT_TRUE(report.ok()) << report.error().message;
  const MethodResult& result = report->results[0];
  size_t hits = 0, false_flags = 0;
  for (size_t i = 0; i < fixture.data.size(); ++i) {
    if (!result.flagged[i]) continue;
    const bool poisoned = std::binary_search(fixture.poisoned.begin(), fixture.poisoned.end(), i);
    (poisoned ? hits : false_flags) += 1;
  }
  EXPECT_GE(hits, kPoisoned * 95 / 100) << result.details.dump();
  EXPECT_EQ(false_flags, 0u) << result.details.dump();
  const auto& poisoned_class = ClassEntry(result, 0);
  EXPECT_TRUE(poisoned_class["poisoned"].get<bool>());
  // The clean members are the ones tied more to another class: that rule alone picks the clean majority.
  const auto& elsewhere = poisoned_class["other_class_confidence"];
  EXPECT_LT(elsewhere[0].get<double>(), elsewhere[1].get<double>());
  EXPECT_EQ(poisoned_class["chosen_by"], "label_margin");
  // Class 1's split is real and one half is tied to class 3 (what flagged it before), but the split lies
  // along no unusual direction.
  const auto& natural = ClassEntry(result, 1);
  EXPECT_FALSE(natural["poisoned"].get<bool>());
  EXPECT_GT(natural["silhouette"].get<double>(), 0.35);
  EXPECT_LT(natural["variance_ratio"].get<double>(), 2.5);
}

TEST(PoisoningClustering, TheCleanTwinIsNotFlagged) {
  const Fixture fixture = MakeData(false);
  auto report = AuditByClustering(fixture);
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_EQ(report->flagged_samples, 0u) << report->results[0].details.dump();
}

}  // namespace
}  // namespace modelguard::assess::poisoning
