#include "src/gateway/openai.h"

#include <array>
#include <vector>

#include "src/gateway/json_sax.h"
#include "src/gateway/signals.h"

namespace modelguard::gateway {
namespace {

size_t StringBytes(const nlohmann::json& v) { return v.is_string() ? v.get_ref<const std::string&>().size() : 0; }

// The bytes of every string value in `v` (object keys not counted), without recursion.
size_t StringBytesWithin(const nlohmann::json& v) {
  size_t bytes = 0;
  std::vector<const nlohmann::json*> pending{&v};
  while (!pending.empty()) {
    const nlohmann::json* value = pending.back();
    pending.pop_back();
    if (value->is_string()) bytes += StringBytes(*value);
    if (value->is_structured()) {
      for (const auto& child : *value) pending.push_back(&child);
    }
  }
  return bytes;
}

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
  bool StartObject() override { return Open(false); }
  bool Key(std::string_view name) override {
    if (depth_ <= kTracked) path_[depth_ - 1] = name;  // array_ stays false: an object's level
    return true;
  }
  bool EndObject() override { return Close(); }
  bool StartArray() override { return Open(true); }
  bool EndArray() override { return Close(); }

 protected:
  static constexpr size_t kTracked = 5;
  // In a path pattern: any item of an array (an object's key spelled "[]" does not match it).
  static constexpr std::string_view kItem = "\0[]";
  // Called before each value (scalars, and objects and arrays as they open) with the path at its key.
  virtual void OnValue() {}
  bool Value() {
    OnValue();
    return true;
  }
  bool Open(bool array) {
    OnValue();
    if (++depth_ <= kTracked) {
      path_[depth_ - 1] = array ? kItem : std::string_view();
      array_[depth_ - 1] = array;
    }
    return true;
  }
  bool Close() {
    --depth_;
    return true;
  }
  // The value at hand sits at exactly `keys` (At), or somewhere below them (Under).
  bool At(std::initializer_list<std::string_view> keys) const { return depth_ == keys.size() && Under(keys); }
  bool Under(std::initializer_list<std::string_view> keys) const {
    if (depth_ < keys.size()) return false;
    size_t i = 0;
    for (const auto k : keys) {
      if ((k == kItem) != array_[i] || (k != kItem && path_[i] != k)) return false;
      ++i;
    }
    return true;
  }
  size_t depth_ = 0;
  std::array<std::string, kTracked> path_;
  std::array<bool, kTracked> array_{};
};

// The request facts, with the prompt estimate and output cap as EstimatePromptTokens and
// RequestedMaxTokens define them on the document (the unit tests and the fuzz target check they agree).
class RequestEvents : public PathEvents {
 public:
  RequestBodyFacts facts;
  bool Boolean(bool value) override {
    OnValue();
    if (At({"stream"})) facts.stream = value;
    return true;
  }
  bool Null() override {
    OnValue();
    if (auto* cap = OutputCap()) cap_out_of_range_[cap - output_caps_.data()] = false;  // null: no cap
    return true;
  }
  bool Integer(int64_t value) override {
    OnValue();
    if (auto* cap = OutputCap()) {
      *cap = value;
      cap_out_of_range_[cap - output_caps_.data()] = value < 1 || value > kMaxOutputTokens;
    }
    return true;
  }
  bool Unsigned(uint64_t value) override {
    OnValue();
    if (auto* cap = OutputCap()) *cap = static_cast<int64_t>(value);  // what nlohmann's get<int64_t>() makes of it
    return true;
  }
  bool String(std::string_view value) override {
    OnValue();
    if (At({"model"})) facts.model = value;
    if (At({"messages", kItem, "content"})) content_bytes_ = value.size();
    if (At({"messages", kItem, "content", kItem, "text"})) part_bytes_ = value.size();
    // prompt, input, instructions: a string, or an array whose items count the strings within them.
    for (size_t i = 0; i < kPromptFields.size(); ++i) {
      if (Under({kPromptFields[i]}) && (depth_ == 1 || array_[1])) prompt_bytes_[i] += value.size();
    }
    return true;
  }
  bool StartObject() override {
    if (depth_ == 0) facts.object = true;
    return PathEvents::StartObject();
  }
  bool EndObject() override {
    if (depth_ == 3 && Under({"messages", kItem})) {
      // A message ends: its content (when it had one) and 4 bytes for its role and separators.
      if (has_content_) messages_bytes_ += content_bytes_ + 4;
    } else if (depth_ == 5 && Under({"messages", kItem, "content", kItem})) {
      content_bytes_ += part_bytes_;  // a content part ends
    }
    return PathEvents::EndObject();
  }
  RequestBodyFacts Finish() {
    size_t bytes = messages_bytes_;
    for (size_t b : prompt_bytes_) bytes += b;
    facts.prompt_tokens = static_cast<int64_t>((bytes + 3) / 4);
    for (const auto& cap : output_caps_) {
      if (cap && *cap > 0) {
        facts.max_tokens = cap;
        break;
      }
    }
    for (bool bad : cap_out_of_range_) facts.max_tokens_in_range = facts.max_tokens_in_range && !bad;
    return facts;
  }

