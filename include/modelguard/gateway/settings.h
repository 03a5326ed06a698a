#pragma once
// Gateway filter settings: each filter declares a schema (key, type, default, allowed values, one doc line) and
// reads its values through one shared reader. The reader refuses what the schema does not declare (a misspelt
// key must never fall back to a default silently), wrong types, values out of range and values not allowed.
// The same schema generates the filter reference in docs/gateway.md.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::gateway {

enum class SettingType {
  kBool,
  kInteger,
  kNumber,  // an integer is accepted too
  kString,
  kStringList,     // `allowed` restricts the items
  kObjectList,     // a list of objects, each with `fields`
  kObjectMap,      // free names (restricted by `allowed` when set) -> an object with `fields`
  kStringListMap,  // free names -> a list of strings
  kJson,           // any JSON document (a tool's JSON Schema): the filter checks what it means
};
const char* ToString(SettingType type);

struct Setting {
  std::string key;
  SettingType type = SettingType::kString;
  std::string doc;                         // one line for the reference
  nlohmann::json default_value = nullptr;  // applied when the key is absent; null: none (the doc says why)
  std::vector<std::string> allowed = {};   // accepted strings (items, names); empty: any
  std::optional<double> min = {};          // numbers: inclusive bounds; lists: item count
  std::optional<double> max = {};
  bool required = false;
  std::vector<Setting> fields = {};  // kObjectList, kObjectMap: the keys of each object
};
using SettingsSchema = std::vector<Setting>;

// One object's checked values, defaults applied. Errors name the key path ("jwt.keys[0].alg: ..."), which
// the configuration loader turns into file:line. Reading a key the schema does not declare, or with the
// accessor of another type, is a programming error and aborts (every filter's tests read every key).
class Settings {
 public:
  // `path` names the object in errors, e.g. the filter's name.
  static Result<Settings> Read(const SettingsSchema& schema, const nlohmann::json& value, std::string path);

  bool Has(std::string_view key) const;  // given explicitly (not a default)
  bool Bool(std::string_view key) const;
  int64_t Integer(std::string_view key) const;
  double Number(std::string_view key) const;
  std::string String(std::string_view key) const;
  std::vector<std::string> Strings(std::string_view key) const;
  std::vector<Settings> Objects(std::string_view key) const;
  std::vector<std::pair<std::string, Settings>> ObjectMap(std::string_view key) const;
  std::map<std::string, std::vector<std::string>> StringListMap(std::string_view key) const;
  const nlohmann::json& Document(std::string_view key) const;  // a kJson setting; null when absent

  const nlohmann::json& Json() const { return values_; }  // the checked object, defaults included
  const std::string& Path() const { return path_; }
  // An error about one key, for checks a schema cannot express ("<path>.<key>: <message>"); an empty key
  // names the object itself.
  Error Invalid(std::string_view key, const std::string& message) const;

 private:
  Settings(const SettingsSchema* schema, nlohmann::json values, std::string path)
      : schema_(schema), values_(std::move(values)), path_(std::move(path)) {}
  const nlohmann::json& Get(std::string_view key, SettingType type) const;

  const SettingsSchema* schema_;
  nlohmann::json values_;
  std::string path_;
  std::vector<std::string> given_;
};

// The schema as a markdown table (key, type, default, accepted values, meaning); nested fields as
// "keys[].alg" / "thresholds.<name>.flag" rows.
std::string SettingsTableMarkdown(const SettingsSchema& schema);

}  // namespace modelguard::gateway
