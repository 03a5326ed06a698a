// The one reader of gateway filter settings: checks a settings object against its filter's schema and hands
// typed values to the filter. See include/modelguard/gateway/settings.h.
#include "modelguard/gateway/settings.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <limits>

#include "modelguard/core/json_fields.h"

namespace modelguard::gateway {
namespace {

// A filter asked for a key its schema does not declare, or with the wrong accessor: a bug in the filter,
// not in the configuration, so it must not be reported to the operator as one.
[[noreturn]] void Misuse(const std::string& message) {
  std::fprintf(stderr, "modelguard: filter settings misuse: %s\n", message.c_str());
  std::abort();
}

std::string Join(const std::vector<std::string>& items, const char* separator = ", ") {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : separator) + item;
  return out;
}

// 1 rather than 1.000000; 0.5 rather than 0.500000.
std::string FormatNumber(double value) {
  if (std::nearbyint(value) == value && std::fabs(value) < 1e15) return std::to_string(static_cast<int64_t>(value));
  char text[32];
  std::snprintf(text, sizeof(text), "%g", value);
  return text;
}

// ", got number": what a setting of the wrong type holds, for the error naming it.
std::string Got(const nlohmann::json& value) { return std::string(", got ") + JsonTypeName(value); }
// The same where a whole number is expected: 1.5 is a number too, but a fraction.
std::string GotInteger(const nlohmann::json& value) {
  return value.is_number_float() ? std::string(", got a fraction") : Got(value);
}

Error At(const std::string& where, const std::string& message) {
  return MakeError(ErrorCode::kInvalidArgument, where + ": " + message);
}

Status CheckBounds(const Setting& setting, double value, const std::string& where) {
  const bool low = setting.min && value < *setting.min, high = setting.max && value > *setting.max;
  if (!low && !high) return Ok{};
  if (setting.min && setting.max)
    return At(where, "must be between " + FormatNumber(*setting.min) + " and " + FormatNumber(*setting.max));
  if (low) return At(where, "must be at least " + FormatNumber(*setting.min));
  return At(where, "must be at most " + FormatNumber(*setting.max));
}

std::string Items(double count) { return FormatNumber(count) + (count == 1 ? " item" : " items"); }

Status CheckCount(const Setting& setting, size_t size, const std::string& where) {
  const double count = static_cast<double>(size);
  if (setting.min && count < *setting.min) return At(where, "needs at least " + Items(*setting.min));
  if (setting.max && count > *setting.max) return At(where, "takes at most " + Items(*setting.max));
  return Ok{};
}

Status CheckAllowed(const Setting& setting, const std::string& value, const std::string& where) {
  if (setting.allowed.empty() ||
      std::find(setting.allowed.begin(), setting.allowed.end(), value) != setting.allowed.end())
    return Ok{};
  return At(where, "'" + value + "' is not one of: " + Join(setting.allowed));
}

Status CheckStringList(const nlohmann::json& value, const std::string& where, const Setting* allowed_by) {
  if (!value.is_array()) return At(where, "a list of strings is expected" + Got(value));
  for (size_t i = 0; i < value.size(); ++i) {
    const std::string item = where + "[" + std::to_string(i) + "]";
    if (!value[i].is_string()) return At(item, "a string is expected" + Got(value[i]));
    if (allowed_by) MG_TRY(CheckAllowed(*allowed_by, value[i].get<std::string>(), item));
  }
  return Ok{};
}

Status Check(const Setting& setting, const nlohmann::json& value, const std::string& where) {
  switch (setting.type) {
    case SettingType::kBool:
      if (!value.is_boolean()) return At(where, "true or false is expected" + Got(value));
      return Ok{};
    case SettingType::kInteger:
      if (!value.is_number_integer() ||
          (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t{std::numeric_limits<int64_t>::max()}))
        return At(where, "a whole number is expected" + (value.is_number_integer() ? "" : GotInteger(value)));
      return CheckBounds(setting, static_cast<double>(value.get<int64_t>()), where);
    case SettingType::kNumber:
      if (!value.is_number()) return At(where, "a number is expected" + Got(value));
      if (!std::isfinite(value.get<double>())) return At(where, "a finite number is expected");
      return CheckBounds(setting, value.get<double>(), where);
    case SettingType::kString:
      if (!value.is_string()) return At(where, "a string is expected" + Got(value));
      return CheckAllowed(setting, value.get<std::string>(), where);
    case SettingType::kStringList:
      MG_TRY(CheckStringList(value, where, &setting));
      return CheckCount(setting, value.size(), where);
    case SettingType::kObjectList:
      if (!value.is_array()) return At(where, "a list of mappings is expected" + Got(value));
      for (size_t i = 0; i < value.size(); ++i)
        MG_TRY(Settings::Read(setting.fields, value[i], where + "[" + std::to_string(i) + "]"));
      return CheckCount(setting, value.size(), where);
    case SettingType::kObjectMap:
      if (!value.is_object()) return At(where, "a mapping of names to mappings is expected" + Got(value));
      for (const auto& [name, item] : value.items()) {
        MG_TRY(CheckAllowed(setting, name, where + "." + name));
        MG_TRY(Settings::Read(setting.fields, item, where + "." + name));
      }
      return Ok{};
    case SettingType::kStringListMap:
      if (!value.is_object()) return At(where, "a mapping of names to lists of strings is expected" + Got(value));
      for (const auto& [name, item] : value.items()) {
        MG_TRY(CheckAllowed(setting, name, where + "." + name));
        MG_TRY(CheckStringList(item, where + "." + name, nullptr));
      }
      return Ok{};
    case SettingType::kJson:
      return Ok{};
  }
  return At(where, "unsupported setting type");
}

std::string Escape(std::string text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c;
  }
  return out;
}

