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
  double seconds = 0;      // the training loop's wall time
};

// Trains `model` in place. Batches and noise come from OpenSSL's CSPRNG (never from a seed the attacker
// could learn: the guarantee assumes both are secret).
Result<DpSgdSummary> TrainDpSgd(LocalModel& model, const torch::Tensor& x, const torch::Tensor& y,
                                const DpSgdOptions& options);

// The sum over the batch of each sample's gradient (mean cross-entropy of that one sample) clipped to
// `max_norm`, one tensor per model parameter in Parameters() order, each sample's unclipped norm, and the
// batch's summed loss at the parameters the gradients were taken at.
struct ClippedGradientSum {
  std::vector<torch::Tensor> sum;
  torch::Tensor norms;
  double loss = 0;
  std::string method;
};
Result<ClippedGradientSum> ClippedGradients(LocalModel& model, const torch::Tensor& x, const torch::Tensor& y,
                                            double max_norm, PerSampleMethod method);

// `modelguard harden dp-sgd`: loads the data, builds or loads the model, trains it with DP-SGD at a target
// (epsilon, delta), accounts with the RDP accountant (Balle et al. 2020 conversion) and checks the figure with
// the PRV accountant, records the guarantee in the model's metadata and saves it.
struct PrivateTrainingRequest {
  std::string model_path;  // start from this TorchScript model; empty: a fresh `architecture`
  ArchitectureOptions architecture;
  std::string data_spec;
  double train_fraction = 0.5;
  uint64_t split_seed = 1;
  uint64_t seed = 1;  // initialisation only: batches and noise come from the CSPRNG
  double target_epsilon = 3;
  double delta = 1e-5;
  double noise_multiplier = 0;  // 0: the smallest sigma that reaches target_epsilon after all epochs
  double max_grad_norm = 1;
  int64_t batch_size = 64;  // expected Poisson batch: q = batch_size / training samples
  int epochs = 10;
  double learning_rate = 0.1;
  double momentum = 0.9;
  PerSampleMethod per_sample = PerSampleMethod::kAuto;
  std::string output_path;
  int64_t evaluation_samples = 1000;  // held-out accuracy per epoch and at the end
  struct Epoch {
    int epoch = 0;
    int64_t steps = 0;
    double epsilon = 0;
    double loss = 0;
    double accuracy = 0;
  };
  std::function<void(const Epoch&)> progress;
};

struct PrivateTrainingResult {
  double accuracy = 0;  // held out
  double epsilon = 0;   // RDP accountant, improved conversion: the guarantee recorded
  double delta = 0;
  double noise_multiplier = 0;
  double sample_rate = 0;
  int64_t steps = 0;
  bool stopped_at_budget = false;  // a given sigma would have exceeded the target: training stopped early
  double training_seconds = 0;     // the DP-SGD loop alone (no loading, accounting or evaluation)
  nlohmann::json model;            // the saved model's metadata, with training.privacy
};

Result<PrivateTrainingResult> TrainPrivately(const PrivateTrainingRequest& request);

}  // namespace modelguard::assess
