#pragma once
// The dashboard's page frame and shared pieces (private to src/governance/report): the document with its
// Content-Security-Policy, style and script, navigation, answer badges and the findings chart.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>

#include "modelguard/governance/checklist.h"

namespace modelguard::governance::site {

// `text` escaped for HTML element content and attribute values.
std::string Esc(std::string_view text);

struct PageFrame {
  std::string_view root;          // "" for top-level pages, "../" for models/*.html
  std::string_view file;          // this page's path relative to the site ("index.html"), marks the nav entry
  std::string_view title;         // the page's <h1> and <title> (escaped here)
  std::string_view organisation;  // shown in the header (escaped here)
  int64_t now = 0;
};
// A whole HTML document around `body` (which must be escaped already).
std::string Page(const PageFrame& frame, std::string_view body);

// <span class="badge a-yes">yes</span>: the answer in words, coloured as well.
std::string AnswerBadge(Answer answer);
std::string SeverityBadge(std::string_view severity);

// Findings by severity (EvidenceSummary::findings order) as an inline SVG bar chart with a text alternative,
// followed by the same numbers in a table (the chart is decoration for those who can see it).
std::string FindingsChart(const std::array<uint64_t, 5>& findings, std::string_view caption, std::string_view id);

}  // namespace modelguard::governance::site
