#include "modelguard/core/json_fields.h"

#include <charconv>

namespace modelguard {
namespace {

const nlohmann::json& EmptyObject() {
  static const nlohmann::json empty = nlohmann::json::object();
  return empty;
}

const nlohmann::json& EmptyArray() {
  static const nlohmann::json empty = nlohmann::json::array();
  return empty;
}

std::string Name(const std::string& path) { return path.empty() ? std::string("the document") : path; }

std::string MemberPath(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

}  // namespace

const char* JsonTypeName(const nlohmann::json& value) {
  switch (value.type()) {
    case nlohmann::json::value_t::null:
    case nlohmann::json::value_t::discarded:
      return "null";
    case nlohmann::json::value_t::boolean:
      return "boolean";
    case nlohmann::json::value_t::number_integer:
    case nlohmann::json::value_t::number_unsigned:
    case nlohmann::json::value_t::number_float:
      return "number";
    case nlohmann::json::value_t::string:
      return "string";
    case nlohmann::json::value_t::array:
      return "array";
    case nlohmann::json::value_t::object:
      return "object";
    case nlohmann::json::value_t::binary:
      return "binary";
  }
  return "unknown";
}

Error JsonField::TypeError(std::string_view expected) const {
  return MakeError(ErrorCode::kParse,
                   Name(path_) + ": expected " + std::string(expected) + ", got " + JsonTypeName(*value_));
}

Result<JsonField> JsonField::Object() const {
  if (!value_->is_object()) return TypeError("object");
  return *this;
}

Result<std::string> JsonField::String() const {
  if (!value_->is_string()) return TypeError("string");
  return value_->get_ref<const std::string&>();
}

Result<bool> JsonField::Bool() const {
  if (!value_->is_boolean()) return TypeError("boolean");
  return value_->get<bool>();
}

Result<uint64_t> JsonField::Unsigned(bool from_string) const {
  if (value_->is_number_unsigned()) return value_->get<uint64_t>();
  if (from_string && value_->is_string()) {
    const auto& text = value_->get_ref<const std::string&>();
    uint64_t out = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
    if (error == std::errc() && end == text.data() + text.size() && !text.empty()) return out;
    return MakeError(ErrorCode::kParse, Name(path_) + ": '" + text + "' is not a non-negative integer");
  }
  if (value_->is_number_integer())
    return MakeError(ErrorCode::kParse, Name(path_) + ": expected a non-negative integer");
  if (value_->is_number_float())
    return MakeError(ErrorCode::kParse, Name(path_) + ": expected an integer, got a fraction");
  return TypeError(from_string ? "integer or integer string" : "integer");
}

Result<std::vector<JsonField>> JsonField::Elements() const {
  if (!value_->is_array()) return TypeError("array");
  std::vector<JsonField> out;
  out.reserve(value_->size());
  for (size_t i = 0; i < value_->size(); ++i) out.emplace_back((*value_)[i], path_ + "[" + std::to_string(i) + "]");
  return out;
}

Result<std::optional<JsonField>> JsonField::Find(std::string_view key) const {
  if (!value_->is_object()) return TypeError("object");
  const auto it = value_->find(key);
  if (it == value_->end()) return std::optional<JsonField>();
  return std::optional<JsonField>(JsonField(*it, MemberPath(path_, key)));
}

Result<JsonField> JsonField::At(std::string_view key) const {
  MG_ASSIGN_OR_RETURN(auto member, Find(key));
  if (!member) return MakeError(ErrorCode::kParse, MemberPath(path_, key) + ": missing");
  return *member;
}

Result<std::string> JsonField::StringOr(std::string_view key, std::string_view fallback) const {
  MG_ASSIGN_OR_RETURN(auto member, Find(key));
  if (!member) return std::string(fallback);
  return member->String();
}

Result<bool> JsonField::BoolOr(std::string_view key, bool fallback) const {
  MG_ASSIGN_OR_RETURN(auto member, Find(key));
  if (!member) return fallback;
  return member->Bool();
}

Result<uint64_t> JsonField::UnsignedOr(std::string_view key, uint64_t fallback, bool from_string) const {
  MG_ASSIGN_OR_RETURN(auto member, Find(key));
  if (!member) return fallback;
  return member->Unsigned(from_string);
}

Result<JsonField> JsonField::ObjectOr(std::string_view key) const {
  MG_ASSIGN_OR_RETURN(auto member, Find(key));
  if (!member) return JsonField(EmptyObject(), MemberPath(path_, key));
  return member->Object();
}

Result<std::vector<JsonField>> JsonField::ElementsOr(std::string_view key) const {
  MG_ASSIGN_OR_RETURN(auto member, Find(key));
  if (!member) return JsonField(EmptyArray(), MemberPath(path_, key)).Elements();
  return member->Elements();
}

namespace {

// The first pass of ParseJsonWithinLimits: counts, builds nothing.
class JsonCounter : public nlohmann::json_sax<nlohmann::json> {
 public:
  explicit JsonCounter(const JsonLimits& limits) : limits_(limits) {}
  bool null() override { return Value(); }
  bool boolean(bool) override { return Value(); }
  bool number_integer(number_integer_t) override { return Value(); }
  bool number_unsigned(number_unsigned_t) override { return Value(); }
  bool number_float(number_float_t, const string_t&) override { return Value(); }
  bool string(string_t&) override { return Value(); }
  bool binary(binary_t&) override { return Value(); }
  bool start_object(std::size_t) override { return Open(); }
  bool key(string_t&) override { return true; }
  bool end_object() override { return Close(); }
  bool start_array(std::size_t) override { return Open(); }
  bool end_array() override { return Close(); }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override {
    syntax_error = true;
    return false;
  }
  bool syntax_error = false, too_many = false, too_deep = false;

 private:
  bool Value() {
    too_many = too_many || ++values_ > limits_.max_values;
    return !too_many;
  }
  bool Open() {
    too_deep = too_deep || ++depth_ > limits_.max_depth;
    return !too_deep && Value();
  }
  bool Close() {
    --depth_;
    return true;
  }
  const JsonLimits& limits_;
  uint64_t values_ = 0, depth_ = 0;
};

}  // namespace

Result<nlohmann::json> ParseJsonWithinLimits(std::string_view text, const JsonLimits& limits) {
  JsonCounter counter(limits);
  nlohmann::json::sax_parse(text, &counter, nlohmann::detail::input_format_t::json, true, false);
  if (counter.too_many)
    return MakeError(ErrorCode::kLimit, "more than " + std::to_string(limits.max_values) + " JSON values");
  if (counter.too_deep)
    return MakeError(ErrorCode::kLimit, "JSON nested deeper than " + std::to_string(limits.max_depth) + " levels");
  if (counter.syntax_error) return MakeError(ErrorCode::kParse, "not valid JSON (or truncated)");
  nlohmann::json document = nlohmann::json::parse(text, nullptr, false);
  if (document.is_discarded()) return MakeError(ErrorCode::kParse, "not valid JSON (or truncated)");
  return document;
}

}  // namespace modelguard
