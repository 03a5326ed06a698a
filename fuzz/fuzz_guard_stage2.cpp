// The guard's second-stage model reader (src/guard/second_stage/): a model file is input like any other.
// A model it accepts must be safe to evaluate: every walk from the root ends at a leaf inside the tree.
#include <string_view>

#include "src/guard/second_stage/second_stage.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto stage = modelguard::guard::SecondStage::Parse(text, "fuzz");
  if (stage) {
    modelguard::guard::Assessment assessment;
    for (double score : {0.0, 0.5, 0.99}) {
      assessment.score = score;
      assessment.scores["injection"] = score;
      const double p = (*stage)->Score(assessment, text.substr(0, 64), modelguard::guard::Role::kUser);
      if (!(p >= 0 && p <= 1)) __builtin_trap();
    }
  }
  return 0;
}
