#pragma once
// Digests every module shares (OpenSSL 3 underneath). SHA-256 is fetched once per process and each thread
// keeps its own context: OpenSSL 3 looks an algorithm up again on every implicit fetch, which costs more
// than hashing a small body, and the gateway hashes on every audited request.
#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace modelguard {

using Sha256Digest = std::array<uint8_t, 32>;

Sha256Digest Sha256(std::string_view bytes);
std::string Sha256Hex(std::string_view bytes);  // 64 lower-case hex digits
// The digest as 32 raw bytes in a string (signature inputs, key hints).
std::string Sha256Bytes(std::string_view bytes);

enum class DigestKind { kSha256, kBlake2b512 };

// A digest over data that arrives in pieces (a streamed response, a file read in chunks).
class DigestStream {
 public:
  explicit DigestStream(DigestKind kind = DigestKind::kSha256);
  ~DigestStream();
  DigestStream(const DigestStream&) = delete;
  DigestStream& operator=(const DigestStream&) = delete;
  void Update(std::string_view bytes);
  // Ends the stream: the raw digest (32 or 64 bytes). Update after Finish starts nothing new.
  std::string Finish();
  std::string HexDigest();  // Finish(), as hex

 private:
  struct State;
  std::unique_ptr<State> state_;
};

}  // namespace modelguard
