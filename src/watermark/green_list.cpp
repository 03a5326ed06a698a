// The vocabulary split of Kirchenbauer et al.'s reference implementation, drawn as torch draws it on the
// CPU (watermark.h), and the generation-side bias.
#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include "modelguard/core/mersenne_twister.h"
#include "modelguard/watermark/watermark.h"

namespace modelguard::watermark {

Status Check(const Scheme& scheme) {
  if (scheme.vocab_size == 0 || scheme.vocab_size > kMaxVocabulary)
    return MakeError(ErrorCode::kInvalidArgument, "the vocabulary size must be 1 to " + std::to_string(kMaxVocabulary) +
                                                      ", got " + std::to_string(scheme.vocab_size));
  if (!(scheme.gamma > 0 && scheme.gamma < 1))
    return MakeError(ErrorCode::kInvalidArgument, "gamma (the green share) must be between 0 and 1, exclusive");
  if (GreenListSize(scheme) == 0)
    return MakeError(ErrorCode::kInvalidArgument, "gamma times the vocabulary size is below 1: no token is green");
  // The reference seeds torch with hash_key * previous token, a 64-bit integer there.
  if (scheme.hash_key == 0 || scheme.hash_key > UINT64_MAX / kMaxVocabulary)
    return MakeError(ErrorCode::kInvalidArgument,
                     "the key must be 1 to " + std::to_string(UINT64_MAX / kMaxVocabulary));
  return Ok{};
}

uint64_t GreenListSize(const Scheme& scheme) {
  return static_cast<uint64_t>(static_cast<double>(scheme.vocab_size) * scheme.gamma);
}

namespace {

// The first `green` entries of torch.randperm(n) after manual_seed(seed): torch's CPU generator is a
// 32-bit Mersenne Twister seeded with the seed's low 32 bits (at::mt19937), and randperm_cpu swaps
// position i with i + (random() mod (n - i)) for i = 0, 1, ...; positions below `green` are final once
// the loop has passed them, so the rest of the shuffle is not drawn.
void DrawGreen(uint64_t n, uint64_t green, uint64_t seed, std::vector<uint32_t>& permutation) {
  permutation.resize(n);
  std::iota(permutation.begin(), permutation.end(), 0u);
  MersenneTwister32 engine(static_cast<uint32_t>(seed));
  // n fits in 32 bits (kMaxVocabulary), so the remainder is a 32-bit division: half the latency of the
  // 64-bit one torch's int64_t arithmetic does, with the same result.
  const auto steps = static_cast<uint32_t>(std::min(green, n - 1));
  const auto size = static_cast<uint32_t>(n);
  for (uint32_t i = 0; i < steps; ++i) {
    const uint32_t z = static_cast<uint32_t>(engine()) % (size - i);
    std::swap(permutation[i], permutation[i + z]);
  }
  permutation.resize(green);
}

// Whether `token` is among the first `green` entries of that permutation, without building it: follow the
// token alone. At step i the entry at i is swapped with the one at j = i + z: a token at j lands at i,
// final and green; a token at i moves to j (or stays, when j = i: final and green).
bool TokenIsGreen(uint64_t n, uint64_t green, uint64_t seed, uint64_t token) {
  MersenneTwister32 engine(static_cast<uint32_t>(seed));
  const auto steps = static_cast<uint32_t>(std::min(green, n - 1));
  const auto size = static_cast<uint32_t>(n);
  auto position = static_cast<uint32_t>(token);
  for (uint32_t i = 0; i < steps; ++i) {
    const uint32_t j = i + static_cast<uint32_t>(engine()) % (size - i);
    if (position == j) return true;
    if (position == i) position = j;
  }
  return position < green;  // positions past the steps hold what the loop left there
}

}  // namespace

std::vector<uint32_t> GreenList(const Scheme& scheme, uint64_t previous) {
  std::vector<uint32_t> permutation;
  DrawGreen(scheme.vocab_size, GreenListSize(scheme), scheme.hash_key * previous, permutation);
  return permutation;
}

GreenLists::GreenLists(Scheme scheme, size_t max_cache_bytes) : scheme_(scheme) {
  const size_t entry_bytes = static_cast<size_t>((scheme.vocab_size + 63) / 64) * 8 + 64;
  max_entries_ = std::max<size_t>(1, max_cache_bytes / entry_bytes);
}

const std::vector<uint64_t>& GreenLists::Bits(uint64_t previous) {
  ++clock_;
  if (auto found = slot_of_.find(previous); found != slot_of_.end()) {
    Entry& entry = entries_[found->second];
    entry.last_used = clock_;
    return entry.bits;
  }
  size_t slot = entries_.size();
  if (entries_.size() < max_entries_) {
    entries_.emplace_back();
  } else {
    slot =
        static_cast<size_t>(std::min_element(entries_.begin(), entries_.end(),
                                             [](const Entry& a, const Entry& b) { return a.last_used < b.last_used; }) -
                            entries_.begin());
    slot_of_.erase(entries_[slot].previous);
  }
  Entry& entry = entries_[slot];
  entry.previous = previous;
  entry.last_used = clock_;
  entry.bits.assign(static_cast<size_t>((scheme_.vocab_size + 63) / 64), 0);
  DrawGreen(scheme_.vocab_size, GreenListSize(scheme_), scheme_.hash_key * previous, permutation_);
  for (uint32_t token : permutation_) entry.bits[token / 64] |= uint64_t{1} << (token % 64);
  slot_of_[previous] = slot;
  return entry.bits;
}

bool GreenLists::IsGreen(uint64_t previous, uint64_t token) {
  if (token >= scheme_.vocab_size) return false;
  // A split is built and kept from the second time its previous token is asked about; the first time, the
  // token alone is followed through the shuffle (no vocabulary-sized array, most of detection's cost).
  if (!slot_of_.count(previous)) {
    if (asked_once_.size() >= max_entries_ * 4) asked_once_.clear();
    if (asked_once_.insert(previous).second)
      return TokenIsGreen(scheme_.vocab_size, GreenListSize(scheme_), scheme_.hash_key * previous, token);
  }
  const std::vector<uint64_t>& bits = Bits(previous);
  return (bits[token / 64] >> (token % 64) & 1) != 0;
}

Status BiasLogits(GreenLists& lists, uint64_t previous, double delta, std::span<float> logits) {
  if (logits.size() != lists.scheme().vocab_size)
    return MakeError(ErrorCode::kInvalidArgument, "the logits hold " + std::to_string(logits.size()) +
                                                      " values for a vocabulary of " +
                                                      std::to_string(lists.scheme().vocab_size));
  if (!std::isfinite(delta)) return MakeError(ErrorCode::kInvalidArgument, "delta must be a finite number");
  const std::vector<uint64_t>& bits = lists.Bits(previous);
  for (size_t t = 0; t < logits.size(); ++t)
    if (bits[t / 64] >> (t % 64) & 1) logits[t] = static_cast<float>(logits[t] + delta);
  return Ok{};
}

}  // namespace modelguard::watermark
