// The guard's pattern-cache entry reader (src/guard/patterns/pattern_set.cpp): every byte of an entry is
// checked before vectorscan sees its bytecode. The key the reader expects is taken from the input itself
// (bytes 8..39, where an entry keeps it) and the pattern count from its first byte, so the fuzzer gets past
// the key check to the count, flags, length and digest checks; a forged digest is out of its reach, as it
// is for an attacker.
#include <algorithm>
#include <cstring>

#include "modelguard/guard/pattern_set.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view entry(reinterpret_cast<const char*>(data), size);
  modelguard::Sha256Digest key{};
  if (size >= 40) std::memcpy(key.data(), data + 8, key.size());
  const size_t count = size > 0 ? data[0] % 8 : 0;
  const auto parsed = modelguard::guard::ParsePatternCacheEntry(entry, key, count);
  if (parsed) {
    // The reader promises these; a violation is a bug worth a crash report.
    if (parsed->exact_start.size() != count || parsed->bytecode.empty()) __builtin_trap();
    if (parsed->bytecode.data() < entry.data() ||
        parsed->bytecode.data() + parsed->bytecode.size() != entry.data() + entry.size())
      __builtin_trap();
  }
  return 0;
}
