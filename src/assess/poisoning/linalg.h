#pragma once
// Shared by the activation-based audit methods (spectral, clustering): samples grouped by label, and the
// principal directions of a class's centred activations.
#include <torch/torch.h>

#include <cstdint>
#include <vector>

#include "modelguard/assess/dataset.h"
#include "modelguard/core/result.h"

namespace modelguard::assess::poisoning {

// The sample indices of each class, in dataset order.
std::vector<std::vector<int64_t>> IndicesByClass(const Dataset& data);

// The top `k` right singular vectors of `centred` (n x d, float64) as a d x k matrix, largest first, each
// with a fixed sign (largest-magnitude component positive) so that results do not depend on the solver.
// Uses the smaller of the two Gram matrices (d x d or n x n): 60,000 x 512 needs a 512 x 512 eigenproblem.
torch::Tensor TopRightSingularVectors(const torch::Tensor& centred, int64_t k);

}  // namespace modelguard::assess::poisoning

namespace modelguard::assess::poisoning {

struct AuditInput;

// The audited samples' activations (input.layer, "" = penultimate) as float64 N x D, after checking that
// the input has a model and data that fit each other.
Result<torch::Tensor> AuditActivations(const AuditInput& input, const char* method);

// The model's logits for every audited sample (float64 N x classes), batched, without gradients.
Result<torch::Tensor> AuditLogits(const AuditInput& input, const char* method);

}  // namespace modelguard::assess::poisoning
