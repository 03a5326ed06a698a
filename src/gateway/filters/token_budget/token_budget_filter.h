#pragma once
// Token budgets per API key and window that hold under concurrency: before a request is forwarded its worst
// case (an estimate of the prompt's tokens + max_tokens) is reserved; when the response ends the reservation
// is settled to the upstream's reported usage (or released when the upstream failed). A request whose worst
// case does not fit what is left is refused with 429 insufficient_quota, so concurrent requests cannot
// overshoot the budget.
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/gateway/filter.h"

namespace modelguard::gateway {
Result<std::shared_ptr<Filter>> CreateTokenBudgetFilter(const nlohmann::json& settings);
// Prompt tokens estimated from a chat/completions request body: about 4 bytes of text per token, rounded up.
int64_t EstimatePromptTokens(const nlohmann::json& request);
}  // namespace modelguard::gateway
