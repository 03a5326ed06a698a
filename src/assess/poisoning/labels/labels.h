#pragma once
// Label issues by confident learning (Northcutt, Jiang, Chuang 2021, "Confident Learning: Estimating
// Uncertainty in Dataset Labels"): out-of-sample predicted probabilities (k-fold cross-validation with fresh
// models, or a file), per-class confidence thresholds, the confident joint of given and likely true labels,
// and the samples to prune chosen by the estimated noise rate of each (given, true) pair.
#include <cstdint>
#include <string>
#include <vector>

#include "modelguard/assess/poisoning.h"

namespace modelguard::assess::poisoning {

const MethodDescriptor& LabelsMethod();

struct LabelsOptions {
  int folds = 5;
  int epochs = 20;           // per fold
  std::string architecture;  // "" = the audited model's (mlp or cnn), else mlp
  int64_t hidden = 0;        // 0 = the audited model's width, else 128
};

// The fold (0..folds-1) of every sample: each class is shuffled with `seed` and dealt round-robin, so every
// fold holds about the same share of each class (stratified, as cleanlab's own cross-validation does).
std::vector<int64_t> StratifiedFolds(const std::vector<int64_t>& labels, int64_t classes, int folds, uint64_t seed);

struct ConfidentLearning {
  std::vector<double> thresholds;               // t_j: mean p_j over the samples labelled j
  std::vector<std::vector<int64_t>> joint;      // calibrated confident joint [given][true], sums to N
  std::vector<std::vector<int64_t>> raw_joint;  // before calibration
  std::vector<bool> issues;                     // per sample: pruned by noise rate, and the argmax disagrees
};

// Confident learning on N x classes probabilities (rows sum to 1) and the given labels.
Result<ConfidentLearning> FindLabelIssues(const torch::Tensor& probabilities, const std::vector<int64_t>& labels,
                                          int64_t classes);

// Out-of-sample probabilities (N x classes, float64) by k-fold cross-validation: per fold a fresh model
// trained on the other folds predicts the held-out one.
Result<torch::Tensor> CrossValidatedProbabilities(const AuditInput& input, const LabelsOptions& options);

// An NPY file of N x classes probabilities (little-endian float32 or float64), checked: finite, in [0, 1],
// rows summing to 1 within 1e-3.
Result<torch::Tensor> LoadProbabilities(const std::string& path, int64_t samples, int64_t classes);

Result<MethodResult> RunLabels(const AuditInput& input, const LabelsOptions& options);

}  // namespace modelguard::assess::poisoning
