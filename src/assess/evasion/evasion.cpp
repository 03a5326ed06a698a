// Evasion attacks. White-box ones differentiate through the TorchScript model; Square and HopSkipJump see
// only what the Target returns. Every attack projects onto the epsilon ball and the [0, 1] input box after
// each step, so an "adversarial" example is always a valid input within budget.
#include <chrono>
#include <cmath>
#include <functional>
#include <random>

#include "modelguard/assess/attacks.h"
#include "modelguard/core/cancel.h"
#include "src/assess/torch_error.h"

namespace modelguard::assess {
namespace {

using Clock = std::chrono::steady_clock;

double SecondsSince(Clock::time_point start) { return std::chrono::duration<double>(Clock::now() - start).count(); }

// Per-sample L2 norms, broadcastable against the batch.
torch::Tensor SampleNorms(const torch::Tensor& t) {
  std::vector<int64_t> shape(static_cast<size_t>(t.dim()), 1);
  shape[0] = t.size(0);
  return t.flatten(1).norm(2, 1).clamp_min(1e-12).view(shape);
}

torch::Tensor Project(const torch::Tensor& adversarial, const torch::Tensor& x, Norm norm, double epsilon) {
  torch::Tensor delta = adversarial - x;
  if (norm == Norm::kLinf) {
    delta = delta.clamp(-epsilon, epsilon);
  } else {
    delta = delta * (epsilon / SampleNorms(delta)).clamp_max(1.0);
  }
  return (x + delta).clamp(0.0, 1.0);
}

torch::Tensor RandomStart(const torch::Tensor& x, Norm norm, double epsilon, torch::Generator& generator) {
  if (norm == Norm::kLinf) return (x + torch::empty_like(x).uniform_(-epsilon, epsilon, generator)).clamp(0.0, 1.0);
  // Uniform direction, radius epsilon * u^(1/d) would be the exact uniform ball; a random direction at a
  // random radius is what attack papers use in practice.
  torch::Tensor direction = torch::randn(x.sizes(), generator);
  direction = direction / SampleNorms(direction);
  const torch::Tensor radius = torch::rand({x.size(0)}, generator).view(SampleNorms(x).sizes()) * epsilon;
  return (x + direction * radius).clamp(0.0, 1.0);
}

// Difference of logits ratio (Croce & Hein 2020, eq. 6), per sample; larger means closer to misclassified.
torch::Tensor DlrLoss(const torch::Tensor& logits, const torch::Tensor& y) {
  const torch::Tensor sorted = std::get<0>(logits.sort(1, true));
  const torch::Tensor true_logit = logits.gather(1, y.unsqueeze(1)).squeeze(1);
  const torch::Tensor top_is_true = sorted.select(1, 0).eq(true_logit);
  const torch::Tensor best_other = torch::where(top_is_true, sorted.select(1, 1), sorted.select(1, 0));
  const torch::Tensor denominator =
      sorted.select(1, 0) - sorted.select(1, std::min<int64_t>(2, logits.size(1) - 1)) + 1e-12;
  return -(true_logit - best_other) / denominator;
}

// Per-sample loss and its gradient with respect to the input.
std::pair<torch::Tensor, torch::Tensor> LossAndGradient(LocalModel& model, const torch::Tensor& x,
                                                        const torch::Tensor& y, ApgdLoss loss_kind) {
  torch::Tensor input = x.detach().clone().requires_grad_(true);
  const torch::Tensor logits = model.Logits(input);
  const torch::Tensor loss =
      loss_kind == ApgdLoss::kCrossEntropy
          ? torch::nn::functional::cross_entropy(
                logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone))
          : DlrLoss(logits, y);
  const torch::Tensor gradient = torch::autograd::grad({loss.sum()}, {input})[0];
  model.CountGradient(x.size(0));
  return {loss.detach(), gradient.detach()};
}

torch::Tensor Step(const torch::Tensor& gradient, Norm norm, double size) {
  if (norm == Norm::kLinf) return size * gradient.sign();
  return size * gradient / SampleNorms(gradient);
}

torch::Tensor Broadcast(const torch::Tensor& mask, const torch::Tensor& like) {
  std::vector<int64_t> shape(static_cast<size_t>(like.dim()), 1);
  shape[0] = like.size(0);
  return mask.view(shape);
}

// Margin of the true class in the scores an API returns: log p_y - max_{i != y} log p_i (negative: fooled).
torch::Tensor ScoreMargin(const torch::Tensor& scores, const torch::Tensor& y) {
  const torch::Tensor logs = scores.clamp_min(1e-12).log();
  const torch::Tensor true_score = logs.gather(1, y.unsqueeze(1)).squeeze(1);
  const torch::Tensor others = logs.scatter(1, y.unsqueeze(1), -1e9);
  return true_score - std::get<0>(others.max(1));
}

Result<torch::Tensor> QueryLabels(Target& target, const torch::Tensor& x) {
  auto scores = target.Query(x);
  if (!scores) return scores.error();
  return scores->argmax(1);
}

}  // namespace

