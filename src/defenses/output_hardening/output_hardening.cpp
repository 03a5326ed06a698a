#include "modelguard/defenses/output_hardening.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <numeric>

namespace modelguard::defenses {
namespace {

size_t ArgMax(std::span<const double> values) {
  return static_cast<size_t>(std::max_element(values.begin(), values.end()) - values.begin());
}

}  // namespace

std::string OutputPolicy::Describe() const {
  switch (mode) {
    case OutputMode::kProbabilities:
      return "probabilities";
    case OutputMode::kTopK:
      return "top-" + std::to_string(top_k);
    case OutputMode::kRounded:
      return "round-" + std::to_string(digits);
    case OutputMode::kLabel:
      return "label";
    case OutputMode::kReverseSigmoid:
      return "reverse-sigmoid";
  }
  return "probabilities";
}

Result<OutputPolicy> ParseOutputPolicy(std::string_view text) {
  OutputPolicy policy;
  auto number_after = [&](std::string_view prefix, int low, int high) -> Result<int> {
    int value = 0;
    const std::string_view digits = text.substr(prefix.size());
    auto [end, error] = std::from_chars(digits.data(), digits.data() + digits.size(), value);
    if (error != std::errc() || end != digits.data() + digits.size() || value < low || value > high) {
      return MakeError(ErrorCode::kInvalidArgument, "'" + std::string(text) + "': expected " + std::string(prefix) +
                                                        "N with N in " + std::to_string(low) + ".." +
                                                        std::to_string(high));
    }
    return value;
  };
  if (text == "probabilities" || text == "full") return policy;
  if (text == "label" || text == "label-only") {
    policy.mode = OutputMode::kLabel;
    return policy;
  }
  if (text == "reverse-sigmoid") {
    policy.mode = OutputMode::kReverseSigmoid;
    return policy;
  }
  if (text.rfind("top-", 0) == 0) {
    MG_ASSIGN_OR_RETURN(auto k, number_after("top-", 1, 1000));
    policy.mode = OutputMode::kTopK;
    policy.top_k = k;
    return policy;
  }
  if (text.rfind("round-", 0) == 0) {
    MG_ASSIGN_OR_RETURN(auto digits, number_after("round-", 0, 8));
    policy.mode = OutputMode::kRounded;
    policy.digits = digits;
    return policy;
  }
  return MakeError(ErrorCode::kInvalidArgument, "unknown output policy '" + std::string(text) +
                                                    "' (probabilities, top-K, round-N, label, reverse-sigmoid)");
}

std::vector<double> HardenScores(std::span<const double> probabilities, const OutputPolicy& policy) {
  std::vector<double> out(probabilities.begin(), probabilities.end());
  if (out.empty()) return out;
  const size_t top = ArgMax(probabilities);
  switch (policy.mode) {
    case OutputMode::kProbabilities:
      break;
    case OutputMode::kTopK: {
      std::vector<size_t> order(out.size());
      std::iota(order.begin(), order.end(), size_t{0});
      const size_t keep = std::min(out.size(), static_cast<size_t>(std::max(policy.top_k, 1)));
      std::partial_sort(order.begin(), order.begin() + static_cast<std::ptrdiff_t>(keep), order.end(),
                        [&](size_t a, size_t b) {
                          return probabilities[a] > probabilities[b] || (probabilities[a] == probabilities[b] && a < b);
                        });
      std::fill(out.begin(), out.end(), 0.0);
      for (size_t i = 0; i < keep; ++i) out[order[i]] = probabilities[order[i]];
      break;
    }
    case OutputMode::kRounded: {
      const double scale = std::pow(10.0, policy.digits);
      for (double& v : out) v = std::round(v * scale) / scale;
      // Rounding may tie the winner with runners-up (all to 0 at round-0): lift the winner one step above
      // them, so the label the service promises survives.
      double runner_up = -1;
      for (size_t i = 0; i < out.size(); ++i) {
        if (i != top) runner_up = std::max(runner_up, out[i]);
      }
      if (out[top] <= runner_up) out[top] = runner_up + 1.0 / scale;
      break;
    }
    case OutputMode::kLabel:
      std::fill(out.begin(), out.end(), 0.0);
      out[top] = 1.0;
      break;
    case OutputMode::kReverseSigmoid: {
      // y' = y - beta * (sigmoid(gamma * logit(y)) - 1/2), renormalised (Lee et al. 2019, eq. 3).
      double sum = 0;
      for (double& v : out) {
        const double p = std::clamp(v, 1e-12, 1.0 - 1e-12);
        const double logit = std::log(p / (1.0 - p));
        const double perturbation = policy.beta * (1.0 / (1.0 + std::exp(-policy.gamma * logit)) - 0.5);
        v = std::max(0.0, p - perturbation);
        sum += v;
      }
      if (sum <= 0) {
        std::fill(out.begin(), out.end(), 0.0);
        out[top] = 1.0;
        break;
      }
      for (double& v : out) v /= sum;
      const size_t now = ArgMax(out);
      if (now != top) std::swap(out[now], out[top]);  // the label is the service's promise: keep it
      break;
    }
  }
  return out;
}

}  // namespace modelguard::defenses
