#pragma once
// What goes over the wire to a chat endpoint and what comes back, without sockets: the OpenAI chat
// completions request and its answer (one JSON document or server-sent events reassembled), and the
// request template of any other JSON API with the JSON pointer to its answer. Testable on bytes.
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "modelguard/core/result.h"
#include "modelguard/redteam/target.h"

namespace modelguard::redteam::target {

// {model, messages, tools, stream}; invalid UTF-8 in the conversation is replaced, never an exception.
std::string OpenAiRequestBody(const ChatRequest& request, const std::string& model, bool stream);

// choices[0].message.{content, tool_calls} and usage from one JSON answer. Errors (kParse) name what is
// missing or of the wrong type; an answer carrying {"error": ...} is an error with the endpoint's message.
Result<ChatAnswer> ParseOpenAiAnswer(const std::string& body);
// The same from the data of each server-sent event (without "[DONE]"): content deltas concatenated, tool
// calls assembled by index (arguments concatenated, the first name sent wins), usage from any chunk.
Result<ChatAnswer> ParseOpenAiStream(const std::vector<std::string>& events);

// The request template of a plain JSON API: placeholders {{prompt}} and {{system}}. Inside a JSON string
// ("{{prompt}}") the text is substituted escaped; anywhere else as a whole JSON string.
class RequestTemplate {
 public:
  // Checks that the template becomes valid JSON once substituted and that the pointer is a JSON pointer.
  static Result<RequestTemplate> Make(const std::string& text, const std::string& answer_pointer);
  std::string Body(const ChatRequest& request) const;
  Result<ChatAnswer> ParseAnswer(const std::string& body) const;
  const std::string& pointer_text() const { return pointer_text_; }

 private:
  std::string text_;
  std::string pointer_text_;
  nlohmann::json::json_pointer pointer_;
};

// {{prompt}}: the one user message when the conversation is just that, otherwise every non-system message
// on its own paragraph, labelled with its role. {{system}}: the system messages, one per line.
std::string FlattenPrompt(const ChatRequest& request);
std::string FlattenSystem(const ChatRequest& request);

// At most `limit` bytes of an answer for an error message, control characters replaced.
std::string Snippet(const std::string& text, size_t limit = 200);

}  // namespace modelguard::redteam::target
