#include "src/gateway/filters/output_hardening/output_hardening_filter.h"

#include "modelguard/defenses/output_hardening.h"

namespace modelguard::gateway {
namespace {

class OutputHardeningFilter final : public Filter {
 public:
  OutputHardeningFilter(defenses::OutputPolicy policy, std::string field, bool refuse_bias_with_logprobs,
                        int64_t max_top_logprobs)
      : policy_(policy),
        field_(std::move(field)),
        refuse_bias_with_logprobs_(refuse_bias_with_logprobs),
        max_top_logprobs_(max_top_logprobs) {}
  const char* name() const override { return "output_hardening"; }

  std::optional<Answer> OnRequest(RequestContext& request) override {
    auto& json = request.json;
    if (!json.is_object()) return std::nullopt;
    const bool logprobs = (json.contains("logprobs") && (json["logprobs"] == true || json["logprobs"].is_number())) ||
                          json.contains("top_logprobs");
    const bool bias = json.contains("logit_bias") && json["logit_bias"].is_object() && !json["logit_bias"].empty();
    if (refuse_bias_with_logprobs_ && logprobs && bias) {
      request.verdicts["output_hardening"] = "block:logit_bias_with_logprobs";
      return Answer{400, "logit_bias_with_logprobs", "logit_bias cannot be combined with logprobs on this route", {}};
    }
    if (max_top_logprobs_ >= 0 && json.contains("top_logprobs") && json["top_logprobs"].is_number_integer() &&
        json["top_logprobs"].get<int64_t>() > max_top_logprobs_) {
      json["top_logprobs"] = max_top_logprobs_;
      request.body = json.dump();
      request.body_changed = true;
      request.verdicts["output_hardening"] = "modify:top_logprobs_capped";
    }
    return std::nullopt;
  }

  void OnResponse(RequestContext& request, ResponseContext& response) override {
    if (policy_.mode == defenses::OutputMode::kProbabilities || response.streamed || response.status >= 300 ||
        response.body.empty())
      return;
    auto json = nlohmann::json::parse(response.body, nullptr, false);
    if (!json.is_object()) return;
    auto it = json.find(field_);
    if (it == json.end() || !it->is_array() || it->empty()) return;
    const bool single = (*it)[0].is_number();
    nlohmann::json rows = single ? nlohmann::json::array({*it}) : *it;
    nlohmann::json hardened = nlohmann::json::array();
    nlohmann::json labels = nlohmann::json::array();
    for (const auto& row : rows) {
      if (!row.is_array()) return;
      std::vector<double> values;
      for (const auto& v : row) {
        if (!v.is_number()) return;  // not scores: leave the answer alone rather than guess
        values.push_back(v.get<double>());
      }
      if (values.empty()) return;
      const auto scores = defenses::HardenScores(values, policy_);
      labels.push_back(std::max_element(scores.begin(), scores.end()) - scores.begin());
      hardened.push_back(scores);
    }
    if (policy_.mode == defenses::OutputMode::kLabel) {
      json.erase(field_);
      json["labels"] = single ? labels[0] : labels;
    } else {
      json[field_] = single ? hardened[0] : hardened;
    }
    response.body = json.dump();
    request.verdicts["output_hardening"] = "modify:" + policy_.Describe();
  }

 private:
  const defenses::OutputPolicy policy_;
  const std::string field_;
  const bool refuse_bias_with_logprobs_;
  const int64_t max_top_logprobs_;
};

Result<std::shared_ptr<Filter>> Create(const Settings& settings, const FilterEnvironment&) {
  auto policy = defenses::ParseOutputPolicy(settings.String("mode"));
  if (!policy) return settings.Invalid("mode", policy.error().message);
  return std::shared_ptr<Filter>(std::make_shared<OutputHardeningFilter>(
      *policy, settings.String("field"), settings.Bool("refuse_logit_bias_with_logprobs"),
      settings.Integer("max_top_logprobs")));
}

}  // namespace

const FilterDescriptor& OutputHardeningFilterDescriptor() {
  static const FilterDescriptor descriptor{
      "output_hardening",
      "Coarsens classifier scores (top-K, rounding, label only, reverse sigmoid) and, on LLM routes, refuses "
      "`logit_bias` together with logprobs and caps `top_logprobs`.",
      {
          {"mode", SettingType::kString,
           "what answers keep: `probabilities`, `top-K`, `round-N`, `label` or `reverse-sigmoid`", "probabilities"},
          {"field", SettingType::kString, "the answer's field holding the scores (one row or a list of rows)",
           "probabilities"},
          {"refuse_logit_bias_with_logprobs", SettingType::kBool,
           "refuse `logit_bias` with `logprobs`/`top_logprobs` (400 `logit_bias_with_logprobs`)", true},
          {.key = "max_top_logprobs",
           .type = SettingType::kInteger,
           .doc = "cap on `top_logprobs`; -1: no cap",
           .default_value = 5,
           .min = -1},
      },
      Create};
  return descriptor;
}

}  // namespace modelguard::gateway