std::string Code(const std::string& text) { return "`" + text + "`"; }

std::string DefaultCell(const Setting& setting) {
  if (setting.required) return "required";
  const auto& value = setting.default_value;
  if (value.is_null()) return "—";
  if (value.is_string()) {
    const std::string text = value.get<std::string>();
    // Quoted when the text would not read back as itself (empty, spaces at the ends, control characters).
    const bool plain = !text.empty() && text.front() != ' ' && text.back() != ' ' &&
                       std::none_of(text.begin(), text.end(), [](char c) { return c >= 0 && c < ' '; });
    return Code(Escape(plain ? text : value.dump()));
  }
  if (value.is_number_float()) return Code(FormatNumber(value.get<double>()));
  if (value.is_array() && value.empty()) return "none";
  return Code(Escape(value.dump()));
}

std::string AcceptedCell(const Setting& setting) {
  std::vector<std::string> parts;
  if (!setting.allowed.empty()) {
    std::vector<std::string> quoted;
    for (const auto& a : setting.allowed) quoted.push_back(Code(a));
    const bool names = setting.type == SettingType::kObjectMap || setting.type == SettingType::kStringListMap;
    parts.push_back((names ? "names: " : "") + Join(quoted));
  }
  const bool list = setting.type == SettingType::kStringList || setting.type == SettingType::kObjectList;
  auto amount = [&](double n) { return list ? Items(n) : FormatNumber(n); };
  if (setting.min && setting.max)
    parts.push_back(FormatNumber(*setting.min) + " to " + amount(*setting.max));
  else if (setting.min)
    parts.push_back("at least " + amount(*setting.min));
  else if (setting.max)
    parts.push_back("at most " + amount(*setting.max));
  return parts.empty() ? "" : Join(parts, "; ");
}

void Rows(const SettingsSchema& schema, const std::string& prefix, std::string& out) {
  for (const auto& s : schema) {
    out += "| " + Code(prefix + s.key) + " | " + ToString(s.type) + " | " + DefaultCell(s) + " | " + AcceptedCell(s) +
           " | " + Escape(s.doc) + " |\n";
    if (s.type == SettingType::kObjectList) Rows(s.fields, prefix + s.key + "[].", out);
    if (s.type == SettingType::kObjectMap) Rows(s.fields, prefix + s.key + ".<name>.", out);
  }
}

}  // namespace

const char* ToString(SettingType type) {
  switch (type) {
    case SettingType::kBool:
      return "bool";
    case SettingType::kInteger:
      return "integer";
    case SettingType::kNumber:
      return "number";
    case SettingType::kString:
      return "string";
    case SettingType::kStringList:
      return "list of strings";
    case SettingType::kObjectList:
      return "list of mappings";
    case SettingType::kObjectMap:
      return "mapping of names to mappings";
    case SettingType::kStringListMap:
      return "mapping of names to lists of strings";
    case SettingType::kJson:
      return "JSON";
  }
  return "?";
}

