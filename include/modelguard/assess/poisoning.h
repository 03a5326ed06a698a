#pragma once
// Training-data audit (issue 20, `modelguard data audit`): methods that find poisoned, backdoored or
// mislabelled samples in a labelled dataset with the help of a model trained on it. Each method lives in its
// own folder under src/assess/poisoning/ and describes itself with a MethodDescriptor; Methods() is the one
// list that the command, its --help, the report and the tests walk.
#include <cstdint>
#include <functional>
#include <nlohmann/json.hpp>
#include <span>
#include <string>
#include <vector>

#include "modelguard/assess/dataset.h"
#include "modelguard/assess/model.h"
#include "modelguard/core/result.h"

namespace modelguard::assess::poisoning {

struct AuditInput {
  LocalModel* model = nullptr;     // the model trained on `data` (null when no method needs one)
  const Dataset* data = nullptr;   // the audited samples, labels as the dataset gives them
  const Dataset* clean = nullptr;  // optional: held-out data trusted to be clean (calibration)
  std::string layer;               // activations: a named submodule's output; "" = penultimate
  uint64_t seed = 1;               // every random choice derives from it: same input, same result
  // labels: out-of-sample predicted probabilities (NPY, N x classes, float32/float64, one row per sample of
  // `data`) instead of training k folds (`--probabilities FILE`); "" = cross-validate.
  std::string probabilities_path;
  std::function<void(const std::string& what)> progress;  // one line per stage, for long runs
};

// A grey-scale or RGB picture for the report (a recovered trigger, a suspicious sample).
struct Picture {
  std::string caption;
  int64_t channels = 1;  // 1 or 3
  int64_t height = 0;
  int64_t width = 0;
  std::vector<float> pixels;  // channels x height x width, in [0, 1]
};

struct MethodResult {
  std::string method;  // the descriptor's name
  // Per sample, higher = more suspicious; size() == data->size(). NaN where the method did not score a
  // sample (e.g. classes it skipped). Empty for model-level methods (Neural Cleanse judges the model).
  std::vector<double> scores;
  std::vector<bool> flagged;       // per sample, the method's own decision (same size as scores)
  bool model_flagged = false;      // model-level verdict (Neural Cleanse: a backdoor is likely)
  nlohmann::ordered_json details;  // method-specific figures: per-class statistics, thresholds, target class
  std::vector<Picture> pictures;   // shown in the HTML report
};

struct MethodDescriptor {
  const char* name;       // --methods value: spectral, clustering, labels, strip, cleanse
  const char* summary;    // one line for --help and the report
  const char* reference;  // the paper
  bool needs_model;
  Result<MethodResult> (*run)(const AuditInput& input);
  // Run when --methods is not given. Off for methods that flag samples on clean data by construction or
  // cost much more than the others: labels (k models trained; any dataset has a few ambiguous labels) and
  // STRIP (its threshold is a false-rejection rate, so it rejects that share of any data it calibrates on).
  bool by_default = true;
};

std::span<const MethodDescriptor> Methods();

// The activations of `layer` (a named submodule; "" = the input of the last Linear layer, the penultimate
// representation) for every sample of `x`, batched, as an N x D float tensor.
Result<torch::Tensor> Activations(LocalModel& model, const torch::Tensor& x, const std::string& layer);

}  // namespace modelguard::assess::poisoning
