// The one list of detectors: family files name them in "detector": {"kind": ...}; `redteam list` and
// docs/redteam.md read it. To add one: a file in this folder defining its descriptor, declared in
// detectors.h, and a line here.
#include <array>

#include "src/redteam/detectors/detectors.h"

namespace modelguard::redteam {

std::span<const DetectorDescriptor> Detectors() {
  static const std::array<DetectorDescriptor, 5> kList = {
      detectors::CanaryLeak(),   detectors::GoalString(), detectors::ToolCallDetector(),
      detectors::OutputMarkup(), detectors::Refusal(),
  };
  return kList;
}

const DetectorDescriptor* FindDetector(std::string_view name) {
  for (const auto& detector : Detectors()) {
    if (detector.name == name) return &detector;
  }
  return nullptr;
}

namespace detectors {

Status CheckKeys(const nlohmann::json& settings, std::initializer_list<std::string_view> known) {
  if (!settings.is_object()) return MakeError(ErrorCode::kInvalidArgument, "detector settings must be an object");
  for (const auto& [key, value] : settings.items()) {
    bool found = key == "kind";
    for (std::string_view k : known) found = found || key == k;
    if (!found) return MakeError(ErrorCode::kInvalidArgument, "unknown detector setting '" + key + "'");
  }
  return Ok{};
}

std::string Excerpt(std::string_view text, size_t begin, size_t length) {
  if (begin > text.size()) return {};
  size_t end = std::min(text.size(), begin + length);
  // Never cut inside a UTF-8 sequence: back off continuation bytes.
  while (end < text.size() && end > begin && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) --end;
  return std::string(text.substr(begin, end - begin));
}

std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

}  // namespace detectors
}  // namespace modelguard::redteam
