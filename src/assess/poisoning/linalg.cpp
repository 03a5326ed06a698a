#include "src/assess/poisoning/linalg.h"

#include "modelguard/assess/poisoning.h"
#include "src/assess/torch_error.h"

namespace modelguard::assess::poisoning {

std::vector<std::vector<int64_t>> IndicesByClass(const Dataset& data) {
  std::vector<std::vector<int64_t>> out(static_cast<size_t>(std::max<int64_t>(data.classes, 0)));
  for (size_t i = 0; i < data.size(); ++i) {
    const int64_t label = data.labels[i];
    if (label >= 0 && label < data.classes) out[static_cast<size_t>(label)].push_back(static_cast<int64_t>(i));
  }
  return out;
}

torch::Tensor TopRightSingularVectors(const torch::Tensor& centred, int64_t k) {
  const int64_t n = centred.size(0), d = centred.size(1);
  k = std::min({k, n, d});
  torch::Tensor vectors;
  if (d <= n) {
    // eigh returns ascending eigenvalues: the last k columns, reversed.
    auto [values, v] = torch::linalg_eigh(centred.t().mm(centred));
    vectors = v.slice(1, d - k, d).flip({1});
  } else {
    auto [values, u] = torch::linalg_eigh(centred.mm(centred.t()));
    const torch::Tensor top = u.slice(1, n - k, n).flip({1});
    vectors = centred.t().mm(top);
    vectors = vectors / vectors.norm(2, {0}, true).clamp_min(1e-300);
  }
  const torch::Tensor pivot = vectors.abs().argmax(0);
  const torch::Tensor signs = vectors.gather(0, pivot.unsqueeze(0)).sign();
  return (vectors * torch::where(signs == 0, torch::ones_like(signs), signs)).contiguous();
}

}  // namespace modelguard::assess::poisoning

namespace modelguard::assess::poisoning {
namespace {

Status CheckInput(const AuditInput& input, const char* method) {
  if (input.data == nullptr || input.data->size() == 0)
    return MakeError(ErrorCode::kInvalidArgument, std::string(method) + ": no samples to audit");
  if (input.model == nullptr) return MakeError(ErrorCode::kInvalidArgument, std::string(method) + " needs a model");
  const ModelInfo& info = input.model->info();
  if (!info.input_shape.empty() && info.input_shape != input.data->sample_shape) {
    // A flat model reads any sample of the right size; anything else would fail deep inside libtorch.
    int64_t expected = 1;
    for (int64_t dim : info.input_shape) expected *= dim;
    if (expected != input.data->SampleSize())
      return MakeError(ErrorCode::kInvalidArgument, std::string(method) + ": the model expects samples of " +
                                                        std::to_string(expected) + " values, the data has " +
                                                        std::to_string(input.data->SampleSize()));
  }
  if (info.classes > 0 && input.data->classes > info.classes)
    return MakeError(ErrorCode::kInvalidArgument, std::string(method) + ": the data has " +
                                                      std::to_string(input.data->classes) + " classes, the model " +
                                                      std::to_string(info.classes));
  return Ok{};
}

torch::Tensor ModelInputs(const AuditInput& input) {
  torch::Tensor x = FeaturesTensor(*input.data);
  const auto& shape = input.model->info().input_shape;
  if (!shape.empty() && shape != input.data->sample_shape) {
    std::vector<int64_t> full{x.size(0)};
    full.insert(full.end(), shape.begin(), shape.end());
    x = x.reshape(full);
  }
  return x;
}

}  // namespace

Result<torch::Tensor> AuditActivations(const AuditInput& input, const char* method) {
  MG_TRY(CheckInput(input, method));
  MG_ASSIGN_OR_RETURN(torch::Tensor activations, Activations(*input.model, ModelInputs(input), input.layer));
  if (activations.size(1) == 0)
    return MakeError(ErrorCode::kUnsupported, std::string(method) + ": the chosen layer has no outputs");
  if (!torch::isfinite(activations).all().item<bool>())
    return MakeError(ErrorCode::kInvalidArgument, std::string(method) + ": the activations are not all finite");
  return activations.to(torch::kFloat64);
}

Result<torch::Tensor> AuditLogits(const AuditInput& input, const char* method) {
  MG_TRY(CheckInput(input, method));
  try {
    torch::NoGradGuard no_grad;
    const torch::Tensor x = ModelInputs(input);
    std::vector<torch::Tensor> parts;
    constexpr int64_t kBatch = 1024;
    for (int64_t start = 0; start < x.size(0); start += kBatch)
      parts.push_back(input.model->Logits(x.slice(0, start, std::min(start + kBatch, x.size(0)))).to(torch::kFloat64));
    torch::Tensor logits = torch::cat(parts);
    if (logits.dim() != 2 || logits.size(1) < input.data->classes)
      return MakeError(ErrorCode::kInvalidArgument, std::string(method) + ": the model's output has fewer columns (" +
                                                        std::to_string(logits.dim() == 2 ? logits.size(1) : 0) +
                                                        ") than the data has classes");
    return logits;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, std::string(method) + ": the model failed: " + TorchErrorSummary(e));
  }
}

}  // namespace modelguard::assess::poisoning
