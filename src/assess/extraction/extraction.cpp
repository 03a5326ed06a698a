// Model extraction through a Target's API: Knockoff-style (natural samples the attacker holds) and
// Papernot et al.'s Jacobian-based dataset augmentation (a few natural seeds, then synthetic samples
// pushed along the surrogate's gradient). Surrogates learn from whatever the API shows (probabilities,
// hardened scores or labels), renormalised as soft targets.
#include <chrono>
#include <functional>
#include <numeric>
#include <random>

#include "modelguard/assess/attacks.h"
#include "src/assess/torch_error.h"

namespace modelguard::assess {
namespace {

using Clock = std::chrono::steady_clock;

torch::Tensor SoftTargets(const torch::Tensor& scores) {
  const torch::Tensor sums = scores.sum(1, true);
  // An all-zero row (should not happen) falls back to uniform rather than dividing by zero.
  return torch::where(sums.gt(0), scores / sums.clamp_min(1e-12),
                      torch::full_like(scores, 1.0 / static_cast<double>(scores.size(1))));
}

struct Collected {
  std::vector<torch::Tensor> inputs;
  std::vector<torch::Tensor> scores;
  int64_t count = 0;
};

Result<LocalModel> TrainSurrogate(const ModelInfo& info, const Collected& collected, const ExtractionPlan& plan,
                                  int round) {
  auto surrogate = BuildModel(plan.surrogate, info.input_shape, info.classes, plan.seed + static_cast<uint64_t>(round));
  if (!surrogate) return surrogate.error();
  const torch::Tensor x = torch::cat(collected.inputs);
  const torch::Tensor soft = SoftTargets(torch::cat(collected.scores));
  TrainOptions options;
  options.epochs = plan.epochs;
  options.batch_size = 64;
  options.learning_rate = 2e-3;
  options.seed = plan.seed + static_cast<uint64_t>(round);
  options.soft_targets = soft;
  auto trained = TrainModel(*surrogate, x, soft.argmax(1), options);
  if (!trained) return trained.error();
  return surrogate;
}

}  // namespace

// What an extraction attack is handed (attack_table.h): the attacker's data, and the steps every method
// shares: ask the target (within the budget), train a surrogate, measure it, report progress.
struct ExtractionContext {
  Target& target;
  const ModelInfo& info;
  const Dataset& pool;
  const torch::Tensor& pool_x;
  const ExtractionPlan& plan;
  std::mt19937_64& random;
  at::Generator& generator;
  int64_t queries_before = 0;
  Collected collected;
  std::function<Status(const torch::Tensor&)> ask;                       // queries and keeps the answers
  std::function<void(LocalModel& surrogate, ExtractionCurve&)> measure;  // one point of each curve
  std::function<void(int round)> report_progress;
};

Status ExtractKnockoff(ExtractionContext& context, ExtractionCurve& curve) {
  // Query natural samples in a fixed random order; retrain at budgets growing geometrically.
  const ExtractionPlan& plan = context.plan;
  std::vector<int64_t> order(context.pool.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::shuffle(order.begin(), order.end(), context.random);
  const int64_t available = std::min<int64_t>(plan.budget, static_cast<int64_t>(order.size()));
  int64_t asked = 0;
  for (int round = 1; round <= plan.rounds; ++round) {
    context.report_progress(round - 1);
    const auto goal =
        static_cast<int64_t>(std::llround(static_cast<double>(available) * std::pow(2.0, round - plan.rounds)));
    if (goal <= asked) continue;
    const torch::Tensor index =
        torch::tensor(std::vector<int64_t>(order.begin() + asked, order.begin() + goal), torch::kInt64);
    MG_TRY(context.ask(context.pool_x.index_select(0, index)));
    asked = goal;
    MG_ASSIGN_OR_RETURN(LocalModel surrogate, TrainSurrogate(context.info, context.collected, plan, round));
    context.measure(surrogate, curve);
  }
  return Ok{};
}

Status ExtractJbda(ExtractionContext& context, ExtractionCurve& curve) {
  // JBDA: seed_per_class natural samples per class (the attacker's small labelled set), labelled by
  // the target; each round trains the surrogate, then adds x + lambda * sign(d F_label(x) / dx) for
  // the newest samples. lambda flips sign every third round (Papernot et al. 2017, sec. 4.2).
  const ExtractionPlan& plan = context.plan;
  std::vector<int64_t> seeds;
  std::vector<int64_t> per_class(static_cast<size_t>(context.info.classes), 0);
  std::vector<int64_t> order(context.pool.size());
  std::iota(order.begin(), order.end(), int64_t{0});
  std::shuffle(order.begin(), order.end(), context.random);
  for (int64_t i : order) {
    const int64_t label = context.pool.labels[static_cast<size_t>(i)];
    if (label < context.info.classes && per_class[static_cast<size_t>(label)] < plan.seed_per_class) {
      ++per_class[static_cast<size_t>(label)];
      seeds.push_back(i);
    }
  }
  torch::Tensor frontier = context.pool_x.index_select(0, torch::tensor(seeds, torch::kInt64));
  if (frontier.size(0) > plan.budget) frontier = frontier.slice(0, 0, plan.budget);
  MG_TRY(context.ask(frontier));
  for (int round = 1; round <= plan.rounds; ++round) {
    context.report_progress(round - 1);
    MG_ASSIGN_OR_RETURN(LocalModel surrogate, TrainSurrogate(context.info, context.collected, plan, round));
    context.measure(surrogate, curve);
    const int64_t remaining = plan.budget - (context.target.queries() - context.queries_before);
    if (remaining <= 0 || round == plan.rounds) break;
    // Augment every collected sample once per round (the set doubles), capped by what is left.
    torch::Tensor all_x = torch::cat(context.collected.inputs);
    torch::Tensor all_labels = torch::cat(context.collected.scores).argmax(1);
    if (all_x.size(0) > remaining) {
      const torch::Tensor pick =
          torch::randperm(all_x.size(0), context.generator, torch::kInt64).slice(0, 0, remaining);
      all_x = all_x.index_select(0, pick);
      all_labels = all_labels.index_select(0, pick);
    }
    torch::Tensor input = all_x.detach().clone().requires_grad_(true);
    const torch::Tensor logits = surrogate.Logits(input);
    const torch::Tensor chosen = logits.gather(1, all_labels.unsqueeze(1)).sum();
    const torch::Tensor gradient = torch::autograd::grad({chosen}, {input})[0];
    const double lambda = ((round - 1) / 3) % 2 == 0 ? plan.jbda_lambda : -plan.jbda_lambda;
    MG_TRY(context.ask((all_x + lambda * gradient.sign()).clamp(0.0, 1.0).detach()));
  }
  return Ok{};
}

Result<ExtractionResult> RunExtraction(Target& target, const ModelInfo& info, const Dataset& pool,
                                       const Dataset& evaluation, const ExtractionPlan& plan,
                                       const Progress& progress) {
  if (pool.size() == 0 || evaluation.size() == 0)
    return MakeError(ErrorCode::kInvalidArgument, "extraction needs attacker data and evaluation data");
  if (info.classes < 2 || info.input_shape.empty())
    return MakeError(ErrorCode::kInvalidArgument, "extraction needs the model's input shape and class count");
  if (plan.budget < 1 || plan.rounds < 1)
    return MakeError(ErrorCode::kInvalidArgument, "extraction needs a positive budget and round count");
  try {
    ExtractionResult result;
    result.budget = plan.budget;
    const torch::Tensor eval_x = FeaturesTensor(evaluation);
    const torch::Tensor eval_y = LabelsTensor(evaluation);
    auto eval_scores = target.Query(eval_x);
    if (!eval_scores) return eval_scores.error();
    const torch::Tensor target_labels = eval_scores->argmax(1);
    result.target_accuracy = target_labels.eq(eval_y).to(torch::kFloat64).mean().item<double>();
    const torch::Tensor pool_x = FeaturesTensor(pool);
    std::mt19937_64 random(plan.seed);
    auto generator = at::make_generator<at::CPUGeneratorImpl>(plan.seed);

    size_t method_index = 0;
    for (const std::string& method : plan.methods) {
      const Attack* attack = FindAttack(Risk::kExtraction, method);
      if (attack == nullptr) return UnknownAttack(Risk::kExtraction, method);
      ExtractionCurve curve;
      curve.method = method;
      curve.api_output = target.Describe();
      const auto started = Clock::now();
      ExtractionContext context{.target = target,
                                .info = info,
                                .pool = pool,
                                .pool_x = pool_x,
                                .plan = plan,
                                .random = random,
                                .generator = generator,
                                .queries_before = target.queries(),
                                .collected = {},
                                .ask = {},
                                .measure = {},
                                .report_progress = {}};
      context.ask = [&context](const torch::Tensor& x) -> Status {
        MG_ASSIGN_OR_RETURN(torch::Tensor scores, context.target.Query(x));
        context.collected.inputs.push_back(x);
        context.collected.scores.push_back(scores);
        context.collected.count += x.size(0);
        return Ok{};
      };
      context.measure = [&](LocalModel& surrogate, ExtractionCurve& out) {
        const torch::Tensor predicted = surrogate.Predict(eval_x);
        const double queries = static_cast<double>(target.queries() - context.queries_before);
        out.fidelity.push_back({queries, predicted.eq(target_labels).to(torch::kFloat64).mean().item<double>()});
        out.accuracy.push_back({queries, predicted.eq(eval_y).to(torch::kFloat64).mean().item<double>()});
      };
      context.report_progress = [&](int round) {
        if (progress) {
          progress("extraction: " + method,
                   (static_cast<double>(method_index) + static_cast<double>(round) / plan.rounds) /
                       static_cast<double>(plan.methods.size()));
        }
      };
      MG_TRY(attack->extract(context, curve));
      context.report_progress(plan.rounds);
      curve.cost.seconds = std::chrono::duration<double>(Clock::now() - started).count();
      curve.cost.queries = target.queries() - context.queries_before;
      result.curves.push_back(std::move(curve));
      ++method_index;
    }
    return result;
  } catch (const std::exception& e) {
    return MakeError(
        ErrorCode::kInvalidArgument,
        std::string("extraction failed (does the data match the model's input?): ") + TorchErrorSummary(e));
  }
}

}  // namespace modelguard::assess
