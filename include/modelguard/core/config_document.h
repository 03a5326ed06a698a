#pragma once
// Configuration files in YAML (.yaml/.yml), TOML (.toml) or JSON (anything else) read into one JSON document,
// with the line where each key sits so every later error can say file:line. Shared by the gateway's and the
// monitor's configurations; each checks the document against its own settings schema.
#include <cstdint>
#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "modelguard/core/result.h"

namespace modelguard {

struct ConfigDocument {
  std::string file;
  nlohmann::json doc;
  std::map<std::string, int> lines;  // key path ("routes[0].filters.guard") -> 1-based line
  // "file:line: key: " for the closest enclosing key whose line is known ("file: " without one).
  std::string Where(const std::string& key_path) const;
};

// `file` names the text in errors and chooses the syntax by its extension. Aliases that expand past 200,000
// nodes, nesting deeper than 64 levels, duplicate keys and non-finite numbers are errors (kParse) that name
// file, line and key.
Result<ConfigDocument> ParseConfigDocument(const std::string& text, const std::string& file);

}  // namespace modelguard
