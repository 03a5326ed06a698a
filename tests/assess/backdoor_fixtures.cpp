#include "assess/backdoor_fixtures.h"

#include <algorithm>
#include <random>

namespace modelguard::assess::testing {
namespace {

using Stamp = void (*)(float*, const std::vector<int64_t>&);

void Patch(float* sample, const std::vector<int64_t>& shape) { StampPatch(sample, shape); }
void Blend(float* sample, const std::vector<int64_t>& shape) { StampBlend(sample, shape); }
Stamp StampOf(Trigger trigger) { return trigger == Trigger::kPatch ? Patch : Blend; }

// {C, H, W} of an image sample; a flat table row is treated as one row of pixels.
void ImageShape(const std::vector<int64_t>& shape, int64_t& channels, int64_t& height, int64_t& width) {
  channels = shape.size() == 3 ? shape[0] : 1;
  height = shape.size() == 3 ? shape[1] : 1;
  width = shape.back();
}

}  // namespace

void StampPatch(float* sample, const std::vector<int64_t>& shape, int64_t patch) {
  int64_t channels, height, width;
  ImageShape(shape, channels, height, width);
  for (int64_t c = 0; c < channels; ++c)
    for (int64_t y = std::max<int64_t>(0, height - patch); y < height; ++y)
      for (int64_t x = std::max<int64_t>(0, width - patch); x < width; ++x) sample[(c * height + y) * width + x] = 1.0f;
}

void StampBlend(float* sample, const std::vector<int64_t>& shape, double alpha, uint64_t pattern_seed) {
  int64_t channels, height, width;
  ImageShape(shape, channels, height, width);
  std::mt19937_64 random(pattern_seed);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (int64_t i = 0; i < channels * height * width; ++i)
    sample[i] = static_cast<float>((1 - alpha) * sample[i] + alpha * uniform(random));
}

Poisoned PoisonWithTrigger(const Dataset& clean, Trigger trigger, double rate, int64_t target, uint64_t seed) {
  Poisoned out{clean, {}};
  std::vector<size_t> candidates;
  for (size_t i = 0; i < clean.size(); ++i)
    if (clean.labels[i] != target) candidates.push_back(i);
  std::mt19937_64 random(seed);
  std::shuffle(candidates.begin(), candidates.end(), random);
  const size_t count = std::max<size_t>(1, static_cast<size_t>(rate * static_cast<double>(clean.size())));
  candidates.resize(std::min(count, candidates.size()));
  std::sort(candidates.begin(), candidates.end());
  const auto size = static_cast<size_t>(clean.SampleSize());
  for (size_t i : candidates) {
    StampOf(trigger)(out.data.features.data() + i * size, clean.sample_shape);
    out.data.labels[i] = target;
  }
  out.poisoned = std::move(candidates);
  return out;
}

Dataset TriggeredTestSet(const Dataset& clean, Trigger trigger, int64_t target) {
  std::vector<size_t> keep;
  for (size_t i = 0; i < clean.size(); ++i)
    if (clean.labels[i] != target) keep.push_back(i);
  Dataset out = clean.Subset(keep);
  const auto size = static_cast<size_t>(clean.SampleSize());
  for (size_t i = 0; i < out.size(); ++i) StampOf(trigger)(out.features.data() + i * size, clean.sample_shape);
  return out;
}

Poisoned FlipLabels(const Dataset& clean, double rate, uint64_t seed,
                    const std::vector<std::pair<int64_t, int64_t>>& pairs) {
  Poisoned out{clean, {}};
  std::vector<size_t> candidates;
  for (size_t i = 0; i < clean.size(); ++i) {
    const bool in_pair = std::any_of(pairs.begin(), pairs.end(), [&](const auto& pair) {
      return clean.labels[i] == pair.first || clean.labels[i] == pair.second;
    });
    if (pairs.empty() || in_pair) candidates.push_back(i);
  }
  std::mt19937_64 random(seed);
  std::shuffle(candidates.begin(), candidates.end(), random);
  const size_t count = std::max<size_t>(1, static_cast<size_t>(rate * static_cast<double>(clean.size())));
  candidates.resize(std::min(count, candidates.size()));
  std::sort(candidates.begin(), candidates.end());
  for (size_t i : candidates) {
    int64_t& label = out.data.labels[i];
    if (pairs.empty()) {
      // Another class, uniformly: shift by 1..classes-1.
      std::uniform_int_distribution<int64_t> shift(1, clean.classes - 1);
      label = (label + shift(random)) % clean.classes;
    } else {
      for (const auto& [a, b] : pairs) {
        if (label == a || label == b) {
          label = label == a ? b : a;
          break;
        }
      }
    }
  }
  out.poisoned = std::move(candidates);
  return out;
}

}  // namespace modelguard::assess::testing
