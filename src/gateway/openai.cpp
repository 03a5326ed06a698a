#include "src/gateway/openai.h"

#include <array>

#include "src/gateway/json_sax.h"

namespace modelguard::gateway {
namespace {

size_t StringBytes(const nlohmann::json& v) { return v.is_string() ? v.get_ref<const std::string&>().size() : 0; }

// Follows the key path of the events; subclasses look at the values they care about. Keys are kept for the
// first few levels only (the paths of interest are short), so deep nesting costs a counter.
class PathEvents : public JsonEvents {
 public:
  bool Null() override { return Value(); }
  bool Boolean(bool) override { return Value(); }
  bool Integer(int64_t) override { return Value(); }
  bool Unsigned(uint64_t) override { return Value(); }
  bool Float() override { return Value(); }
  bool String(std::string_view) override { return Value(); }
  bool StartObject() override { return Open(""); }
  bool Key(std::string_view name) override {
    if (depth_ <= kTracked) path_[depth_ - 1] = name;
    return true;
  }
  bool EndObject() override { return Close(); }
  bool StartArray() override { return Open("[]"); }  // items have no key: no path of interest runs through them
  bool EndArray() override { return Close(); }

 protected:
  static constexpr size_t kTracked = 4;
  // Called before each value (scalars, and objects and arrays as they open) with the path at its key.
  virtual void OnValue() {}
  bool Value() {
    OnValue();
    return true;
  }
  bool Open(const char* slot) {
    OnValue();
    if (++depth_ <= kTracked) path_[depth_ - 1] = slot;
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }
  bool At(std::initializer_list<std::string_view> keys) const {
    if (depth_ != keys.size()) return false;
    size_t i = 0;
    for (const auto k : keys) {
      if (path_[i++] != k) return false;
    }
    return true;
  }
  size_t depth_ = 0;
  std::array<std::string, kTracked> path_;
};

class RequestEvents : public PathEvents {
 public:
  RequestBodyFacts facts;
  bool Boolean(bool value) override {
    OnValue();
    if (At({"stream"})) facts.stream = value;
    return true;
  }
  bool String(std::string_view value) override {
    OnValue();
    if (At({"model"})) facts.model = value;
    return true;
  }
  bool StartObject() override {
    if (depth_ == 0) facts.object = true;
    return PathEvents::StartObject();
  }

 private:
  // A later duplicate key replaces the earlier value, as in the document: forget what it said.
  void OnValue() override {
    if (At({"model"})) facts.model.clear();
    if (At({"stream"})) facts.stream = false;
  }
};

class UsageEvents : public PathEvents {
 public:
  // body.usage when it is an object; otherwise body.response.usage (Responses API stream events).
  std::optional<int64_t> Result() const { return usage_is_object_ ? usage_total_ : response_usage_total_; }
  bool Integer(int64_t value) override {
    OnValue();
    Record(value);
    return true;
  }
  bool Unsigned(uint64_t value) override {
    OnValue();
    Record(static_cast<int64_t>(value));  // what nlohmann's get<int64_t>() makes of it
    return true;
  }
  bool StartObject() override {
    const bool usage = At({"usage"});
    PathEvents::StartObject();  // forgets the old value first
    if (usage) usage_is_object_ = true;
    return true;
  }

 private:
  void Record(int64_t value) {
    if (At({"usage", "total_tokens"})) usage_total_ = value;
    if (At({"response", "usage", "total_tokens"})) response_usage_total_ = value;
  }
  void OnValue() override {
    if (At({"usage"})) usage_is_object_ = false, usage_total_.reset();
    if (At({"response"}) || At({"response", "usage"})) response_usage_total_.reset();
    if (At({"usage", "total_tokens"})) usage_total_.reset();
    if (At({"response", "usage", "total_tokens"})) response_usage_total_.reset();
  }
  bool usage_is_object_ = false;
  std::optional<int64_t> usage_total_, response_usage_total_;
};

}  // namespace

RequestBodyFacts ScanRequestBody(std::string_view body) {
  RequestEvents events;
  events.facts.valid = ReadJson(body, events);
  if (!events.facts.valid || !events.facts.object) return RequestBodyFacts{events.facts.valid, false, "", false};
  return events.facts;
}

std::optional<int64_t> ScanUsageTotalTokens(std::string_view body) {
  UsageEvents events;
  if (!ReadJson(body, events)) return std::nullopt;
  return events.Result();
}

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
  if (auto total = usage->find("total_tokens"); total != usage->end() && total->is_number_integer())
    return total->get<int64_t>();
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
