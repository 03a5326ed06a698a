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

constexpr char kMagicV1[8] = {'M', 'G', 'G', 'U', 'A', 'R', 'D', '1'};
constexpr char kMagicV2[8] = {'M', 'G', 'G', 'U', 'A', 'R', 'D', '2'};
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

TextGroup GroupOf(std::string_view role) {
  return role == "document" || role == "tool" ? TextGroup::kDocument : TextGroup::kUser;
}

const char* ToString(TextGroup group) { return group == TextGroup::kDocument ? "document" : "user"; }

Result<std::shared_ptr<const InjectionModel>> InjectionModel::Load(std::string_view bytes) {
  auto bad = [](const std::string& why) { return MakeError(ErrorCode::kParse, "guard model: " + why); };
  if (bytes.size() < sizeof(kMagicV1)) return bad("not a modelguard guard model (bad magic)");
  const bool v2 = std::memcmp(bytes.data(), kMagicV2, sizeof(kMagicV2)) == 0;
  if (!v2 && std::memcmp(bytes.data(), kMagicV1, sizeof(kMagicV1)) != 0)
    return bad("not a modelguard guard model (bad magic)");
  bytes.remove_prefix(sizeof(kMagicV1));
  auto model = std::make_shared<InjectionModel>();
  uint32_t metadata_length = 0, head_count = 1;
  float v1_bias = 0;
  if (!ReadBytes(bytes, model->config_.dimension_log2) || !ReadBytes(bytes, model->config_.window_tokens) ||
      !ReadBytes(bytes, model->config_.stride_tokens) ||
      !(v2 ? ReadBytes(bytes, head_count) : ReadBytes(bytes, v1_bias)) || !ReadBytes(bytes, metadata_length)) {
    return bad("truncated header");
  }
  if (model->config_.dimension_log2 < 8 || model->config_.dimension_log2 > kMaxDimensionLog2)
    return bad("dimension out of range");
  if (model->config_.window_tokens == 0 || model->config_.stride_tokens == 0 ||
      model->config_.stride_tokens > model->config_.window_tokens) {
    return bad("window settings out of range");
  }
  if (head_count == 0 || head_count > kMaxHeads) return bad("head count out of range");
  if (metadata_length > kMaxMetadataBytes || metadata_length > bytes.size()) return bad("metadata length out of range");
  model->metadata_ = nlohmann::json::parse(bytes.substr(0, metadata_length), nullptr, false);
  if (!model->metadata_.is_object()) return bad("metadata is not a JSON object");
  bytes.remove_prefix(metadata_length);
  const size_t dimension = size_t{1} << model->config_.dimension_log2;
  const size_t head_bytes = (v2 ? sizeof(float) : 0) + dimension * sizeof(float);
  if (bytes.size() != head_bytes * head_count)
    return bad("weights: expected " + std::to_string(head_count) + " x " + std::to_string(dimension) + " floats");
  // The heads' descriptions (v2): what each scores, for which texts.
  const nlohmann::json* described = nullptr;
  if (v2) {
    const auto found = model->metadata_.find("heads");
    if (found == model->metadata_.end() || !found->is_array() || found->size() != head_count)
      return bad("metadata: \"heads\" must list " + std::to_string(head_count) + " heads");
    described = &*found;
  }
  for (uint32_t h = 0; h < head_count; ++h) {
    ModelHead head;
    if (v2) {
      const auto& d = (*described)[h];
      const auto text = [&](const char* key) -> const nlohmann::json* {
        const auto it = d.find(key);
        return it != d.end() && it->is_string() && !it->get_ref<const std::string&>().empty() ? &*it : nullptr;
      };
      if (!d.is_object() || !text("category") || !text("group"))
        return bad("metadata: heads[" + std::to_string(h) + "] needs a \"category\" and a \"group\"");
      head.category = d["category"].get<std::string>();
      head.group = d["group"].get<std::string>();
      if (head.group != "user" && head.group != "document" && head.group != "any")
        return bad("metadata: heads[" + std::to_string(h) + "].group must be user, document or any");
      ReadBytes(bytes, head.bias);
    } else {
      head.category = "injection";
      head.group = "any";
      head.bias = v1_bias;
    }
    head.weights.resize(dimension);
    std::memcpy(head.weights.data(), bytes.data(), dimension * sizeof(float));
    bytes.remove_prefix(dimension * sizeof(float));
    for (float w : head.weights) {
      if (!std::isfinite(w)) return bad("non-finite weight");
    }
    if (!std::isfinite(head.bias)) return bad("non-finite bias");
    model->heads_.push_back(std::move(head));
  }
  return std::shared_ptr<const InjectionModel>(std::move(model));
}

