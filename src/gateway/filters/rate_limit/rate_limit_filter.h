#pragma once
// Request-rate limits as token buckets, per API key (requests without a key share one bucket per route)
// or per route. Over the limit: 429 rate_limit_exceeded with Retry-After.
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/gateway/filter.h"

namespace modelguard::gateway {
Result<std::shared_ptr<Filter>> CreateRateLimitFilter(const nlohmann::json& settings);
}  // namespace modelguard::gateway
