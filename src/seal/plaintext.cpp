// Sealed files unsealed into memory (seal.h: PlaintextInMemory), for commands that read a model's plaintext
// without writing it to a disk.
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "modelguard/seal/seal.h"

namespace modelguard::seal {

PlaintextInMemory::PlaintextInMemory(PlaintextInMemory&& other) noexcept
    : data_(std::exchange(other.data_, "")),
      size_(std::exchange(other.size_, 0)),
      mapped_(std::exchange(other.mapped_, false)),
      header_(std::move(other.header_)) {}

PlaintextInMemory::~PlaintextInMemory() {
  if (mapped_) ::munmap(const_cast<char*>(data_), size_);
}

Result<PlaintextInMemory> UnsealToMemory(const std::string& input, const KeySource& key, uint64_t max_bytes,
                                         unsigned threads) {
  // The header's size is checked before the key is even unwrapped: a file claiming more than the caller
  // can hold is refused without work. The claim itself is authenticated once the key opens the file.
  MG_ASSIGN_OR_RETURN(const SealHeader claimed, ReadHeader(input));
  if (claimed.plaintext_size > max_bytes)
    return MakeError(ErrorCode::kLimit, "'" + input + "' holds " + std::to_string(claimed.plaintext_size) +
                                            " plaintext bytes, more than the " + std::to_string(max_bytes) +
                                            " this command unseals into memory");
  // A memfd, not a std::string: it can be larger than the address space's largest free run would allow a
  // heap block to grow by doubling, and its pages can go to swap under pressure, never to a file.
  const int fd = ::memfd_create("modelguard-unsealed", MFD_CLOEXEC);
  if (fd < 0) return MakeError(ErrorCode::kIo, std::string("cannot create a memory file: ") + std::strerror(errno));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  uint64_t written = 0;
  SealHeader header;
  MG_TRY(UnsealStream(
      input, key, threads,
      [&](std::string_view bytes) -> Status {
        if (written + bytes.size() > claimed.plaintext_size)
          return MakeError(ErrorCode::kInvalidArgument, "'" + input + "' holds more plaintext than its header says");
        while (!bytes.empty()) {
          const ssize_t n = ::write(fd, bytes.data(), bytes.size());
          if (n < 0 && errno == EINTR) continue;
          if (n <= 0)
            return MakeError(ErrorCode::kIo, std::string("cannot hold the plaintext in memory: ") +
                                                 (n < 0 ? std::strerror(errno) : "short write"));
          bytes.remove_prefix(static_cast<size_t>(n));
          written += static_cast<uint64_t>(n);
        }
        return Ok{};
      },
      &header));
  PlaintextInMemory plaintext;
  plaintext.header_ = std::move(header);
  if (written > 0) {
    void* mapped = ::mmap(nullptr, static_cast<size_t>(written), PROT_READ, MAP_SHARED, fd, 0);
    if (mapped == MAP_FAILED)
      return MakeError(ErrorCode::kIo, std::string("cannot map the plaintext: ") + std::strerror(errno));
    plaintext.data_ = static_cast<const char*>(mapped);
    plaintext.size_ = static_cast<size_t>(written);
    plaintext.mapped_ = true;
  }
  return plaintext;
}

}  // namespace modelguard::seal
