#pragma once
// Token budgets per API key (or per route when unauthenticated) and window. The worst case of a request
// (prompt estimate + max_tokens, or a default) is reserved before it is forwarded and settled to the
// upstream's usage (or the counted stream) when the response ends or fails, so concurrent requests can
// never overshoot the budget. State lives in the configured LimitStore.
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/gateway/filter.h"

namespace modelguard::gateway {

const FilterDescriptor& TokenBudgetFilterDescriptor();

}  // namespace modelguard::gateway
