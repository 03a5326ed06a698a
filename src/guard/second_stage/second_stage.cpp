#include "src/guard/second_stage/second_stage.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "modelguard/core/json_fields.h"

namespace modelguard::guard {
namespace {

// The embedded file is one string literal longer than the 64 KiB the standard asks compilers to support;
// GCC and clang both take it (clang warns under -Wpedantic).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
constexpr const char* kBuiltinSecondStage =
#include "guard_stage2.inc"
    ;
#pragma GCC diagnostic pop
constexpr size_t kMaxTrees = 4096;
constexpr size_t kMaxNodesPerTree = 1 << 16;
constexpr size_t kMaxFeatures = 4096;

// The trainer reads classify's JSON, which rounds scores to 4 decimals and confidences to 3 (ToJson):
// the features are rounded the same way, so a text gets the same trees' answer here as in training.
double RoundScore(double value) { return std::round(value * 10000) / 10000; }
double RoundConfidence(double value) { return std::round(value * 1000) / 1000; }

bool IsDocument(Role role) { return role == Role::kDocument || role == Role::kTool; }

// Python's len() of the text: code points (every byte that does not continue a UTF-8 sequence).
size_t CodePoints(std::string_view text) {
  size_t count = 0;
  for (unsigned char c : text) count += (c & 0xC0) != 0x80;
  return count;
}

Result<double> Number(const JsonField& object, std::string_view key) {
  MG_ASSIGN_OR_RETURN(const JsonField field, object.At(key));
  if (!field.json().is_number()) return field.TypeError("number");
  const double value = field.json().get<double>();
  if (!std::isfinite(value)) return MakeError(ErrorCode::kInvalidArgument, field.path() + ": not a finite number");
  return value;
}

template <typename T>
Result<std::vector<T>> Numbers(const JsonField& object, std::string_view key, size_t expected) {
  MG_ASSIGN_OR_RETURN(const JsonField field, object.At(key));
  MG_ASSIGN_OR_RETURN(const auto elements, field.Elements());
  if (elements.size() != expected)
    return MakeError(ErrorCode::kInvalidArgument,
                     field.path() + ": " + std::to_string(elements.size()) + " entries, expected " +
                         std::to_string(expected));
  std::vector<T> values;
  values.reserve(expected);
  for (const auto& element : elements) {
    if (!element.json().is_number()) return element.TypeError("number");
    if constexpr (std::is_same_v<T, int>) {
      if (!element.json().is_number_integer()) return element.TypeError("integer");
      values.push_back(element.json().get<int>());
    } else {
      values.push_back(element.json().get<double>());
    }
  }
  return values;
}

}  // namespace

Result<std::shared_ptr<const SecondStage>> SecondStage::Builtin() {
  static const auto stage = Parse(kBuiltinSecondStage, "the built-in second stage");
  return stage;
}

Result<std::shared_ptr<const SecondStage>> SecondStage::Parse(std::string_view json_text, const std::string& name) {
  const nlohmann::json doc = nlohmann::json::parse(json_text, nullptr, false);
  if (doc.is_discarded()) return MakeError(ErrorCode::kInvalidArgument, name + ": not JSON");
  auto parsed = [&]() -> Result<std::shared_ptr<const SecondStage>> {
    auto stage = std::make_shared<SecondStage>();
    MG_ASSIGN_OR_RETURN(const JsonField root, JsonField(doc).Object());
    MG_ASSIGN_OR_RETURN(const std::string schema, root.StringOr("schema", ""));
    if (schema != "modelguard.guard-stage2/v1")
      return MakeError(ErrorCode::kInvalidArgument, "schema \"" + schema + "\", expected modelguard.guard-stage2/v1");
    MG_ASSIGN_OR_RETURN(stage->band_low_, Number(root, "band_low"));
    MG_ASSIGN_OR_RETURN(stage->learning_rate_, Number(root, "learning_rate"));
    MG_ASSIGN_OR_RETURN(stage->init_, Number(root, "init"));
    MG_ASSIGN_OR_RETURN(const JsonField thresholds, root.At("thresholds"));
    MG_ASSIGN_OR_RETURN(stage->user_threshold_, Number(thresholds, "user"));
    MG_ASSIGN_OR_RETURN(stage->document_threshold_, Number(thresholds, "document"));
    MG_ASSIGN_OR_RETURN(const JsonField features, root.At("features"));
    MG_ASSIGN_OR_RETURN(const auto names, features.Elements());
    if (names.size() > kMaxFeatures) return MakeError(ErrorCode::kLimit, "more than 4096 features");
    for (const auto& element : names) {
      MG_ASSIGN_OR_RETURN(std::string feature, element.String());
      if (!stage->feature_index_.emplace(std::move(feature), stage->feature_index_.size()).second)
        return MakeError(ErrorCode::kInvalidArgument, element.path() + ": a feature named twice");
    }
    MG_ASSIGN_OR_RETURN(const JsonField trees, root.At("trees"));
    MG_ASSIGN_OR_RETURN(const auto tree_list, trees.Elements());
    if (tree_list.size() > kMaxTrees) return MakeError(ErrorCode::kLimit, "more than 4096 trees");
    for (const auto& tree_field : tree_list) {
      MG_TRY(tree_field.Object());
      MG_ASSIGN_OR_RETURN(const JsonField left_field, tree_field.At("left"));
      MG_ASSIGN_OR_RETURN(const auto left_elements, left_field.Elements());
      const size_t nodes = left_elements.size();
      if (nodes == 0 || nodes > kMaxNodesPerTree)
        return MakeError(ErrorCode::kInvalidArgument, left_field.path() + ": a tree needs 1 to 65536 nodes");
      Tree tree;
      MG_ASSIGN_OR_RETURN(tree.left, Numbers<int>(tree_field, "left", nodes));
      MG_ASSIGN_OR_RETURN(tree.right, Numbers<int>(tree_field, "right", nodes));
      MG_ASSIGN_OR_RETURN(tree.feature, Numbers<int>(tree_field, "feature", nodes));
      MG_ASSIGN_OR_RETURN(tree.threshold, Numbers<double>(tree_field, "threshold", nodes));
      MG_ASSIGN_OR_RETURN(tree.value, Numbers<double>(tree_field, "value", nodes));
      // Children only point forward (a tree, not a graph: no cycle, every walk ends) and inside the tree;
      // split features exist.
      for (size_t node = 0; node < nodes; ++node) {
        const int left = tree.left[node], right = tree.right[node];
        if (left == -1 && right == -1) continue;
        const bool children_ok = left > static_cast<int>(node) && right > static_cast<int>(node) &&
                                 static_cast<size_t>(left) < nodes && static_cast<size_t>(right) < nodes;
        const bool feature_ok =
            tree.feature[node] >= 0 && static_cast<size_t>(tree.feature[node]) < stage->feature_index_.size();
        if (!children_ok || !feature_ok)
          return MakeError(ErrorCode::kInvalidArgument,
                           tree_field.path() + ": node " + std::to_string(node) + " has a bad child or feature");
      }
      stage->trees_.push_back(std::move(tree));
    }
    return std::shared_ptr<const SecondStage>(std::move(stage));
  }();
  if (!parsed) return WithContext(parsed.error(), name + ": ");
  return parsed;
}

bool SecondStage::Reconsiders(const Assessment& first_stage, Role role) const {
  const bool judged_role = role == Role::kUser || IsDocument(role);
  return judged_role && first_stage.verdict == Verdict::kAllow && first_stage.score >= band_low_;
}

double SecondStage::Threshold(Role role) const { return IsDocument(role) ? document_threshold_ : user_threshold_; }

std::vector<double> SecondStage::Features(const Assessment& first_stage, std::string_view text, Role role) const {
  std::vector<double> features(feature_index_.size(), 0.0);
  auto set = [&](std::string_view name, double value) {
    if (auto at = feature_index_.find(name); at != feature_index_.end()) features[at->second] = value;
  };
  for (const char* category : {"injection", "jailbreak", "prompt_extraction", "harmful_request"}) {
    auto score = first_stage.scores.find(category);
    set(std::string("s_") + category, score == first_stage.scores.end() ? 0.0 : RoundScore(score->second));
  }
  set("top", RoundScore(first_stage.score));
  set("detections", static_cast<double>(first_stage.detections.size()));
  for (const auto& detection : first_stage.detections) {
    auto at = feature_index_.find("d_" + detection.detector + "_" + detection.category);
    if (at != feature_index_.end())
      features[at->second] = std::max(features[at->second], RoundConfidence(detection.confidence));
  }
  set("log_chars", std::log1p(static_cast<double>(CodePoints(text))));
  set("document", IsDocument(role) ? 1.0 : 0.0);
  return features;
}

double SecondStage::Score(const Assessment& first_stage, std::string_view text, Role role) const {
  const std::vector<double> features = Features(first_stage, text, role);
  double sum = 0;
  for (const auto& tree : trees_) {
    size_t node = 0;
    while (tree.left[node] != -1)
      node = static_cast<size_t>(features[static_cast<size_t>(tree.feature[node])] <= tree.threshold[node]
                                     ? tree.left[node]
                                     : tree.right[node]);
    sum += tree.value[node];
  }
  return 1.0 / (1.0 + std::exp(-(init_ + learning_rate_ * sum)));
}

}  // namespace modelguard::guard
