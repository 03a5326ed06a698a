#pragma once
// Helpers for the JSON and text configuration that model formats embed (safetensors headers, Keras
// config.json, Hugging Face config.json, ONNX metadata).
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "modelguard/core/result.h"

namespace modelguard::formats::config {

inline constexpr size_t kMaxJsonDepth = 256;

// Parses untrusted JSON after checking its nesting depth (deep nesting exhausts the stack of recursive
// consumers), without exceptions escaping.
Result<nlohmann::json> ParseJsonGuarded(std::string_view text, size_t max_depth = kMaxJsonDepth);

// A short description of the code-like construct in `text` (Python imports/calls, shell pipelines), or
// nullopt. Used on free-text metadata that no loader should treat as code.
std::optional<std::string> LooksLikeCode(std::string_view text);

}  // namespace modelguard::formats::config
