#pragma once
// Checked access to JSON documents read from untrusted input (bundles, manifests, trusted roots, BOM
// inputs). nlohmann's get<>(), at() and value() throw on a member of the wrong type, and an uncaught
// exception aborts the process; these accessors check presence and type and return an error naming the
// field's path from the document's root and both types
// ("verificationMaterial.certificate.rawBytes: expected string, got number").
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard {

// A JSON type's name as the errors spell it: null, boolean, number, string, array, object.
const char* JsonTypeName(const nlohmann::json& value);

// One value of a document and its path. Holds a reference: the document must outlive it.
class JsonField {
 public:
  explicit JsonField(const nlohmann::json& value, std::string path = {}) : value_(&value), path_(std::move(path)) {}

  const nlohmann::json& json() const { return *value_; }
  // "a.b[2].c"; empty for the document itself.
  const std::string& path() const { return path_; }

  // This value with its type checked.
  Result<JsonField> Object() const;
  Result<std::string> String() const;
  Result<bool> Bool() const;
  // A non-negative integer; with `from_string`, also one spelled as a decimal string (protobuf's JSON
  // mapping writes 64-bit integers so).
  Result<uint64_t> Unsigned(bool from_string = false) const;
  Result<std::vector<JsonField>> Elements() const;  // the elements of an array

  // A member that must be present (an error names it when it is missing).
  Result<JsonField> At(std::string_view key) const;
  // A member that may be absent: nullopt. This value must be an object either way.
  Result<std::optional<JsonField>> Find(std::string_view key) const;
  // Optional members of a given type: the fallback (an empty object or array) when absent, an error when
  // present with another type.
  Result<std::string> StringOr(std::string_view key, std::string_view fallback) const;
  Result<bool> BoolOr(std::string_view key, bool fallback) const;
  Result<uint64_t> UnsignedOr(std::string_view key, uint64_t fallback, bool from_string = false) const;
  Result<JsonField> ObjectOr(std::string_view key) const;
  Result<std::vector<JsonField>> ElementsOr(std::string_view key) const;

  // The error for this value not being `expected` ("a.b: expected string, got number").
  Error TypeError(std::string_view expected) const;

 private:
  const nlohmann::json* value_;
  std::string path_;
};

// Bounds on a JSON document read from untrusted input.
struct JsonLimits {
  uint64_t max_values = uint64_t{1} << 23;  // values of every kind, containers included
  uint64_t max_depth = 32;                  // nesting of arrays and objects
};
// Parses JSON text from untrusted input. A first pass counts values and nesting without building anything,
// so a small file cannot make the document take gigabytes (each value of a parsed document costs tens of
// bytes) nor the parser recurse deeply. Past a limit: kLimit naming it; invalid or truncated JSON: kParse.
Result<nlohmann::json> ParseJsonWithinLimits(std::string_view text, const JsonLimits& limits = {});

}  // namespace modelguard
