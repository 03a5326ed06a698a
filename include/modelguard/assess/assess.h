#pragma once
// The assessment engine's entry points, as the CLI uses them:
//   Assess  attacks a TorchScript model or a live endpoint and returns the report
//   Harden  trains a model (optionally with PGD adversarial training) and writes TorchScript
#include <string>
#include <vector>

#include "modelguard/assess/attacks.h"
#include "modelguard/assess/report.h"

namespace modelguard::assess {

struct AssessRequest {
  std::string target;                                                     // a TorchScript file, or an http:// endpoint
  std::string data_spec;                                                  // see LoadDataset
  std::vector<std::string> risks{"evasion", "extraction", "membership"};  // ToString(Risk) of kRisks
  std::string api_output = "probabilities";  // a local model's simulated API (defenses::ParseOutputPolicy)
  EvasionPlan evasion;
  ExtractionPlan extraction;
  MembershipPlan membership;
  HttpTargetOptions http;  // url and classes filled from target and data when left empty
  // The split the model was trained on; taken from the model's metadata when it has some.
  double train_fraction = 0.5;
  uint64_t split_seed = 1;
  Progress progress;
};

Result<AssessmentReport> Assess(const AssessRequest& request);

struct HardenRequest {
  std::string model_path;  // start from this TorchScript model; empty: a fresh `architecture`
  ArchitectureOptions architecture;
  std::string data_spec;
  double train_fraction = 0.5;
  uint64_t split_seed = 1;
  TrainOptions training;  // training.adversarial.epsilon > 0: PGD adversarial training
  std::string output_path;
  int64_t evaluation_samples = 500;  // robust accuracy before and after, on held-out data
};

struct HardenResult {
  double clean_accuracy = 0;           // after training, held-out data
  double robust_accuracy = 0;          // PGD at the training epsilon (or 0.1 for standard training)
  double robust_accuracy_before = -1;  // the starting model's, when there was one
  double evaluation_epsilon = 0;
  nlohmann::json model;
};

Result<HardenResult> Harden(const HardenRequest& request);

}  // namespace modelguard::assess
