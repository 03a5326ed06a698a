#pragma once
// The watermark's logit bias over torch tensors, for generation loops in libtorch, and as the TorchScript
// operator torch.ops.modelguard.watermark_bias, so a scripted generation loop (or a scripted model's own
// sampling step) can watermark what it generates:
//
//   torch.ops.modelguard.watermark_bias(Tensor logits, Tensor previous, float gamma, float delta,
//                                       int hash_key=15485863, int vocab_size=-1) -> Tensor
//
// logits: [vocab] or [batch, vocab], any floating dtype; previous: the token before the one being chosen,
// an integer tensor of [batch] (or one element). The result is a new tensor of logits' dtype with `delta`
// added to each row's green list, exactly as BiasLogits (watermark.h) does on a float vector; the input is
// unchanged. vocab_size -1 takes the logits' last dimension (pass it when the model pads its output).
//
// Built only with libtorch (MODELGUARD_ASSESS). The operator is registered when this library is linked
// in, which the functions below guarantee for their callers.
#include <torch/torch.h>

#include "modelguard/core/result.h"
#include "modelguard/watermark/watermark.h"

namespace modelguard::watermark {

// Errors as values: wrong shapes or dtypes, a previous token outside the vocabulary, a logits row that is
// not the scheme's vocabulary.
Result<torch::Tensor> BiasLogitsTensor(GreenLists& lists, const torch::Tensor& logits, const torch::Tensor& previous,
                                       double delta);

// Whether torch.ops.modelguard.watermark_bias is registered in this process (it is once this library is
// linked; the call keeps the linker from dropping the registration).
bool TorchOperatorRegistered();

}  // namespace modelguard::watermark
