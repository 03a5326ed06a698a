#include "src/gateway/filters/rate_limit/rate_limit_filter.h"

#include <cmath>

#include "modelguard/gateway/limits.h"
#include "src/gateway/openai.h"

namespace modelguard::gateway {
namespace {

class RateLimitFilter final : public Filter {
 public:
  RateLimitFilter(std::shared_ptr<LimitStore> store, bool fail_open, double request_rate, double request_burst,
                  double token_rate, double token_burst, int64_t default_max_tokens, bool per_route)
      : store_(std::move(store)),
        fail_open_(fail_open),
        request_rate_(request_rate),
        request_burst_(request_burst),
        token_rate_(token_rate),
        token_burst_(token_burst),
        default_max_tokens_(default_max_tokens),
        per_route_(per_route) {}
  const char* name() const override { return "rate_limit"; }

  std::optional<Answer> OnRequest(RequestContext& request) override {
    const std::string subject =
        per_route_ || request.key_id.empty() ? "route:" + request.route : "key:" + request.key_id;
    if (request_rate_ > 0) {
      auto admitted = store_->Take("req:" + subject, request_rate_, request_burst_, 1);
      if (auto refused = Judge(request, admitted)) return refused;
    }
    if (token_rate_ > 0) {
      const int64_t cost = std::min<int64_t>(
          static_cast<int64_t>(token_burst_),
          EstimatePromptTokens(request.json) + RequestedMaxTokens(request.json).value_or(default_max_tokens_));
      auto admitted = store_->Take("tok:" + subject, token_rate_, token_burst_, static_cast<double>(cost));
      if (auto refused = Judge(request, admitted)) return refused;
      if (admitted) request.reservations["rate_limit"] = cost;
    }
    request.verdicts["rate_limit"] = FilterVerdict::Allow();
    return std::nullopt;
  }

  void OnResponse(RequestContext& request, ResponseContext& response) override {
    auto it = request.reservations.find("rate_limit");
    if (it == request.reservations.end()) return;
    const int64_t charged = it->second;
    request.reservations.erase(it);
    const int64_t used = response.status < 300 ? response.total_tokens.value_or(charged) : 0;
    if (used < charged) {
      const std::string subject =
          per_route_ || request.key_id.empty() ? "route:" + request.route : "key:" + request.key_id;
      (void)store_->Refund("tok:" + subject, token_rate_, token_burst_, static_cast<double>(charged - used));
    }
  }

 private:
  std::optional<Answer> Judge(RequestContext& request, const Result<Admission>& admitted) {
    if (!admitted) {
      if (fail_open_) return std::nullopt;
      request.verdicts["rate_limit"] = FilterVerdict::Block("limits_unavailable");
      return Answer{
          503, "limits_unavailable", "admission control is unavailable (" + admitted.error().message + ")", {}};
    }
    if (admitted->allowed) return std::nullopt;
    request.verdicts["rate_limit"] = FilterVerdict::Block("rate_limit_exceeded");
    Answer answer{429, "rate_limit_exceeded", "too many requests; retry later", {}};
    answer.headers["Retry-After"] =
        std::to_string(std::max<int64_t>(1, static_cast<int64_t>(std::ceil(admitted->retry_after_seconds))));
    return answer;
  }
  const std::shared_ptr<LimitStore> store_;
  const bool fail_open_;
  const double request_rate_, request_burst_, token_rate_, token_burst_;
  const int64_t default_max_tokens_;
  const bool per_route_;
};

}  // namespace

Result<std::shared_ptr<Filter>> CreateRateLimitFilter(const nlohmann::json& settings, const FilterEnvironment& env) {
  const double rate = settings.value("requests_per_second", 0.0);
  const double burst = settings.value("burst", std::max(1.0, rate));
  const double tokens_per_minute = settings.value("tokens_per_minute", 0.0);
  const double token_burst = settings.value("token_burst", tokens_per_minute);
  const int64_t default_max = settings.value("default_max_tokens", int64_t{1024});
  const std::string per = settings.value("per", "key");
  if (rate < 0 || tokens_per_minute < 0 || !(rate > 0 || tokens_per_minute > 0)) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "rate_limit: requests_per_second and/or tokens_per_minute must be positive");
  }
  if (rate > 0 && !(burst >= 1)) return MakeError(ErrorCode::kInvalidArgument, "rate_limit.burst must be at least 1");
  if (tokens_per_minute > 0 && !(token_burst >= 1))
    return MakeError(ErrorCode::kInvalidArgument, "rate_limit.token_burst must be at least 1");
  if (default_max <= 0) return MakeError(ErrorCode::kInvalidArgument, "rate_limit.default_max_tokens must be positive");
  if (per != "key" && per != "route")
    return MakeError(ErrorCode::kInvalidArgument, "rate_limit.per must be key or route");
  return std::shared_ptr<Filter>(std::make_shared<RateLimitFilter>(env.limits, env.limits_fail_open, rate, burst,
                                                                   tokens_per_minute / 60.0, token_burst, default_max,
                                                                   per == "route"));
}

}  // namespace modelguard::gateway
