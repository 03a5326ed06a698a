#include "src/redteam/target/wire_format.h"

#include <map>

namespace modelguard::redteam::target {

using nlohmann::json;

namespace {

constexpr size_t kMaxToolCalls = 128;  // a stream's tool-call index is the endpoint's word: bound it

std::string Dump(const json& value) { return value.dump(-1, ' ', false, json::error_handler_t::replace); }

// A JSON string's text without its quotes, escaped (and invalid UTF-8 replaced).
std::string Escaped(const std::string& text) {
  const std::string quoted = Dump(json(text));
  return quoted.substr(1, quoted.size() - 2);
}

const char* TypeName(const json& value) { return value.type_name(); }

// Token counts: absent or null is "not reported" (0); anything else must be a non-negative integer.
Status ReadUsage(const json& answer, ChatAnswer& out) {
  const auto usage = answer.find("usage");
  if (usage == answer.end() || usage->is_null()) return Ok{};
  if (!usage->is_object())
    return MakeError(ErrorCode::kParse, std::string("usage is a ") + TypeName(*usage) + ", not an object");
  for (const auto& [field, target] : {std::pair<const char*, uint64_t*>{"prompt_tokens", &out.prompt_tokens},
                                      std::pair<const char*, uint64_t*>{"completion_tokens", &out.completion_tokens}}) {
    const auto value = usage->find(field);
    if (value == usage->end() || value->is_null()) continue;
    if (value->is_number_unsigned()) {
      *target = value->get<uint64_t>();
    } else if (value->is_number_integer() && value->get<int64_t>() >= 0) {
      *target = static_cast<uint64_t>(value->get<int64_t>());
    } else {
      return MakeError(ErrorCode::kParse, std::string("usage.") + field + " is not a non-negative integer");
    }
  }
  return Ok{};
}

Status EndpointError(const json& answer) {
  const auto error = answer.find("error");
  if (error == answer.end() || error->is_null()) return Ok{};
  std::string message;
  if (error->is_object() && error->contains("message") && (*error)["message"].is_string()) {
    message = (*error)["message"].get<std::string>();
  } else {
    message = Dump(*error);
  }
  return MakeError(ErrorCode::kIo, "the endpoint answered with an error: " + Snippet(message));
}

// Message content: a string, null (tool calls only) or a list of text parts.
Result<std::string> ContentText(const json& content, const char* where) {
  if (content.is_null()) return std::string();
  if (content.is_string()) return content.get<std::string>();
  if (content.is_array()) {
    std::string text;
    for (const auto& part : content) {
      if (part.is_object() && part.contains("text") && part["text"].is_string())
        text += part["text"].get<std::string>();
    }
    return text;
  }
  return MakeError(ErrorCode::kParse, std::string(where) + " is a " + TypeName(content) + ", not text");
}

Result<std::string> ArgumentsText(const json& arguments) {
  if (arguments.is_string()) return arguments.get<std::string>();
  if (arguments.is_null()) return std::string();
  return Dump(arguments);  // some endpoints send the object itself
}

}  // namespace

std::string Snippet(const std::string& text, size_t limit) {
  std::string out;
  for (size_t i = 0; i < text.size() && i < limit; ++i) {
    const unsigned char c = static_cast<unsigned char>(text[i]);
    out += c < 0x20 || c == 0x7f ? ' ' : static_cast<char>(c);
  }
  if (text.size() > limit) out += "...";
  return out;
}

std::string OpenAiRequestBody(const ChatRequest& request, const std::string& model, bool stream) {
  json body = json::object();
  if (!model.empty()) body["model"] = model;
  json messages = json::array();
  for (const auto& m : request.messages) {
    json message = {{"role", m.role}, {"content", m.content}};
    if (m.role == "tool") {
      if (!m.tool_call_id.empty()) message["tool_call_id"] = m.tool_call_id;
      if (!m.name.empty()) message["name"] = m.name;
    }
    messages.push_back(std::move(message));
  }
  body["messages"] = std::move(messages);
  if (!request.tools.empty()) {
    json tools = json::array();
    for (const auto& t : request.tools) {
      json function = {{"name", t.name}, {"parameters", t.parameters.is_null() ? json::object() : t.parameters}};
      if (!t.description.empty()) function["description"] = t.description;
      tools.push_back({{"type", "function"}, {"function", std::move(function)}});
    }
    body["tools"] = std::move(tools);
  }
  body["stream"] = stream;
  // Token budgets need the usage of streamed answers too, which OpenAI sends only when asked.
  if (stream) body["stream_options"] = {{"include_usage", true}};
  return Dump(body);
}

Result<ChatAnswer> ParseOpenAiAnswer(const std::string& body) {
  const json answer = json::parse(body, nullptr, false);
  if (answer.is_discarded()) return MakeError(ErrorCode::kParse, "the answer is not JSON: " + Snippet(body));
  if (!answer.is_object())
    return MakeError(ErrorCode::kParse, std::string("the answer is a JSON ") + TypeName(answer) + ", not an object");
  MG_TRY(EndpointError(answer));
  const auto choices = answer.find("choices");
  if (choices == answer.end() || !choices->is_array() || choices->empty())
    return MakeError(ErrorCode::kParse, "the answer has no choices (not a chat completion): " + Snippet(body));
  const json& choice = (*choices)[0];
  if (!choice.is_object() || !choice.contains("message") || !choice["message"].is_object())
    return MakeError(ErrorCode::kParse, "choices[0].message is missing or not an object");
  const json& message = choice["message"];
  ChatAnswer out;
  if (const auto content = message.find("content"); content != message.end()) {
    MG_ASSIGN_OR_RETURN(out.text, ContentText(*content, "choices[0].message.content"));
  }
  if (const auto calls = message.find("tool_calls"); calls != message.end() && !calls->is_null()) {
    if (!calls->is_array()) return MakeError(ErrorCode::kParse, "choices[0].message.tool_calls is not a list");
    if (calls->size() > kMaxToolCalls)
      return MakeError(ErrorCode::kLimit, "the answer carries more than 128 tool calls");
    for (const auto& call : *calls) {
      if (!call.is_object() || !call.contains("function") || !call["function"].is_object())
        return MakeError(ErrorCode::kParse, "a tool call has no function object");
      const json& function = call["function"];
      if (!function.contains("name") || !function["name"].is_string())
        return MakeError(ErrorCode::kParse, "a tool call's function has no name");
      ToolCall tool_call{function["name"].get<std::string>(), {}};
      if (function.contains("arguments")) {
        MG_ASSIGN_OR_RETURN(tool_call.arguments, ArgumentsText(function["arguments"]));
      }
      out.tool_calls.push_back(std::move(tool_call));
    }
  }
  MG_TRY(ReadUsage(answer, out));
  return out;
}

Result<ChatAnswer> ParseOpenAiStream(const std::vector<std::string>& events) {
  if (events.empty()) return MakeError(ErrorCode::kParse, "the event stream carried no events");
  ChatAnswer out;
  std::map<int64_t, ToolCall> calls;
  for (const auto& data : events) {
    const json chunk = json::parse(data, nullptr, false);
    if (chunk.is_discarded() || !chunk.is_object())
      return MakeError(ErrorCode::kParse, "a stream event is not a JSON object: " + Snippet(data));
    MG_TRY(EndpointError(chunk));
    MG_TRY(ReadUsage(chunk, out));
    const auto choices = chunk.find("choices");
    if (choices == chunk.end() || choices->is_null()) continue;
    if (!choices->is_array()) return MakeError(ErrorCode::kParse, "a stream event's choices is not a list");
    for (const auto& choice : *choices) {
      if (!choice.is_object()) return MakeError(ErrorCode::kParse, "a stream event's choice is not an object");
      // Only the first choice is the answer (n = 1 is what we ask for).
      if (choice.contains("index") && choice["index"] != 0) continue;
      const auto delta = choice.find("delta");
      if (delta == choice.end() || delta->is_null()) continue;
      if (!delta->is_object()) return MakeError(ErrorCode::kParse, "a stream event's delta is not an object");
      if (const auto content = delta->find("content"); content != delta->end()) {
        MG_ASSIGN_OR_RETURN(std::string piece, ContentText(*content, "a delta's content"));
        out.text += piece;
      }
      const auto deltas = delta->find("tool_calls");
      if (deltas == delta->end() || deltas->is_null()) continue;
      if (!deltas->is_array()) return MakeError(ErrorCode::kParse, "a delta's tool_calls is not a list");
      for (const auto& piece : *deltas) {
        if (!piece.is_object()) return MakeError(ErrorCode::kParse, "a tool-call delta is not an object");
        int64_t index = static_cast<int64_t>(calls.size());
        if (piece.contains("index")) {
          if (!piece["index"].is_number_integer())
            return MakeError(ErrorCode::kParse, "a tool-call delta's index is not an integer");
          index = piece["index"].get<int64_t>();
        }
        if (!calls.count(index) && calls.size() >= kMaxToolCalls)
          return MakeError(ErrorCode::kLimit, "the stream carries more than 128 tool calls");
        ToolCall& call = calls[index];
        const auto function = piece.find("function");
        if (function == piece.end() || function->is_null()) continue;
        if (!function->is_object())
          return MakeError(ErrorCode::kParse, "a tool-call delta's function is not an object");
        if (const auto name = function->find("name"); name != function->end() && name->is_string()) {
          if (call.name.empty()) call.name = name->get<std::string>();
        }
        if (const auto arguments = function->find("arguments"); arguments != function->end()) {
          MG_ASSIGN_OR_RETURN(std::string text, ArgumentsText(*arguments));
          call.arguments += text;
        }
      }
    }
  }
  for (auto& [index, call] : calls) out.tool_calls.push_back(std::move(call));
  return out;
}

std::string FlattenSystem(const ChatRequest& request) {
  std::string out;
  for (const auto& m : request.messages) {
    if (m.role != "system") continue;
    if (!out.empty()) out += "\n";
    out += m.content;
  }
  return out;
}

std::string FlattenPrompt(const ChatRequest& request) {
  std::vector<const ChatMessage*> turns;
  for (const auto& m : request.messages) {
    if (m.role != "system") turns.push_back(&m);
  }
  if (turns.size() == 1 && turns[0]->role == "user") return turns[0]->content;
  std::string out;
  for (const ChatMessage* m : turns) {
    if (!out.empty()) out += "\n\n";
    if (m->role == "user") {
      out += "User: ";
    } else if (m->role == "assistant") {
      out += "Assistant: ";
    } else if (m->role == "tool") {
      out += m->name.empty() ? "Tool result: " : "Tool result (" + m->name + "): ";
    } else {
      out += m->role + ": ";
    }
    out += m->content;
  }
  return out;
}

namespace {

// Substitutes each placeholder: escaped inside a JSON string (a quote right before it), a whole JSON
// string elsewhere.
std::string Substitute(const std::string& text, const std::string& prompt, const std::string& system) {
  std::string out;
  size_t at = 0;
  while (at < text.size()) {
    const size_t open = text.find("{{", at);
    if (open == std::string::npos) break;
    const std::string* value = nullptr;
    size_t length = 0;
    if (text.compare(open, 10, "{{prompt}}") == 0) {
      value = &prompt;
      length = 10;
    } else if (text.compare(open, 10, "{{system}}") == 0) {
      value = &system;
      length = 10;
    }
    if (!value) {
      out.append(text, at, open + 2 - at);
      at = open + 2;
      continue;
    }
    out.append(text, at, open - at);
    const bool in_string = open > 0 && text[open - 1] == '"';
    out += in_string ? Escaped(*value) : Dump(json(*value));
    at = open + length;
  }
  out.append(text, at, std::string::npos);
  return out;
}

}  // namespace

Result<RequestTemplate> RequestTemplate::Make(const std::string& text, const std::string& answer_pointer) {
  if (text.find("{{prompt}}") == std::string::npos)
    return MakeError(ErrorCode::kInvalidArgument, "the request template has no {{prompt}} placeholder");
  if (json::parse(Substitute(text, "probe \"text\"\n", "system"), nullptr, false).is_discarded())
    return MakeError(ErrorCode::kInvalidArgument,
                     "the request template is not JSON once its placeholders are filled in");
  RequestTemplate out;
  out.text_ = text;
  out.pointer_text_ = answer_pointer;
  try {
    out.pointer_ = json::json_pointer(answer_pointer);
  } catch (const json::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "answer pointer '" + answer_pointer + "' is not a JSON pointer: " + e.what());
  }
  return out;
}

std::string RequestTemplate::Body(const ChatRequest& request) const {
  return Substitute(text_, FlattenPrompt(request), FlattenSystem(request));
}

Result<ChatAnswer> RequestTemplate::ParseAnswer(const std::string& body) const {
  const json answer = json::parse(body, nullptr, false);
  if (answer.is_discarded()) return MakeError(ErrorCode::kParse, "the answer is not JSON: " + Snippet(body));
  const json* value = nullptr;
  try {
    if (answer.contains(pointer_)) value = &answer.at(pointer_);
  } catch (const json::exception&) {
    value = nullptr;  // a pointer through an array with a non-numeric token: nothing there
  }
  if (!value)
    return MakeError(
        ErrorCode::kParse,
        "the answer has nothing at " + (pointer_text_.empty() ? "the root" : pointer_text_) + ": " + Snippet(body));
  if (!value->is_string())
    return MakeError(ErrorCode::kParse, "the answer at " + pointer_text_ + " is a " + TypeName(*value) + ", not text");
  ChatAnswer out;
  out.text = value->get<std::string>();
  return out;
}

}  // namespace modelguard::redteam::target
