#pragma once
// Dataset manifests: the model-signing manifest applied to a dataset directory, plus optional record-level
// digests for JSONL and CSV files (an RFC 9162 Merkle root over the records, so a record's membership can
// be proven and a changed record is told apart from a re-encoded file).
#include <map>
#include <string>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/integrity/manifest.h"
#include "modelguard/integrity/merkle.h"
#include "modelguard/integrity/verify.h"

namespace modelguard::integrity {

inline constexpr std::string_view kDatasetManifestPayloadType = "application/vnd.modelguard.dataset-manifest+json";

struct RecordDigest {
  uint64_t count = 0;
  merkle::Hash root{};
};

struct DatasetManifest {
  std::string name;
  Manifest files;
  std::map<std::string, RecordDigest> records;  // by resource name, for .jsonl/.ndjson/.csv when requested
};

struct DatasetOptions {
  ManifestOptions files;
  bool records = false;
};

Result<DatasetManifest> BuildDatasetManifest(const std::string& path, const DatasetOptions& options);
std::string DatasetManifestJson(const DatasetManifest& manifest);  // schema modelguard.dataset-manifest/v1
Result<DatasetManifest> ParseDatasetManifest(std::string_view json);
// The options that rebuild a comparable manifest (method, hash, shard size, records).
DatasetOptions OptionsOf(const DatasetManifest& manifest);

struct DatasetComparison {
  std::vector<FileDifference> files;
  std::vector<std::string> records;  // "train.jsonl: 1000 records signed, 1001 now"
  bool ok() const { return files.empty() && records.empty(); }
};
DatasetComparison CompareDatasets(const DatasetManifest& expected, const DatasetManifest& actual);

// Records of a JSONL or CSV buffer: JSONL splits on newlines (blank lines skipped); CSV honours quoted
// fields across newlines (RFC 4180). A trailing CR is not part of a record.
std::vector<std::string_view> SplitRecords(std::string_view data, bool csv);

}  // namespace modelguard::integrity
