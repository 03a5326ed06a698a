// The guard's text normaliser and decoders on their own (fuzz_guard runs them behind every detector): one
// pass of folding (decomposition, case folding, homoglyphs, invisible characters) with its map back to the
// input, and the decoded views (base64, hex, URL escapes, rot13, leetspeak, Unicode tag smuggling). The map
// must stay inside the input and monotonic, every view must point into the input, and folding must be
// idempotent on its own output.
#include <cstdint>
#include <string_view>

#include "src/guard/normalize/normalize.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace modelguard::guard;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const NormalizedText n = Normalize(input);
  if (n.source.size() != n.folded.size() + 1) __builtin_trap();
  for (size_t i = 0; i < n.source.size(); ++i) {
    if (n.source[i] > size || (i > 0 && n.source[i] < n.source[i - 1])) __builtin_trap();
  }
  if (n.decoded.size() > kMaxViews) __builtin_trap();
  for (const auto& view : n.decoded) {
    if (view.source_begin > view.source_end || view.source_end > size) __builtin_trap();
  }
  const size_t a = size ? data[0] % (n.folded.size() + 1) : 0;
  const auto [begin, end] = n.SourceRange(a, n.folded.size());
  if (begin > end || end > size) __builtin_trap();
  (void)Fold(input);
  return 0;
}
