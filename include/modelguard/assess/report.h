#pragma once
// Assessment results (plain data, no libtorch) and the report writers: report.json for machines and a
// self-contained report.html (inline SVG curves, no scripts, no external assets) for reviewers.
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/core/severity.h"

namespace modelguard::assess {

struct Point {
  double x = 0;
  double y = 0;
};

struct AttackCost {
  int64_t queries = 0;               // model outputs the attack asked for
  int64_t gradient_evaluations = 0;  // per-sample gradients (white-box)
  double seconds = 0;
};

struct EvasionCurve {
  std::string attack;                  // fgsm, pgd, autoattack, square, hopskipjump
  std::string norm;                    // linf | l2
  std::vector<Point> robust_accuracy;  // x = epsilon, y = accuracy under attack
  AttackCost cost;
};

struct EvasionResult {
  int64_t samples = 0;
  double clean_accuracy = 0;
  double reference_epsilon = 0;  // the epsilon the verdict is judged at
  std::vector<EvasionCurve> curves;
};

struct ExtractionCurve {
  std::string method;           // jbda | knockoff
  std::string api_output;       // probabilities, top-1, round-2, label...
  std::vector<Point> fidelity;  // x = queries, y = agreement with the target on held-out data
  std::vector<Point> accuracy;  // x = queries, y = surrogate accuracy on held-out labels
  AttackCost cost;
};

struct ExtractionResult {
  int64_t budget = 0;
  double target_accuracy = 0;
  std::vector<ExtractionCurve> curves;
};

struct MembershipAttack {
  std::string attack;  // yeom | shokri | lira
  double auc = 0;
  double tpr_at_01_fpr = 0;  // TPR at 0.1% FPR
  double tpr_at_1_fpr = 0;   // TPR at 1% FPR
  double advantage = 0;      // max(TPR - FPR)
  std::vector<Point> roc;    // x = FPR, y = TPR
  AttackCost cost;
};

struct MembershipResult {
  int64_t members = 0;
  int64_t nonmembers = 0;
  double train_accuracy = 0;
  double test_accuracy = 0;
  std::vector<MembershipAttack> attacks;
};

struct Verdict {
  std::string risk;                 // evasion | extraction | membership (ToString(Risk))
  Severity level = Severity::kLow;  // kHigh, kMedium or kLow; written as high | medium | low
  std::string summary;              // one sentence with the number behind it
  std::vector<std::string> remediation;
};

struct AssessmentReport {
  std::string target;       // path or URL
  std::string target_kind;  // torchscript | http
  std::string dataset;
  nlohmann::json model;  // ModelInfo as JSON
  std::optional<EvasionResult> evasion;
  std::optional<ExtractionResult> extraction;
  std::optional<MembershipResult> membership;
  std::vector<Verdict> verdicts;
  double seconds = 0;
};

// ROC of scores where a higher score means "member"; fills auc, tpr_at_*, advantage and a thinned curve.
void ComputeRoc(const std::vector<double>& member_scores, const std::vector<double>& nonmember_scores,
                MembershipAttack& out);

// Judges each risk that was assessed and attaches remediation mapped to modelguard's defences.
std::vector<Verdict> JudgeRisks(const AssessmentReport& report);

nlohmann::json ToJson(const AssessmentReport& report);
std::string RenderHtml(const AssessmentReport& report);
// Writes DIR/report.json and DIR/report.html (creating DIR).
Status WriteReport(const AssessmentReport& report, const std::string& directory);

}  // namespace modelguard::assess
