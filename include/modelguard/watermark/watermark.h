#pragma once
// Watermarks in generated text: the green/red-list scheme of Kirchenbauer et al. 2023 ("A Watermark for
// Large Language Models", ICML 2023). Before each token, the previous token seeds a pseudo-random split of
// the vocabulary; a share `gamma` of it is "green" and generation adds `delta` to green logits. Detection
// counts green tokens: without a watermark a token is green with probability gamma, so the count's
// z-score says how unlikely the text is to have been written without one.
//
// The split reproduces the authors' reference implementation on the CPU (its default "simple_1" scheme):
// torch.Generator().manual_seed(hash_key * previous_token), then torch.randperm(vocab_size) from that
// generator, whose first floor(vocab_size * gamma) entries are green. torch seeds a 32-bit Mersenne Twister
// with the seed's low 32 bits and draws the permutation by Fisher-Yates, swapping position i with
// i + (draw mod (n - i)). A text watermarked by the reference implementation on the CPU is detected here;
// the CUDA generator draws other permutations.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::watermark {

inline constexpr uint64_t kReferenceHashKey = 15485863;  // the reference implementation's default key
inline constexpr uint64_t kMaxVocabulary = uint64_t{1} << 24;

struct Scheme {
  uint64_t vocab_size = 0;  // 1 .. kMaxVocabulary
  double gamma = 0.25;      // green share, in (0, 1)
  uint64_t hash_key = kReferenceHashKey;
};

Status Check(const Scheme& scheme);

// floor(vocab_size * gamma), computed as the reference does (int(vocab_size * gamma) in Python).
uint64_t GreenListSize(const Scheme& scheme);

// The green tokens after `previous`, in the order the permutation draws them.
std::vector<uint32_t> GreenList(const Scheme& scheme, uint64_t previous);

// Green lists with memory: the split after a token is computed once and kept as a bitset, up to
// `max_cache_bytes` (the least recently used splits are dropped past it). Not thread-safe: one per thread.
class GreenLists {
 public:
  explicit GreenLists(Scheme scheme, size_t max_cache_bytes = size_t{64} << 20);
  const Scheme& scheme() const { return scheme_; }
  // Whether `token` (below the vocabulary size) is green after `previous`.
  bool IsGreen(uint64_t previous, uint64_t token);
  // The split after `previous`: bit t of word t / 64 is set when token t is green.
  const std::vector<uint64_t>& Bits(uint64_t previous);

 private:
  struct Entry {
    uint64_t previous = 0;
    uint64_t last_used = 0;
    std::vector<uint64_t> bits;
  };
  Scheme scheme_;
  size_t max_entries_;
  std::vector<Entry> entries_;
  std::unordered_map<uint64_t, size_t> slot_of_;
  std::unordered_set<uint64_t> asked_once_;  // previous tokens asked about once, not kept yet
  uint64_t clock_ = 0;
  std::vector<uint32_t> permutation_;  // reused by each split
};

// Generation's side: adds `delta` to the logits of the green tokens after `previous` (logits.size() must
// equal the scheme's vocabulary).
Status BiasLogits(GreenLists& lists, uint64_t previous, double delta, std::span<float> logits);

// z = (green - gamma T) / sqrt(T gamma (1 - gamma)) for T scored tokens (Kirchenbauer et al., eq. 2).
double ZScore(uint64_t green, uint64_t scored, double gamma);
// One-sided p-value of z under the normal approximation (scipy.stats.norm.sf).
double PValue(double z);

struct WindowScore {
  uint64_t begin = 0, end = 0;  // token positions [begin, end) of the scored tokens
  uint64_t scored = 0, green = 0;
  double z = 0;
};

struct Span {
  uint64_t begin = 0, end = 0;  // token positions
  double z = 0;                 // of the span's tokens together
};

struct DetectOptions {
  double z_threshold = 4.0;
  uint64_t window = 50;                  // scored tokens per window (0: no windows); windows overlap by half
  bool ignore_repeated_bigrams = false;  // score each (previous, token) pair once, as the reference can
};

struct Detection {
  uint64_t tokens = 0;  // in the sequence
  uint64_t scored = 0;  // tokens after the first (each needs its previous), repeated bigrams left out if asked
  uint64_t green = 0;
  double green_fraction = 0;
  double z = 0;
  double p_value = 1;
  bool watermarked = false;  // z above the threshold
  std::vector<WindowScore> windows;
  std::vector<Span> spans;  // runs of windows above the threshold, merged
};

// Scores `tokens` (each below the vocabulary size) under the scheme of `lists`.
Result<Detection> Detect(GreenLists& lists, std::span<const uint64_t> tokens, const DetectOptions& options);

// Token sequences from a file's text: a JSON array of token ids (one sequence); JSON Lines of such arrays
// (one sequence per line); or ids as decimal numbers separated by white space or commas (one sequence).
// At most kMaxTokens ids in all; each must be below 2^32.
inline constexpr uint64_t kMaxTokens = uint64_t{1} << 26;
Result<std::vector<std::vector<uint64_t>>> ParseTokenSequences(std::string_view text);

}  // namespace modelguard::watermark
