#pragma once
// The assessment's attacks. White-box evasion needs a LocalModel (gradients); the black-box ones and
// extraction need only a Target. Each reports its cost (queries, gradient evaluations, time).
#include <functional>
#include <string>
#include <vector>

#include "modelguard/assess/attack_table.h"
#include "modelguard/assess/model.h"
#include "modelguard/assess/report.h"

namespace modelguard::assess {

using Progress = std::function<void(const std::string& stage, double fraction)>;

// ---- evasion ---------------------------------------------------------------------------------------
// All attacks keep inputs in [0, 1] and within epsilon of the original in the chosen norm, and return the
// adversarial batch (samples the attack could not flip come back as its best try).
torch::Tensor Fgsm(LocalModel& model, const torch::Tensor& x, const torch::Tensor& y, double epsilon);

struct PgdOptions {
  Norm norm = Norm::kLinf;
  double epsilon = 0.3;
  int steps = 40;
  double step_size = 0;  // 0: 2.5 * epsilon / steps (Madry et al. 2018)
  int restarts = 1;      // each restart after the first starts at a random point of the ball
  bool random_start = true;
  uint64_t seed = 1;
};
torch::Tensor Pgd(LocalModel& model, const torch::Tensor& x, const torch::Tensor& y, const PgdOptions& options);

enum class ApgdLoss { kCrossEntropy, kDlr };
struct ApgdOptions {
  Norm norm = Norm::kLinf;
  double epsilon = 0.3;
  int steps = 100;
  ApgdLoss loss = ApgdLoss::kCrossEntropy;
  uint64_t seed = 1;
};
// Auto-PGD (Croce & Hein 2020): momentum, step size halved at checkpoints when progress stalls.
torch::Tensor Apgd(LocalModel& model, const torch::Tensor& x, const torch::Tensor& y, const ApgdOptions& options);

struct SquareOptions {
  double epsilon = 0.3;    // L-infinity
  int max_queries = 1000;  // per sample
  double p_init = 0.8;
  uint64_t seed = 1;
};
// Square attack (Andriushchenko et al. 2020), score-based black box, L-infinity.
torch::Tensor Square(Target& target, const torch::Tensor& x, const torch::Tensor& y, const SquareOptions& options);

struct HopSkipJumpOptions {
  int iterations = 20;
  int max_evaluations = 100;  // gradient-estimate batch cap per iteration
  int initial_evaluations = 20;
  uint64_t seed = 1;
};
// HopSkipJump (Chen, Jordan, Wainwright 2020), decision-based, L2: labels only. Returns the adversarial
// batch; the caller measures which lie within an epsilon.
torch::Tensor HopSkipJump(Target& target, const torch::Tensor& x, const torch::Tensor& y,
                          const HopSkipJumpOptions& options);

struct EvasionPlan {
  std::vector<double> linf_epsilons{0.0, 0.05, 0.1, 0.2, 0.3};
  std::vector<double> l2_epsilons{0.0, 0.5, 1.0, 2.0};
  std::vector<std::string> attacks = DefaultAttacks(Risk::kEvasion);  // names from Attacks()
  int64_t samples = 500;
  int pgd_steps = 40;
  int pgd_restarts = 1;
  int square_queries = 500;
  double reference_epsilon = 0.1;  // L-infinity epsilon the verdict reads
  uint64_t seed = 1;
};
// `model` may be null for a black-box target: then only the query-based attacks run (square, hopskipjump).
Result<EvasionResult> RunEvasion(LocalModel* model, Target& target, const Dataset& test, const EvasionPlan& plan,
                                 const Progress& progress);

// ---- extraction ------------------------------------------------------------------------------------
struct ExtractionPlan {
  std::vector<std::string> methods = DefaultAttacks(Risk::kExtraction);
  int64_t budget = 5000;        // target queries per method
  int64_t seed_per_class = 10;  // JBDA's initial natural samples per class
  double jbda_lambda = 0.1;
  int rounds = 6;   // query/augment/retrain rounds
  int epochs = 30;  // surrogate training per round
  ArchitectureOptions surrogate;
  uint64_t seed = 1;
};
// `pool` is data the attacker holds (natural samples, no labels used except JBDA's seed classes which
// come from the target itself); fidelity and accuracy are measured on `evaluation`, whose target labels
// are asked once outside the budget.
Result<ExtractionResult> RunExtraction(Target& target, const ModelInfo& info, const Dataset& pool,
                                       const Dataset& evaluation, const ExtractionPlan& plan, const Progress& progress);

// ---- membership inference --------------------------------------------------------------------------
struct MembershipPlan {
  std::vector<std::string> attacks = DefaultAttacks(Risk::kMembership);
  int64_t samples = 500;  // members and as many non-members
  int shadow_models = 8;
  TrainOptions shadow_training;  // epochs, learning rate... of the shadow models; the target's if known
  ArchitectureOptions shadow_architecture;
  uint64_t seed = 1;
};
// Members are drawn from `train` (what the model was trained on), non-members from `test`; shadow
// models are trained on `attacker` data disjoint from both.
Result<MembershipResult> RunMembership(Target& target, const Dataset& train, const Dataset& test,
                                       const Dataset& attacker, const MembershipPlan& plan, const Progress& progress);

}  // namespace modelguard::assess
