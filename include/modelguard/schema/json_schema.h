#pragma once
// A JSON Schema validator for the subset of draft 2020-12 that function calling uses (OpenAI tools,
// structured outputs, MCP tool input schemas): the type, enum/const, object, array, string, number and
// combinator keywords, boolean schemas, if/then/else, and $ref to places in the same document ("#",
// "#/$defs/...", "#/definitions/..."). The draft-7 spellings of the same ideas (items as an array with
// additionalItems, dependencies) are read too, so Debian's json-schema-test-suite exercises them.
//
// Schemas are hostile input (a client declares its tools' schemas): compiling refuses, with kUnsupported,
// every validation keyword it does not implement (a keyword skipped would let everything through) and,
// with kLimit, schemas past the limits below. `pattern` uses vectorscan, so a pattern cannot backtrack
// exponentially; patterns vectorscan cannot compile (back references, lookaround) are refused.
// Annotations (title, description, default, examples, format, $comment, ...) are accepted and ignored.
#include <cstddef>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "modelguard/core/result.h"

namespace modelguard::schema {

struct SchemaLimits {
  size_t max_subschemas = 4096;  // schema objects compiled, $refs followed once each
  size_t max_depth = 64;         // nesting of the schema document
  size_t max_patterns = 256;     // pattern and patternProperties regexes
  // Applying subschemas to one instance (combinators, $ref chains) nests at most this deep; deeper is an
  // error, reported as the instance being invalid (a schema that recurses without consuming the instance).
  size_t max_evaluation_depth = 256;
};

struct SchemaViolation {
  std::string instance_path;  // JSON pointer into the instance ("" is the whole instance)
  std::string keyword;        // the keyword that failed ("required", "type", ...)
  std::string message;        // for people: "missing property \"path\""
};

class JsonSchema {
 public:
  static Result<JsonSchema> Compile(const nlohmann::json& schema, const SchemaLimits& limits = {});
  // The first violation found, or nullopt when `instance` is valid.
  std::optional<SchemaViolation> Validate(const nlohmann::json& instance) const;

  struct Compiled;

 private:
  explicit JsonSchema(std::shared_ptr<const Compiled> compiled) : compiled_(std::move(compiled)) {}
  std::shared_ptr<const Compiled> compiled_;
};

}  // namespace modelguard::schema
