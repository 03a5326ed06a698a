#pragma once
// The guard's extension point. A detector is one folder, src/guard/<folder>/, whose entry function returns a
// DetectorEntry: its description (name, summary, categories and labels it emits, the GuardOptions switch
// that turns it on) and how to build it. BuiltinDetectors() (src/guard/detectors.cpp) is the one list of
// entries; Guard::Create builds what that list holds and Classify runs it in list order. docs/guard.md's
// detector table and anything else that enumerates detectors read ListDetectors(), i.e. the same list.
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/guard/guard.h"
#include "src/guard/normalize/normalize.h"

namespace modelguard::guard {

class InjectionModel;

// What a detector is built from: the guard's options and what the engine loaded once for everyone.
struct DetectorContext {
  const GuardOptions& options;
  std::shared_ptr<const InjectionModel> model;  // the classifier (its thresholds are the guard's too)
};

// One text being classified.
struct DetectorInput {
  std::string_view text;             // the caller's bytes, cut at max_input_bytes
  const NormalizedText& normalized;  // its folded form, the map back to `text`, the decoded views
  Role role;
  Thresholds thresholds;  // the role's
};

struct DetectorOutput {
  std::vector<Detection> detections;     // the engine caps each action at the role's ceiling (system: flag)
  double score = 0;                      // injection/jailbreak likelihood this detector sees; 0 if it does not score
  std::map<std::string, double> scores;  // per category it scores (0..1), reported below the thresholds too
};

class Detector {
 public:
  virtual ~Detector() = default;
  // Classify: detections on the text and its decoded views.
  virtual void Examine(const DetectorInput& input, DetectorOutput& out) const = 0;
  // Entity detectors (DetectorInfo::entities) also answer FindEntities and Redact: spans of personal data
  // or credentials in the caller's bytes. The engine applies the allowlists and resolves overlaps between
  // detectors (the earlier one in the list wins); `truncated` is set when not every candidate was kept.
  virtual std::vector<Detection> FindEntities(std::string_view text, double min_confidence, bool* truncated) const;
};

struct DetectorEntry {
  DetectorInfo info;
  // Whether Classify runs it under these options (entity detectors: FindEntities' own pii/secrets choice
  // decides, by category).
  std::function<bool(const GuardOptions&)> enabled;
  std::function<Result<std::unique_ptr<const Detector>>(const DetectorContext&)> create;
};

// The one list, in run order.
std::vector<DetectorEntry> BuiltinDetectors();

}  // namespace modelguard::guard
