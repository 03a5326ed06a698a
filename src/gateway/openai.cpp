#include "src/gateway/openai.h"

namespace modelguard::gateway {
namespace {

size_t StringBytes(const nlohmann::json& v) { return v.is_string() ? v.get_ref<const std::string&>().size() : 0; }

}  // namespace

int64_t EstimatePromptTokens(const nlohmann::json& request) {
  if (!request.is_object()) return 0;
  size_t bytes = 0;
  if (auto messages = request.find("messages"); messages != request.end() && messages->is_array()) {
    for (const auto& m : *messages) {
      if (!m.is_object() || !m.contains("content")) continue;
      const auto& content = m["content"];
      if (content.is_array()) {
        for (const auto& part : content) {
          if (part.is_object() && part.contains("text")) bytes += StringBytes(part["text"]);
        }
      } else {
        bytes += StringBytes(content);
      }
      bytes += 4;  // role and separators
    }
  }
  for (const char* field : {"prompt", "input", "instructions"}) {
    auto it = request.find(field);
    if (it == request.end()) continue;
    if (it->is_array()) {
      for (const auto& part : *it) bytes += part.is_string() ? StringBytes(part) : part.dump().size();
    } else {
      bytes += StringBytes(*it);
    }
  }
  return static_cast<int64_t>((bytes + 3) / 4);
}

std::optional<int64_t> RequestedMaxTokens(const nlohmann::json& request) {
  if (!request.is_object()) return std::nullopt;
  for (const char* field : {"max_tokens", "max_completion_tokens", "max_output_tokens"}) {
    auto it = request.find(field);
    if (it != request.end() && it->is_number_integer() && it->get<int64_t>() > 0) return it->get<int64_t>();
  }
  return std::nullopt;
}

std::optional<int64_t> UsageTotalTokens(const nlohmann::json& body) {
  if (!body.is_object()) return std::nullopt;
  const nlohmann::json* usage = nullptr;
  if (auto it = body.find("usage"); it != body.end() && it->is_object()) usage = &*it;
  // Responses API streams report usage inside the final "response.completed" event's response.
  if (!usage) {
    if (auto r = body.find("response"); r != body.end() && r->is_object()) {
      if (auto it = r->find("usage"); it != r->end() && it->is_object()) usage = &*it;
    }
  }
  if (!usage) return std::nullopt;
  if (auto total = usage->find("total_tokens"); total != usage->end() && total->is_number_integer()) return total->get<int64_t>();
  return std::nullopt;
}

size_t StreamedTextBytes(const nlohmann::json& event) {
  if (!event.is_object()) return 0;
  size_t bytes = 0;
  if (auto choices = event.find("choices"); choices != event.end() && choices->is_array()) {
    for (const auto& c : *choices) {
      if (!c.is_object()) continue;
      if (auto delta = c.find("delta"); delta != c.end() && delta->is_object() && delta->contains("content")) {
        bytes += StringBytes((*delta)["content"]);
      }
      if (auto text = c.find("text"); text != c.end()) bytes += StringBytes(*text);
    }
  }
  if (auto delta = event.find("delta"); delta != event.end()) bytes += StringBytes(*delta);
  return bytes;
}

}  // namespace modelguard::gateway
