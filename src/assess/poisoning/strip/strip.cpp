// STRIP (Gao et al. 2019). Per input, N perturbed copies (input + a random clean sample, clipped), the
// Shannon entropy of each copy's predicted distribution, averaged. The decision threshold is the entropy
// below which only `false_rejection` of clean inputs fall: the empirical quantile of the clean entropies
// when a trusted clean set is given (the paper fits a normal distribution instead; the empirical quantile
// needs no assumption about the shape), else a normal fitted robustly (median and MAD) to the audited data
// itself, which a minority of poison cannot drag.
#include "src/assess/poisoning/strip/strip.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "modelguard/core/cancel.h"
#include "modelguard/stats/stats.h"
#include "src/assess/torch_error.h"

namespace modelguard::assess::poisoning {
namespace {

// Inputs per forward batch: each one becomes `overlays` rows.
constexpr int64_t kInputsPerBatch = 64;

std::vector<double> ToVector(const torch::Tensor& t) {
  const torch::Tensor c = t.to(torch::kFloat64).contiguous();
  return std::vector<double>(c.data_ptr<double>(), c.data_ptr<double>() + c.numel());
}

}  // namespace

Result<torch::Tensor> StripEntropies(LocalModel& model, const torch::Tensor& x, const torch::Tensor& pool, int overlays,
                                     uint64_t seed) {
  if (overlays < 1 || overlays > 1000) return MakeError(ErrorCode::kInvalidArgument, "overlays must lie in 1..1000");
  if (pool.size(0) == 0) return MakeError(ErrorCode::kInvalidArgument, "no clean samples to superimpose");
  std::mt19937_64 random(seed);
  std::uniform_int_distribution<int64_t> pick(0, pool.size(0) - 1);
  const int64_t n = x.size(0);
  torch::Tensor out = torch::empty({n}, torch::kFloat64);
  try {
    for (int64_t start = 0; start < n; start += kInputsPerBatch) {
      MG_TRY(cancel::Check("strip"));
      const int64_t end = std::min(start + kInputsPerBatch, n);
      std::vector<int64_t> chosen(static_cast<size_t>((end - start) * overlays));
      for (auto& index : chosen) index = pick(random);
      const torch::Tensor overlay = pool.index_select(0, torch::tensor(chosen, torch::kInt64));
      const torch::Tensor inputs = x.slice(0, start, end).repeat_interleave(overlays, 0);
      const torch::Tensor p = model.Probabilities((inputs + overlay).clamp(0, 1));
      const torch::Tensor entropy = -(p * p.clamp_min(1e-12).log()).sum(1);
      out.slice(0, start, end).copy_(entropy.view({end - start, overlays}).mean(1));
    }
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "strip: the model failed on the superimposed inputs: " + TorchErrorSummary(e));
  }
  return out;
}

