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

// Non-cryptographic hashes for in-memory tables (duplicate fingerprints, n-gram counts, MinHash): fast and
// stable across runs, never for anything an attacker must not collide.
inline constexpr uint64_t kFnv1aOffset = 0xcbf29ce484222325ull;
// 64-bit FNV-1a of `bytes`, continuing from `seed` (chain calls to hash several pieces).
inline uint64_t Fnv1a64(std::string_view bytes, uint64_t seed = kFnv1aOffset) {
  for (unsigned char c : bytes) {
    seed ^= c;
    seed *= 0x100000001b3ull;
  }
  return seed;
}
// SplitMix64's finaliser (Steele, Lea, Flood 2014): spreads every input bit over the output.
inline uint64_t Mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

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
