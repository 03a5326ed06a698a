#pragma once
// What the gateway reads from OpenAI-style bodies: token usage and rough token counts. Estimates count
// 4 bytes per token, the usual rule of thumb for English BPE vocabularies; they only size reservations,
// which are settled to the upstream's own count when it reports one.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "modelguard/gateway/filter.h"

namespace modelguard::gateway {

struct AnswerSignals;

int64_t EstimatePromptTokens(const nlohmann::json& request);
// The request's output cap (max_tokens, max_completion_tokens, max_output_tokens), if it sets one.
std::optional<int64_t> RequestedMaxTokens(const nlohmann::json& request);
// usage.total_tokens of a response body or stream event.
std::optional<int64_t> UsageTotalTokens(const nlohmann::json& body);
// The same readings without building a document, for bodies nothing else needs parsed (json_sax.h): a
// body is valid here when nlohmann::json::parse accepts it and holds no NUL byte, and duplicate keys
// resolve as in the document (the last one counts).
struct RequestBodyFacts {
  bool valid = false;                 // JSON, strictly (UTF-8 included)
  bool object = false;                // a JSON object at the top
  std::string model;                  // top-level "model" when it is a string
  bool stream = false;                // top-level "stream": true
  int64_t prompt_tokens = 0;          // EstimatePromptTokens of the document
  std::optional<int64_t> max_tokens;  // RequestedMaxTokens of the document
  // False when an output cap field holds anything but null or a whole number from 1 to kMaxOutputTokens
  // (1e30, 2^64-1, -3, "ten"): the token filters refuse such a request instead of guessing.
  bool max_tokens_in_range = true;
};
inline constexpr int64_t kMaxOutputTokens = 2147483647;
// The token filters' refusal of such a request (400, before anything is reserved), recorded as `filter`'s
// verdict; nullopt when the caps are in range.
std::optional<Answer> RefuseOutOfRangeOutputCap(RequestContext& request, const char* filter);
RequestBodyFacts ScanRequestBody(std::string_view body);
std::optional<int64_t> ScanUsageTotalTokens(std::string_view body);
// ScanUsageTotalTokens, reading the answer's signals (signals.h) in the same pass: usage's prompt and
// completion tokens, the text of the choices (chat `message.content`, completions `text`, Responses API
// `output[].content[].text`), tool calls, the first finish reason.
std::optional<int64_t> ScanAnswerBody(std::string_view body, AnswerSignals& signals);
// Bytes of generated text in one stream event (chat deltas, completions text, Responses API deltas).
size_t StreamedTextBytes(const nlohmann::json& event);

}  // namespace modelguard::gateway
