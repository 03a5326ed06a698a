#pragma once
// Near-duplicate texts by MinHash (Broder 1997) with banded locality-sensitive hashing: each text becomes
// the set of its character 5-grams (after lower-casing and collapsing spaces), summarised by the
// minimum of 128 independent hashes; texts agreeing on all 4 hashes of any of 32 bands are candidates, and a
// candidate is a near duplicate when the share of agreeing hashes (an estimate of the Jaccard similarity,
// standard error 0.04 at 0.75) reaches the threshold. Memory: 512 bytes per text that duplicates nothing
// earlier, plus 32 band entries.
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

namespace modelguard::data {

// Lower-cased words of letters and digits (bytes >= 0x80 count as letters, so UTF-8 words stay whole), as
// views into `storage`. Shared by near-duplicate search and the text-trigger audit.
std::vector<std::string_view> LowercaseWords(std::string_view text, std::string& storage);

class NearDuplicateIndex {
 public:
  static constexpr size_t kHashes = 128;
  static constexpr size_t kBands = 32;
  static constexpr size_t kRows = kHashes / kBands;
  using Signature = std::array<uint32_t, kHashes>;

  explicit NearDuplicateIndex(double threshold) : threshold_(threshold) {}
  static Signature Sign(std::string_view text);
  // Adds the text as entry `id` (ids need not be dense); returns the id of an earlier entry it nearly
  // duplicates (the most similar candidate), or nullopt.
  std::optional<uint64_t> Add(uint64_t id, std::string_view text);
  size_t size() const { return signatures_.size(); }  // texts indexed (those that duplicate nothing)

 private:
  double threshold_;
  std::vector<Signature> signatures_;
  std::vector<uint64_t> ids_;
  std::unordered_multimap<uint64_t, uint32_t> bands_;  // band hash -> index into signatures_
};

}  // namespace modelguard::data
