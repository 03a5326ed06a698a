#include "src/formats/config/json_guard.h"

namespace modelguard::formats::config {

Result<nlohmann::json> ParseJsonGuarded(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  for (size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (in_string) {
      if (c == '\\')
        ++i;
      else if (c == '"')
        in_string = false;
      continue;
    }
    if (c == '"')
      in_string = true;
    else if (c == '{' || c == '[') {
      if (++depth > max_depth)
        return MakeError(ErrorCode::kLimit, "JSON nested deeper than " + std::to_string(max_depth));
    } else if ((c == '}' || c == ']') && depth > 0) {
      --depth;
    }
  }
  nlohmann::json doc = nlohmann::json::parse(text.begin(), text.end(), nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return MakeError(ErrorCode::kParse, "invalid JSON");
  return doc;
}

std::optional<std::string> LooksLikeCode(std::string_view text) {
  static constexpr std::string_view kMarkers[] = {
      "import os",     "import subprocess", "__import__",  "exec(",     "eval(",          "os.system", "subprocess.",
      "popen(",        "builtins",          "__globals__", "__class__", "__subclasses__", "compile(",  "pickle.loads",
      "marshal.loads", "base64.b64decode",  "| sh",        "| bash",    "curl ",          "wget ",     "rm -rf",
      "/bin/sh",       "powershell"};
  for (auto marker : kMarkers) {
    if (text.find(marker) != std::string_view::npos) return std::string(marker);
  }
  return std::nullopt;
}

}  // namespace modelguard::formats::config
