#pragma once
// Models and targets for the assessment engine (libtorch, CPU).
//   LocalModel  a TorchScript classifier on disk: white-box, gradients available.
//   Target      what an attacker can query: a LocalModel behind a simulated API (with the same output
//               hardening the gateway applies), or a live HTTP endpoint with a query budget and rate.
// Models written by modelguard carry a "modelguard.json" extra file (architecture, input shape, classes,
// dataset and split) so an assessment knows how the model was trained.
#include <torch/script.h>
#include <torch/torch.h>

#include <chrono>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "modelguard/assess/dataset.h"
#include "modelguard/core/result.h"
#include "modelguard/defenses/output_hardening.h"

namespace modelguard::assess {

torch::Tensor FeaturesTensor(const Dataset& data);  // N x sample_shape, float32
torch::Tensor LabelsTensor(const Dataset& data);    // N, int64

struct ModelInfo {
  std::string architecture = "unknown";  // "mlp", "cnn", or "unknown" for models made elsewhere
  std::vector<int64_t> input_shape;      // one sample's shape
  int64_t classes = 0;
  nlohmann::json training;  // dataset, split, epochs, adversarial settings...
};
// The metadata as saved in the model file (modelguard.json) and shown in reports.
nlohmann::json ModelInfoJson(const ModelInfo& info);

class LocalModel {
 public:
  static Result<LocalModel> Load(const std::string& path);
  // Wraps a module built in memory (training, shadow models).
  LocalModel(torch::jit::Module module, ModelInfo info) : module_(std::move(module)), info_(std::move(info)) {}

  torch::Tensor Logits(const torch::Tensor& x);         // differentiable with respect to x
  torch::Tensor Probabilities(const torch::Tensor& x);  // no gradient, batched
  torch::Tensor Predict(const torch::Tensor& x);        // argmax labels
  double Accuracy(const torch::Tensor& x, const torch::Tensor& y);
  Status Save(const std::string& path);

  const ModelInfo& info() const { return info_; }
  ModelInfo& info() { return info_; }
  torch::jit::Module& module() { return module_; }
  std::vector<torch::Tensor> Parameters();
  int64_t gradient_evaluations() const { return gradient_evaluations_; }
  void CountGradient(int64_t samples) { gradient_evaluations_ += samples; }

 private:
  torch::jit::Module module_;
  ModelInfo info_;
  int64_t gradient_evaluations_ = 0;
};

struct ArchitectureOptions {
  std::string name = "mlp";  // mlp | cnn
  int64_t hidden = 128;      // MLP width; CNN: channels of the second convolution
};

// A freshly initialised classifier as TorchScript (so it can be saved and loaded by torch.jit.load).
Result<LocalModel> BuildModel(const ArchitectureOptions& architecture, const std::vector<int64_t>& input_shape,
                              int64_t classes, uint64_t seed);

struct AdversarialTrainingOptions {
  double epsilon = 0;  // 0: standard training
  int steps = 7;
  double step_size = 0;  // 0: 2.5 * epsilon / steps
  bool l2 = false;
};

struct TrainOptions {
  int epochs = 20;
  int64_t batch_size = 64;
  double learning_rate = 1e-3;
  double weight_decay = 0;
  uint64_t seed = 1;
  AdversarialTrainingOptions adversarial;
  // Soft targets (N x classes) instead of labels: surrogate training on returned scores.
  std::optional<torch::Tensor> soft_targets;
  std::function<void(int epoch, double loss)> progress;
};

// Trains `model` in place with Adam (with PGD adversarial examples when adversarial.epsilon > 0: Madry et
// al. 2018) and records the settings in its info().training.
Status TrainModel(LocalModel& model, const torch::Tensor& x, const torch::Tensor& y, const TrainOptions& options);

// What an attacker can ask. Query returns the scores the API shows (N x classes): probabilities, hardened
// scores, or one-hot labels.
class Target {
 public:
  virtual ~Target() = default;
  virtual Result<torch::Tensor> Query(const torch::Tensor& x) = 0;
  virtual int64_t classes() const = 0;
  virtual std::string Describe() const = 0;
  virtual bool label_only() const { return false; }
  int64_t queries() const { return queries_; }
  void ResetQueries() { queries_ = 0; }

 protected:
  int64_t queries_ = 0;
};

// A local model behind a simulated API that applies `policy` exactly as the gateway's output_hardening
// filter would.
class LocalTarget : public Target {
 public:
  LocalTarget(LocalModel& model, defenses::OutputPolicy policy) : model_(model), policy_(policy) {}
  Result<torch::Tensor> Query(const torch::Tensor& x) override;
  int64_t classes() const override { return model_.info().classes; }
  std::string Describe() const override { return "local model, API returns " + policy_.Describe(); }
  bool label_only() const override { return policy_.mode == defenses::OutputMode::kLabel; }

 private:
  LocalModel& model_;
  defenses::OutputPolicy policy_;
};

struct HttpTargetOptions {
  std::string url;  // http://host:port/path
  int64_t classes = 0;
  int64_t budget = 100000;                     // samples; Query fails with kLimit beyond it
  double max_rate = 0;                         // requests per second; 0 = unlimited
  int64_t batch = 64;                          // samples per request
  std::map<std::string, std::string> headers;  // e.g. Authorization
  std::chrono::milliseconds timeout{10000};
};

// A black-box endpoint: POST {"inputs": [[...], ...]} answered by {"probabilities": [[...], ...]} (possibly
// top-k or rounded) or {"labels": [...]}.
std::unique_ptr<Target> MakeHttpTarget(const HttpTargetOptions& options);

}  // namespace modelguard::assess
