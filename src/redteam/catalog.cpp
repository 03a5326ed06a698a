// The catalogue of families, converters and detectors as markdown tables, for docs/redteam.md (a test
// keeps the document equal to what the registries and the shipped families say).
#include "modelguard/redteam/redteam.h"

namespace modelguard::redteam {
namespace {
std::string Cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else if (c == '<') {
      out += "&lt;";  // "<script>" in a description is text, not markup
    } else {
      out.push_back(c);
    }
  }
  return out;
}
}  // namespace

std::string CatalogMarkdown(const std::vector<Family>& families) {
  std::string out = "| family | probes | plan items (1 attempt) | what it tries |\n|---|---|---|---|\n";
  CampaignConfig config;
  for (const Family& f : families) {
    config.families = {f};
    out += "| `" + f.name + "` | " + std::to_string(f.probes.size()) + " | " +
           std::to_string(BuildPlan(config).size()) + " | " + Cell(f.description) + " |\n";
  }
  out += "\n| converter | what it does to the payload |\n|---|---|\n";
  for (const auto& c : Converters()) {
    out += "| `" + std::string(c.name) + "` | " + Cell(c.description) + (c.decode ? "" : " (lossy)") + " |\n";
  }
  out += "\n| detector | success when | settings |\n|---|---|---|\n";
  for (const auto& d : Detectors()) {
    out += "| `" + std::string(d.name) + "` | " + Cell(d.description) + " | " + Cell(d.settings_doc) + " |\n";
  }
  return out;
}

}  // namespace modelguard::redteam