Result<std::shared_ptr<const InjectionModel>> InjectionModel::LoadFile(const std::string& path) {
  // Capped (the largest model the format allows fits) and a directory is an error naming it.
  auto bytes = ReadFile(path);
  if (!bytes) return MakeError(bytes.error().code, "cannot read the guard model: " + bytes.error().message);
  MG_ASSIGN_OR_RETURN_CONTEXT(auto model, Load(*bytes), path + ": ");
  return model;
}

std::string InjectionModel::Serialize(const FeatureConfig& config, const std::vector<ModelHead>& heads,
                                      const nlohmann::json& metadata) {
  std::string out(kMagicV2, sizeof(kMagicV2));
  AppendBytes(out, config.dimension_log2);
  AppendBytes(out, config.window_tokens);
  AppendBytes(out, config.stride_tokens);
  AppendBytes(out, static_cast<uint32_t>(heads.size()));
  nlohmann::json described = metadata;
  if (!described.contains("heads")) {
    described["heads"] = nlohmann::json::array();
    for (const auto& head : heads) described["heads"].push_back({{"category", head.category}, {"group", head.group}});
  }
  const std::string meta = described.dump();
  AppendBytes(out, static_cast<uint32_t>(meta.size()));
  out += meta;
  for (const auto& head : heads) {
    AppendBytes(out, head.bias);
    out.append(reinterpret_cast<const char*>(head.weights.data()), head.weights.size() * sizeof(float));
  }
  return out;
}

std::string InjectionModel::SerializeV1(const FeatureConfig& config, float bias, const std::vector<float>& weights,
                                        const nlohmann::json& metadata) {
  std::string out(kMagicV1, sizeof(kMagicV1));
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

double InjectionModel::ScoreFeatures(const SparseFeatures& features, size_t head) const {
  const ModelHead& h = heads_.at(head);
  double z = h.bias;
  for (size_t i = 0; i < features.index.size(); ++i)
    z += static_cast<double>(h.weights[features.index[i]]) * features.value[i];
  return Sigmoid(z);
}

std::vector<size_t> InjectionModel::HeadsFor(TextGroup group) const {
  std::vector<size_t> out;
  for (size_t h = 0; h < heads_.size(); ++h) {
    if (heads_[h].group == "any" || heads_[h].group == ToString(group)) out.push_back(h);
  }
  if (out.empty() && group == TextGroup::kDocument) return HeadsFor(TextGroup::kUser);
  return out;
}

std::vector<std::pair<size_t, InjectionModel::WindowScore>> InjectionModel::ScoreHeads(std::string_view folded,
                                                                                       TextGroup group) const {
  std::vector<std::pair<size_t, WindowScore>> best;
  for (const size_t head : HeadsFor(group)) best.emplace_back(head, WindowScore{-1, 0, 0});
  for (const auto& [begin, end] : Windows(folded, config_)) {
    const SparseFeatures features = ExtractFeatures(folded.substr(begin, end - begin), config_);
    for (auto& [head, score] : best) {
      const double s = ScoreFeatures(features, head);
      if (s > score.score) score = WindowScore{s, begin, end};
    }
  }
  return best;
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
  std::vector<SparseFeatures> features;
  std::vector<int> labels;
  std::vector<double> weights;
  features.reserve(examples.size());
  for (const auto& example : examples) {
    features.push_back(ExtractFeatures(example.folded, options.features));
    labels.push_back(example.label);
    weights.push_back(example.weight);
  }
  return TrainLogisticOnFeatures(features, labels, weights, options);
}

TrainedModel TrainLogisticOnFeatures(const std::vector<SparseFeatures>& features, const std::vector<int>& labels,
                                     const std::vector<double>& weights, const TrainingOptions& options) {
  const size_t dimension = size_t{1} << options.features.dimension_log2;
  TrainedModel model;
  model.weights.assign(dimension, 0.0f);
  std::vector<float> accumulated(dimension, 0.0f);  // AdaGrad: per-weight sum of squared gradients
  double bias_accumulated = 0;
  double bias = 0;
  std::vector<size_t> order(features.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::mt19937_64 random(options.seed);
  for (int epoch = 0; epoch < options.epochs; ++epoch) {
    for (size_t i = order.size(); i > 1; --i) std::swap(order[i - 1], order[random() % i]);  // Fisher–Yates, portable
    for (size_t k : order) {
      if (weights[k] <= 0) continue;
      const auto& x = features[k];
      double z = bias;
      for (size_t j = 0; j < x.index.size(); ++j) z += static_cast<double>(model.weights[x.index[j]]) * x.value[j];
      const double gradient = (Sigmoid(z) - labels[k]) * weights[k];
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
