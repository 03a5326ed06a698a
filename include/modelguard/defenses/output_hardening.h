#pragma once
// Output hardening for classifier endpoints: what an API shows of a prediction decides how cheaply the
// model can be copied (Tramèr et al. 2016) or its training members inferred. The same functions serve the
// gateway's output_hardening filter and the assessment engine's simulation of a hardened API, so an
// assessment measures exactly what the gateway would return.
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::defenses {

enum class OutputMode {
  kProbabilities,   // unchanged
  kTopK,            // the k highest scores, the others 0
  kRounded,         // each score rounded to `digits` decimals
  kLabel,           // one-hot of the predicted class
  kReverseSigmoid,  // deceptive perturbation (Lee et al. 2019): same top-1, misleading scores
};

struct OutputPolicy {
  OutputMode mode = OutputMode::kProbabilities;
  int top_k = 1;
  int digits = 2;
  double beta = 0.7;   // reverse sigmoid: perturbation size
  double gamma = 0.4;  // reverse sigmoid: slope

  std::string Describe() const;  // "probabilities", "top-3", "round-2", "label", "reverse-sigmoid"
};

// Parses Describe()'s spellings.
Result<OutputPolicy> ParseOutputPolicy(std::string_view text);

// The scores the API would show for one prediction. The predicted class (argmax) never changes.
std::vector<double> HardenScores(std::span<const double> probabilities, const OutputPolicy& policy);

}  // namespace modelguard::defenses
