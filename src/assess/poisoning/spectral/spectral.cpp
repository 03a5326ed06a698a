// Spectral signatures (Tran, Li and Madry, "Spectral Signatures in Backdoor Attacks", NeurIPS 2018). Within
// one class, poisoned samples shift the activations along one direction; that direction dominates the
// class's centred activations, so its top singular vector finds it, and each sample's squared projection
// on it is its outlier score. The paper removes the 1.5 * epsilon highest-scoring samples of each class,
// epsilon being an upper bound on the poisoned fraction.
//
// Removing a fixed share of every class flags samples in every dataset, poisoned or not, so a clean dataset
// could never pass. The paper's own condition for the signature is that the poison makes the class's top
// direction carry much more variance than clean data does; here a class's removal happens only when its
// variance along the top singular vector (sigma_1^2 / n) is at least kSignatureRatio times the median
// class's. Scores are given for every class either way. This assumes that most classes are clean: an attack
// that poisons every class alike raises the median with it.
#include <algorithm>
#include <cmath>

#include "modelguard/assess/poisoning.h"
#include "src/assess/poisoning/linalg.h"
#include "src/assess/torch_error.h"

namespace modelguard::assess::poisoning {
namespace {

constexpr const char* kName = "spectral";
// The expected poisoned share of a class (the paper's epsilon) and the paper's margin over it.
constexpr double kExpectedPoisonFraction = 0.05;
constexpr double kRemovalMultiplier = 1.5;
// Measured: poisoned classes 2.7 and 3.8 (digits, 5 % and 10 % BadNets), 5.5 (Fashion-MNIST, 5 %); clean
// classes at most 1.6 on digits and 2.03 on Fashion-MNIST (shirts, a naturally two-shaped class), which 2.0
// flagged. Activation clustering requires the same ratio.
constexpr double kSignatureRatio = 2.5;

Result<MethodResult> RunSpectral(const AuditInput& input) {
  if (input.progress) input.progress("spectral: activations");
  MG_ASSIGN_OR_RETURN(const torch::Tensor activations, AuditActivations(input, kName));
  MethodResult result;
  result.method = kName;
  const size_t n = input.data->size();
  result.scores.assign(n, std::nan(""));
  result.flagged.assign(n, false);
  result.details["expected_poison_fraction"] = kExpectedPoisonFraction;
  result.details["removal_multiplier"] = kRemovalMultiplier;
  result.details["signature_ratio"] = kSignatureRatio;
  result.details["features"] = activations.size(1);
  nlohmann::ordered_json classes = nlohmann::ordered_json::array();
  try {
    const auto by_class = IndicesByClass(*input.data);
    std::vector<double> variances;  // per scored class
    std::vector<size_t> scored;
    for (size_t c = 0; c < by_class.size(); ++c) {
      const auto& indices = by_class[c];
      nlohmann::ordered_json entry{{"class", c}, {"samples", indices.size()}};
      if (indices.size() < 2) {
        entry["skipped"] = "fewer than two samples";
        classes.push_back(entry);
        continue;
      }
      const torch::Tensor rows =
          activations.index_select(0, torch::from_blob(const_cast<int64_t*>(indices.data()),
                                                       {static_cast<int64_t>(indices.size())}, torch::kInt64));
      const torch::Tensor centred = rows - rows.mean(0, true);
      const torch::Tensor direction = TopRightSingularVectors(centred, 1);
      const torch::Tensor scores = centred.mm(direction).squeeze(1).pow(2).contiguous();
      const double* score = scores.data_ptr<double>();
      for (size_t i = 0; i < indices.size(); ++i) result.scores[static_cast<size_t>(indices[i])] = score[i];
      const double top_variance = scores.sum().item<double>() / static_cast<double>(indices.size());
      entry["top_singular_value"] = std::sqrt(scores.sum().item<double>());
      entry["top_direction_variance"] = top_variance;
      variances.push_back(top_variance);
      scored.push_back(c);
      classes.push_back(entry);
    }
    if (!variances.empty()) {
      std::vector<double> sorted = variances;
      std::sort(sorted.begin(), sorted.end());
      const double median = sorted.size() % 2 == 1 ? sorted[sorted.size() / 2]
                                                   : (sorted[sorted.size() / 2 - 1] + sorted[sorted.size() / 2]) / 2;
      result.details["median_top_direction_variance"] = median;
      for (size_t j = 0; j < scored.size(); ++j) {
        const auto& indices = by_class[scored[j]];
        auto& entry = *std::find_if(classes.begin(), classes.end(),
                                    [&](const auto& e) { return e["class"].template get<size_t>() == scored[j]; });
        const double ratio = median > 0 ? variances[j] / median : 1.0;
        entry["variance_ratio"] = ratio;
        const bool signature = ratio >= kSignatureRatio;
        entry["signature"] = signature;
        if (!signature) continue;
        std::vector<int64_t> order(indices);
        // Highest first; ties by index, so the same input always flags the same samples.
        std::stable_sort(order.begin(), order.end(), [&](int64_t a, int64_t b) {
          return result.scores[static_cast<size_t>(a)] > result.scores[static_cast<size_t>(b)];
        });
        const auto remove =
            std::min(indices.size(), static_cast<size_t>(std::ceil(kRemovalMultiplier * kExpectedPoisonFraction *
                                                                   static_cast<double>(indices.size()))));
        for (size_t i = 0; i < remove; ++i) result.flagged[static_cast<size_t>(order[i])] = true;
        entry["flagged"] = remove;
        entry["threshold"] = remove > 0 ? result.scores[static_cast<size_t>(order[remove - 1])] : 0.0;
      }
    }
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, std::string("spectral: ") + TorchErrorSummary(e));
  }
  result.details["classes"] = std::move(classes);
  return result;
}

}  // namespace

const MethodDescriptor& SpectralMethod() {
  static const MethodDescriptor descriptor{
      kName, "Spectral signatures: per class, the squared projection on the top singular vector of the activations",
      "Tran, Li, Madry: Spectral Signatures in Backdoor Attacks (NeurIPS 2018)", true, RunSpectral};
  return descriptor;
}

}  // namespace modelguard::assess::poisoning