 private:
  static constexpr std::array<std::string_view, 3> kPromptFields{"prompt", "input", "instructions"};
  static constexpr std::array<std::string_view, 3> kOutputCapFields{"max_tokens", "max_completion_tokens",
                                                                    "max_output_tokens"};
  std::optional<int64_t>* OutputCap() {
    for (size_t i = 0; i < kOutputCapFields.size(); ++i) {
      if (At({kOutputCapFields[i]})) return &output_caps_[i];
    }
    return nullptr;
  }
  // A later duplicate key replaces the earlier value, as in the document: forget what it said.
  void OnValue() override {
    if (depth_ == 1) {
      if (At({"model"})) facts.model.clear();
      if (At({"stream"})) facts.stream = false;
      if (At({"messages"})) messages_bytes_ = 0;
      if (auto* cap = OutputCap()) {
        cap->reset();
        cap_out_of_range_[cap - output_caps_.data()] = true;  // until Null or Integer says otherwise
      }
      for (size_t i = 0; i < kPromptFields.size(); ++i) {
        if (At({kPromptFields[i]})) prompt_bytes_[i] = 0;
      }
    } else if (At({"messages", kItem})) {  // a message starts (counted only if it is an object)
      has_content_ = false;
      content_bytes_ = 0;
    } else if (At({"messages", kItem, "content"})) {
      has_content_ = true;
      content_bytes_ = 0;
    } else if (At({"messages", kItem, "content", kItem})) {
      part_bytes_ = 0;
    } else if (At({"messages", kItem, "content", kItem, "text"})) {
      part_bytes_ = 0;
    }
  }
  size_t messages_bytes_ = 0, content_bytes_ = 0, part_bytes_ = 0;
  bool has_content_ = false;
  std::array<size_t, kPromptFields.size()> prompt_bytes_{};
  std::array<std::optional<int64_t>, kOutputCapFields.size()> output_caps_;
  std::array<bool, kOutputCapFields.size()> cap_out_of_range_{};
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

 protected:
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

// The usage total as UsageEvents reads it, and the answer's signals on the way.
class AnswerEvents : public UsageEvents {
 public:
  explicit AnswerEvents(AnswerSignals& signals) : signals_(signals) {}
  bool Integer(int64_t value) override {
    UsageEvents::Integer(value);
    Count(value);
    return true;
  }
  bool Unsigned(uint64_t value) override {
    UsageEvents::Unsigned(value);
    Count(static_cast<int64_t>(value));
    return true;
  }
  bool String(std::string_view value) override {
    UsageEvents::String(value);
    // Every path of interest runs through an item of a top-level list: one test skips the other values.
    if (depth_ < 3 || !array_[1]) return true;
    if (At({"choices", kItem, "message", "content"}) || At({"choices", kItem, "text"}) ||
        At({"output", kItem, "content", kItem, "text"})) {
      signals_.text.Add(value);
    } else if (At({"choices", kItem, "finish_reason"})) {
      if (signals_.finish_reason.empty()) signals_.finish_reason = value.substr(0, kMaxCategoryBytes);
    } else if (At({"choices", kItem, "message", "refusal"}) && !value.empty()) {
      signals_.refusal_field = true;
    }
    return true;
  }
  bool StartObject() override {
    // A tool call of a chat answer, or a legacy function call.
    if ((depth_ == 4 || depth_ == 5) && array_[1] &&
        (At({"choices", kItem, "message", "tool_calls", kItem}) || At({"choices", kItem, "message", "function_call"})))
      ++signals_.tool_calls;
    return UsageEvents::StartObject();
  }

 private:
  void Count(int64_t value) {
    if (depth_ != 2) return;
    if (At({"usage", "prompt_tokens"}) || At({"usage", "input_tokens"})) signals_.prompt_tokens = value;
    if (At({"usage", "completion_tokens"}) || At({"usage", "output_tokens"})) signals_.completion_tokens = value;
  }
  AnswerSignals& signals_;
};

}  // namespace

RequestBodyFacts ScanRequestBody(std::string_view body) {
  RequestEvents events;
  const bool valid = ReadJson(body, events);
  if (!valid || !events.facts.object) {
    RequestBodyFacts nothing;
    nothing.valid = valid;
    return nothing;
  }
  RequestBodyFacts facts = events.Finish();
  facts.valid = true;
  return facts;
}

std::optional<int64_t> ScanUsageTotalTokens(std::string_view body) {
  UsageEvents events;
  if (!ReadJson(body, events)) return std::nullopt;
  return events.Result();
}

std::optional<int64_t> ScanAnswerBody(std::string_view body, AnswerSignals& signals) {
  AnswerEvents events(signals);
  signals.seen = true;
  if (!ReadJson(body, events)) return std::nullopt;
  return events.Result();
}

std::optional<Answer> RefuseOutOfRangeOutputCap(RequestContext& request, const char* filter) {
  if (request.max_tokens_in_range) return std::nullopt;
  request.verdicts[filter] = FilterVerdict::Block("invalid_max_tokens");
  return Answer{400,
                "invalid_request_error",
                "max_tokens, max_completion_tokens and max_output_tokens must be null or a whole number from 1 to " +
                    std::to_string(kMaxOutputTokens),
                {}};
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
      for (const auto& part : *it) bytes += StringBytesWithin(part);
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
