#pragma once
// The guard's classifier: hashed word uni/bigrams and character 3–5-grams of the folded text, one logistic
// regression per category ("head": injection, jailbreak, prompt_extraction, harmful_request) and per text
// group ("user": what users, assistants and operators write; "document": retrieved documents and tool
// output, where the same words mean something else), trained by the project (scripts/train-guard). Texts are
// scored over sliding windows, so an injection buried in a long document is not diluted by the text around
// it; the features of a window are computed once for all heads.
//
// Model file (little-endian):
//   v2: "MGGUARD2", u32 dimension log2, u32 window tokens, u32 stride tokens, u32 head count, u32 metadata
//       length, metadata JSON (metadata["heads"][i]: {"category", "group", "thresholds": {role: {flag,
//       block}}}, training facts), then per head: f32 bias and 2^dimension f32 weights.
//   v1: "MGGUARD1", u32 dimension log2, u32 window tokens, u32 stride tokens, f32 bias, u32 metadata length,
//       metadata JSON (thresholds per role), 2^dimension f32 weights: one "injection" head for every text.
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
inline constexpr uint32_t kMaxHeads = 16;
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

// Which heads score a text of a role.
enum class TextGroup { kUser, kDocument };
TextGroup GroupOf(std::string_view role);  // "document" and "tool": kDocument; every other role: kUser
const char* ToString(TextGroup group);

struct ModelHead {
  std::string category;  // what it scores: "injection", "jailbreak", "prompt_extraction", "harmful_request"
  std::string group;     // "user", "document", or "any" (v1 models: every text)
  float bias = 0;
  std::vector<float> weights;  // 2^dimension
};

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
  // Each head of `group` (and of group "any"), max over windows: {head index, score}. A model with no head
  // for documents scores them with its user heads.
  std::vector<std::pair<size_t, WindowScore>> ScoreHeads(std::string_view folded, TextGroup group) const;
  // The first head's score, max over windows (training's calibration of one-head models).
  WindowScore Score(std::string_view folded) const;
  double ScoreFeatures(const SparseFeatures& features, size_t head = 0) const;
  // The heads that score texts of `group`.
  std::vector<size_t> HeadsFor(TextGroup group) const;

  const FeatureConfig& features() const { return config_; }
  const nlohmann::json& metadata() const { return metadata_; }
  const std::vector<ModelHead>& heads() const { return heads_; }

  // Serialises a model (used by training): v2 with its heads, their categories and groups in the metadata.
  static std::string Serialize(const FeatureConfig& config, const std::vector<ModelHead>& heads,
                               const nlohmann::json& metadata);
  // A v1 file: one head (tests of the old format, and what older tools wrote).
  static std::string SerializeV1(const FeatureConfig& config, float bias, const std::vector<float>& weights,
                                 const nlohmann::json& metadata);

 private:
  FeatureConfig config_;
  std::vector<ModelHead> heads_;
  nlohmann::json metadata_;
};

struct TrainingExample {
  std::string folded;
  int label = 0;  // 1: the head's category
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
// The same on features computed once: labels and weights per example, for several heads over one window set.
TrainedModel TrainLogisticOnFeatures(const std::vector<SparseFeatures>& features, const std::vector<int>& labels,
                                     const std::vector<double>& weights, const TrainingOptions& options);
double Sigmoid(double x);

}  // namespace modelguard::guard
