#include "src/gateway/filters/rate_limit/rate_limit_filter.h"

#include <chrono>
#include <cmath>
#include <mutex>
#include <unordered_map>

namespace modelguard::gateway {
namespace {

using Clock = std::chrono::steady_clock;

class RateLimitFilter final : public Filter {
 public:
  RateLimitFilter(double rate, double burst, bool per_route) : rate_(rate), burst_(burst), per_route_(per_route) {}
  const char* name() const override { return "rate_limit"; }

  std::optional<Answer> OnRequest(RequestContext& request) override {
    const std::string bucket_key = per_route_ || request.key_id.empty() ? "route:" + request.route : "key:" + request.key_id;
    double wait_seconds = 0;
    {
      std::lock_guard lock(mutex_);
      auto [it, fresh] = buckets_.try_emplace(bucket_key, Bucket{burst_, Clock::now()});
      Bucket& b = it->second;
      const auto now = Clock::now();
      if (!fresh) b.tokens = std::min(burst_, b.tokens + rate_ * std::chrono::duration<double>(now - b.updated).count());
      b.updated = now;
      if (b.tokens >= 1) {
        b.tokens -= 1;
      } else {
        wait_seconds = (1 - b.tokens) / rate_;
      }
    }
    if (wait_seconds == 0) {
      request.verdicts["rate_limit"] = "allow";
      return std::nullopt;
    }
    request.verdicts["rate_limit"] = "block:rate_limit_exceeded";
    Answer answer{429, "rate_limit_exceeded", "too many requests; retry later", {}};
    answer.headers["Retry-After"] = std::to_string(static_cast<int64_t>(std::ceil(wait_seconds)));
    return answer;
  }

 private:
  struct Bucket {
    double tokens;
    Clock::time_point updated;
  };
  const double rate_, burst_;
  const bool per_route_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

}  // namespace

Result<std::shared_ptr<Filter>> CreateRateLimitFilter(const nlohmann::json& settings) {
  const double rate = settings.value("requests_per_second", 0.0);
  const double burst = settings.value("burst", std::max(1.0, rate));
  const std::string per = settings.value("per", "key");
  if (!(rate > 0)) return MakeError(ErrorCode::kInvalidArgument, "rate_limit.requests_per_second must be positive");
  if (!(burst >= 1)) return MakeError(ErrorCode::kInvalidArgument, "rate_limit.burst must be at least 1");
  if (per != "key" && per != "route") return MakeError(ErrorCode::kInvalidArgument, "rate_limit.per must be key or route");
  return std::shared_ptr<Filter>(std::make_shared<RateLimitFilter>(rate, burst, per == "route"));
}

}  // namespace modelguard::gateway
