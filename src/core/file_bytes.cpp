#include "modelguard/core/file_bytes.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

namespace modelguard {
namespace {

constexpr size_t kReadInsteadOfMapBelow = 1 << 20;  // small files: one read() beats mmap+munmap+faults

}  // namespace

std::string SpecialFileType(mode_t mode) {
  if (S_ISFIFO(mode)) return "FIFO (named pipe)";
  if (S_ISSOCK(mode)) return "socket";
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  if (S_ISDIR(mode)) return "directory";
  return "special file";
}

Result<FileBytes> FileBytes::Open(const std::string& path) {
  // O_NONBLOCK makes opening a FIFO return at once instead of waiting for a writer; it changes nothing for
  // regular files.
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return MakeError(ErrorCode::kIo, "cannot open '" + path + "': " + std::strerror(errno));
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    const int error = errno;
    ::close(fd);
    return MakeError(ErrorCode::kIo, "cannot stat '" + path + "': " + std::strerror(error));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return MakeError(ErrorCode::kUnsupported, SpecialFileType(st.st_mode));
  }
  FileBytes f;
  f.size_ = static_cast<size_t>(st.st_size);
  if (f.size_ > 0 && f.size_ < kReadInsteadOfMapBelow) {
    f.buffer_.resize(f.size_);
    size_t got = 0;
    while (got < f.size_) {
      const ssize_t n = ::read(fd, f.buffer_.data() + got, f.size_ - got);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      got += static_cast<size_t>(n);
    }
    f.size_ = got;  // a file that shrank while we read it is read as it now is
    f.data_ = f.buffer_.data();
  } else if (f.size_ > 0) {
    void* p = ::mmap(nullptr, f.size_, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED) {
      const int error = errno;
      ::close(fd);
      return MakeError(ErrorCode::kIo, "cannot map '" + path + "': " + std::strerror(error));
    }
    f.data_ = static_cast<const uint8_t*>(p);
    f.mapped_ = true;
  }
  ::close(fd);
  return f;
}

FileBytes::FileBytes(FileBytes&& o) noexcept
    : buffer_(std::move(o.buffer_)),
      data_(std::exchange(o.data_, nullptr)),
      size_(std::exchange(o.size_, 0)),
      mapped_(std::exchange(o.mapped_, false)) {
  if (!mapped_ && size_ > 0) data_ = buffer_.data();
}

FileBytes::~FileBytes() {
  if (mapped_) ::munmap(const_cast<uint8_t*>(data_), size_);
}

}  // namespace modelguard
