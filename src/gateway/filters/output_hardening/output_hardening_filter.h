#pragma once
// Output hardening. Classifier routes: the answer's "probabilities" become top-k, rounded, label-only
// ("labels") or reverse-sigmoid scores (the same functions the assessment engine simulates). LLM routes:
// logit_bias together with logprobs is refused (Carlini et al. 2024 recover hidden dimensions and
// weights through that pair) and top_logprobs is capped.
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/gateway/filter.h"

namespace modelguard::gateway {

const FilterDescriptor& OutputHardeningFilterDescriptor();

}  // namespace modelguard::gateway
