// The watermark bias over torch tensors and as a TorchScript operator (modelguard/watermark/torch.h): equal
// to BiasLogits row by row, callable from scripted code, and a scripted generation loop that uses it
// writes text the detector finds.
#include "modelguard/watermark/torch.h"

#include <gtest/gtest.h>
#include <torch/csrc/jit/frontend/resolver.h>
#include <torch/csrc/jit/frontend/sugared_value.h>
#include <torch/script.h>

#include <cmath>
#include <memory>
#include <vector>

namespace modelguard::watermark {
namespace {

constexpr uint64_t kVocab = 1000;

// Scripts compiled here are read by TorchScript's C++ front end, whose own resolver knows only `torch`.
// Serialized TorchScript code names custom operators `ops.<namespace>.<name>` (Python's torch.jit.script
// spells them torch.ops.<namespace>.<name>), so this resolver adds `ops` as a loaded module does.
struct OpsNamespace : torch::jit::SugaredValue {
  std::string kind() const override { return "operator namespaces"; }
  std::shared_ptr<torch::jit::SugaredValue> attr(const torch::jit::SourceRange&, torch::jit::GraphFunction&,
                                                 const std::string& field) override {
    return std::make_shared<torch::jit::BuiltinModule>(field);
  }
};
struct OpsResolver : torch::jit::Resolver {
  std::shared_ptr<torch::jit::SugaredValue> resolveValue(const std::string& name, torch::jit::GraphFunction&,
                                                         const torch::jit::SourceRange&) override {
    if (name == "torch") return std::make_shared<torch::jit::BuiltinModule>("aten");
    if (name == "ops") return std::make_shared<OpsNamespace>();
    return nullptr;
  }
  torch::jit::TypePtr resolveType(const std::string&, const torch::jit::SourceRange&) override { return nullptr; }
};
std::shared_ptr<torch::jit::CompilationUnit> Compile(const std::string& source) {
  auto unit = std::make_shared<torch::jit::CompilationUnit>();
  unit->define(c10::nullopt, source, std::make_shared<OpsResolver>(), nullptr);
  return unit;
}

Scheme TestScheme() {
  Scheme scheme;
  scheme.vocab_size = kVocab;
  scheme.gamma = 0.25;
  return scheme;
}

TEST(WatermarkTorch, TensorBiasEqualsTheVectorBiasRowByRow) {
  torch::manual_seed(3);
  const torch::Tensor logits = torch::randn({4, static_cast<int64_t>(kVocab)});
  const torch::Tensor previous = torch::tensor({7, 0, 999, 7}, torch::kInt64);
  GreenLists lists(TestScheme());
  auto biased = BiasLogitsTensor(lists, logits, previous, 2.0);
  ASSERT_TRUE(biased.ok()) << biased.error().message;
  ASSERT_EQ(biased->sizes(), logits.sizes());
  for (int64_t row = 0; row < 4; ++row) {
    std::vector<float> expected(logits[row].data_ptr<float>(), logits[row].data_ptr<float>() + kVocab);
    ASSERT_TRUE(BiasLogits(lists, static_cast<uint64_t>(previous[row].item<int64_t>()), 2.0, expected).ok());
    const torch::Tensor got = (*biased)[row].contiguous();
    for (size_t t = 0; t < kVocab; ++t) ASSERT_EQ(got.data_ptr<float>()[t], expected[t]) << "row " << row << " t " << t;
    // Exactly the green list moved, by delta.
    const auto green = GreenList(TestScheme(), static_cast<uint64_t>(previous[row].item<int64_t>()));
    EXPECT_EQ(((*biased)[row] != logits[row]).sum().item<int64_t>(), static_cast<int64_t>(green.size()));
  }
  // The input is unchanged, a one-dimensional row works, and other dtypes come back as they went in.
  EXPECT_FALSE(torch::equal(*biased, logits));
  auto one = BiasLogitsTensor(lists, logits[1], torch::tensor({0}), 2.0);
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(torch::equal(*one, (*biased)[1]));
  auto doubles = BiasLogitsTensor(lists, logits.to(torch::kFloat64), previous, 2.0);
  ASSERT_TRUE(doubles.ok());
  EXPECT_EQ(doubles->scalar_type(), torch::kFloat64);
  EXPECT_TRUE(torch::equal(doubles->to(torch::kFloat32), *biased));
}

TEST(WatermarkTorch, BadShapesDtypesAndTokensAreErrors) {
  GreenLists lists(TestScheme());
  const torch::Tensor logits = torch::zeros({2, static_cast<int64_t>(kVocab)});
  EXPECT_FALSE(BiasLogitsTensor(lists, torch::zeros({2, 999}), torch::tensor({1, 2}), 1.0).ok());
  EXPECT_FALSE(
      BiasLogitsTensor(lists, torch::zeros({1, 2, static_cast<int64_t>(kVocab)}), torch::tensor({1}), 1.0).ok());
  EXPECT_FALSE(BiasLogitsTensor(lists, logits, torch::tensor({1}), 1.0).ok());
  EXPECT_FALSE(BiasLogitsTensor(lists, logits, torch::tensor({1, 1000}), 1.0).ok());
  EXPECT_FALSE(BiasLogitsTensor(lists, logits, torch::tensor({1, -1}), 1.0).ok());
  EXPECT_FALSE(BiasLogitsTensor(lists, logits, torch::tensor({1.0, 2.0}), 1.0).ok());
  EXPECT_FALSE(BiasLogitsTensor(lists, logits.to(torch::kInt64), torch::tensor({1, 2}), 1.0).ok());
  EXPECT_FALSE(BiasLogitsTensor(lists, logits, torch::tensor({1, 2}), NAN).ok());
  EXPECT_FALSE(BiasLogitsTensor(lists, torch::Tensor(), torch::tensor({1, 2}), 1.0).ok());
}

TEST(WatermarkTorch, TheOperatorRunsInScriptedCode) {
  ASSERT_TRUE(TorchOperatorRegistered());
  auto unit = Compile(R"JIT(
def bias(logits: Tensor, previous: Tensor) -> Tensor:
    return ops.modelguard.watermark_bias(logits, previous, 0.25, 2.0)

def bias_padded(logits: Tensor, previous: Tensor) -> Tensor:
    return ops.modelguard.watermark_bias(logits, previous, 0.25, 2.0, 15485863, 1000)
)JIT");
  torch::manual_seed(5);
  const torch::Tensor logits = torch::randn({3, static_cast<int64_t>(kVocab)});
  const torch::Tensor previous = torch::tensor({11, 12, 13});
  const torch::Tensor scripted = unit->run_method("bias", logits, previous).toTensor();
  GreenLists lists(TestScheme());
  auto direct = BiasLogitsTensor(lists, logits, previous, 2.0);
  ASSERT_TRUE(direct.ok());
  EXPECT_TRUE(torch::equal(scripted, *direct));
  EXPECT_TRUE(torch::equal(unit->run_method("bias_padded", logits, previous).toTensor(), *direct));
  // Errors reach the script as exceptions with the reason.
  try {
    unit->run_method("bias", logits, torch::tensor({1, 2}));
    ADD_FAILURE() << "no error for 2 previous tokens and 3 rows";
  } catch (const std::exception& error) {
    EXPECT_NE(std::string(error.what()).find("one previous token per row"), std::string::npos) << error.what();
  }
}

TEST(WatermarkTorch, AScriptedGenerationLoopWritesTextTheDetectorFinds) {
  // Sampling from random logits, biased by the operator inside the scripted loop: delta 2 over 150 tokens
  // (Kirchenbauer et al.'s setting) is detected; the same loop with delta 0 is not.
  auto unit = Compile(R"JIT(
def generate(first: int, steps: int, delta: float, seed: int) -> List[int]:
    torch.manual_seed(seed)
    tokens: List[int] = [first]
    for _ in range(steps):
        logits = torch.randn(1, 1000) * 2.0
        logits = ops.modelguard.watermark_bias(logits, torch.tensor([tokens[-1]]), 0.25, delta)
        probabilities = torch.softmax(logits, dim=-1)
        tokens.append(int(torch.multinomial(probabilities, 1).item()))
    return tokens
)JIT");
  for (const double delta : {2.0, 0.0}) {
    const auto generated = unit->run_method("generate", 17, 150, delta, 9).toIntVector();
    ASSERT_EQ(generated.size(), 151u);
    GreenLists lists(TestScheme());
    const std::vector<uint64_t> tokens(generated.begin(), generated.end());
    auto detection = Detect(lists, tokens, DetectOptions{});
    ASSERT_TRUE(detection.ok());
    if (delta > 0) {
      EXPECT_GT(detection->z, 4.0) << "delta " << delta;
    } else {
      EXPECT_LT(detection->z, 4.0) << "delta " << delta;
    }
  }
}

}  // namespace
}  // namespace modelguard::watermark
