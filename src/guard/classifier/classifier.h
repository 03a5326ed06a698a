#pragma once
// The prompt-injection and jailbreak classifier: hashed word uni/bigrams and character 3–5-grams of the
// folded text, a logistic-regression model trained by the project (scripts/train-guard), scored over
// sliding windows so an injection buried in a long document is not diluted by the text around it.
//
// Model file (little-endian): "MGGUARD1", u32 dimension log2, u32 window tokens, u32 stride tokens,
// f32 bias, u32 metadata length, metadata JSON (thresholds, training facts), then 2^dimension f32 weights.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::guard {

inline constexpr uint32_t kMaxDimensionLog2 = 24;
inline constexpr size_t kMaxWindowsPerText = 4096;  // a 1 MB input at the default stride stays well under

struct SparseFeatures {
  std::vector<uint32_t> index;
  std::vector<float> value;  // L2-normalised
};

struct FeatureConfig {
  uint32_t dimension_log2 = 18;
  uint32_t window_tokens = 128;
  uint32_t stride_tokens = 96;  // 32 tokens of overlap: a sentence that long is always whole in some window
};

// Features of one piece of folded text.
SparseFeatures ExtractFeatures(std::string_view folded, const FeatureConfig& config);

// Byte ranges of the windows of a folded text (one window when it is short).
std::vector<std::pair<size_t, size_t>> Windows(std::string_view folded, const FeatureConfig& config);

class InjectionModel {
 public:
  static Result<std::shared_ptr<const InjectionModel>> Load(std::string_view bytes);
  static Result<std::shared_ptr<const InjectionModel>> LoadFile(const std::string& path);
  // The model compiled into the binary (models/guard/injection.mgm).
  static Result<std::shared_ptr<const InjectionModel>> Builtin();

  struct WindowScore {
    double score = 0;
    size_t begin = 0;  // folded byte range of the highest-scoring window
    size_t end = 0;
  };
  // Max over windows.
  WindowScore Score(std::string_view folded) const;
  double ScoreFeatures(const SparseFeatures& features) const;

  const FeatureConfig& features() const { return config_; }
  const nlohmann::json& metadata() const { return metadata_; }

  // Serialises a model (used by training).
  static std::string Serialize(const FeatureConfig& config, float bias, const std::vector<float>& weights,
                               const nlohmann::json& metadata);

 private:
  FeatureConfig config_;
  float bias_ = 0;
  std::vector<float> weights_;
  nlohmann::json metadata_;
};

struct TrainingExample {
  std::string folded;
  int label = 0;  // 1: injection or jailbreak
  double weight = 1;
};

struct TrainingOptions {
  FeatureConfig features;
  int epochs = 12;
  double learning_rate = 0.5;  // AdaGrad base rate
  double l2 = 1e-6;
  uint64_t seed = 20261122;
};

struct TrainedModel {
  float bias = 0;
  std::vector<float> weights;
};

// Deterministic for a given input order and seed (single thread, fixed shuffle).
TrainedModel TrainLogistic(const std::vector<TrainingExample>& examples, const TrainingOptions& options);
double Sigmoid(double x);

}  // namespace modelguard::guard
