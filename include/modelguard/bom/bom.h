#pragma once
// CycloneDX 1.6/1.7 ML-BOM for a model file or directory: the model as a machine-learning-model component
// (hashes, format detected by content, architecture/task/parameters from config.json and the model card,
// licence, modelCard), its files, the datasets named by dataset manifests, a reference to the signature
// bundle, and the scan verdict as properties.
#include <string>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::bom {

struct BomOptions {
  std::string model_path;
  std::string spec_version = "1.6";                 // "1.6" or "1.7"
  std::string signature_path;                       // optional model_signing bundle
  std::vector<std::string> dataset_manifest_paths;  // modelguard.dataset-manifest/v1 files
  bool scan = true;                                 // record the scanner's verdict
  std::string policy_path;                          // scanner policy overrides
  unsigned jobs = 0;
};

// The BOM as JSON text. Err for usage and I/O problems.
Result<std::string> BuildBom(const BomOptions& options);

// Facts the BOM draws from the model's own metadata files (public for tests).
struct ModelFacts {
  std::string architecture, family, task, license, base_model, dtype;
  std::vector<std::string> datasets, languages;
  uint64_t parameters = 0;  // from safetensors headers, else config.json
};
ModelFacts ReadModelFacts(const std::string& model_path);
// Total element count over the tensors of a safetensors header; 0 when the file is not one.
uint64_t SafetensorsParameterCount(const std::string& path);

}  // namespace modelguard::bom
