#include "src/guard/classifier/classifier.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "modelguard/core/io.h"

namespace modelguard::guard {
namespace {

constexpr char kMagic[8] = {'M', 'G', 'G', 'U', 'A', 'R', 'D', '1'};
constexpr uint32_t kMaxMetadataBytes = 1u << 20;

uint64_t Mix(uint64_t x) {  // splitmix64 finaliser
  x ^= x >> 30;
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t HashBytes(std::string_view bytes, uint64_t seed) {
  uint64_t h = 0xcbf29ce484222325ULL ^ Mix(seed);
  for (unsigned char c : bytes) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return Mix(h);
}

bool IsWordByte(unsigned char c) { return std::isalnum(c) || c >= 0x80; }

// Counts per hashed feature in a small open-addressing table sized to the window (it stays in L1/L2
// cache, where a dense 2^18 array would miss on almost every feature), reused per thread.
struct Accumulator {
  static constexpr uint32_t kEmpty = 0xFFFFFFFFu;
  std::vector<uint32_t> keys;
  std::vector<float> counts;
  std::vector<uint32_t> used;  // slots in insertion order
  uint32_t slot_mask = 0;
  void Reset(size_t expected_adds) {
    size_t capacity = 1024;
    while (capacity < expected_adds * 2) capacity *= 2;
    if (keys.size() != capacity) {
      keys.assign(capacity, kEmpty);
      counts.assign(capacity, 0.0f);
    } else {
      for (uint32_t slot : used) keys[slot] = kEmpty;
    }
    slot_mask = static_cast<uint32_t>(capacity - 1);
    used.clear();
  }
  void Add(uint64_t hash, uint32_t mask) {
    const uint32_t index = static_cast<uint32_t>(hash) & mask;
    const float sign = (hash >> 63) ? -1.0f : 1.0f;  // signed hashing: collisions cancel instead of piling up
    for (uint32_t slot = static_cast<uint32_t>(hash >> 32) & slot_mask;; slot = (slot + 1) & slot_mask) {
      if (keys[slot] == index) {
        counts[slot] += sign;
        return;
      }
      if (keys[slot] == kEmpty) {
        keys[slot] = index;
        counts[slot] = sign;
        used.push_back(slot);
        return;
      }
    }
  }
};

std::vector<std::string_view> Words(std::string_view text) {
  std::vector<std::string_view> words;
  for (size_t i = 0; i < text.size();) {
    while (i < text.size() && !IsWordByte(static_cast<unsigned char>(text[i]))) ++i;
    size_t j = i;
    while (j < text.size() && IsWordByte(static_cast<unsigned char>(text[j]))) ++j;
    if (j > i) words.push_back(text.substr(i, j - i));
    i = j;
  }
  return words;
}

template <typename T>
void AppendBytes(std::string& out, const T& value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  out.append(bytes, sizeof(T));
}

template <typename T>
bool ReadBytes(std::string_view& in, T& value) {
  if (in.size() < sizeof(T)) return false;
  std::memcpy(&value, in.data(), sizeof(T));
  in.remove_prefix(sizeof(T));
  return true;
}

}  // namespace

double Sigmoid(double x) { return x >= 0 ? 1 / (1 + std::exp(-x)) : std::exp(x) / (1 + std::exp(x)); }

SparseFeatures ExtractFeatures(std::string_view folded, const FeatureConfig& config) {
  const uint32_t mask = (1u << config.dimension_log2) - 1;
  thread_local Accumulator accumulator;
  const auto words = Words(folded);
  accumulator.Reset(folded.size() * 3 + words.size() * 2 + 16);
  for (size_t i = 0; i < words.size(); ++i) {
    const uint64_t word = HashBytes(words[i], 1);
    accumulator.Add(word, mask);
    if (i + 1 < words.size()) accumulator.Add(Mix(word ^ (HashBytes(words[i + 1], 1) * 31) ^ 2), mask);
  }
  // Character 3-, 4- and 5-grams from one FNV pass per start position.
  const auto* bytes = reinterpret_cast<const unsigned char*>(folded.data());
  for (size_t i = 0; i + 3 <= folded.size(); ++i) {
    uint64_t h = 0xcbf29ce484222325ULL;
    const size_t longest = std::min<size_t>(5, folded.size() - i);
    for (size_t k = 0; k < longest; ++k) {
      h = (h ^ bytes[i + k]) * 0x100000001b3ULL;
      if (k >= 2) accumulator.Add(Mix(h + 10 + k), mask);
    }
  }
  SparseFeatures features;
  features.index.reserve(accumulator.used.size());
  features.value.reserve(accumulator.used.size());
  double norm = 0;
  for (uint32_t slot : accumulator.used) {
    const uint32_t index = accumulator.keys[slot];
    const float count = accumulator.counts[slot];
    if (count == 0) continue;
    const float magnitude = std::fabs(count);
    const float value =
        std::copysign(magnitude == 1.0f ? 1.0f : 1.0f + std::log(magnitude), count);  // most features occur once
    features.index.push_back(index);
    features.value.push_back(value);
    norm += static_cast<double>(value) * value;
  }
  if (norm > 0) {
    const auto scale = static_cast<float>(1 / std::sqrt(norm));
    for (float& v : features.value) v *= scale;
  }
  return features;
}

std::vector<std::pair<size_t, size_t>> Windows(std::string_view folded, const FeatureConfig& config) {
  std::vector<size_t> starts;  // byte offset of each token
  std::vector<size_t> ends;
  for (size_t i = 0; i < folded.size();) {
    while (i < folded.size() && folded[i] == ' ') ++i;
    if (i >= folded.size()) break;
    starts.push_back(i);
    while (i < folded.size() && folded[i] != ' ') ++i;
    ends.push_back(i);
  }
  const size_t tokens = starts.size();
  const size_t window = std::max<uint32_t>(1, config.window_tokens);
  const size_t stride = std::max<uint32_t>(1, config.stride_tokens);
  if (tokens <= window) return {{0, folded.size()}};
  std::vector<std::pair<size_t, size_t>> windows;
  size_t first = 0;
  for (; first + window < tokens && windows.size() < kMaxWindowsPerText; first += stride) {
    windows.emplace_back(starts[first], ends[first + window - 1]);
  }
  windows.emplace_back(starts[tokens - window], ends[tokens - 1]);  // the tail always gets a full window
  return windows;
}

Result<std::shared_ptr<const InjectionModel>> InjectionModel::Load(std::string_view bytes) {
  auto bad = [](const std::string& why) { return MakeError(ErrorCode::kParse, "guard model: " + why); };
  if (bytes.size() < sizeof(kMagic) || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    return bad("not a modelguard guard model (bad magic)");
  bytes.remove_prefix(sizeof(kMagic));
  auto model = std::make_shared<InjectionModel>();
  uint32_t metadata_length = 0;
  if (!ReadBytes(bytes, model->config_.dimension_log2) || !ReadBytes(bytes, model->config_.window_tokens) ||
      !ReadBytes(bytes, model->config_.stride_tokens) || !ReadBytes(bytes, model->bias_) ||
      !ReadBytes(bytes, metadata_length)) {
    return bad("truncated header");
  }
  if (model->config_.dimension_log2 < 8 || model->config_.dimension_log2 > kMaxDimensionLog2)
    return bad("dimension out of range");
  if (model->config_.window_tokens == 0 || model->config_.stride_tokens == 0 ||
      model->config_.stride_tokens > model->config_.window_tokens) {
    return bad("window settings out of range");
  }
  if (metadata_length > kMaxMetadataBytes || metadata_length > bytes.size()) return bad("metadata length out of range");
  model->metadata_ = nlohmann::json::parse(bytes.substr(0, metadata_length), nullptr, false);
  if (!model->metadata_.is_object()) return bad("metadata is not a JSON object");
  bytes.remove_prefix(metadata_length);
  const size_t dimension = size_t{1} << model->config_.dimension_log2;
  if (bytes.size() != dimension * sizeof(float))
    return bad("weights: expected " + std::to_string(dimension) + " floats");
  model->weights_.resize(dimension);
  std::memcpy(model->weights_.data(), bytes.data(), bytes.size());
  for (float w : model->weights_) {
    if (!std::isfinite(w)) return bad("non-finite weight");
  }
  if (!std::isfinite(model->bias_)) return bad("non-finite bias");
  return std::shared_ptr<const InjectionModel>(std::move(model));
}

Result<std::shared_ptr<const InjectionModel>> InjectionModel::LoadFile(const std::string& path) {
  // Capped (the largest model the format allows fits) and a directory is an error naming it.
  auto bytes = ReadFile(path);
  if (!bytes) return MakeError(bytes.error().code, "cannot read the guard model: " + bytes.error().message);
  MG_ASSIGN_OR_RETURN_CONTEXT(auto model, Load(*bytes), path + ": ");
  return model;
}

std::string InjectionModel::Serialize(const FeatureConfig& config, float bias, const std::vector<float>& weights,
                                      const nlohmann::json& metadata) {
  std::string out(kMagic, sizeof(kMagic));
  AppendBytes(out, config.dimension_log2);
  AppendBytes(out, config.window_tokens);
  AppendBytes(out, config.stride_tokens);
  AppendBytes(out, bias);
  const std::string meta = metadata.dump();
  AppendBytes(out, static_cast<uint32_t>(meta.size()));
  out += meta;
  out.append(reinterpret_cast<const char*>(weights.data()), weights.size() * sizeof(float));
  return out;
}

double InjectionModel::ScoreFeatures(const SparseFeatures& features) const {
  double z = bias_;
  for (size_t i = 0; i < features.index.size(); ++i)
    z += static_cast<double>(weights_[features.index[i]]) * features.value[i];
  return Sigmoid(z);
}

InjectionModel::WindowScore InjectionModel::Score(std::string_view folded) const {
  WindowScore best;
  best.score = -1;
  for (const auto& [begin, end] : Windows(folded, config_)) {
    const double score = ScoreFeatures(ExtractFeatures(folded.substr(begin, end - begin), config_));
    if (score > best.score) best = WindowScore{score, begin, end};
  }
  return best;
}

TrainedModel TrainLogistic(const std::vector<TrainingExample>& examples, const TrainingOptions& options) {
  const size_t dimension = size_t{1} << options.features.dimension_log2;
  TrainedModel model;
  model.weights.assign(dimension, 0.0f);
  std::vector<float> accumulated(dimension, 0.0f);  // AdaGrad: per-weight sum of squared gradients
  double bias_accumulated = 0;
  double bias = 0;
  std::vector<SparseFeatures> features;
  features.reserve(examples.size());
  for (const auto& example : examples) features.push_back(ExtractFeatures(example.folded, options.features));
  std::vector<size_t> order(examples.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 random(options.seed);
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[random() % i]);  // Fisher–Yates, portable
    for (size_t k : order) {
      const auto& x = features[k];
      double z = bias;
      for (size_t j = 0; j < x.index.size(); ++j) z += static_cast<double>(model.weights[x.index[j]]) * x.value[j];
      const double gradient = (Sigmoid(z) - examples[k].label) * examples[k].weight;
      for (size_t j = 0; j < x.index.size(); ++j) {
        const uint32_t index = x.index[j];
        const double g = gradient * x.value[j] + options.l2 * model.weights[index];
        accumulated[index] += static_cast<float>(g * g);
        model.weights[index] -=
            static_cast<float>(options.learning_rate * g / (std::sqrt(static_cast<double>(accumulated[index])) + 1e-8));
      }
      bias_accumulated += gradient * gradient;
      bias -= options.learning_rate * gradient / (std::sqrt(bias_accumulated) + 1e-8);
    }
  }
  model.bias = static_cast<float>(bias);
  return model;
}

}  // namespace modelguard::guard
