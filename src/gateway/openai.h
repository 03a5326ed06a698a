#pragma once
// What the gateway reads from OpenAI-style bodies: token usage and rough token counts. Estimates count
// 4 bytes per token, the usual rule of thumb for English BPE vocabularies; they only size reservations,
// which are settled to the upstream's own count when it reports one.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string_view>

namespace modelguard::gateway {

int64_t EstimatePromptTokens(const nlohmann::json& request);
// The request's output cap (max_tokens, max_completion_tokens, max_output_tokens), if it sets one.
std::optional<int64_t> RequestedMaxTokens(const nlohmann::json& request);
// usage.total_tokens of a response body or stream event.
std::optional<int64_t> UsageTotalTokens(const nlohmann::json& body);
// Bytes of generated text in one stream event (chat deltas, completions text, Responses API deltas).
size_t StreamedTextBytes(const nlohmann::json& event);

}  // namespace modelguard::gateway
