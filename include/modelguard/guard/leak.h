#pragma once
// Output leak detection. Canary tokens: the gateway puts a fresh random token (64 bits or more) into each
// system prompt; if the model repeats it, the system prompt is leaking. The canary is found however the
// output is chunked or re-encoded (spaced out, upper-cased, split by punctuation, base64, hex, reversed).
// Fuzzy leakage: word 5-gram overlap between the output and the system prompt.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_set>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::guard {

// "mgc-" + 16 lower-case hex characters (64 random bits from the OS CSPRNG).
Result<std::string> NewCanary();

// Incremental search for one canary in a stream of output text: Feed each piece as it arrives; true once
// the canary (in any of the encodings above) has appeared in the text fed so far. Memory stays bounded
// (a tail of the stream plus the decoded views' tails).
class CanaryWatch {
 public:
  explicit CanaryWatch(std::string canary);
  bool Feed(std::string_view text);
  bool found() const { return found_; }
  const std::string& canary() const { return canary_; }

 private:
  bool Check();
  std::string canary_;
  std::string needle_;  // the canary's alphanumerics, lower case
  std::string reversed_needle_;
  std::string hex_needle_;  // hex of the canary's bytes
  std::string alnum_tail_;  // the stream's alphanumerics, lower case, last bytes only
  std::string raw_tail_;    // the stream as sent, last bytes only (for base64)
  bool found_ = false;
};

// Fraction of the system prompt's word 5-grams that appear in `output` (0 when the prompt has fewer than
// five words). Both sides are folded first.
class PromptLeakMeter {
 public:
  explicit PromptLeakMeter(std::string_view system_prompt);
  // Feed output incrementally; returns the overlap so far.
  double Feed(std::string_view text);
  double overlap() const;
  size_t prompt_shingles() const { return shingles_.size(); }

 private:
  std::unordered_set<uint64_t> shingles_;
  std::unordered_set<uint64_t> seen_;
  std::string pending_;  // folded words not yet complete at the end of the last piece
  std::vector<uint64_t> window_;
};

}  // namespace modelguard::guard
