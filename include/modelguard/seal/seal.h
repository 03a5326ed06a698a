#pragma once
// Sealed model files: a model encrypted at rest under a random data key, the data key wrapped by a key the
// operator holds (a key file, a passphrase, or an external key service reached through a command).
//
// Layout (all integers little-endian):
//   "MGSEAL1\n"                        8 bytes
//   header length H                    4 bytes, at most kMaxHeaderBytes
//   header                             H bytes of JSON (SealHeader: format, cipher, chunk size, salt,
//                                      plaintext size and SHA-256, optional manifest digest, key slot)
//   header MAC                         32 bytes: HMAC-SHA256 under HKDF(data key, salt, "...header")
//                                      over everything before it
//   chunks                             the plaintext in chunk_size pieces (one empty piece for an empty
//                                      file), each AES-256-GCM under HKDF(data key, salt, "...payload")
//                                      with the nonce: chunk index in 11 bytes big-endian, then 1 for the
//                                      last chunk and 0 for the others; ciphertext then the 16-byte tag.
// So every header field is authenticated (the MAC), every chunk is bound to its file (the key), its place
// (the index) and the end (the last flag): flipped bits, truncation, reordering, chunks from another file
// and an edited header all fail. The data key is wrapped with AES-256-GCM under the key-encryption key,
// with the key slot's other fields as associated data; re-keying rewrites only the slot and the MAC.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::seal {

inline constexpr char kMagic[8] = {'M', 'G', 'S', 'E', 'A', 'L', '1', '\n'};
inline constexpr uint32_t kMaxHeaderBytes = 64 * 1024;
inline constexpr uint64_t kDefaultChunkSize = uint64_t{1} << 20;
inline constexpr uint64_t kMinChunkSize = 4096, kMaxChunkSize = uint64_t{64} << 20;
inline constexpr size_t kTagBytes = 16;

// How the data key is wrapped.
struct KeySlot {
  std::string kind;                             // "file", "passphrase" or "command"
  std::string key_id;                           // file: 16 hex digits naming the key (not secret); else empty
  uint64_t argon2_ops = 0, argon2_mem_kib = 0;  // passphrase: Argon2id's cost
  std::string argon2_salt;                      // passphrase: 32 hex digits
  std::string wrapped;  // file and passphrase: hex of nonce, wrapped key and tag; command: its text
};

struct SealHeader {
  uint64_t chunk_size = kDefaultChunkSize;
  std::string salt;  // 64 hex digits, random per file
  uint64_t plaintext_size = 0;
  std::string plaintext_sha256;                // 64 hex digits
  std::optional<std::string> manifest_sha256;  // the model-signing manifest's digest, when given
  KeySlot key;
  uint64_t Chunks() const;  // max(1, ceil(plaintext_size / chunk_size))
};

// How a key slot's kind reads in messages: "key file", "passphrase", "key command".
std::string KeyKindName(std::string_view kind);

// Whether `prefix` (the first bytes of a file) starts like a sealed file.
bool LooksSealed(std::string_view prefix);
// The sealed files at `path` (a file, or the regular files under a directory, symbolic links not followed),
// at most `limit` of them, relative to `path` ("" for `path` itself). For commands that read bytes (hash,
// verify): a digest of a sealed file is the ciphertext's, never the model's, and they say so. Files that
// cannot be opened are skipped: the command reading them reports that itself.
std::vector<std::string> SealedFilesAt(const std::string& path, size_t limit = 8);

// The key-encryption key, from where the operator keeps it.
struct KeySource {
  std::string key_file;     // 32 random bytes as 64 hex digits; refused when group or others can read it
  std::string passphrase;   // Argon2id (libsodium) makes the key
  std::string key_command;  // run by /bin/sh: "wrap" or "unwrap" in MODELGUARD_SEAL_OPERATION, input on
                            // standard input, result on standard output (see docs/seal.md)
};

// Writes a new key file (mode 0600): 32 random bytes as hex. Refuses to replace an existing file.
Status GenerateKeyFile(const std::string& path);

struct SealOptions {
  uint64_t chunk_size = kDefaultChunkSize;
  std::optional<std::string> manifest_sha256;
  unsigned threads = 0;  // 0: every core
  // Passphrase cost (libsodium's "moderate": 3 passes over 256 MiB). Tests lower it.
  uint64_t argon2_ops = 3, argon2_mem_kib = 256 * 1024;
};

struct SealSummary {
  SealHeader header;
  uint64_t sealed_bytes = 0;
};

// Seals the regular file `input` into `output` (replaced atomically; never the input itself).
Result<SealSummary> SealFile(const std::string& input, const std::string& output, const KeySource& key,
                             const SealOptions& options);

// Reads and checks a sealed file's header (not its MAC, which needs the data key).
Result<SealHeader> ReadHeader(const std::string& path);

// Unseals `input`, giving the plaintext to `consume` in order, each chunk only once it authenticated; the
// plaintext's SHA-256 is checked against the header at the end. An error means the file was altered,
// truncated or sealed under another key: what `consume` received must then be discarded.
Status UnsealStream(const std::string& input, const KeySource& key, unsigned threads,
                    const std::function<Status(std::string_view)>& consume, SealHeader* header = nullptr);
// A sealed file's plaintext held in anonymous memory (a memfd: in RAM or swap, never in a file system) and
// mapped read-only, for reading a sealed model without writing its plaintext anywhere (scan with a key).
class PlaintextInMemory {
 public:
  PlaintextInMemory() = default;
  PlaintextInMemory(PlaintextInMemory&& other) noexcept;
  PlaintextInMemory& operator=(PlaintextInMemory&&) = delete;
  PlaintextInMemory(const PlaintextInMemory&) = delete;
  ~PlaintextInMemory();
  std::string_view bytes() const { return {data_, size_}; }
  const SealHeader& header() const { return header_; }

 private:
  friend Result<PlaintextInMemory> UnsealToMemory(const std::string&, const KeySource&, uint64_t, unsigned);
  const char* data_ = "";
  size_t size_ = 0;
  bool mapped_ = false;
  SealHeader header_;
};
// Unseals `input` into memory; a plaintext over `max_bytes` (from the header, before any work) is a kLimit
// error, since it would take that much memory.
Result<PlaintextInMemory> UnsealToMemory(const std::string& input, const KeySource& key, uint64_t max_bytes,
                                         unsigned threads = 0);

// Unseals into `output` (replaced atomically, so a failed unseal leaves no partial plaintext).
Result<SealHeader> UnsealFile(const std::string& input, const std::string& output, const KeySource& key,
                              unsigned threads = 0);

// Re-wraps the data key under `new_key` and rewrites the header; the chunks are copied as they are.
Result<SealHeader> Rekey(const std::string& input, const std::string& output, const KeySource& old_key,
                         const KeySource& new_key, const SealOptions& options);

// Building blocks, public for the known-answer tests against an independent AES-GCM (tests/seal).
std::string DeriveKey(std::string_view data_key, std::string_view salt, std::string_view purpose);
std::string ChunkNonce(uint64_t index, bool last);
Result<SealHeader> ParseHeaderJson(std::string_view json);
std::string HeaderJson(const SealHeader& header);

}  // namespace modelguard::seal
