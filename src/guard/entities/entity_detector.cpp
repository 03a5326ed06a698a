// An entity rule table as a guard detector: the PII and credential detectors are their rule tables run by
// one EntityScanner each.
#include <algorithm>

#include "src/guard/detector.h"
#include "src/guard/entities/entity_scanner.h"

namespace modelguard::guard {
namespace {

class EntityDetector final : public Detector {
 public:
  EntityDetector(std::shared_ptr<const EntityScanner> scanner, std::string name, Verdict action)
      : scanner_(std::move(scanner)), name_(std::move(name)), action_(action) {}

  // Classify reaches entities through Guard::FindEntities, which applies allowlists and overlaps.
  void Examine(const DetectorInput&, DetectorOutput&) const override {}

  std::vector<Detection> FindEntities(std::string_view text, double min_confidence, bool* truncated) const override {
    std::vector<Detection> found;
    for (const auto& entity : scanner_->Scan(text, min_confidence, truncated)) {
      found.push_back(Detection{name_, entity.rule->id, entity.rule->category, entity.rule->entity, action_,
                                entity.confidence, entity.begin, entity.end, "text"});
    }
    return found;
  }

 private:
  std::shared_ptr<const EntityScanner> scanner_;
  std::string name_;
  Verdict action_;
};

}  // namespace

Result<std::unique_ptr<const Detector>> MakeEntityDetector(std::vector<EntityRule> rules, std::string name,
                                                           Verdict action) {
  MG_ASSIGN_OR_RETURN(auto scanner, EntityScanner::Create(std::move(rules)));
  return std::unique_ptr<const Detector>(std::make_unique<EntityDetector>(std::move(scanner), std::move(name), action));
}

std::vector<std::string> EntityLabels(const std::vector<EntityRule>& rules) {
  std::vector<std::string> labels;
  for (const auto& rule : rules) {
    if (std::find(labels.begin(), labels.end(), rule.entity) == labels.end()) labels.push_back(rule.entity);
  }
  return labels;
}

}  // namespace modelguard::guard
