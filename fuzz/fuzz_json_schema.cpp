// JSON Schema compilation and validation: the first line is the schema, the rest the instance. Schemas are
// hostile (a client declares its tools'), so whatever compiles must validate without a crash, a hang or a
// stack overflow, and give the same answer twice (the pattern scratch pool is reused).
#include <string_view>

#include "modelguard/schema/json_schema.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace modelguard::schema;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const size_t newline = text.find('\n');
  const auto schema = nlohmann::json::parse(text.substr(0, newline), nullptr, false);
  if (schema.is_discarded()) return 0;
  auto compiled = JsonSchema::Compile(schema, SchemaLimits{.max_subschemas = 512, .max_depth = 32});
  if (!compiled.ok()) return 0;
  const auto instance = newline == std::string_view::npos
                            ? nlohmann::json()
                            : nlohmann::json::parse(text.substr(newline + 1), nullptr, false);
  if (instance.is_discarded()) return 0;
  const auto first = compiled->Validate(instance);
  const auto second = compiled->Validate(instance);
  if (first.has_value() != second.has_value()) __builtin_trap();
  if (first && (first->keyword.empty() || first->message.empty())) __builtin_trap();
  return 0;
}