torch::Tensor Fgsm(LocalModel& model, const torch::Tensor& x, const torch::Tensor& y, double epsilon) {
  const auto [loss, gradient] = LossAndGradient(model, x, y, ApgdLoss::kCrossEntropy);
  return (x + epsilon * gradient.sign()).clamp(0.0, 1.0);
}

torch::Tensor Pgd(LocalModel& model, const torch::Tensor& x, const torch::Tensor& y, const PgdOptions& options) {
  const double step = options.step_size > 0 ? options.step_size : 2.5 * options.epsilon / std::max(options.steps, 1);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  torch::Tensor best = x.clone();
  torch::Tensor fooled = torch::zeros({x.size(0)}, torch::kBool);
  for (int restart = 0; restart < std::max(options.restarts, 1); ++restart) {
    torch::Tensor adversarial =
        (restart > 0 || options.random_start) ? RandomStart(x, options.norm, options.epsilon, generator) : x.clone();
    for (int i = 0; i < options.steps; ++i) {
      const auto [loss, gradient] = LossAndGradient(model, adversarial, y, ApgdLoss::kCrossEntropy);
      adversarial = Project(adversarial + Step(gradient, options.norm, step), x, options.norm, options.epsilon);
    }
    const torch::Tensor now_fooled = model.Predict(adversarial).ne(y);
    // A sample keeps the first restart that fooled it; the others take this restart's try.
    best = torch::where(Broadcast(fooled.logical_not(), x), adversarial, best);
    fooled = fooled.logical_or(now_fooled);
  }
  return best;
}

torch::Tensor Apgd(LocalModel& model, const torch::Tensor& x, const torch::Tensor& y, const ApgdOptions& options) {
  const int steps = std::max(options.steps, 1);
  // Checkpoints (Croce & Hein 2020, sec. 3.2): p0 = 0, p1 = 0.22, p_{j+1} = p_j + max(p_j - p_{j-1} - 0.03, 0.06).
  std::vector<int> checkpoints{0};
  for (double previous = 0, current = 0.22; current < 1.0;) {
    checkpoints.push_back(static_cast<int>(std::ceil(current * steps)));
    const double next = current + std::max(current - previous - 0.03, 0.06);
    previous = current;
    current = next;
  }
  const int64_t n = x.size(0);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  torch::Tensor step_size = torch::full({n}, 2.0 * options.epsilon);
  torch::Tensor current = RandomStart(x, options.norm, options.epsilon, generator);
  auto [loss, gradient] = LossAndGradient(model, current, y, options.loss);
  torch::Tensor best_loss = loss.clone();
  torch::Tensor best_point = current.clone();
  torch::Tensor adversarial = x.clone();
  torch::Tensor fooled = model.Predict(current).ne(y);
  adversarial = torch::where(Broadcast(fooled, x), current, adversarial);
  torch::Tensor previous = current.clone();
  torch::Tensor improved_count = torch::zeros({n});
  torch::Tensor loss_at_checkpoint = best_loss.clone();
  torch::Tensor step_at_checkpoint = step_size.clone();
  size_t next_checkpoint = 1;
  int last_checkpoint = 0;
  for (int k = 0; k < steps; ++k) {
    const torch::Tensor eta = Broadcast(step_size, x);
    torch::Tensor z = Project(
        current + (options.norm == Norm::kLinf ? eta * gradient.sign() : eta * gradient / SampleNorms(gradient)), x,
        options.norm, options.epsilon);
    const double alpha = k == 0 ? 1.0 : 0.75;
    torch::Tensor next =
        Project(current + alpha * (z - current) + (1 - alpha) * (current - previous), x, options.norm, options.epsilon);
    previous = current;
    current = next;
    const torch::Tensor previous_loss = loss;
    std::tie(loss, gradient) = LossAndGradient(model, current, y, options.loss);
    const torch::Tensor now_fooled = model.Predict(current).ne(y);
    adversarial = torch::where(Broadcast(now_fooled.logical_and(fooled.logical_not()), x), current, adversarial);
    fooled = fooled.logical_or(now_fooled);
    improved_count += loss.gt(previous_loss).to(torch::kFloat32);
    const torch::Tensor better = loss.gt(best_loss);
    best_loss = torch::where(better, loss, best_loss);
    best_point = torch::where(Broadcast(better, x), current, best_point);
    if (next_checkpoint < checkpoints.size() && k + 1 == checkpoints[next_checkpoint]) {
      const double span = static_cast<double>(checkpoints[next_checkpoint] - last_checkpoint);
      const torch::Tensor too_few = improved_count.lt(0.75 * span);
      const torch::Tensor stalled = step_at_checkpoint.eq(step_size).logical_and(loss_at_checkpoint.eq(best_loss));
      const torch::Tensor halve = too_few.logical_or(stalled);
      step_at_checkpoint = step_size.clone();
      loss_at_checkpoint = best_loss.clone();
      step_size = torch::where(halve, step_size / 2, step_size);
      current = torch::where(Broadcast(halve, x), best_point, current);
      if (halve.any().item<bool>()) std::tie(loss, gradient) = LossAndGradient(model, current, y, options.loss);
      improved_count.zero_();
      last_checkpoint = checkpoints[next_checkpoint];
      ++next_checkpoint;
    }
  }
  // Samples never fooled return the point of highest loss: the attack's best try.
  return torch::where(Broadcast(fooled, x), adversarial, best_point);
}

