#include "src/gateway/filters/rate_limit/rate_limit_filter.h"

#include <cmath>

#include "modelguard/gateway/limits.h"
#include "src/gateway/openai.h"
#include "src/gateway/run_blocking.h"

namespace modelguard::gateway {
namespace {

// Puts back what a request took but did not use when the response hook ends by an exception (the
// asynchronous refund threw), so a failing hook cannot keep tokens taken for good. A destructor cannot
// await, so it uses the store's synchronous form; a store that throws there too is left as it is (the
// hook's own exception is what the chain reports).
class Refund {
 public:
  Refund(LimitStore& store, std::string bucket, double rate, double burst, double amount)
      : store_(store), bucket_(std::move(bucket)), rate_(rate), burst_(burst), amount_(amount) {}
  Refund(const Refund&) = delete;
  Refund& operator=(const Refund&) = delete;
  ~Refund() {
    if (done_) return;
    try {
      (void)store_.Refund(bucket_, rate_, burst_, amount_);
    } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor must not throw; see above
    }
  }
  const std::string& bucket() const { return bucket_; }
  double amount() const { return amount_; }
  void Done() { done_ = true; }

 private:
  LimitStore& store_;
  const std::string bucket_;
  const double rate_, burst_, amount_;
  bool done_ = false;
};

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
  bool reads_document() const override { return false; }

  std::optional<Answer> OnRequest(RequestContext& request) override { return RunBlocking(OnRequestAsync(request)); }
  void OnResponse(RequestContext& request, ResponseContext& response) override {
    RunBlocking(OnResponseAsync(request, response));
  }

  boost::asio::awaitable<std::optional<Answer>> OnRequestAsync(RequestContext& request) override {
    const std::string subject = Subject(request);
    if (request_rate_ > 0) {
      auto admitted = co_await store_->TakeAsync("req:" + subject, request_rate_, request_burst_, 1);
      if (auto refused = Judge(request, admitted)) co_return refused;
    }
    if (token_rate_ > 0) {
      if (auto refused = RefuseOutOfRangeOutputCap(request, "rate_limit")) co_return refused;
      const int64_t cost =
          std::min<int64_t>(static_cast<int64_t>(token_burst_),
                            request.prompt_tokens.value_or(0) + request.max_tokens.value_or(default_max_tokens_));
      auto admitted =
          co_await store_->TakeAsync("tok:" + subject, token_rate_, token_burst_, static_cast<double>(cost));
      if (auto refused = Judge(request, admitted)) co_return refused;
      if (admitted) {
        // Taken from here: until the request records it (and the response hook owns it), a throw puts it back.
        Refund undo(*store_, "tok:" + subject, token_rate_, token_burst_, static_cast<double>(cost));
        request.reservations["rate_limit"] = cost;
        undo.Done();
      }
    }
    request.verdicts["rate_limit"] = FilterVerdict::Allow();
    co_return std::nullopt;
  }

  boost::asio::awaitable<void> OnResponseAsync(RequestContext& request, ResponseContext& response) override {
    auto it = request.reservations.find("rate_limit");
    if (it == request.reservations.end()) co_return;
    const int64_t charged = it->second;
    request.reservations.erase(it);
    const int64_t used = response.status < 300 ? response.total_tokens.value_or(charged) : 0;
    if (used < charged) {
      // From here the refund is this hook's alone: should the awaited refund throw, the guard makes it.
      Refund refund(*store_, "tok:" + Subject(request), token_rate_, token_burst_, static_cast<double>(charged - used));
      (void)co_await store_->RefundAsync(refund.bucket(), token_rate_, token_burst_, refund.amount());
      refund.Done();
    }
  }

 private:
  std::string Subject(const RequestContext& request) const {
    return per_route_ || request.key_id.empty() ? "route:" + request.route : "key:" + request.key_id;
  }
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

Result<std::shared_ptr<Filter>> Create(const Settings& settings, const FilterEnvironment& env) {
  const double rate = settings.Number("requests_per_second");
  const double tokens_per_minute = settings.Number("tokens_per_minute");
  const double burst = settings.Has("burst") ? settings.Number("burst") : std::max(1.0, rate);
  const double token_burst = settings.Has("token_burst") ? settings.Number("token_burst") : tokens_per_minute;
  // A rate of 0 would switch that limit off: an explicit 0 is refused (omit the key, or enabled: false).
  for (const char* key : {"requests_per_second", "tokens_per_minute"}) {
    if (settings.Has(key) && !(settings.Number(key) > 0))
      return settings.Invalid(key, "must be positive (omit it for no such limit; enabled: false turns the filter off)");
  }
  if (!(rate > 0 || tokens_per_minute > 0))
    return settings.Invalid("", "requests_per_second and/or tokens_per_minute must be positive");
  if (tokens_per_minute > 0 && !(token_burst >= 1)) return settings.Invalid("token_burst", "must be at least 1");
  return std::shared_ptr<Filter>(std::make_shared<RateLimitFilter>(
      env.limits, env.limits_fail_open, rate, burst, tokens_per_minute / 60.0, token_burst,
      settings.Integer("default_max_tokens"), settings.String("per") == "route"));
}

}  // namespace

const FilterDescriptor& RateLimitFilterDescriptor() {
  static const FilterDescriptor descriptor{
      "rate_limit",
      "Token buckets per API key (or per route): requests per second and/or tokens per minute; a refusal is 429 "
      "`rate_limit_exceeded` with `Retry-After`.",
      {
          {.key = "requests_per_second",
           .type = SettingType::kNumber,
           .doc = "request rate; omitted: no request limit",
           .default_value = 0,
           .min = 0},
          {.key = "burst",
           .type = SettingType::kNumber,
           .doc = "request bucket size (default: requests_per_second, at least 1)",
           .min = 1},
          {.key = "tokens_per_minute",
           .type = SettingType::kNumber,
           .doc = "token rate; omitted: no token limit",
           .default_value = 0,
           .min = 0},
          {.key = "token_burst",
           .type = SettingType::kNumber,
           .doc = "token bucket size (default: tokens_per_minute)",
           .min = 1},
          {.key = "default_max_tokens",
           .type = SettingType::kInteger,
           .doc = "tokens charged for the answer when the request names no max_tokens",
           .default_value = 1024,
           .min = 1},
          {.key = "per",
           .type = SettingType::kString,
           .doc = "whose bucket: the API key's (the route's without a key) or the route's",
           .default_value = "key",
           .allowed = {"key", "route"}},
      },
      Create};
  return descriptor;
}

}  // namespace modelguard::gateway
