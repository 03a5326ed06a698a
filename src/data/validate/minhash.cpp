#include "src/data/validate/minhash.h"

#include <algorithm>
#include <cctype>
#include <string>

#include "modelguard/core/hash.h"

namespace modelguard::data {
namespace {

// Candidates compared per band: buckets stay short for real data (random band collisions are rare), and a
// crafted input cannot make one text compare against every earlier one.
constexpr size_t kMaxCandidatesPerBand = 64;
// Character 5-grams: one changed word in a sentence of fifteen changes about a tenth of them, where word
// 3-grams would lose a fifth and call a one-word edit of a short record a different text.
constexpr size_t kShingle = 5;

}  // namespace

std::vector<std::string_view> LowercaseWords(std::string_view text, std::string& lowered) {
  lowered.assign(text);
  for (char& c : lowered) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  std::vector<std::string_view> words;
  size_t i = 0;
  while (i < lowered.size()) {
    while (i < lowered.size() &&
           !(std::isalnum(static_cast<unsigned char>(lowered[i])) || static_cast<unsigned char>(lowered[i]) >= 0x80))
      ++i;
    const size_t start = i;
    while (i < lowered.size() &&
           (std::isalnum(static_cast<unsigned char>(lowered[i])) || static_cast<unsigned char>(lowered[i]) >= 0x80))
      ++i;
    if (i > start) words.push_back(std::string_view(lowered).substr(start, i - start));
  }
  return words;
}

NearDuplicateIndex::Signature NearDuplicateIndex::Sign(std::string_view text) {
  Signature signature;
  signature.fill(UINT32_MAX);
  // The words, lower-cased and joined by single spaces, so spacing and case changes are not differences.
  std::string lowered;
  std::string normal;
  for (auto word : LowercaseWords(text, lowered)) normal.append(word).push_back(' ');
  const auto add = [&](uint64_t shingle) {
    for (size_t k = 0; k < kHashes; ++k) {
      const auto h = static_cast<uint32_t>(Mix64(shingle ^ (0x5851f42d4c957f2dull * (k + 1))) >> 32);
      signature[k] = std::min(signature[k], h);
    }
  };
  if (normal.size() <= kShingle) {
    add(Fnv1a64(normal));
  } else {
    for (size_t i = 0; i + kShingle <= normal.size(); ++i) add(Fnv1a64(std::string_view(normal).substr(i, kShingle)));
  }
  return signature;
}

std::optional<uint64_t> NearDuplicateIndex::Add(uint64_t id, std::string_view text) {
  const Signature signature = Sign(text);
  const auto index = static_cast<uint32_t>(signatures_.size());
  std::optional<uint32_t> best;
  size_t best_agreeing = 0;
  uint64_t band_keys[kBands];
  for (size_t band = 0; band < kBands; ++band) {
    uint64_t key = Mix64(band + 1);
    for (size_t row = 0; row < kRows; ++row) key = Mix64(key ^ signature[band * kRows + row]);
    band_keys[band] = key;
    auto [first, last] = bands_.equal_range(key);
    size_t examined = 0;
    for (auto it = first; it != last && examined < kMaxCandidatesPerBand; ++it, ++examined) {
      const Signature& other = signatures_[it->second];
      size_t agreeing = 0;
      for (size_t k = 0; k < kHashes; ++k) agreeing += signature[k] == other[k];
      if (agreeing > best_agreeing) {
        best_agreeing = agreeing;
        best = it->second;
      }
    }
  }
  if (best && static_cast<double>(best_agreeing) / kHashes >= threshold_) return ids_[*best];
  // Only texts that duplicate nothing are indexed: a cluster of near copies keeps one representative, so
  // a file of a million variants of one text costs one bucket entry, not a million comparisons each.
  signatures_.push_back(signature);
  ids_.push_back(id);
  for (size_t band = 0; band < kBands; ++band) bands_.emplace(band_keys[band], index);
  return std::nullopt;
}

}  // namespace modelguard::data
