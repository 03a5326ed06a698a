#include "modelguard/core/random.h"

#include <openssl/rand.h>

#include <algorithm>
#include <climits>

namespace modelguard {

Status SecureRandomBytes(std::span<uint8_t> out) {
  // RAND_bytes takes an int length: large requests go in pieces.
  for (size_t done = 0; done < out.size();) {
    const size_t piece = std::min<size_t>(out.size() - done, INT_MAX);
    if (RAND_bytes(out.data() + done, static_cast<int>(piece)) != 1)
      return MakeError(ErrorCode::kIo, "OpenSSL's random generator failed (not seeded?)");
    done += piece;
  }
  return Ok{};
}

Result<uint64_t> SecureRandomU64() {
  uint8_t bytes[8];
  MG_TRY(SecureRandomBytes(bytes));
  uint64_t value = 0;
  for (uint8_t b : bytes) value = value << 8 | b;
  return value;
}

}  // namespace modelguard
