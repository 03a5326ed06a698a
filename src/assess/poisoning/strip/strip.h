#pragma once
// STRIP (Gao et al. 2019, "STRIP: A Defence Against Trojan Attacks on Deep Neural Networks"): superimpose
// random clean samples on an input and look at the entropy of the model's predictions. A clean input's class
// is destroyed by the overlay, so the predictions spread (high entropy); a trigger-carrying input keeps
// being classified as the attacker's target whatever is laid over it (low entropy).
#include <cstdint>

#include "modelguard/assess/poisoning.h"

namespace modelguard::assess::poisoning {

const MethodDescriptor& StripMethod();

struct StripOptions {
  int overlays = 20;               // clean samples superimposed on each input (the paper's N)
  double false_rejection = 0.01;   // share of clean inputs the threshold may flag
  int64_t calibration_max = 2000;  // clean samples used to calibrate (a random subset beyond this)
};

// Mean entropy (nats) of the model's predictions on `x` with `overlays` random samples of `pool` added
// (pixel-wise sum clipped to [0, 1], the paper's image superimposition). Overlays are drawn with `seed`.
Result<torch::Tensor> StripEntropies(LocalModel& model, const torch::Tensor& x, const torch::Tensor& pool, int overlays,
                                     uint64_t seed);

Result<MethodResult> RunStrip(const AuditInput& input, const StripOptions& options);

}  // namespace modelguard::assess::poisoning
