#include "src/guard/entities/entity_scanner.h"

#include <algorithm>
#include <array>
#include <cctype>
#include <cmath>

#include "modelguard/guard/pattern_set.h"

namespace modelguard::guard {
namespace {

bool IsWordByte(unsigned char c) { return std::isalnum(c) != 0; }

bool ContextNear(std::string_view text, size_t begin, size_t end, const std::vector<std::string>& words) {
  if (words.empty()) return false;
  const size_t from = begin > kContextWindow ? begin - kContextWindow : 0;
  const size_t to = std::min(text.size(), end + kContextWindow / 2);
  std::string window(text.substr(from, to - from));
  for (char& c : window) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  for (const auto& word : words) {
    if (window.find(word) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

EntityRule MakeRule(std::string id, std::string category, std::string entity, std::string pattern, bool caseless,
                    double confidence, double context_confidence, std::vector<std::string> context,
                    std::function<bool(std::string_view, size_t&, size_t&)> validate) {
  EntityRule rule;
  rule.id = std::move(id);
  rule.category = std::move(category);
  rule.entity = std::move(entity);
  rule.pattern = std::move(pattern);
  rule.caseless = caseless;
  rule.confidence = confidence;
  rule.context_confidence = context_confidence;
  rule.context = std::move(context);
  rule.validate = std::move(validate);
  return rule;
}

double ShannonEntropy(std::string_view s) {
  if (s.empty()) return 0;
  std::array<size_t, 256> counts{};
  for (unsigned char c : s) ++counts[c];
  double entropy = 0;
  for (size_t count : counts) {
    if (!count) continue;
    const double p = static_cast<double>(count) / static_cast<double>(s.size());
    entropy -= p * std::log2(p);
  }
  return entropy;
}

Result<std::shared_ptr<const EntityScanner>> EntityScanner::Create(std::vector<EntityRule> rules) {
  std::vector<PatternSpec> specs;
  for (const auto& rule : rules) specs.push_back(PatternSpec{rule.pattern, rule.caseless});
  MG_ASSIGN_OR_RETURN(auto patterns, PatternSet::Compile(specs, false, true));
  auto scanner = std::make_shared<EntityScanner>();
  scanner->rules_ = std::move(rules);
  scanner->patterns_ = std::move(patterns);
  return std::shared_ptr<const EntityScanner>(std::move(scanner));
}

std::vector<Entity> EntityScanner::Scan(std::string_view text, double min_confidence, bool* truncated) const {
  std::vector<Entity> found;
  for (const auto& match : patterns_->Scan(text, truncated)) {
    const EntityRule& rule = rules_[match.pattern];
    size_t begin = match.begin, end = match.end;
    if (rule.word_boundaries) {
      if (begin > 0 && IsWordByte(static_cast<unsigned char>(text[begin - 1])) &&
          IsWordByte(static_cast<unsigned char>(text[begin])))
        continue;
      if (end < text.size() && IsWordByte(static_cast<unsigned char>(text[end])) &&
          IsWordByte(static_cast<unsigned char>(text[end - 1])))
        continue;
    }
    if (rule.validate && !rule.validate(text, begin, end)) continue;
    if (end <= begin || end > text.size()) continue;
    const bool context = ContextNear(text, begin, end, rule.context);
    if (rule.needs_context && !context) continue;
    const double confidence = context ? rule.context_confidence : rule.confidence;
    if (confidence < min_confidence) continue;
    found.push_back(Entity{&rule, begin, end, confidence});
  }
  // Resolve overlaps: most confident first, then longest, then leftmost.
  std::sort(found.begin(), found.end(), [](const Entity& a, const Entity& b) {
    if (a.confidence != b.confidence) return a.confidence > b.confidence;
    if (a.end - a.begin != b.end - b.begin) return a.end - a.begin > b.end - b.begin;
    return a.begin < b.begin;
  });
  std::vector<Entity> kept;
  for (const auto& entity : found) {
    const bool overlaps = std::any_of(kept.begin(), kept.end(),
                                      [&](const Entity& k) { return entity.begin < k.end && k.begin < entity.end; });
    if (!overlaps) kept.push_back(entity);
  }
  std::sort(kept.begin(), kept.end(), [](const Entity& a, const Entity& b) { return a.begin < b.begin; });
  return kept;
}

}  // namespace modelguard::guard
