#include "src/redteam/template.h"

namespace modelguard::redteam {
namespace {
const std::string* Lookup(std::string_view name, const TemplateValues& v) {
  if (name == "canary") return &v.canary;
  if (name == "marker") return &v.marker;
  if (name == "goal") return &v.goal;
  if (name == "payload") return &v.payload;
  if (name == "attacker_domain") return &v.attacker_domain;
  if (name == "system_prompt") return &v.system_prompt;
  return nullptr;
}
}  // namespace

std::vector<std::string> PlaceholdersIn(std::string_view text) {
  std::vector<std::string> names;
  for (size_t at = text.find("{{"); at != std::string_view::npos; at = text.find("{{", at + 2)) {
    const size_t end = text.find("}}", at + 2);
    if (end == std::string_view::npos) break;
    names.emplace_back(text.substr(at + 2, end - at - 2));
  }
  return names;
}

// One pass, left to right: a value that itself contains "{{x}}" (a payload quoting a placeholder) is not
// expanded again.
std::string Render(std::string_view text, const TemplateValues& values) {
  std::string out;
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t at = text.find("{{", pos);
    if (at == std::string_view::npos) break;
    const size_t end = text.find("}}", at + 2);
    if (end == std::string_view::npos) break;
    const std::string* value = Lookup(text.substr(at + 2, end - at - 2), values);
    out.append(text.substr(pos, at - pos));
    if (value)
      out += *value;
    else
      out.append(text.substr(at, end + 2 - at));
    pos = end + 2;
  }
  out.append(text.substr(pos));
  return out;
}

nlohmann::json RenderJson(const nlohmann::json& value, const TemplateValues& values) {
  if (value.is_string()) return Render(value.get<std::string>(), values);
  if (value.is_array() || value.is_object()) {
    nlohmann::json out = value;
    for (auto it = out.begin(); it != out.end(); ++it) *it = RenderJson(*it, values);
    return out;
  }
  return value;
}

}  // namespace modelguard::redteam
