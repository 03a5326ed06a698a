#include "modelguard/guard/leak.h"

#include <openssl/rand.h>

#include <algorithm>
#include <cctype>
#include <vector>

#include "modelguard/core/bytes.h"
#include "modelguard/core/hash.h"
#include "src/guard/normalize/normalize.h"

namespace modelguard::guard {
namespace {

constexpr size_t kShingleWords = 5;

uint64_t HashWord(std::string_view word) { return Fnv1a64(word); }

uint64_t ShingleHash(const std::vector<uint64_t>& words, size_t end) {
  uint64_t h = 0;
  for (size_t i = end - kShingleWords; i < end; ++i) h = (h * 0x9E3779B97F4A7C15ULL) ^ words[i];
  return h;
}

std::vector<uint64_t> FoldedWords(std::string_view text) {
  const std::string folded = Fold(text);
  std::vector<uint64_t> words;
  size_t i = 0;
  while (i < folded.size()) {
    while (i < folded.size() && !std::isalnum(static_cast<unsigned char>(folded[i])) &&
           static_cast<unsigned char>(folded[i]) < 0x80)
      ++i;
    size_t j = i;
    while (j < folded.size() &&
           (std::isalnum(static_cast<unsigned char>(folded[j])) || static_cast<unsigned char>(folded[j]) >= 0x80))
      ++j;
    if (j > i) words.push_back(HashWord(std::string_view(folded).substr(i, j - i)));
    i = j;
  }
  return words;
}

}  // namespace

Result<std::string> NewCanary() {
  unsigned char random[8];
  // Without the CSPRNG a canary could be guessed: no canary is better than a weak one.
  if (RAND_bytes(random, sizeof random) != 1)
    return MakeError(ErrorCode::kIo, "OpenSSL RAND_bytes failed: cannot make a canary token");
  return std::string("mgc-") + HexEncode(std::span<const uint8_t>(random));
}

CanaryWatch::CanaryWatch(std::string canary) : canary_(std::move(canary)) {
  for (char c : canary_) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      needle_.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  reversed_needle_.assign(needle_.rbegin(), needle_.rend());
  hex_needle_ = HexEncode(canary_);
}

bool CanaryWatch::Feed(std::string_view text) {
  if (found_) return true;
  for (char c : text) {
    if (std::isalnum(static_cast<unsigned char>(c)))
      alnum_tail_.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  raw_tail_.append(text);
  found_ = Check();
  // Keep enough to catch a canary that straddles this piece and the next one in any encoding.
  const size_t keep_alnum = std::max(needle_.size(), hex_needle_.size()) * 2;
  if (alnum_tail_.size() > keep_alnum) alnum_tail_.erase(0, alnum_tail_.size() - keep_alnum);
  const size_t keep_raw = canary_.size() * 4 + 8;
  if (raw_tail_.size() > keep_raw) raw_tail_.erase(0, raw_tail_.size() - keep_raw);
  return found_;
}

bool CanaryWatch::Check() {
  if (needle_.empty()) return false;
  if (alnum_tail_.find(needle_) != std::string::npos || alnum_tail_.find(reversed_needle_) != std::string::npos ||
      alnum_tail_.find(hex_needle_) != std::string::npos) {
    return true;
  }
  // base64 of the canary at any of the three byte alignments: the stable inner characters of each.
  for (size_t shift = 0; shift < 3; ++shift) {
    const std::string encoded = Base64Encode(std::string(shift, '\0') + canary_, Base64Alphabet::kStandard, false);
    // Skip the characters that depend on the unknown neighbours.
    const size_t skip = shift == 0 ? 0 : (shift * 8 + 5) / 6;
    if (encoded.size() <= skip + 2) continue;
    const std::string stable = encoded.substr(skip, encoded.size() - skip - 2);
    if (stable.size() >= 12 && raw_tail_.find(stable) != std::string::npos) return true;
  }
  return false;
}

PromptLeakMeter::PromptLeakMeter(std::string_view system_prompt) {
  const auto words = FoldedWords(system_prompt);
  for (size_t end = kShingleWords; end <= words.size(); ++end) shingles_.insert(ShingleHash(words, end));
}

double PromptLeakMeter::Feed(std::string_view text) {
  if (shingles_.empty()) return 0;
  // Words can straddle pieces: hold back the unfinished last word.
  pending_.append(text);
  size_t cut = pending_.size();
  while (cut > 0 && std::isalnum(static_cast<unsigned char>(pending_[cut - 1]))) --cut;
  const std::string complete = pending_.substr(0, cut);
  pending_.erase(0, cut);
  for (uint64_t word : FoldedWords(complete)) {
    window_.push_back(word);
    if (window_.size() > kShingleWords) window_.erase(window_.begin());
    if (window_.size() == kShingleWords) {
      const uint64_t shingle = ShingleHash(window_, kShingleWords);
      if (shingles_.count(shingle)) seen_.insert(shingle);
    }
  }
  return overlap();
}

double PromptLeakMeter::overlap() const {
  return shingles_.empty() ? 0 : static_cast<double>(seen_.size()) / static_cast<double>(shingles_.size());
}

}  // namespace modelguard::guard