Result<MethodResult> RunStrip(const AuditInput& input, const StripOptions& options) {
  if (input.model == nullptr) return MakeError(ErrorCode::kInvalidArgument, "strip: needs the model");
  if (input.data == nullptr || input.data->size() == 0)
    return MakeError(ErrorCode::kInvalidArgument, "strip: no samples to audit");
  if (!(options.false_rejection > 0 && options.false_rejection < 0.5))
    return MakeError(ErrorCode::kInvalidArgument, "strip: the false-rejection rate must lie in (0, 0.5)");
  const Dataset& data = *input.data;
  const bool have_clean = input.clean != nullptr && input.clean->size() > 0;
  if (have_clean && input.clean->SampleSize() != data.SampleSize())
    return MakeError(ErrorCode::kInvalidArgument, "strip: the clean samples differ in size from the audited ones");
  const Dataset& pool_data = have_clean ? *input.clean : data;
  MethodResult result;
  result.method = "strip";
  const torch::Tensor x = FeaturesTensor(data);
  torch::Tensor pool = FeaturesTensor(pool_data);
  if (input.progress) input.progress("strip: " + std::to_string(data.size()) + " samples");
  MG_ASSIGN_OR_RETURN(torch::Tensor entropies, StripEntropies(*input.model, x, pool, options.overlays, input.seed));
  const std::vector<double> audited = ToVector(entropies);

  double threshold = 0;
  nlohmann::ordered_json calibration;
  if (have_clean) {
    // The clean samples are overlaid with the other clean samples (the paper's held-out calibration set);
    // a random subset keeps calibration cheap on large clean sets.
    torch::Tensor calibration_x = pool;
    if (pool.size(0) > options.calibration_max) {
      torch::manual_seed(input.seed);
      calibration_x =
          pool.index_select(0, torch::randperm(pool.size(0), torch::kInt64).slice(0, 0, options.calibration_max));
    }
    if (input.progress)
      input.progress("strip: calibrating on " + std::to_string(calibration_x.size(0)) + " clean samples");
    MG_ASSIGN_OR_RETURN(torch::Tensor clean_entropies,
                        StripEntropies(*input.model, calibration_x, pool, options.overlays, input.seed + 1));
    std::vector<double> clean = ToVector(clean_entropies);
    std::sort(clean.begin(), clean.end());
    // Flag below the clean entropy at rank floor(frr * M): at most frr of the clean set lies below it.
    const auto rank = static_cast<size_t>(std::floor(options.false_rejection * static_cast<double>(clean.size())));
    threshold = clean[std::min(rank, clean.size() - 1)];
    double mean = 0, variance = 0;
    for (double e : clean) mean += e;
    mean /= static_cast<double>(clean.size());
    for (double e : clean) variance += (e - mean) * (e - mean);
    calibration = {{"source", "clean samples"},
                   {"samples", clean.size()},
                   {"clean_entropy_mean", mean},
                   {"clean_entropy_std", std::sqrt(variance / static_cast<double>(clean.size()))},
                   {"clean_entropy_min", clean.front()}};
  } else {
    const double median = stats::Median(audited);
    std::vector<double> deviations(audited.size());
    for (size_t i = 0; i < audited.size(); ++i) deviations[i] = std::abs(audited[i] - median);
    const double sigma = 1.4826 * stats::Median(deviations);
    threshold = median + stats::NormalQuantile(options.false_rejection) * sigma;
    calibration = {
        {"source", "normal fitted to the audited samples (median, 1.4826 MAD)"}, {"median", median}, {"sigma", sigma}};
  }

  result.scores.resize(data.size());
  result.flagged.resize(data.size());
  int64_t flagged = 0;
  std::vector<int64_t> flagged_per_class(static_cast<size_t>(std::max<int64_t>(data.classes, 0)), 0);
  for (size_t i = 0; i < data.size(); ++i) {
    result.scores[i] = -audited[i];
    result.flagged[i] = audited[i] < threshold;
    if (result.flagged[i]) {
      ++flagged;
      if (data.labels[i] >= 0 && data.labels[i] < data.classes)
        ++flagged_per_class[static_cast<size_t>(data.labels[i])];
    }
  }
  result.details["overlays"] = options.overlays;
  result.details["superimposition"] = "pixel-wise sum clipped to [0, 1]";
  result.details["false_rejection_rate"] = options.false_rejection;
  result.details["calibration"] = calibration;
  result.details["entropy_threshold"] = threshold;
  result.details["flagged"] = flagged;
  result.details["flagged_per_label"] = flagged_per_class;
  return result;
}

const MethodDescriptor& StripMethod() {
  static const MethodDescriptor descriptor{
      "strip",
      "trigger-carrying inputs by the entropy of predictions under superimposed clean samples (STRIP)",
      "Gao et al. 2019, STRIP: A Defence Against Trojan Attacks on Deep Neural Networks (ACSAC)",
      true,
      [](const AuditInput& input) { return RunStrip(input, StripOptions{}); },
      /*by_default=*/false,
  };
  return descriptor;
}

}  // namespace modelguard::assess::poisoning