torch::Tensor Square(Target& target, const torch::Tensor& x, const torch::Tensor& y, const SquareOptions& options) {
  std::mt19937_64 random(options.seed);
  auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  const int64_t n = x.size(0);
  // Images are (channels, rows, columns); tables are treated as one row.
  const int64_t channels = x.dim() == 4 ? x.size(1) : 1;
  const int64_t rows = x.dim() == 4 ? x.size(2) : 1;
  const int64_t cols = x.dim() == 4 ? x.size(3) : x[0].numel();
  const torch::Tensor x4 = x.reshape({n, channels, rows, cols});
  // Vertical stripes of +-epsilon (the paper's initialisation).
  torch::Tensor stripes = torch::randint(0, 2, {n, channels, 1, cols}, generator).to(torch::kFloat32) * 2 - 1;
  torch::Tensor best = (x4 + options.epsilon * stripes.expand({n, channels, rows, cols})).clamp(0.0, 1.0);
  auto scores = target.Query(best.reshape(x.sizes()));
  if (!scores) return x.clone();
  torch::Tensor margin = ScoreMargin(*scores, y);
  const double area = static_cast<double>(rows * cols);
  for (int query = 1; query < options.max_queries; ++query) {
    const torch::Tensor active = margin.gt(0).nonzero().squeeze(1);
    if (active.numel() == 0) break;
    // p halves at fixed fractions of a 10,000-query run (Andriushchenko et al. 2020, sec. 3), rescaled.
    const double progress = static_cast<double>(query) * 10000.0 / static_cast<double>(options.max_queries);
    double p = options.p_init;
    for (double mark : {10.0, 50.0, 200.0, 500.0, 1000.0, 2000.0, 4000.0, 6000.0, 8000.0}) {
      if (progress > mark) p /= 2;
    }
    const int64_t side_rows = rows == 1 ? 1 : std::clamp<int64_t>(std::llround(std::sqrt(p * area)), 1, rows);
    const int64_t side_cols = rows == 1 ? std::clamp<int64_t>(std::llround(p * area), 1, cols) : side_rows;
    torch::Tensor candidate = best.index_select(0, active).clone();
    const torch::Tensor originals = x4.index_select(0, active);
    for (int64_t i = 0; i < active.numel(); ++i) {
      const int64_t top = std::uniform_int_distribution<int64_t>(0, rows - side_rows)(random);
      const int64_t left = std::uniform_int_distribution<int64_t>(0, cols - side_cols)(random);
      for (int64_t c = 0; c < channels; ++c) {
        const double sign = std::bernoulli_distribution(0.5)(random) ? 1.0 : -1.0;
        auto window = candidate[i][c].slice(0, top, top + side_rows).slice(1, left, left + side_cols);
        window.copy_(
            (originals[i][c].slice(0, top, top + side_rows).slice(1, left, left + side_cols) + sign * options.epsilon)
                .clamp(0.0, 1.0));
      }
    }
    std::vector<int64_t> shape{active.numel()};
    for (int64_t d = 1; d < x.dim(); ++d) shape.push_back(x.size(d));
    auto answer = target.Query(candidate.reshape(shape));
    if (!answer) break;  // budget spent: return the best so far
    const torch::Tensor new_margin = ScoreMargin(*answer, y.index_select(0, active));
    const torch::Tensor better = new_margin.lt(margin.index_select(0, active));
    const torch::Tensor improved = active.masked_select(better);
    best.index_copy_(0, improved, candidate.index_select(0, better.nonzero().squeeze(1)));
    margin.index_copy_(0, active, torch::where(better, new_margin, margin.index_select(0, active)));
  }
  return best.reshape(x.sizes());
}

