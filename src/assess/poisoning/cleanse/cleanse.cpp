// Neural Cleanse (Wang et al. 2019). Per class: mask m and pattern p in [0, 1] (tanh-parametrised, so Adam
// works on unbounded values), inputs (1 - m) * x + m * p, loss = cross-entropy to the class + cost * |m|_1.
// The smallest mask that still reaches the success target is kept. The anomaly index of each class's norm
// is its distance from the median in units of the MAD (times 1.4826, the consistency constant that makes
// the MAD estimate a normal distribution's standard deviation); a class whose norm lies below the median
// with an index above 2 is a likely backdoor target.
#include "src/assess/poisoning/cleanse/cleanse.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "modelguard/core/cancel.h"
#include "modelguard/stats/stats.h"
#include "src/assess/torch_error.h"

namespace modelguard::assess::poisoning {
namespace {

// The mask's shape for one sample: images ({C, H, W}) share one mask entry per pixel across channels, as in
// the paper; other samples get one entry per feature.
std::vector<int64_t> MaskShape(const torch::Tensor& x) {
  std::vector<int64_t> shape{1};
  if (x.dim() == 4) {
    shape.insert(shape.end(), {1, x.size(2), x.size(3)});
  } else {
    for (int64_t d = 1; d < x.dim(); ++d) shape.push_back(x.size(d));
  }
  return shape;
}

Picture TriggerPicture(const ReversedTrigger& trigger, const std::vector<int64_t>& sample_shape,
                       const std::string& caption) {
  Picture picture;
  picture.caption = caption;
  const torch::Tensor image = (trigger.mask * trigger.pattern).squeeze(0).to(torch::kFloat32).contiguous();
  if (sample_shape.size() == 3 && (sample_shape[0] == 1 || sample_shape[0] == 3)) {
    picture.channels = sample_shape[0];
    picture.height = sample_shape[1];
    picture.width = sample_shape[2];
  } else {
    // A flat sample: square when it can be (8x8 digits as 64 columns), else one row.
    const int64_t size = image.numel();
    const auto side = static_cast<int64_t>(std::llround(std::sqrt(static_cast<double>(size))));
    picture.height = side * side == size ? side : 1;
    picture.width = side * side == size ? side : size;
  }
  picture.pixels.assign(image.data_ptr<float>(), image.data_ptr<float>() + image.numel());
  return picture;
}

}  // namespace

std::vector<double> AnomalyIndexes(const std::vector<double>& values) {
  const double median = stats::Median(values);
  std::vector<double> deviations(values.size());
  for (size_t i = 0; i < values.size(); ++i) deviations[i] = std::abs(values[i] - median);
  const double mad = 1.4826 * stats::Median(deviations);
  std::vector<double> out(values.size());
  for (size_t i = 0; i < values.size(); ++i) {
    // All norms equal but this one: an infinite index is the honest answer, but JSON cannot carry it.
    out[i] = mad > 0 ? deviations[i] / mad : (deviations[i] > 0 ? 1e9 : 0);
  }
  return out;
}

Result<std::vector<ReversedTrigger>> ReverseTriggers(LocalModel& model, const torch::Tensor& x,
                                                     const std::vector<int64_t>& targets, const CleanseOptions& options,
                                                     uint64_t seed) {
  if (x.size(0) == 0) return MakeError(ErrorCode::kInvalidArgument, "no samples to optimise the trigger on");
  if (targets.empty()) return std::vector<ReversedTrigger>{};
  try {
    torch::manual_seed(seed);
    const auto k = static_cast<int64_t>(targets.size());
    std::vector<int64_t> mask_shape = MaskShape(x), pattern_shape{1};
    for (int64_t d = 1; d < x.dim(); ++d) pattern_shape.push_back(x.size(d));
    mask_shape[0] = pattern_shape[0] = k;
    // Random starts in (-1, 1) before tanh: mask entries of about 0.12 to 0.88.
    torch::Tensor mask_raw = (torch::rand(mask_shape) * 2 - 1).requires_grad_(true);
    torch::Tensor pattern_raw = (torch::rand(pattern_shape) * 2 - 1).requires_grad_(true);
    torch::optim::Adam optimizer({mask_raw, pattern_raw},
                                 torch::optim::AdamOptions(options.learning_rate).betas({0.5, 0.9}));
    const int64_t n = x.size(0);
    const int64_t batch = std::min(options.batch, n);
    const torch::Tensor labels = torch::tensor(targets, torch::kInt64).repeat_interleave(batch);
    torch::Tensor order = torch::randperm(n, torch::kInt64);
    int64_t cursor = 0;
    const auto classes = static_cast<size_t>(k);
    std::vector<double> cost(classes, options.initial_cost), window_success(classes, 0);
    std::vector<int> above(classes, 0), below(classes, 0);
    int window = 0;
    std::vector<ReversedTrigger> best(classes);
    for (size_t c = 0; c < classes; ++c) {
      best[c].target = targets[c];
      best[c].norm = std::numeric_limits<double>::infinity();
    }
    torch::Tensor mask, pattern;
    for (int step = 0; step < options.steps; ++step) {
      if (step % 20 == 0) MG_TRY(cancel::Check("neural cleanse"));
      if (cursor + batch > n) {
        order = torch::randperm(n, torch::kInt64);
        cursor = 0;
      }
      const torch::Tensor inputs = x.index_select(0, order.slice(0, cursor, cursor + batch)).unsqueeze(0);
      cursor += batch;
      mask = (torch::tanh(mask_raw) + 1) / 2;
      pattern = (torch::tanh(pattern_raw) + 1) / 2;
      // {k, batch, sample...}: every class's trigger on the same inputs.
      const torch::Tensor stamped = (1 - mask.unsqueeze(1)) * inputs + (mask * pattern).unsqueeze(1);
      std::vector<int64_t> flat_shape{k * batch};
      for (int64_t d = 1; d < x.dim(); ++d) flat_shape.push_back(x.size(d));
      const torch::Tensor logits = model.Logits(stamped.reshape(flat_shape));
      const torch::Tensor cross_entropy =
          torch::nn::functional::cross_entropy(logits, labels,
                                               torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kNone))
              .view({k, batch})
              .mean(1);
      const torch::Tensor norms = mask.flatten(1).sum(1);
      const torch::Tensor costs = torch::tensor(cost, torch::kFloat64).to(torch::kFloat32);
      const torch::Tensor loss = (cross_entropy + costs * norms).sum();
      const auto gradients = torch::autograd::grad({loss}, {mask_raw, pattern_raw});
      optimizer.zero_grad();
      mask_raw.mutable_grad() = gradients[0];
      pattern_raw.mutable_grad() = gradients[1];
      model.CountGradient(k * batch);

      // The figures of the mask and pattern this step evaluated (before the update).
      const torch::Tensor success_tensor =
          logits.argmax(1).eq(labels).to(torch::kFloat64).view({k, batch}).mean(1).contiguous();
      const torch::Tensor norm_tensor = norms.detach().to(torch::kFloat64).contiguous();
      const double* success = success_tensor.data_ptr<double>();
      const double* norm = norm_tensor.data_ptr<double>();
      for (size_t c = 0; c < classes; ++c) {
        window_success[c] += success[c];
        if (success[c] >= options.success_target && norm[c] < best[c].norm) {
          best[c].norm = norm[c];
          best[c].reached = true;
          best[c].mask = mask[static_cast<int64_t>(c)].detach().unsqueeze(0).clone();
          best[c].pattern = pattern[static_cast<int64_t>(c)].detach().unsqueeze(0).clone();
        }
      }
      optimizer.step();
      if (++window < options.check_every) continue;
      for (size_t c = 0; c < classes; ++c) {
        const bool reached = window_success[c] / window >= options.success_target;
        window_success[c] = 0;
        above[c] = reached ? above[c] + 1 : 0;
        below[c] = reached ? 0 : below[c] + 1;
        if (above[c] >= options.patience) {
          cost[c] *= 1.5;
          above[c] = 0;
        } else if (below[c] >= options.patience) {
          cost[c] /= std::pow(1.5, 1.5);
          below[c] = 0;
        }
      }
      window = 0;
    }
    torch::NoGradGuard no_grad;
    mask = (torch::tanh(mask_raw) + 1) / 2;
    pattern = (torch::tanh(pattern_raw) + 1) / 2;
    for (size_t c = 0; c < classes; ++c) {
      if (!best[c].reached) {
        // Never reached: the last mask stands for the class, its (too low) success on record; such a class is
        // the opposite of a backdoor target.
        best[c].mask = mask[static_cast<int64_t>(c)].unsqueeze(0).clone();
        best[c].pattern = pattern[static_cast<int64_t>(c)].unsqueeze(0).clone();
        best[c].norm = best[c].mask.sum().item<double>();
      }
      // The kept trigger's success on every sample, not just on the batch it was found with.
      const torch::Tensor stamped = (1 - best[c].mask) * x + best[c].mask * best[c].pattern;
      best[c].success = model.Predict(stamped).eq(targets[c]).to(torch::kFloat64).mean().item<double>();
    }
    return best;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, "neural cleanse: optimisation failed: " + TorchErrorSummary(e));
  }
}

