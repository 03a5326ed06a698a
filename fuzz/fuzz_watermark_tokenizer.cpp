// `watermark detect --tokenizer`'s files (tokenizer.json, tiktoken ranks) and the text it then encodes. The
// first byte names the split pattern asked for (0: none, sniffed; 1 gpt2; 2 cl100k; 3 qwen2; modulo 4); up to
// the first NUL is the tokenizer file, after it the text. Every split pattern also splits the text alone.
#include <cstring>
#include <string_view>

#include "modelguard/core/io.h"
#include "modelguard/watermark/tokenizer.h"

namespace {

using modelguard::watermark::SplitPattern;
using modelguard::watermark::Tokenizer;

void CheckSplit(SplitPattern pattern, std::string_view text) {
  const auto pieces = Tokenizer::Split(pattern, text);
  if (pieces.ok() != modelguard::IsValidUtf8(text)) __builtin_trap();
  if (!pieces.ok()) return;
  size_t at = 0;
  for (const auto& [begin, end] : *pieces) {
    if (begin != at || end <= begin) __builtin_trap();
    at = end;
  }
  if (at != text.size()) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const std::string_view input(reinterpret_cast<const char*>(data) + 1, size - 1);
  const size_t nul = input.find('\0');
  const std::string_view file = input.substr(0, nul);
  const std::string_view text = nul == std::string_view::npos ? std::string_view() : input.substr(nul + 1);
  for (const auto pattern : {SplitPattern::kGpt2, SplitPattern::kCl100k, SplitPattern::kQwen2})
    CheckSplit(pattern, text);
  const int choice = data[0] % 4;
  const auto tokenizer =
      choice == 0 ? Tokenizer::FromBytes(file) : Tokenizer::FromBytes(file, static_cast<SplitPattern>(choice - 1));
  if (!tokenizer.ok()) {
    if (tokenizer.error().message.empty()) __builtin_trap();
    return 0;
  }
  if (tokenizer->vocab_size() == 0 || tokenizer->vocab_size() > modelguard::watermark::kMaxTokenizerId + 1)
    __builtin_trap();
  const auto ids = tokenizer->Encode(text);
  if (ids.ok() != modelguard::IsValidUtf8(text)) __builtin_trap();
  if (!ids.ok()) return 0;
  if (ids->empty() != text.empty()) __builtin_trap();
  for (const uint32_t id : *ids)
    if (id >= tokenizer->vocab_size()) __builtin_trap();
  return 0;
}
