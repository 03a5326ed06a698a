// `harden dp-sgd`: DP-SGD training with its privacy accounting. The guarantee recorded is the RDP
// accountant's (improved conversion, as Opacus reports it); the PRV accountant's estimate and bounds are
// recorded next to it as the tighter figure.
#include <cmath>

#include "modelguard/assess/dpsgd.h"
#include "modelguard/privacy/accountant.h"
#include "src/assess/torch_error.h"

namespace modelguard::assess {
namespace {

// epsilon after k steps from the RDP of one step: RDP composes additively, so one accountant call serves
// every step of training.
class StepAccountant {
 public:
  static Result<StepAccountant> Make(double sample_rate, double noise_multiplier, double delta) {
    const privacy::GaussianSteps one{sample_rate, noise_multiplier, 1};
    MG_ASSIGN_OR_RETURN(privacy::RdpReport report, privacy::RdpAccount({&one, 1}, delta));
    return StepAccountant(std::move(report), delta);
  }
  double EpsilonAfter(int64_t steps) const {
    std::vector<double> total(per_step_.rdp.size());
    for (size_t i = 0; i < total.size(); ++i) total[i] = per_step_.rdp[i] * static_cast<double>(steps);
    return privacy::ImprovedEpsilon(per_step_.orders, total, delta_).epsilon;
  }

