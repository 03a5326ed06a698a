#pragma once
// Labelled datasets for the assessment engine: IDX (MNIST, Fashion-MNIST), CSV tables (scikit-learn's
// bundled digits, iris, wine, breast_cancer) and NPY arrays. Parsers see untrusted bytes: every length is
// checked against the data actually present and against caps, and bad input is an error, never a crash.
// Features are scaled to [0, 1] so that epsilons mean the same thing across datasets.
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::assess {

struct Dataset {
  std::string name;
  std::vector<int64_t> sample_shape;  // {features} for tables, {1, rows, cols} for images
  std::vector<float> features;        // size() * SampleSize() values in [0, 1]
  std::vector<int64_t> labels;        // in [0, classes)
  int64_t classes = 0;

  size_t size() const { return labels.size(); }
  int64_t SampleSize() const;
  // The samples at `indices`, in that order.
  Dataset Subset(const std::vector<size_t>& indices) const;
  Dataset Head(size_t count) const;
};

struct DataSplit {
  Dataset train;  // what a model is trained on: the members, for membership inference
  Dataset test;   // held out: evasion and extraction are measured here; non-members come from here
};

struct DataLimits {
  uint64_t max_bytes = 512ull << 20;  // decompressed input per file
  uint64_t max_samples = 1'000'000;
  uint64_t max_features = 1u << 20;  // per sample
  int64_t max_classes = 1000;
  // Training needs two classes; a batch being validated (`data validate`) may hold one.
  bool require_two_classes = true;
};

// IDX files (http://yann.lecun.com/exdb/mnist/ describes the layout): images as unsigned bytes scaled by
// 1/255, labels as unsigned bytes. `images` and `labels` are the decompressed file contents.
Result<Dataset> ParseIdx(std::string_view images, std::string_view labels, const DataLimits& limits = {});

enum class CsvScaling {
  kGlobal,  // one min/max over every feature (pixels: digits' 0..16 become 0..1)
  kColumn,  // each column to [0, 1] (tables whose columns have different units)
};
// Numeric CSV, label in the last column. A first row that is not all numbers is a header and skipped
// (scikit-learn's files start with "samples,features,class names...").
Result<Dataset> ParseCsv(std::string_view text, CsvScaling scaling, const DataLimits& limits = {});

// Two NPY arrays: features (float32/float64/uint8, first axis = samples) and labels (integers).
// Float features are taken as they are and must already lie in [0, 1].
Result<Dataset> ParseNpy(std::string_view features, std::string_view labels, const DataLimits& limits = {});

// Reads a file, gunzipping it when it starts with the gzip magic; capped at limits.max_bytes.
Result<std::string> ReadMaybeGzip(const std::string& path, const DataLimits& limits = {});

// A dataset by name or spec:
//   digits | iris | wine | breast_cancer   scikit-learn's bundled tables (found under python3-sklearn)
//   fashion-mnist                          Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist)
//   idx:DIR                                a directory holding train-/t10k- images and labels (.gz or not)
//   csv:PATH                               a CSV table (global scaling; csv-columns:PATH scales per column)
//   npy:X.npy,Y.npy                        features and labels
// Datasets that come with a train/test split keep it; the others are shuffled with `seed` and split at
// `train_fraction`, so the same spec and seed always give the same split.
Result<DataSplit> LoadDataset(const std::string& spec, double train_fraction = 0.5, uint64_t seed = 1,
                              const DataLimits& limits = {});

// Deterministic shuffle-and-split of one dataset.
DataSplit SplitDataset(const Dataset& data, double train_fraction, uint64_t seed);

}  // namespace modelguard::assess
