#pragma once
// DP-SGD (Abadi et al. 2016, "Deep Learning with Differential Privacy"): at every step each training sample
// joins the batch with probability q (Poisson sampling, which the accountants' subsampled-Gaussian bound
// assumes), each sample's gradient is clipped to L2 norm C, Gaussian noise N(0, sigma^2 C^2) is added to the
// sum, and the sum is divided by the expected batch size q * n. The privacy guarantee is the accountant's
// figure for (q, sigma, steps); this module trains, the caller accounts (src/privacy, no libtorch).
#include <functional>
#include <string>
#include <vector>

#include "modelguard/assess/model.h"

namespace modelguard::assess {

// How per-sample gradients are computed.
enum class PerSampleMethod {
  kAuto,       // layer-wise when the model is one of BuildModel's architectures, else the loop
  kLayerWise,  // from each layer's input and output gradient in one backward pass (Linear, Conv2d)
  kLoop,       // one backward pass per sample: any differentiable model, and the reference for the other
};

struct DpSgdOptions {
  double noise_multiplier = 1.0;  // sigma
  double max_grad_norm = 1.0;     // C
  double sample_rate = 0.01;      // q
  int64_t steps = 100;
  double learning_rate = 0.1;  // SGD with momentum (any post-processing of the noisy gradient keeps the guarantee)
  double momentum = 0.9;
  PerSampleMethod per_sample = PerSampleMethod::kAuto;
  // Called before every step with the number of steps already taken; false stops training (the accountant
  // refusing a step that would exceed the privacy budget).
  std::function<bool(int64_t steps_taken)> may_step;
  // Called every `progress_every` steps and after the last, with steps taken and the mean loss since the
  // previous call.
  std::function<void(int64_t steps_taken, double loss)> progress;
  int64_t progress_every = 0;  // 0: only after the last step
};

struct DpSgdSummary {
  int64_t steps = 0;
  double mean_batch = 0;   // the Poisson batches' mean size
  std::string per_sample;  // "layer-wise" or "loop"
};

// Trains `model` in place. Batches and noise come from OpenSSL's CSPRNG (never from a seed the attacker
// could learn: the guarantee assumes both are secret).
Result<DpSgdSummary> TrainDpSgd(LocalModel& model, const torch::Tensor& x, const torch::Tensor& y,
                                const DpSgdOptions& options);

// The sum over the batch of each sample's gradient (mean cross-entropy of that one sample) clipped to
// `max_norm`, one tensor per model parameter in Parameters() order, and each sample's unclipped norm.
struct ClippedGradientSum {
  std::vector<torch::Tensor> sum;
  torch::Tensor norms;
  std::string method;
};
Result<ClippedGradientSum> ClippedGradients(LocalModel& model, const torch::Tensor& x, const torch::Tensor& y,
                                            double max_norm, PerSampleMethod method);

}  // namespace modelguard::assess
