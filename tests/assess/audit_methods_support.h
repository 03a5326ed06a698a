#pragma once
// Shared by the labels, STRIP and Neural Cleanse audit tests: digits as one dataset, digits as 1x8x8 images
// (so BadNets' 4x4 patch is a square in the corner, as in the paper), models trained on (poisoned) digits,
// and precision/recall of a flagged set against the samples a fixture changed.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <set>
#include <string>
#include <vector>

#include "modelguard/assess/model.h"
#include "modelguard/assess/poisoning.h"

namespace modelguard::assess::testing {

// All 1797 digits (LoadDataset splits them; the audit looks at a whole training set).
inline Dataset AllDigits() {
  auto split = LoadDataset("digits", 0.5, 1);
  EXPECT_TRUE(split.ok());
  if (!split.ok()) return {};
  Dataset all = split->train;
  all.features.insert(all.features.end(), split->test.features.begin(), split->test.features.end());
  all.labels.insert(all.labels.end(), split->test.labels.begin(), split->test.labels.end());
  return all;
}

inline DataSplit DigitImages(double train_fraction = 0.5) {
  auto split = LoadDataset("digits", train_fraction, 1);
  EXPECT_TRUE(split.ok());
  if (!split.ok()) return {};
  split->train.sample_shape = {1, 8, 8};
  split->test.sample_shape = {1, 8, 8};
  return *split;
}

inline LocalModel TrainOn(const Dataset& data, const std::string& architecture, int epochs, uint64_t seed) {
  ArchitectureOptions options;
  options.name = architecture;
  auto model = BuildModel(options, data.sample_shape, data.classes, seed);
  EXPECT_TRUE(model.ok()) << (model.ok() ? "" : model.error().message);
  TrainOptions train;
  train.epochs = epochs;
  train.seed = seed;
  auto trained = TrainModel(*model, FeaturesTensor(data), LabelsTensor(data), train);
  EXPECT_TRUE(trained.ok()) << (trained.ok() ? "" : trained.error().message);
  return std::move(*model);
}

struct PrecisionRecall {
  double precision = 0, recall = 0;
  size_t flagged = 0, found = 0;
};

inline PrecisionRecall Measure(const std::vector<bool>& flagged, const std::vector<size_t>& truth) {
  PrecisionRecall out;
  const std::set<size_t> changed(truth.begin(), truth.end());
  for (size_t i = 0; i < flagged.size(); ++i) {
    if (!flagged[i]) continue;
    ++out.flagged;
    out.found += changed.count(i);
  }
  out.precision = out.flagged ? static_cast<double>(out.found) / static_cast<double>(out.flagged) : 0;
  out.recall = truth.empty() ? 0 : static_cast<double>(out.found) / static_cast<double>(truth.size());
  return out;
}

inline double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

}  // namespace modelguard::assess::testing
