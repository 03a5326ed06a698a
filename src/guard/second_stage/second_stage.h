#pragma once
// The guard's second stage (issue 18, item 7): gradient-boosted trees over what the first stage concluded
// (per-category scores, each detector's strongest confidence per category, how many detections, the
// text's length and role group). It re-judges only texts the first stage lets through while leaning
// towards attack (score at or above band_low), and can only add a flag: it never blocks and never clears
// a detection. Trained by scripts/guard/train_stage2.py on out-of-fold first-stage outputs; the model is
// a JSON file (models/guard/stage2.json, built into the binary).
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/guard/guard.h"

namespace modelguard::guard {

class SecondStage {
 public:
  // The model built into the binary (trained on the built-in first stage's outputs).
  static Result<std::shared_ptr<const SecondStage>> Builtin();
  // A model file ("modelguard.guard-stage2/v1"); `name` names it in errors.
  static Result<std::shared_ptr<const SecondStage>> Parse(std::string_view json_text, const std::string& name);

  // Whether the text is in the band this stage re-judges: allowed by the first stage, score >= band_low,
  // a user, document or tool text.
  bool Reconsiders(const Assessment& first_stage, Role role) const;
  // The probability of an attack the trees give `first_stage` (the assessment of `text`, before this stage).
  double Score(const Assessment& first_stage, std::string_view text, Role role) const;
  // The score from which a text of this role is flagged.
  double Threshold(Role role) const;

 private:
  struct Tree {
    std::vector<int> feature, left, right;  // left == -1: a leaf
    std::vector<double> threshold, value;
  };
  std::vector<double> Features(const Assessment& first_stage, std::string_view text, Role role) const;
  double band_low_ = 0.5;
  double learning_rate_ = 0.1;
  double init_ = 0;
  double user_threshold_ = 0.5;
  double document_threshold_ = 0.5;
  std::map<std::string, size_t, std::less<>> feature_index_;
  std::vector<Tree> trees_;
};

}  // namespace modelguard::guard
