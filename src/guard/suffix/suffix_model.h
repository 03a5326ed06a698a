#pragma once
// The adversarial-suffix detector's language model and scorer (src/guard/suffix/). A character 4-gram model of
// natural text over a 36-symbol alphabet (letters folded to lower case, digits as one symbol, punctuation in
// classes), trained by scripts/guard/train_suffix_lm.py on the benign prose of the shared pool and shipped as
// models/guard/suffix.lm, assembled into the binary. The scorer finds runs of text that this model finds
// improbable, outside the kinds of text that are improbable for a good reason (code, URLs, paths, encoded
// blobs, identifiers, tables, JSON, maths, non-Latin scripts), which it leaves alone.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::guard {

inline constexpr size_t kSuffixAlphabet = 36;
inline constexpr size_t kSuffixOrder = 4;
inline constexpr unsigned kSuffixScale = 16;  // table entries are -log2 P in 1/16 bit
inline constexpr size_t kSuffixWindow = 24;   // bytes per scored window

class SuffixModel {
 public:
  // The file layout: "MGSFXLM1", order, alphabet, scale, 0, 36^4 costs, SHA-256 of everything before it.
  static Result<std::shared_ptr<const SuffixModel>> Load(std::string_view bytes);
  // The model compiled into the binary (models/guard/suffix.lm).
  static Result<std::shared_ptr<const SuffixModel>> Builtin();

  static uint8_t Symbol(unsigned char byte);
  // Cost of `symbol` after the three symbols packed in `context` (oldest first, base 36), 1/16 bit.
  uint8_t Cost(size_t context, uint8_t symbol) const {
    return static_cast<uint8_t>(table_[context * kSuffixAlphabet + symbol]);
  }

 private:
  std::string table_;
};

struct SuffixRun {
  size_t begin = 0;  // byte span in the text
  size_t end = 0;
  double peak_bits = 0;  // the highest mean cost, bits per byte, of a window inside the run
};

struct SuffixScore {
  double peak_bits = 0;         // over every window that was scored (0: none was)
  std::vector<SuffixRun> runs;  // windows at or above `threshold_bits`, merged; at most `max_runs`
};

// Scores every kSuffixWindow-byte window that holds no gated byte (see suffix_detector.cpp). Linear in the
// text's length.
SuffixScore ScoreSuffix(const SuffixModel& model, std::string_view text, double threshold_bits, size_t max_runs);

}  // namespace modelguard::guard
