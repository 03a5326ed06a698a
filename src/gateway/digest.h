#pragma once
// SHA-256 as lower-case hex: stored API keys, audit chain links and the body digests in audit events.
#include <openssl/sha.h>

#include <string>
#include <string_view>

namespace modelguard::gateway {

inline std::string Sha256Hex(std::string_view text) {
  unsigned char digest[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(text.data()), text.size(), digest);
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(2 * SHA256_DIGEST_LENGTH);
  for (unsigned char b : digest) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 15]);
  }
  return out;
}

}  // namespace modelguard::gateway
