#include "modelguard/core/io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <filesystem>

namespace modelguard {
namespace {

std::string SystemError(const std::string& what, const std::string& path) {
  return what + " '" + path + "': " + std::strerror(errno);
}

Status WriteAll(int fd, std::string_view bytes, const std::string& path) {
  size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return MakeError(ErrorCode::kIo, SystemError("cannot write", path));
    written += static_cast<size_t>(n);
  }
  return Ok{};
}

}  // namespace

Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes) {
  const bool standard_input = path == "-";
  const int fd = standard_input ? STDIN_FILENO : ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return MakeError(ErrorCode::kIo, SystemError("cannot read", path));
  struct Closer {
    int fd;
    bool owned;
    ~Closer() {
      if (owned) ::close(fd);
    }
  } closer{fd, !standard_input};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return MakeError(ErrorCode::kIo, SystemError("cannot read", path));
  if (S_ISDIR(st.st_mode)) return MakeError(ErrorCode::kIo, "'" + path + "' is a directory, not a file");
  std::string out;
  if (S_ISREG(st.st_mode) && static_cast<uint64_t>(st.st_size) <= max_bytes)
    out.reserve(static_cast<size_t>(st.st_size));
  char buffer[65536];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(ErrorCode::kIo, SystemError("cannot read", path));
    if (n == 0) break;
    if (out.size() + static_cast<size_t>(n) > max_bytes) {
      return MakeError(ErrorCode::kLimit,
                       "'" + path + "' is larger than the " + std::to_string(max_bytes) + " bytes this command reads");
    }
    out.append(buffer, static_cast<size_t>(n));
  }
  return out;
}

Status WriteFileAtomic(const std::string& path, std::string_view bytes) {
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) return MakeError(ErrorCode::kIo, "'" + path + "' is a directory");
  if (exists && !S_ISREG(st.st_mode)) {
    // A device, FIFO or terminal: there is nothing to replace, so write straight into it.
    const int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (fd < 0) return MakeError(ErrorCode::kIo, SystemError("cannot write", path));
    Status written = WriteAll(fd, bytes, path);
    if (::close(fd) != 0 && written) return MakeError(ErrorCode::kIo, SystemError("cannot write", path));
    return written;
  }
  const std::filesystem::path target(path);
  const std::string directory = target.has_parent_path() ? target.parent_path().string() : ".";
  // O_EXCL with mode 0666 lets the umask apply as it would to any new file (mkstemp would give 0600, and
  // reading the umask means changing it, which races with other threads).
  static std::atomic<uint64_t> counter{0};
  std::string temporary;
  int fd = -1;
  for (int attempt = 0; attempt < 100 && fd < 0; ++attempt) {
    temporary =
        (std::filesystem::path(directory) / ("." + target.filename().string() + "." + std::to_string(::getpid()) + "." +
                                             std::to_string(counter++) + ".tmp"))
            .string();
    fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
    if (fd < 0 && errno != EEXIST) break;
  }
  if (fd < 0) return MakeError(ErrorCode::kIo, SystemError("cannot create a file in", directory));
  Status status = WriteAll(fd, bytes, path);
  if (status && exists) ::fchmod(fd, st.st_mode & 07777);  // a replaced file keeps its permissions
  if (status && ::fsync(fd) != 0) status = MakeError(ErrorCode::kIo, SystemError("cannot flush", path));
  if (::close(fd) != 0 && status) status = MakeError(ErrorCode::kIo, SystemError("cannot write", path));
  if (status && ::rename(temporary.c_str(), path.c_str()) != 0) {
    status = MakeError(ErrorCode::kIo, SystemError("cannot replace", path));
  }
  if (!status) ::unlink(temporary.c_str());
  return status;
}

}  // namespace modelguard
