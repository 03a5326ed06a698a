// Hidden text as a finding: the normalisation pass counts the characters that hide or reorder text; this
// detector reports them.
#include <algorithm>

#include "src/guard/detector.h"

namespace modelguard::guard {
namespace {

class HiddenTextDetector final : public Detector {
 public:
  void Examine(const DetectorInput& input, DetectorOutput& out) const override {
    const HiddenCharacters& hidden = input.normalized.hidden;
    auto add = [&](const char* rule, size_t count) {
      if (!count) return;
      out.detections.push_back(Detection{"hidden_text", rule, "smuggling", "", Verdict::kFlag, 0.9, hidden.first_offset,
                                         std::min(input.text.size(), hidden.first_offset + 4), "text"});
    };
    add("hidden.tag_characters", hidden.tags);
    add("hidden.bidi_controls", hidden.bidi);
    // Single zero-width joiners are everyday emoji glue; runs of them hide text.
    add("hidden.zero_width", hidden.zero_width >= 3 ? hidden.zero_width : 0);
    add("hidden.invalid_utf8", hidden.invalid_utf8);
  }
};

}  // namespace

DetectorEntry HiddenTextDetectorEntry() {
  DetectorInfo info;
  info.name = "hidden_text";
  info.folder = "hidden";
  info.summary =
      "Unicode tag characters (ASCII smuggling), bidi controls, runs of three or more zero-width characters and "
      "invalid UTF-8, as counted by the normalisation pass";
  info.categories = {"smuggling"};
  info.labels = {"hidden.tag_characters", "hidden.bidi_controls", "hidden.zero_width", "hidden.invalid_utf8"};
  info.option = "hidden_text";
  return DetectorEntry{std::move(info), [](const GuardOptions& o) { return o.hidden_text; },
                       [](const DetectorContext&) -> Result<std::unique_ptr<const Detector>> {
                         return std::unique_ptr<const Detector>(std::make_unique<HiddenTextDetector>());
                       }};
}

}  // namespace modelguard::guard