Result<MethodResult> RunCleanse(const AuditInput& input, const CleanseOptions& options) {
  if (input.model == nullptr) return MakeError(ErrorCode::kInvalidArgument, "cleanse: needs the model");
  const bool have_clean = input.clean != nullptr && input.clean->size() > 0;
  const Dataset* source = have_clean ? input.clean : input.data;
  if (source == nullptr || source->size() == 0)
    return MakeError(ErrorCode::kInvalidArgument, "cleanse: no samples to optimise triggers on");
  if (options.steps < 1 || options.batch < 1 || options.samples < 1)
    return MakeError(ErrorCode::kInvalidArgument, "cleanse: steps, batch and samples must be positive");
  torch::Tensor x = FeaturesTensor(*source);
  // The model's own output width, not what its metadata or the dataset claim: a trigger is optimised for every
  // class the model can answer, and a model made elsewhere may carry no metadata.
  int64_t classes = 0;
  try {
    classes = input.model->Probabilities(x.slice(0, 0, 1)).size(1);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "cleanse: the model does not take these samples: " + TorchErrorSummary(e));
  }
  if (classes < 2) return MakeError(ErrorCode::kInvalidArgument, "cleanse: the model answers fewer than two classes");
  if (classes > 1000) return MakeError(ErrorCode::kLimit, "cleanse: more than 1000 classes");

  torch::manual_seed(input.seed);
  if (x.size(0) > options.samples)
    x = x.index_select(0, torch::randperm(x.size(0), torch::kInt64).slice(0, 0, options.samples));

  // Classes in groups so that one forward pass holds at most 4096 stamped samples and 2^25 values (128 MiB of
  // float32; large images get fewer classes per pass).
  const int64_t batch = std::min<int64_t>(options.batch, x.size(0));
  const int64_t per_sample = std::max<int64_t>(1, x[0].numel());
  const int64_t group =
      std::max<int64_t>(1, std::min<int64_t>(4096 / batch, (int64_t{1} << 25) / (batch * per_sample)));
  std::vector<ReversedTrigger> triggers;
  std::vector<double> norms;
  for (int64_t first = 0; first < classes; first += group) {
    const int64_t last = std::min(classes, first + group);
    if (input.progress) {
      input.progress("cleanse: classes " + std::to_string(first) + ".." + std::to_string(last - 1) + " of " +
                     std::to_string(classes));
    }
    std::vector<int64_t> targets;
    for (int64_t c = first; c < last; ++c) targets.push_back(c);
    MG_ASSIGN_OR_RETURN_CONTEXT(
        std::vector<ReversedTrigger> found,
        ReverseTriggers(*input.model, x, targets, options, input.seed * 1000003u + static_cast<uint64_t>(first)),
        "cleanse: ");
    for (auto& trigger : found) {
      norms.push_back(trigger.norm);
      triggers.push_back(std::move(trigger));
    }
  }
  const std::vector<double> indexes = AnomalyIndexes(norms);
  const double median = stats::Median(norms);

  MethodResult result;
  result.method = "cleanse";
  std::vector<int64_t> flagged;
  for (int64_t c = 0; c < classes; ++c) {
    const auto i = static_cast<size_t>(c);
    if (norms[i] < median && indexes[i] > options.anomaly_threshold) flagged.push_back(c);
  }
  std::sort(flagged.begin(), flagged.end(),
            [&](int64_t a, int64_t b) { return indexes[static_cast<size_t>(a)] > indexes[static_cast<size_t>(b)]; });
  result.model_flagged = !flagged.empty();
  const auto smallest = static_cast<int64_t>(std::min_element(norms.begin(), norms.end()) - norms.begin());

  nlohmann::ordered_json per_class = nlohmann::ordered_json::array();
  for (int64_t c = 0; c < classes; ++c) {
    const auto i = static_cast<size_t>(c);
    per_class.push_back({{"class", c},
                         {"mask_l1", norms[i]},
                         {"anomaly_index", indexes[i]},
                         {"trigger_success", triggers[i].success},
                         {"reached_target", triggers[i].reached}});
  }
  result.details["suspected_target"] =
      flagged.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(flagged[0]);
  result.details["flagged_classes"] = flagged;
  result.details["smallest_norm_class"] = smallest;
  result.details["median_norm"] = median;
  result.details["anomaly_threshold"] = options.anomaly_threshold;
  result.details["classes"] = per_class;
  result.details["samples"] = x.size(0);
  result.details["steps_per_class"] = options.steps;
  result.details["source"] = have_clean ? "clean samples" : "audited samples";

  const std::vector<int64_t>& shape = source->sample_shape;
  for (int64_t c : flagged) {
    result.pictures.push_back(
        TriggerPicture(triggers[static_cast<size_t>(c)], shape,
                       "recovered trigger (mask x pattern) for flagged class " + std::to_string(c)));
  }
  if (std::find(flagged.begin(), flagged.end(), smallest) == flagged.end()) {
    result.pictures.push_back(
        TriggerPicture(triggers[static_cast<size_t>(smallest)], shape,
                       "recovered trigger (mask x pattern) of the smallest norm, class " + std::to_string(smallest)));
  }
  return result;
}

const MethodDescriptor& CleanseMethod() {
  static const MethodDescriptor descriptor{
      "cleanse",
      "backdoor target classes by reverse-engineered minimal triggers and the MAD anomaly index (Neural Cleanse)",
      "Wang et al. 2019, Neural Cleanse: Identifying and Mitigating Backdoor Attacks in Neural Networks (IEEE S&P)",
      true,
      [](const AuditInput& input) { return RunCleanse(input, CleanseOptions{}); },
  };
  return descriptor;
}

}  // namespace modelguard::assess::poisoning
