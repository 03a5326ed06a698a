#pragma once
// Token-bucket admission per API key (or per route): requests per second and/or tokens per minute. The
// token rate charges each request's worst case (prompt estimate + max_tokens) up front and refunds what the
// upstream says it did not use. Refusals are 429 with Retry-After. State lives in the configured
// LimitStore (in-process, or Redis shared by replicas).
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/gateway/filter.h"

namespace modelguard::gateway {

const FilterDescriptor& RateLimitFilterDescriptor();

}  // namespace modelguard::gateway
