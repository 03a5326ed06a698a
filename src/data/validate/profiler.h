#pragma once
// The accumulator behind ProfileDataset and ValidateDataset: rows in, a DatasetProfile out.
#include <memory>
#include <random>
#include <unordered_map>

#include "modelguard/data/validate.h"
#include "src/data/validate/minhash.h"

namespace modelguard::data {

class Profiler {
 public:
  Profiler(const ProfileOptions& options, SourceFormat format);
  ~Profiler();
  // `names`: the source's columns now (JSONL adds keys as it meets them).
  void AddRow(const Row& row, const std::vector<std::string>& names);
  DatasetProfile Finish(const std::vector<std::string>& names, uint64_t bytes);
  const DatasetProfile& profile() const { return profile_; }

 private:
  void SyncColumns(const std::vector<std::string>& names);
  void AddCell(size_t index, const Cell& cell);
  ProfileOptions options_;
  DatasetProfile profile_;
  std::mt19937_64 random_;
  uint64_t categories_held_ = 0;
  int64_t label_index_ = -1;
  std::unordered_map<uint64_t, uint64_t> fingerprints_;  // fingerprint -> first location
  NearDuplicateIndex near_;
};

}  // namespace modelguard::data