torch::Tensor HopSkipJump(Target& target, const torch::Tensor& x, const torch::Tensor& y,
                          const HopSkipJumpOptions& options) {
  auto generator = at::make_generator<at::CPUGeneratorImpl>(options.seed);
  torch::Tensor result = x.clone();
  const double dimension = static_cast<double>(x[0].numel());
  const double theta = 1.0 / (dimension * std::sqrt(dimension));  // binary-search tolerance (paper, sec. 4)
  // True where the target's label differs from y for every row of `batch`.
  auto adversarial = [&](const torch::Tensor& batch, int64_t label) -> std::optional<torch::Tensor> {
    auto labels = QueryLabels(target, batch);
    if (!labels) return std::nullopt;
    return labels->ne(label);
  };
  auto boundary = [&](const torch::Tensor& original, torch::Tensor outside,
                      int64_t label) -> std::optional<torch::Tensor> {
    double low = 0, high = 1;  // blend toward `outside`: 0 = original, 1 = outside (adversarial)
    while (high - low > theta) {
      const double mid = (low + high) / 2;
      auto is_adv = adversarial(((1 - mid) * original + mid * outside).unsqueeze(0), label);
      if (!is_adv) return std::nullopt;
      ((*is_adv)[0].item<bool>() ? high : low) = mid;
    }
    return ((1 - high) * original + high * outside).clamp(0.0, 1.0);
  };
  for (int64_t i = 0; i < x.size(0); ++i) {
    const torch::Tensor original = x[i];
    const int64_t label = y[i].item<int64_t>();
    // A starting point across the boundary: uniform noise until the label changes.
    std::optional<torch::Tensor> start;
    for (int tries = 0; tries < 50 && !start; ++tries) {
      torch::Tensor noise = torch::rand(original.sizes(), generator);
      auto is_adv = adversarial(noise.unsqueeze(0), label);
      if (!is_adv) break;
      if ((*is_adv)[0].item<bool>()) start = noise;
    }
    if (!start) continue;  // no adversarial start: the sample keeps its original (counted robust)
    auto current = boundary(original, *start, label);
    if (!current) continue;
    for (int t = 1; t <= options.iterations; ++t) {
      const double distance = (*current - original).norm().item<double>();
      const double delta = std::sqrt(dimension) * theta * distance;
      const int64_t evaluations =
          std::min<int64_t>(options.max_evaluations, static_cast<int64_t>(options.initial_evaluations * std::sqrt(t)));
      std::vector<int64_t> shape{evaluations};
      for (int64_t d = 0; d < original.dim(); ++d) shape.push_back(original.size(d));
      torch::Tensor directions = torch::randn(shape, generator);
      directions = directions / SampleNorms(directions);
      const torch::Tensor probes = (*current + delta * directions).clamp(0.0, 1.0);
      auto is_adv = adversarial(probes, label);
      if (!is_adv) break;
      // Monte Carlo gradient direction with the mean as baseline (paper, eq. 16).
      torch::Tensor phi = is_adv->to(torch::kFloat32) * 2 - 1;
      // When every probe agrees the mean is +-1 and subtracting it would erase the estimate.
      if (std::abs(phi.mean().item<double>()) < 1.0) phi = phi - phi.mean();
      torch::Tensor direction = (Broadcast(phi, directions) * directions).mean(0);
      const double norm = direction.norm().item<double>();
      if (norm < 1e-12) continue;
      direction = direction / norm;
      // Geometric step: start at distance / sqrt(t), halve until still adversarial.
      double step = distance / std::sqrt(static_cast<double>(t));
      torch::Tensor moved;
      bool found = false;
      for (int halvings = 0; halvings < 20; ++halvings) {
        moved = (*current + step * direction).clamp(0.0, 1.0);
        auto ok = adversarial(moved.unsqueeze(0), label);
        if (!ok) break;
        if ((*ok)[0].item<bool>()) {
          found = true;
          break;
        }
        step /= 2;
      }
      if (!found) break;
      auto next = boundary(original, moved, label);
      if (!next) break;
      current = next;
    }
    result[i].copy_(*current);
  }
  return result;
}

