#pragma once
// The system under test of `modelguard redteam llm`: a chat endpoint that takes a conversation (and the
// tools it may call) and answers with text and tool calls. The campaign (probes, converters, detectors,
// report) sees only this interface; the transports behind it (OpenAI-compatible chat completions, plain or
// streamed, and any HTTP JSON API through a request template) live in src/redteam/target/.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "modelguard/core/result.h"

namespace modelguard::redteam {

struct ChatMessage {
  std::string role;  // system | user | assistant | tool
  std::string content;
  std::string tool_call_id;  // role tool: the call this message answers
  std::string name;          // role tool: the tool's name
};

// A tool the conversation declares (OpenAI "tools" entry of type function).
struct ToolDeclaration {
  std::string name;
  std::string description;
  nlohmann::json parameters = nlohmann::json::object();  // JSON Schema of the arguments
};

struct ChatRequest {
  std::vector<ChatMessage> messages;
  std::vector<ToolDeclaration> tools;
};

struct ToolCall {
  std::string name;
  std::string arguments;  // the arguments exactly as the model sent them (JSON text, possibly invalid)
};

struct ChatAnswer {
  std::string text;
  std::vector<ToolCall> tool_calls;
  uint64_t prompt_tokens = 0;  // as the endpoint reported them (0 when it did not)
  uint64_t completion_tokens = 0;
  int http_status = 0;
  unsigned attempts = 1;  // requests sent for this answer, retries included
  double seconds = 0;     // wall time, retries and back-off included
};

// Thread-safe: the runner calls Send from several threads at once. An error means the probe could not be
// judged (connection refused, timeout, non-JSON or oversized answer, retries exhausted); the runner records
// it as a failed probe, never as a pass. ErrorCode::kLimit with "budget" in the message means the request
// or token budget is spent: the runner stops sending and reports what it has.
class ChatTarget {
 public:
  virtual ~ChatTarget() = default;
  virtual Result<ChatAnswer> Send(const ChatRequest& request) = 0;
  virtual std::string Describe() const = 0;  // for reports: "OpenAI chat completions at http://..."
  virtual uint64_t requests_sent() const = 0;
  virtual uint64_t tokens_used() const = 0;
};

struct TargetOptions {
  std::string url;    // http:// or https:// (TLS verified against the system CAs or ca_file)
  std::string model;  // OpenAI "model" field
  std::string api_key;
  std::string ca_file;
  bool stream = false;  // OpenAI: "stream": true, server-sent events reassembled into one answer
  // Any HTTP JSON API: a JSON request body with {{prompt}} and {{system}} placeholders (JSON-string
  // escaped when substituted) and a JSON pointer to the answer text. Empty: OpenAI chat completions.
  std::string request_template;
  std::string answer_pointer;
  std::chrono::milliseconds timeout{60000};  // per request, connect to last byte
  size_t max_answer_bytes = size_t{4} << 20;
  unsigned max_retries = 4;        // on 429, 5xx and connection failures, honouring Retry-After
  double requests_per_second = 0;  // 0: unlimited
  uint64_t budget_requests = 0;    // 0: unlimited; retries count
  uint64_t budget_tokens = 0;      // 0: unlimited; prompt + completion tokens the endpoint reports
};

Result<std::unique_ptr<ChatTarget>> MakeChatTarget(const TargetOptions& options);

}  // namespace modelguard::redteam
