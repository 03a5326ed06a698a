#pragma once
// The guard detectors as a gateway filter. Requests: every message is classified with its role (prompt
// injection, jailbreak, hidden text), PII and credentials are flagged, redacted or refused, and a fresh
// canary token is put into the system prompt. Responses, streamed or whole: the canary, a copy of the
// system prompt (word 5-gram overlap) or credentials in the model's output end the answer before the
// client sees that part; vault placeholders are put back.
#include <memory>
#include <nlohmann/json.hpp>

#include "modelguard/gateway/filter.h"

namespace modelguard::gateway {

const FilterDescriptor& GuardFilterDescriptor();

}  // namespace modelguard::gateway
