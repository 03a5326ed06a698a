// `watermark detect`'s token files, then detection over what they held (small vocabulary, bounded length).
#include <algorithm>
#include <string_view>

#include "modelguard/watermark/watermark.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace modelguard::watermark;
  const auto sequences = ParseTokenSequences(std::string_view(reinterpret_cast<const char*>(data), size));
  if (!sequences.ok()) return 0;
  uint64_t total = 0;
  for (const auto& sequence : *sequences) {
    total += sequence.size();
    for (uint64_t id : sequence)
      if (id > UINT32_MAX) __builtin_trap();
  }
  if (total > kMaxTokens || sequences->empty()) __builtin_trap();
  GreenLists lists(Scheme{.vocab_size = 512, .gamma = 0.25, .hash_key = kReferenceHashKey});
  const auto& first = sequences->front();
  const auto detection = Detect(lists, std::span(first.data(), std::min<size_t>(first.size(), 4096)), {});
  if (detection.ok()) {
    if (detection->green > detection->scored || detection->scored + 1 > std::max<uint64_t>(detection->tokens, 1))
      __builtin_trap();
    for (const auto& span : detection->spans)
      if (span.begin >= span.end || span.end > detection->tokens) __builtin_trap();
  }
  return 0;
}