// What an evasion attack is handed (attack_table.h): the sample, its clean predictions and the epsilons of
// the attack's norm.
struct EvasionContext {
  LocalModel* model;  // null for a black-box target; white-box attacks are never run then
  Target& target;
  const EvasionPlan& plan;
  const torch::Tensor& x;
  const torch::Tensor& y;
  const torch::Tensor& clean_correct;
  double clean_accuracy;
  Norm norm;
  const std::vector<double>& epsilons;
  std::function<Result<torch::Tensor>(const torch::Tensor&)> predict;
};

namespace {

// The curve of an attack that runs once per epsilon: `attack` turns the clean-correct mask into the
// still-robust mask at that epsilon. At epsilon 0 nothing is attacked.
template <typename AttackAt>
Status ForEachEpsilon(EvasionContext& context, EvasionCurve& curve, AttackAt attack) {
  for (double eps : context.epsilons) {
    MG_TRY(cancel::Check("evasion"));
    if (eps <= 0) {
      curve.robust_accuracy.push_back({eps, context.clean_accuracy});
      continue;
    }
    torch::Tensor robust = context.clean_correct.clone();
    MG_TRY(attack(eps, robust));
    curve.robust_accuracy.push_back({eps, robust.to(torch::kFloat64).mean().item<double>()});
  }
  return Ok{};
}

// Square on the samples still robust; they stay robust only if the target still labels them right.
Status SquareOnRobust(EvasionContext& context, double eps, torch::Tensor& robust) {
  const torch::Tensor still = robust.nonzero().squeeze(1);
  if (still.numel() == 0) return Ok{};
  SquareOptions options;
  options.epsilon = eps;
  options.max_queries = context.plan.square_queries;
  options.seed = context.plan.seed;
  const torch::Tensor adv =
      Square(context.target, context.x.index_select(0, still), context.y.index_select(0, still), options);
  MG_ASSIGN_OR_RETURN(const torch::Tensor labels, context.predict(adv));
  robust.index_put_({still}, labels.eq(context.y.index_select(0, still)));
  return Ok{};
}

}  // namespace

Status EvadeFgsm(EvasionContext& context, EvasionCurve& curve) {
  return ForEachEpsilon(context, curve, [&](double eps, torch::Tensor& robust) -> Status {
    LocalModel& model = *context.model;
    robust = robust.logical_and(model.Predict(Fgsm(model, context.x, context.y, eps)).eq(context.y));
    return Ok{};
  });
}

Status EvadePgd(EvasionContext& context, EvasionCurve& curve) {
  return ForEachEpsilon(context, curve, [&](double eps, torch::Tensor& robust) -> Status {
    PgdOptions options;
    options.norm = context.norm;
    options.epsilon = eps;
    options.steps = context.plan.pgd_steps;
    options.restarts = context.plan.pgd_restarts;
    options.seed = context.plan.seed;
    LocalModel& model = *context.model;
    robust = robust.logical_and(model.Predict(Pgd(model, context.x, context.y, options)).eq(context.y));
    return Ok{};
  });
}

Status EvadeAutoAttack(EvasionContext& context, EvasionCurve& curve) {
  return ForEachEpsilon(context, curve, [&](double eps, torch::Tensor& robust) -> Status {
    // The ensemble runs each attack only on what is still robust (Croce & Hein 2020, sec. 5).
    for (ApgdLoss loss : {ApgdLoss::kCrossEntropy, ApgdLoss::kDlr}) {
      const torch::Tensor still = robust.nonzero().squeeze(1);
      if (still.numel() == 0) break;
      ApgdOptions options;
      options.epsilon = eps;
      options.loss = loss;
      options.steps = context.plan.pgd_steps * 2;
      options.seed = context.plan.seed;
      LocalModel& model = *context.model;
      const torch::Tensor adv =
          Apgd(model, context.x.index_select(0, still), context.y.index_select(0, still), options);
      robust.index_put_({still}, model.Predict(adv).eq(context.y.index_select(0, still)));
    }
    return SquareOnRobust(context, eps, robust);
  });
}

