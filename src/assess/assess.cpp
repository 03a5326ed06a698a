// Orchestration: load the target and data, partition the data the way each attack needs it, run what
// was asked, judge. The partition keeps roles apart: members (the model's training split), evaluation
// (held out: evasion, extraction scoring, non-members) and attacker data (extraction queries, shadow
// models) never overlap.
#include "modelguard/assess/assess.h"
#include "modelguard/core/cancel.h"
#include "src/assess/torch_error.h"

#include <chrono>

namespace modelguard::assess {
namespace {

struct Partition {
  Dataset members;
  Dataset evaluation;
  Dataset attacker;
};

Partition PartitionData(const DataSplit& split) {
  const size_t half = split.test.size() / 2;
  std::vector<size_t> first(half), second(split.test.size() - half);
  for (size_t i = 0; i < half; ++i) first[i] = i;
  for (size_t i = half; i < split.test.size(); ++i) second[i - half] = i;
  return {split.train, split.test.Subset(first), split.test.Subset(second)};
}

// The split recorded in a model written by modelguard wins over the request's defaults.
void SplitFromModel(const ModelInfo& info, double& fraction, uint64_t& seed) {
  const auto& t = info.training;
  if (!t.is_object()) return;
  if (t.contains("train_fraction") && t["train_fraction"].is_number()) fraction = t["train_fraction"].get<double>();
  if (t.contains("split_seed") && t["split_seed"].is_number_unsigned()) seed = t["split_seed"].get<uint64_t>();
}

}  // namespace

Result<AssessmentReport> Assess(const AssessRequest& request) {
  const auto started = std::chrono::steady_clock::now();
  AssessmentReport report;
  report.target = request.target;
  report.dataset = request.data_spec;
  const bool remote = request.target.rfind("http://", 0) == 0 || request.target.rfind("https://", 0) == 0;
  report.target_kind = remote ? "http" : "torchscript";

  std::optional<LocalModel> model;
  double fraction = request.train_fraction;
  uint64_t seed = request.split_seed;
  if (!remote) {
    auto loaded = LocalModel::Load(request.target);
    if (!loaded) return loaded.error();
    model.emplace(std::move(*loaded));
    SplitFromModel(model->info(), fraction, seed);
  }
  auto split = LoadDataset(request.data_spec, fraction, seed);
  if (!split) return split.error();
  const Partition data = PartitionData(*split);
  if (data.evaluation.size() < 2 || data.attacker.size() < 2)
    return MakeError(ErrorCode::kInvalidArgument, "the held-out split is too small to assess");

  ModelInfo info = model ? model->info() : ModelInfo{};
  if (info.input_shape.empty()) info.input_shape = split->train.sample_shape;
  if (info.classes == 0) info.classes = request.http.classes > 0 ? request.http.classes : split->train.classes;
  if (model) {
    model->info().input_shape = info.input_shape;
    model->info().classes = info.classes;
  }
  report.model = ModelInfoJson(info);

  auto policy = defenses::ParseOutputPolicy(request.api_output);
  if (!policy) return policy.error();
  std::unique_ptr<Target> target;
  if (remote) {
    HttpTargetOptions options = request.http;
    options.url = request.target;
    options.classes = info.classes;
    target = MakeHttpTarget(options);
  } else {
    target = std::make_unique<LocalTarget>(*model, *policy);
  }

  auto wants = [&](Risk risk) {
    return std::find(request.risks.begin(), request.risks.end(), ToString(risk)) != request.risks.end();
  };
  for (const auto& risk : request.risks) {
    if (!ParseRisk(risk)) {
      std::string known;
      for (Risk r : kRisks) known += (known.empty() ? "" : ", ") + std::string(ToString(r));
      return MakeError(ErrorCode::kInvalidArgument, "unknown risk '" + risk + "' (" + known + ")");
    }
  }
  // SIGINT/SIGTERM: the stages below check between attacks, epsilons, queries and training batches.
  if (wants(Risk::kEvasion)) {
    auto evasion = RunEvasion(model ? &*model : nullptr, *target, data.evaluation, request.evasion, request.progress);
    if (!evasion) return evasion.error();
    report.evasion = std::move(*evasion);
  }
  MG_TRY(cancel::Check("assess"));
  if (wants(Risk::kExtraction)) {
    ExtractionPlan plan = request.extraction;
    if (plan.surrogate.name == "cnn" && info.input_shape.size() != 3) plan.surrogate.name = "mlp";
    auto extraction = RunExtraction(*target, info, data.attacker, data.evaluation.Head(1000), plan, request.progress);
    if (!extraction) return extraction.error();
    report.extraction = std::move(*extraction);
  }
  MG_TRY(cancel::Check("assess"));
  if (wants(Risk::kMembership)) {
    MembershipPlan plan = request.membership;
    // Shadows imitate the target's training when the model says how it was trained.
    const auto& t = info.training;
    if (t.is_object()) {
      if (t.contains("epochs") && t["epochs"].is_number_integer()) plan.shadow_training.epochs = t["epochs"].get<int>();
      if (t.contains("learning_rate") && t["learning_rate"].is_number())
        plan.shadow_training.learning_rate = t["learning_rate"].get<double>();
      if (t.contains("weight_decay") && t["weight_decay"].is_number())
        plan.shadow_training.weight_decay = t["weight_decay"].get<double>();
      if (t.contains("batch_size") && t["batch_size"].is_number_integer())
        plan.shadow_training.batch_size = t["batch_size"].get<int64_t>();
      if (t.contains("hidden") && t["hidden"].is_number_integer())
        plan.shadow_architecture.hidden = t["hidden"].get<int64_t>();
    }
    if (info.architecture == "mlp" || info.architecture == "cnn") plan.shadow_architecture.name = info.architecture;
    auto membership = RunMembership(*target, data.members, data.evaluation, data.attacker, plan, request.progress);
    if (!membership) return membership.error();
    report.membership = std::move(*membership);
  }
  MG_TRY(cancel::Check("assess"));
  report.verdicts = JudgeRisks(report);
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  return report;
}

Result<HardenResult> Harden(const HardenRequest& request) {
  if (request.output_path.empty()) return MakeError(ErrorCode::kInvalidArgument, "an output path is required");
  auto split = LoadDataset(request.data_spec, request.train_fraction, request.split_seed);
  if (!split) return split.error();
  const Dataset evaluation = split->test.Head(static_cast<size_t>(std::max<int64_t>(request.evaluation_samples, 1)));
  const torch::Tensor eval_x = FeaturesTensor(evaluation), eval_y = LabelsTensor(evaluation);
  HardenResult result;
  result.evaluation_epsilon = request.training.adversarial.epsilon > 0 ? request.training.adversarial.epsilon : 0.1;
  PgdOptions pgd;
  pgd.norm = request.training.adversarial.l2 ? Norm::kL2 : Norm::kLinf;
  pgd.epsilon = result.evaluation_epsilon;
  pgd.steps = 20;
  pgd.seed = request.training.seed;
  std::optional<LocalModel> model;
  if (!request.model_path.empty()) {
    auto loaded = LocalModel::Load(request.model_path);
    if (!loaded) return loaded.error();
    model.emplace(std::move(*loaded));
    if (model->info().input_shape.empty()) model->info().input_shape = split->train.sample_shape;
    if (model->info().classes == 0) model->info().classes = split->train.classes;
    try {
      result.robust_accuracy_before =
          model->Predict(Pgd(*model, eval_x, eval_y, pgd)).eq(eval_y).to(torch::kFloat64).mean().item<double>();
    } catch (const std::exception& e) {
      return MakeError(ErrorCode::kInvalidArgument,
                       std::string("the model does not accept this data: ") + TorchErrorSummary(e));
    }
  } else {
    auto built =
        BuildModel(request.architecture, split->train.sample_shape, split->train.classes, request.training.seed);
    if (!built) return built.error();
    model.emplace(std::move(*built));
  }
  auto trained = TrainModel(*model, FeaturesTensor(split->train), LabelsTensor(split->train), request.training);
  if (!trained) return trained.error();
  nlohmann::json& training = model->info().training;
  training["dataset"] = request.data_spec;
  training["train_fraction"] = request.train_fraction;
  training["split_seed"] = request.split_seed;
  if (request.architecture.name == model->info().architecture) training["hidden"] = request.architecture.hidden;
  result.clean_accuracy = model->Accuracy(eval_x, eval_y);
  result.robust_accuracy =
      model->Predict(Pgd(*model, eval_x, eval_y, pgd)).eq(eval_y).to(torch::kFloat64).mean().item<double>();
  training["held_out_accuracy"] = result.clean_accuracy;
  training["held_out_pgd_accuracy"] = {{"epsilon", result.evaluation_epsilon}, {"accuracy", result.robust_accuracy}};
  auto saved = model->Save(request.output_path);
  if (!saved) return saved.error();
  result.model = ModelInfoJson(model->info());
  return result;
}

}  // namespace modelguard::assess
