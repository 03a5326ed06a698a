// The watermark bias over torch tensors and its TorchScript operator (include/modelguard/watermark/torch.h).
#include <torch/library.h>

#include <map>
#include <memory>
#include <tuple>

#include "modelguard/watermark/torch.h"

namespace modelguard::watermark {

Result<torch::Tensor> BiasLogitsTensor(GreenLists& lists, const torch::Tensor& logits, const torch::Tensor& previous,
                                       double delta) {
  const uint64_t vocab = lists.scheme().vocab_size;
  if (!logits.defined() || !previous.defined())
    return MakeError(ErrorCode::kInvalidArgument, "the logits and the previous tokens must be tensors");
  if (!at::isFloatingType(logits.scalar_type()))
    return MakeError(ErrorCode::kInvalidArgument, "the logits must be floating point");
  if (logits.dim() != 1 && logits.dim() != 2)
    return MakeError(ErrorCode::kInvalidArgument, "the logits must be [vocab] or [batch, vocab], not of " +
                                                      std::to_string(logits.dim()) + " dimensions");
  if (static_cast<uint64_t>(logits.size(-1)) != vocab)
    return MakeError(ErrorCode::kInvalidArgument, "the logits hold " + std::to_string(logits.size(-1)) +
                                                      " values a row for a vocabulary of " + std::to_string(vocab));
  if (at::isFloatingType(previous.scalar_type()) || previous.scalar_type() == at::kBool || previous.is_complex())
    return MakeError(ErrorCode::kInvalidArgument, "the previous tokens must be an integer tensor");
  const int64_t rows = logits.dim() == 1 ? 1 : logits.size(0);
  if (previous.numel() != rows)
    return MakeError(ErrorCode::kInvalidArgument, "one previous token per row: " + std::to_string(previous.numel()) +
                                                      " for " + std::to_string(rows) + " rows");
  // A float32 copy on the CPU, biased row by row by BiasLogits itself, so the tensor form and the vector form
  // cannot disagree; then back to the caller's dtype and device.
  torch::Tensor work = logits.detach()
                           .to(torch::kCPU, torch::kFloat32, /*non_blocking=*/false, /*copy=*/true)
                           .contiguous()
                           .reshape({rows, static_cast<int64_t>(vocab)});
  const torch::Tensor tokens = previous.detach().to(torch::kCPU, torch::kInt64).contiguous().reshape({rows});
  const int64_t* token = tokens.data_ptr<int64_t>();
  float* data = work.data_ptr<float>();
  for (int64_t row = 0; row < rows; ++row) {
    if (token[row] < 0 || static_cast<uint64_t>(token[row]) >= vocab)
      return MakeError(ErrorCode::kInvalidArgument, "previous token " + std::to_string(token[row]) +
                                                        " is outside the vocabulary of " + std::to_string(vocab));
    MG_TRY(BiasLogits(lists, static_cast<uint64_t>(token[row]), delta,
                      std::span<float>(data + row * static_cast<int64_t>(vocab), static_cast<size_t>(vocab))));
  }
  return work.reshape(logits.sizes()).to(logits.device(), logits.scalar_type());
}

namespace {

// The operator's green lists: one cache per thread and scheme (GreenLists is not thread-safe), bounded in
// number so a caller cycling through keys does not grow memory without end.
GreenLists& ListsFor(const Scheme& scheme) {
  constexpr size_t kMaxSchemes = 8;
  constexpr size_t kCacheBytes = size_t{64} << 20;
  thread_local std::map<std::tuple<uint64_t, double, uint64_t>, std::unique_ptr<GreenLists>> lists;
  const auto key = std::make_tuple(scheme.vocab_size, scheme.gamma, scheme.hash_key);
  auto found = lists.find(key);
  if (found == lists.end()) {
    if (lists.size() >= kMaxSchemes) lists.clear();
    found = lists.emplace(key, std::make_unique<GreenLists>(scheme, kCacheBytes)).first;
  }
  return *found->second;
}

// TorchScript reports errors as exceptions: a Result error becomes one, with its message.
torch::Tensor WatermarkBiasOperator(const torch::Tensor& logits, const torch::Tensor& previous, double gamma,
                                    double delta, int64_t hash_key, int64_t vocab_size) {
  TORCH_CHECK(logits.dim() >= 1, "watermark_bias: the logits must be [vocab] or [batch, vocab]");
  TORCH_CHECK(hash_key >= 0, "watermark_bias: hash_key must not be negative");
  Scheme scheme;
  scheme.vocab_size = static_cast<uint64_t>(vocab_size < 0 ? logits.size(-1) : vocab_size);
  scheme.gamma = gamma;
  scheme.hash_key = static_cast<uint64_t>(hash_key);
  const Status checked = Check(scheme);
  TORCH_CHECK(checked.ok(), "watermark_bias: ", checked ? std::string() : checked.error().message);
  auto biased = BiasLogitsTensor(ListsFor(scheme), logits, previous, delta);
  TORCH_CHECK(biased.ok(), "watermark_bias: ", biased ? std::string() : biased.error().message);
  return *biased;
}

}  // namespace

TORCH_LIBRARY(modelguard, m) {
  m.def(
      "watermark_bias(Tensor logits, Tensor previous, float gamma, float delta, int hash_key=15485863, "
      "int vocab_size=-1) -> Tensor",
      &WatermarkBiasOperator);
}

bool TorchOperatorRegistered() {
  return c10::Dispatcher::singleton().findSchema({"modelguard::watermark_bias", ""}).has_value();
}

}  // namespace modelguard::watermark