 private:
  StepAccountant(privacy::RdpReport per_step, double delta) : per_step_(std::move(per_step)), delta_(delta) {}
  privacy::RdpReport per_step_;
  double delta_;
};

Status CheckRequest(const PrivateTrainingRequest& request) {
  if (request.output_path.empty()) return MakeError(ErrorCode::kInvalidArgument, "an output path is required");
  if (!(request.target_epsilon > 0) || !std::isfinite(request.target_epsilon))
    return MakeError(ErrorCode::kInvalidArgument, "the target epsilon must be positive and finite");
  MG_TRY(privacy::CheckDelta(request.delta));
  if (request.epochs < 1) return MakeError(ErrorCode::kInvalidArgument, "DP-SGD needs at least one epoch");
  if (request.batch_size < 1) return MakeError(ErrorCode::kInvalidArgument, "the batch size must be positive");
  if (!(request.noise_multiplier >= 0) || !std::isfinite(request.noise_multiplier))
    return MakeError(ErrorCode::kInvalidArgument, "the noise multiplier must be finite and not negative");
  return Ok{};
}

}  // namespace

Result<PrivateTrainingResult> TrainPrivately(const PrivateTrainingRequest& request) {
  MG_TRY(CheckRequest(request));
  MG_ASSIGN_OR_RETURN(const DataSplit split,
                      LoadDataset(request.data_spec, request.train_fraction, request.split_seed));
  const Dataset evaluation = split.test.Head(static_cast<size_t>(std::max<int64_t>(request.evaluation_samples, 1)));
  const torch::Tensor eval_x = FeaturesTensor(evaluation), eval_y = LabelsTensor(evaluation);
  const torch::Tensor train_x = FeaturesTensor(split.train), train_y = LabelsTensor(split.train);
  const auto n = static_cast<int64_t>(split.train.size());
  if (request.batch_size > n)
    return MakeError(ErrorCode::kInvalidArgument,
                     "the batch size exceeds the " + std::to_string(n) + " training samples");
  std::optional<LocalModel> model;
  if (!request.model_path.empty()) {
    MG_ASSIGN_OR_RETURN(LocalModel loaded, LocalModel::Load(request.model_path));
    model.emplace(std::move(loaded));
    if (model->info().input_shape.empty()) model->info().input_shape = split.train.sample_shape;
    if (model->info().classes == 0) model->info().classes = split.train.classes;
    try {
      model->Accuracy(eval_x.slice(0, 0, 1), eval_y.slice(0, 0, 1));
    } catch (const std::exception& e) {
      return MakeError(ErrorCode::kInvalidArgument, "the model does not accept this data: " + TorchErrorSummary(e));
    }
  } else {
    MG_ASSIGN_OR_RETURN(LocalModel built,
                        BuildModel(request.architecture, split.train.sample_shape, split.train.classes, request.seed));
    model.emplace(std::move(built));
  }

  PrivateTrainingResult result;
  result.delta = request.delta;
  result.sample_rate = static_cast<double>(request.batch_size) / static_cast<double>(n);
  const int64_t steps_per_epoch = (n + request.batch_size - 1) / request.batch_size;
  const int64_t planned = steps_per_epoch * request.epochs;
  if (request.noise_multiplier > 0) {
    result.noise_multiplier = request.noise_multiplier;
  } else {
    MG_ASSIGN_OR_RETURN_CONTEXT(result.noise_multiplier,
                                privacy::NoiseForEpsilon(request.target_epsilon, request.delta, result.sample_rate,
                                                         static_cast<uint64_t>(planned)),
                                "no noise reaches the target epsilon: ");
  }
  MG_ASSIGN_OR_RETURN(const StepAccountant accountant,
                      StepAccountant::Make(result.sample_rate, result.noise_multiplier, request.delta));
  // The bisection's sigma meets the target to 1e-9 relative; the last step may land a hair above it.
  const double budget = request.target_epsilon * (1 + 1e-6);

  DpSgdOptions options;
  options.noise_multiplier = result.noise_multiplier;
  options.max_grad_norm = request.max_grad_norm;
  options.sample_rate = result.sample_rate;
  options.steps = planned;
  options.learning_rate = request.learning_rate;
  options.momentum = request.momentum;
  options.per_sample = request.per_sample;
  options.may_step = [&](int64_t taken) {
    if (accountant.EpsilonAfter(taken + 1) <= budget) return true;
    result.stopped_at_budget = true;
    return false;
  };
  options.progress_every = steps_per_epoch;
  options.progress = [&](int64_t taken, double loss) {
    if (!request.progress) return;
    PrivateTrainingRequest::Epoch epoch;
    epoch.epoch = static_cast<int>((taken + steps_per_epoch - 1) / steps_per_epoch);
    epoch.steps = taken;
    epoch.epsilon = accountant.EpsilonAfter(taken);
    epoch.loss = loss;
    epoch.accuracy = model->Accuracy(eval_x, eval_y);
    request.progress(epoch);
  };
  MG_ASSIGN_OR_RETURN(const DpSgdSummary summary, TrainDpSgd(*model, train_x, train_y, options));
  if (summary.steps == 0)
    return MakeError(ErrorCode::kInvalidArgument,
                     "one step at noise " + std::to_string(result.noise_multiplier) + " already exceeds epsilon " +
                         std::to_string(request.target_epsilon) + ": raise --noise or --epsilon");
  result.steps = summary.steps;
  result.training_seconds = summary.seconds;
  const privacy::GaussianSteps taken{result.sample_rate, result.noise_multiplier, static_cast<uint64_t>(summary.steps)};
  MG_ASSIGN_OR_RETURN(const privacy::RdpReport rdp, privacy::RdpAccount({&taken, 1}, request.delta));
  MG_ASSIGN_OR_RETURN(const privacy::PrvReport prv, privacy::PrvAccount({&taken, 1}, request.delta));
  result.epsilon = rdp.improved.epsilon;
  result.accuracy = model->Accuracy(eval_x, eval_y);

  nlohmann::json& training = model->info().training;
  training["dataset"] = request.data_spec;
  training["train_fraction"] = request.train_fraction;
  training["split_seed"] = request.split_seed;
  training["samples"] = n;
  training["epochs"] = request.epochs;
  training["batch_size"] = request.batch_size;
  training["learning_rate"] = request.learning_rate;
  training["momentum"] = request.momentum;
  training["seed"] = request.seed;
  training["held_out_accuracy"] = result.accuracy;
  training["privacy"] = {
      {"mechanism", "DP-SGD (Poisson sampling, per-sample clipping, Gaussian noise)"},
      {"epsilon", result.epsilon},
      {"delta", request.delta},
      {"accountant", "rdp"},
      {"conversion", "Balle et al. 2020"},
      {"epsilon_classic_conversion", rdp.classic.epsilon},
      {"rdp_order", rdp.improved.order},
      {"prv", {{"epsilon", prv.epsilon}, {"lower", prv.epsilon_lower}, {"upper", prv.epsilon_upper}}},
      {"target_epsilon", request.target_epsilon},
      {"sample_rate", result.sample_rate},
      {"noise_multiplier", result.noise_multiplier},
      {"steps", summary.steps},
      {"max_grad_norm", request.max_grad_norm},
      {"mean_batch", summary.mean_batch},
      {"per_sample_gradients", summary.per_sample},
      {"randomness", "batches and noise from OpenSSL's CSPRNG"},
      {"stopped_at_budget", result.stopped_at_budget}};
  MG_TRY(model->Save(request.output_path));
  result.model = ModelInfoJson(model->info());
  return result;
}

}  // namespace modelguard::assess
