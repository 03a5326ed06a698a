#pragma once
// Training the injection/jailbreak classifier from a labelled corpus (scripts/train-guard builds the corpus
// from ../shared/datasets/prompt-security and calls this through `modelguard guard train`).
#include <nlohmann/json.hpp>
#include <string>

#include "modelguard/core/result.h"

namespace modelguard::guard {

struct TrainRequest {
  std::string corpus_path;  // JSONL: text, label (0/1), role, source, split (train|calibration|validation)
  std::string output_path;  // the model file
  unsigned dimension_log2 = 18;
  unsigned window_tokens = 128;
  unsigned stride_tokens = 96;
  // Chosen on the calibration split (recall at the 1%/0.1% FPR thresholds), never on validation.
  int epochs = 8;
  double l2 = 1e-4;
};

// Trains on split "train", sets the per-role thresholds from split "calibration" (flag at 1% and block at
// 0.1% false positives on its benign texts), never reads split "validation". Returns the metadata written
// into the model (counts, thresholds).
Result<nlohmann::json> TrainInjectionModel(const TrainRequest& request);

}  // namespace modelguard::guard