Result<Settings> Settings::Read(const SettingsSchema& schema, const nlohmann::json& value, std::string path) {
  if (value.is_null()) return Read(schema, nlohmann::json::object(), std::move(path));
  if (!value.is_object()) return At(path, "a mapping of settings is expected" + Got(value));
  std::vector<std::string> known;
  for (const auto& s : schema) known.push_back(s.key);
  for (const auto& [key, item] : value.items()) {
    if (std::find(known.begin(), known.end(), key) == known.end())
      return At(path + "." + key, "unknown key (expected one of: " + Join(known) + ")");
  }
  nlohmann::json values = nlohmann::json::object();
  std::vector<std::string> given;
  for (const auto& s : schema) {
    auto it = value.find(s.key);
    // An empty YAML value (`key:`) is null: the same as leaving the key out.
    if (it == value.end() || it->is_null()) {
      if (s.required) return At(path + "." + s.key, "is required");
      values[s.key] = s.default_value;
      continue;
    }
    MG_TRY(Check(s, *it, path + "." + s.key));
    values[s.key] = *it;
    given.push_back(s.key);
  }
  Settings settings(&schema, std::move(values), std::move(path));
  settings.given_ = std::move(given);
  return settings;
}

const nlohmann::json& Settings::Get(std::string_view key, SettingType type) const {
  for (const auto& s : *schema_) {
    if (s.key != key) continue;
    if (s.type != type)
      Misuse(path_ + "." + std::string(key) + " is a " + ToString(s.type) + ", read as a " + ToString(type));
    return values_.at(s.key);
  }
  Misuse(path_ + "." + std::string(key) + " is not declared in the filter's schema");
}

bool Settings::Has(std::string_view key) const { return std::find(given_.begin(), given_.end(), key) != given_.end(); }

bool Settings::Bool(std::string_view key) const {
  const auto& v = Get(key, SettingType::kBool);
  if (v.is_null()) Misuse(path_ + "." + std::string(key) + " has no default: check Has() first");
  return v.get<bool>();
}

int64_t Settings::Integer(std::string_view key) const {
  const auto& v = Get(key, SettingType::kInteger);
  if (v.is_null()) Misuse(path_ + "." + std::string(key) + " has no default: check Has() first");
  return v.get<int64_t>();
}

double Settings::Number(std::string_view key) const {
  const auto& v = Get(key, SettingType::kNumber);
  if (v.is_null()) Misuse(path_ + "." + std::string(key) + " has no default: check Has() first");
  return v.get<double>();
}

std::string Settings::String(std::string_view key) const {
  const auto& v = Get(key, SettingType::kString);
  return v.is_null() ? std::string() : v.get<std::string>();
}

std::vector<std::string> Settings::Strings(std::string_view key) const {
  const auto& v = Get(key, SettingType::kStringList);
  return v.is_null() ? std::vector<std::string>() : v.get<std::vector<std::string>>();
}

std::vector<Settings> Settings::Objects(std::string_view key) const {
  const auto& v = Get(key, SettingType::kObjectList);
  std::vector<Settings> out;
  if (v.is_null()) return out;
  const Setting& s = *std::find_if(schema_->begin(), schema_->end(), [&](const Setting& x) { return x.key == key; });
  for (size_t i = 0; i < v.size(); ++i) {
    // Checked when this object was read; reading again only builds the typed view (with defaults).
    auto item = Read(s.fields, v[i], path_ + "." + s.key + "[" + std::to_string(i) + "]");
    if (!item) Misuse(item.error().message);
    out.push_back(std::move(*item));
  }
  return out;
}

std::vector<std::pair<std::string, Settings>> Settings::ObjectMap(std::string_view key) const {
  const auto& v = Get(key, SettingType::kObjectMap);
  std::vector<std::pair<std::string, Settings>> out;
  if (v.is_null()) return out;
  const Setting& s = *std::find_if(schema_->begin(), schema_->end(), [&](const Setting& x) { return x.key == key; });
  for (const auto& [name, item] : v.items()) {
    auto read = Read(s.fields, item, path_ + "." + s.key + "." + name);
    if (!read) Misuse(read.error().message);
    out.emplace_back(name, std::move(*read));
  }
  return out;
}

std::map<std::string, std::vector<std::string>> Settings::StringListMap(std::string_view key) const {
  const auto& v = Get(key, SettingType::kStringListMap);
  std::map<std::string, std::vector<std::string>> out;
  if (v.is_null()) return out;
  for (const auto& [name, item] : v.items()) out[name] = item.get<std::vector<std::string>>();
  return out;
}

const nlohmann::json& Settings::Document(std::string_view key) const { return Get(key, SettingType::kJson); }

Error Settings::Invalid(std::string_view key, const std::string& message) const {
  return At(key.empty() ? path_ : path_ + "." + std::string(key), message);
}

std::string SettingsTableMarkdown(const SettingsSchema& schema) {
  std::string out = "| key | type | default | accepted | meaning |\n|---|---|---|---|---|\n";
  Rows(schema, "", out);
  return out;
}

}  // namespace modelguard::gateway
