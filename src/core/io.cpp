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
  MG_ASSIGN_OR_RETURN(auto file, AtomicFile::Create(path));
  MG_TRY(file.Write(bytes));
  return file.Commit();
}

Result<AtomicFile> AtomicFile::Create(const std::string& path_given, std::optional<uint32_t> mode) {
  AtomicFile file;
  // Through a symbolic link the file it names is replaced, as a shell redirection writes through it; the
  // link stays a link.
  std::string path = path_given;
  struct stat link {};
  if (::lstat(path.c_str(), &link) == 0 && S_ISLNK(link.st_mode)) {
    std::error_code ec;
    const auto target = std::filesystem::weakly_canonical(path, ec);
    if (!ec) path = target.string();
  }
  file.path_ = path;
  file.mode_ = mode;
  struct stat st {};
  const bool exists = ::stat(path.c_str(), &st) == 0;
  if (exists && S_ISDIR(st.st_mode)) return MakeError(ErrorCode::kIo, "'" + path + "' is a directory");
  if (exists && !S_ISREG(st.st_mode)) {
    // A device, FIFO or terminal: there is nothing to replace, so write straight into it.
    file.fd_ = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
    if (file.fd_ < 0) return MakeError(ErrorCode::kIo, SystemError("cannot write", path));
    file.mode_.reset();  // never chmod a device
    return file;
  }
  if (exists && !mode) file.mode_ = st.st_mode & 07777;  // a replaced file keeps its permissions
  const std::filesystem::path target(path);
  const std::string directory = target.has_parent_path() ? target.parent_path().string() : ".";
  // O_EXCL with mode 0666 lets the umask apply as it would to any new file (mkstemp would give 0600, and
  // reading the umask means changing it, which races with other threads). A file of secrets starts
  // owner-only, so no other reader can open it before the chmod.
  static std::atomic<uint64_t> counter{0};
  const mode_t create_mode = mode ? 0600 : 0666;
  for (int attempt = 0; attempt < 100 && file.fd_ < 0; ++attempt) {
    file.temporary_ =
        (std::filesystem::path(directory) / ("." + target.filename().string() + "." + std::to_string(::getpid()) + "." +
                                             std::to_string(counter++) + ".tmp"))
            .string();
    file.fd_ = ::open(file.temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, create_mode);
    if (file.fd_ < 0 && errno != EEXIST) break;
  }
  if (file.fd_ < 0) {
    file.temporary_.clear();
    return MakeError(ErrorCode::kIo, SystemError("cannot create a file in", directory));
  }
  return file;
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)), temporary_(std::move(other.temporary_)), fd_(other.fd_), mode_(other.mode_) {
  other.fd_ = -1;
  other.temporary_.clear();
}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    Abandon();
    path_ = std::move(other.path_);
    temporary_ = std::move(other.temporary_);
    fd_ = other.fd_;
    mode_ = other.mode_;
    other.fd_ = -1;
    other.temporary_.clear();
  }
  return *this;
}

AtomicFile::~AtomicFile() { Abandon(); }

void AtomicFile::Abandon() {
  if (fd_ >= 0) ::close(fd_);
  fd_ = -1;
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
  temporary_.clear();
}

Status AtomicFile::Write(std::string_view bytes) {
  if (fd_ < 0) return MakeError(ErrorCode::kIo, "'" + path_ + "' is already closed");
  return WriteAll(fd_, bytes, path_);
}

Status AtomicFile::Commit() {
  if (fd_ < 0) return MakeError(ErrorCode::kIo, "'" + path_ + "' is already closed");
  Status status = Ok{};
  if (mode_ && ::fchmod(fd_, *mode_) != 0) status = MakeError(ErrorCode::kIo, SystemError("cannot chmod", path_));
  // fsync on a device or pipe may say EINVAL; only a file being replaced needs to reach the disk.
  if (status && !temporary_.empty() && ::fsync(fd_) != 0)
    status = MakeError(ErrorCode::kIo, SystemError("cannot flush", path_));
  const int closed = ::close(fd_);
  fd_ = -1;
  if (closed != 0 && status) status = MakeError(ErrorCode::kIo, SystemError("cannot write", path_));
  if (status && !temporary_.empty()) {
    if (::rename(temporary_.c_str(), path_.c_str()) != 0)
      status = MakeError(ErrorCode::kIo, SystemError("cannot replace", path_));
    else
      temporary_.clear();
  }
  Abandon();  // removes the temporary file when something failed
  return status;
}

std::string EscapeControlCharacters(std::string_view name) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(name.size());
  for (size_t i = 0; i < name.size(); ++i) {
    const char ch = name[i];
    const auto c = static_cast<unsigned char>(ch);
    // C1 controls spelled in UTF-8 (U+0080..U+009F, among them CSI U+009B) drive some terminals too.
    if (c == 0xc2 && i + 1 < name.size() && (static_cast<unsigned char>(name[i + 1]) & 0xe0) == 0x80) {
      const auto next = static_cast<unsigned char>(name[++i]);
      out += "\\u00";
      out += kHex[next >> 4];
      out += kHex[next & 0xf];
      continue;
    }
    switch (c) {
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out += ch;
        }
    }
  }
  return out;
}

}  // namespace modelguard
