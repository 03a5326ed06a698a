#pragma once
// Placeholders of probe templates ({{name}}) and the values one probe fills them with.
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

namespace modelguard::redteam {

inline constexpr std::string_view kPlaceholders[] = {"canary",  "marker",          "goal",
                                                     "payload", "attacker_domain", "system_prompt"};

struct TemplateValues {
  std::string canary;
  std::string marker;
  std::string goal;
  std::string payload;
  std::string attacker_domain;
  std::string system_prompt;
};

// The names of the {{...}} placeholders in `text`, in order (unknown ones included: the loader rejects them).
std::vector<std::string> PlaceholdersIn(std::string_view text);
std::string Render(std::string_view text, const TemplateValues& values);
// Every string inside `value` rendered.
nlohmann::json RenderJson(const nlohmann::json& value, const TemplateValues& values);

}  // namespace modelguard::redteam