Status EvadeSquare(EvasionContext& context, EvasionCurve& curve) {
  return ForEachEpsilon(context, curve,
                        [&](double eps, torch::Tensor& robust) { return SquareOnRobust(context, eps, robust); });
}

Status EvadeHopSkipJump(EvasionContext& context, EvasionCurve& curve) {
  // One run finds each sample's closest adversarial; the curve reads it at every epsilon.
  const int64_t count = std::min<int64_t>(context.x.size(0), 100);
  HopSkipJumpOptions options;
  options.seed = context.plan.seed;
  const torch::Tensor xs = context.x.slice(0, 0, count), ys = context.y.slice(0, 0, count);
  const torch::Tensor adv = HopSkipJump(context.target, xs, ys, options);
  MG_ASSIGN_OR_RETURN(const torch::Tensor labels, QueryLabels(context.target, adv));
  const torch::Tensor distances = (adv - xs).flatten(1).norm(2, 1);
  const torch::Tensor clean_ok = context.clean_correct.slice(0, 0, count);
  const torch::Tensor flipped = labels.ne(ys);
  for (double eps : context.epsilons) {
    // At eps 0 nothing is broken, whatever the distances say.
    const torch::Tensor broken = eps > 0 ? flipped.logical_and(distances.le(eps + 1e-6)) : torch::zeros_like(flipped);
    curve.robust_accuracy.push_back(
        {eps, clean_ok.logical_and(broken.logical_not()).to(torch::kFloat64).mean().item<double>()});
  }
  return Ok{};
}

Result<EvasionResult> RunEvasion(LocalModel* model, Target& target, const Dataset& test, const EvasionPlan& plan,
                                 const Progress& progress) {
  if (test.size() == 0) return MakeError(ErrorCode::kInvalidArgument, "no test samples to attack");
  try {
    const Dataset sample = test.Head(static_cast<size_t>(std::max<int64_t>(plan.samples, 1)));
    const torch::Tensor x = FeaturesTensor(sample);
    const torch::Tensor y = LabelsTensor(sample);
    auto predict = [&](const torch::Tensor& batch) -> Result<torch::Tensor> {
      if (model) return model->Predict(batch);
      return QueryLabels(target, batch);
    };
    auto clean_prediction = predict(x);
    if (!clean_prediction) return clean_prediction.error();
    const torch::Tensor clean_correct = clean_prediction->eq(y);
    EvasionResult result;
    result.samples = static_cast<int64_t>(sample.size());
    result.clean_accuracy = clean_correct.to(torch::kFloat64).mean().item<double>();
    result.reference_epsilon = plan.reference_epsilon;
    size_t done = 0;
    for (const std::string& name : plan.attacks) {
      const Attack* attack = FindAttack(Risk::kEvasion, name);
      if (attack == nullptr) return UnknownAttack(Risk::kEvasion, name);
      MG_TRY(cancel::Check("evasion"));
      if (attack->access == Access::kWhiteBox && !model) continue;  // a black-box endpoint has no gradients
      if (progress) progress("evasion: " + name, static_cast<double>(done) / static_cast<double>(plan.attacks.size()));
      ++done;
      EvasionCurve curve;
      curve.attack = name;
      const Norm norm = attack->norm.value_or(Norm::kLinf);
      curve.norm = ToString(norm);
      EvasionContext context{model,
                             target,
                             plan,
                             x,
                             y,
                             clean_correct,
                             result.clean_accuracy,
                             norm,
                             norm == Norm::kL2 ? plan.l2_epsilons : plan.linf_epsilons,
                             predict};
      const auto started = Clock::now();
      const int64_t gradients_before = model ? model->gradient_evaluations() : 0;
      const int64_t queries_before = target.queries();
      MG_TRY(attack->evade(context, curve));
      curve.cost.seconds = SecondsSince(started);
      curve.cost.gradient_evaluations = (model ? model->gradient_evaluations() : 0) - gradients_before;
      curve.cost.queries = target.queries() - queries_before;
      result.curves.push_back(std::move(curve));
    }
    return result;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     std::string("evasion failed (does the data match the model's input?): ") + TorchErrorSummary(e));
  }
}

}  // namespace modelguard::assess
