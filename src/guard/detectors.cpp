// The one list of guard detectors. Each folder defines its entry function; adding a detector is its folder
// plus one declaration and one line below (docs/extending.md, "Adding a guard detector").
#include "src/guard/detector.h"

namespace modelguard::guard {

DetectorEntry SignatureDetectorEntry();   // signatures/
DetectorEntry InjectionDetectorEntry();   // classifier/
DetectorEntry HiddenTextDetectorEntry();  // hidden/
DetectorEntry SecretDetectorEntry();      // secrets/
DetectorEntry PiiDetectorEntry();         // pii/
DetectorEntry SuffixDetectorEntry();      // suffix/

// Run order. Among entity detectors the earlier wins where two match the same bytes: a token that happens
// to pass Luhn is a credential, not a card number.
std::vector<DetectorEntry> BuiltinDetectors() {
  std::vector<DetectorEntry> list;
  list.push_back(SignatureDetectorEntry());
  list.push_back(InjectionDetectorEntry());
  list.push_back(HiddenTextDetectorEntry());
  list.push_back(SuffixDetectorEntry());
  list.push_back(SecretDetectorEntry());
  list.push_back(PiiDetectorEntry());
  return list;
}

std::vector<DetectorInfo> ListDetectors() {
  std::vector<DetectorInfo> out;
  for (auto& entry : BuiltinDetectors()) out.push_back(std::move(entry.info));
  return out;
}

std::vector<Detection> Detector::FindEntities(std::string_view, double, bool*) const { return {}; }

}  // namespace modelguard::guard
