#include "modelguard/core/io.h"

#include "modelguard/core/append_file.h"

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

// The length of the well-formed UTF-8 sequence at text[i] (RFC 3629: no overlong forms, no surrogates,
// nothing above U+10FFFF, as JSON requires), or 0 when none starts there.
size_t Utf8Length(std::string_view text, size_t i) {
  const auto c = static_cast<unsigned char>(text[i]);
  if (c < 0x80) return 1;
  size_t length = 0;
  unsigned char low = 0x80, high = 0xbf;  // the bounds of the second byte
  if (c >= 0xc2 && c <= 0xdf) {
    length = 2;
  } else if (c >= 0xe0 && c <= 0xef) {
    length = 3;
    if (c == 0xe0) low = 0xa0;
    if (c == 0xed) high = 0x9f;
  } else if (c >= 0xf0 && c <= 0xf4) {
    length = 4;
    if (c == 0xf0) low = 0x90;
    if (c == 0xf4) high = 0x8f;
  } else {
    return 0;
  }
  if (text.size() - i < length) return 0;
  for (size_t k = 1; k < length; ++k) {
    const auto b = static_cast<unsigned char>(text[i + k]);
    if (k == 1 ? (b < low || b > high) : (b & 0xc0) != 0x80) return 0;
  }
  return length;
}

// A fresh name beside the target, hidden and recognisable: ".NAME.PID.N.tmp".
std::string TemporaryName(const std::string& directory, const std::string& name) {
  static std::atomic<uint64_t> counter{0};
  return (std::filesystem::path(directory) /
          ("." + name + "." + std::to_string(::getpid()) + "." + std::to_string(counter++) + ".tmp"))
      .string();
}

// A rename or link is durable once the directory holding it reaches the disk.
Status SyncDirectory(const std::string& directory) {
  const int fd = ::open(directory.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  // A directory one may write but not read (mode -wx) cannot be opened to sync; the file is in place.
  if (fd < 0 && errno == EACCES) return Ok{};
  if (fd < 0) return MakeError(ErrorCode::kIo, SystemError("cannot open the directory", directory));
  // Some filesystems cannot sync a directory (EINVAL): nothing more can be done there.
  const bool synced = ::fsync(fd) == 0 || errno == EINVAL;
  const int error = errno;
  ::close(fd);
  errno = error;
  if (!synced) return MakeError(ErrorCode::kIo, SystemError("cannot flush the directory", directory));
  return Ok{};
}

}  // namespace

bool IsValidUtf8(std::string_view text) {
  for (size_t i = 0; i < text.size();) {
    const size_t length = Utf8Length(text, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

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

Result<std::string> ReadFilePrefix(const std::string& path, size_t bytes) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return MakeError(ErrorCode::kIo, SystemError("cannot read", path));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  struct stat st {};
  if (::fstat(fd, &st) != 0) return MakeError(ErrorCode::kIo, SystemError("cannot read", path));
  if (!S_ISREG(st.st_mode)) return MakeError(ErrorCode::kIo, "'" + path + "' is not a regular file");
  std::string out(bytes, '\0');
  size_t got = 0;
  while (got < bytes) {
    const ssize_t n = ::pread(fd, out.data() + got, bytes - got, static_cast<off_t>(got));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return MakeError(ErrorCode::kIo, SystemError("cannot read", path));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  out.resize(got);
  return out;
}

Status AppendToFile(const std::string& path, std::string_view bytes) {
  struct stat st {};
  if (::stat(path.c_str(), &st) == 0 && !S_ISREG(st.st_mode))
    return MakeError(ErrorCode::kIo, "'" + path + "' is not a regular file: nothing can be appended to it");
  const int fd = ::open(path.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NONBLOCK, 0666);
  if (fd < 0) return MakeError(ErrorCode::kIo, SystemError("cannot open", path));
  struct Closer {
    int fd;
    ~Closer() { ::close(fd); }
  } closer{fd};
  if (::fstat(fd, &st) != 0 || !S_ISREG(st.st_mode))  // replaced between the two looks
    return MakeError(ErrorCode::kIo, "'" + path + "' is not a regular file: nothing can be appended to it");
  const off_t start = st.st_size;
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) {
      const std::string why = SystemError("cannot append to", path);
      struct stat now {};
      if (done > 0 && ::fstat(fd, &now) == 0 && now.st_size == start + static_cast<off_t>(done))
        (void)!::ftruncate(fd, start);
      return MakeError(ErrorCode::kIo, why);
    }
    done += static_cast<size_t>(n);
  }
  if (::fsync(fd) != 0) return MakeError(ErrorCode::kIo, SystemError("cannot flush", path));
  return Ok{};
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
  file.directory_ = target.has_parent_path() ? target.parent_path().string() : ".";
  // O_EXCL (and O_TMPFILE) with mode 0666 lets the umask apply as it would to any new file (mkstemp would
  // give 0600, and reading the umask means changing it, which races with other threads). A file of secrets
  // starts owner-only, so no other reader can open it before the chmod.
  const mode_t create_mode = mode ? 0600 : 0666;
  // An unnamed file in the target's directory (Linux's O_TMPFILE): it has no name until Commit links it
  // in, so a writer killed mid-write (SIGKILL, a crash, the OOM killer) leaves nothing behind; the kernel
  // frees it with the last descriptor. Commit names it through /proc/self/fd, so that must be there.
  // Filesystems without O_TMPFILE say EOPNOTSUPP (kernels before 3.11 see O_DIRECTORY and say EISDIR or
  // EINVAL): those get a named temporary file, which a killed writer does leave behind.
  if (::access("/proc/self/fd", X_OK) == 0) {
    file.fd_ = ::open(file.directory_.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, create_mode);
    if (file.fd_ >= 0) {
      file.unnamed_ = true;
      return file;
    }
    if (errno != EOPNOTSUPP && errno != EISDIR && errno != EINVAL)
      return MakeError(ErrorCode::kIo, SystemError("cannot create a file in", file.directory_));
  }
  for (int attempt = 0; attempt < 100 && file.fd_ < 0; ++attempt) {
    file.temporary_ = TemporaryName(file.directory_, target.filename().string());
    file.fd_ = ::open(file.temporary_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, create_mode);
    if (file.fd_ < 0 && errno != EEXIST) break;
  }
  if (file.fd_ < 0) {
    file.temporary_.clear();
    return MakeError(ErrorCode::kIo, SystemError("cannot create a file in", file.directory_));
  }
  return file;
}

AtomicFile::AtomicFile(AtomicFile&& other) noexcept
    : path_(std::move(other.path_)),
      directory_(std::move(other.directory_)),
      temporary_(std::move(other.temporary_)),
      unnamed_(other.unnamed_),
      fd_(other.fd_),
      mode_(other.mode_) {
  other.fd_ = -1;
  other.temporary_.clear();
  other.unnamed_ = false;
}

AtomicFile& AtomicFile::operator=(AtomicFile&& other) noexcept {
  if (this != &other) {
    Abandon();
    path_ = std::move(other.path_);
    directory_ = std::move(other.directory_);
    temporary_ = std::move(other.temporary_);
    unnamed_ = other.unnamed_;
    fd_ = other.fd_;
    mode_ = other.mode_;
    other.fd_ = -1;
    other.temporary_.clear();
    other.unnamed_ = false;
  }
  return *this;
}

AtomicFile::~AtomicFile() { Abandon(); }

void AtomicFile::Abandon() {
  if (fd_ >= 0) ::close(fd_);  // an unnamed file is gone with its descriptor
  fd_ = -1;
  unnamed_ = false;
  if (!temporary_.empty()) ::unlink(temporary_.c_str());
  temporary_.clear();
}

Status AtomicFile::Write(std::string_view bytes) {
  if (fd_ < 0) return MakeError(ErrorCode::kIo, "'" + path_ + "' is already closed");
  return WriteAll(fd_, bytes, path_);
}

Status AtomicFile::WriteAt(uint64_t offset, std::string_view bytes) {
  if (fd_ < 0) return MakeError(ErrorCode::kIo, "'" + path_ + "' is already closed");
  if (!unnamed_ && temporary_.empty())
    return MakeError(ErrorCode::kIo, "'" + path_ + "' is not a regular file: its beginning cannot be rewritten");
  while (!bytes.empty()) {
    const ssize_t written = ::pwrite(fd_, bytes.data(), bytes.size(), static_cast<off_t>(offset));
    if (written < 0 && errno == EINTR) continue;
    if (written <= 0) return MakeError(ErrorCode::kIo, SystemError("cannot write", path_));
    bytes.remove_prefix(static_cast<size_t>(written));
    offset += static_cast<uint64_t>(written);
  }
  return Ok{};
}

Status AtomicFile::Commit() {
  if (fd_ < 0) return MakeError(ErrorCode::kIo, "'" + path_ + "' is already closed");
  const bool replacing = unnamed_ || !temporary_.empty();  // else a device, FIFO or terminal written in place
  Status status = Ok{};
  if (mode_ && ::fchmod(fd_, *mode_) != 0) status = MakeError(ErrorCode::kIo, SystemError("cannot chmod", path_));
  // fsync on a device or pipe may say EINVAL; only a file being replaced needs to reach the disk.
  if (status && replacing && ::fsync(fd_) != 0) status = MakeError(ErrorCode::kIo, SystemError("cannot flush", path_));
  if (status && unnamed_) status = Publish();
  const int closed = ::close(fd_);
  fd_ = -1;
  unnamed_ = false;
  if (closed != 0 && status) status = MakeError(ErrorCode::kIo, SystemError("cannot write", path_));
  if (status && !temporary_.empty()) {
    if (::rename(temporary_.c_str(), path_.c_str()) != 0)
      status = MakeError(ErrorCode::kIo, SystemError("cannot replace", path_));
    else
      temporary_.clear();
  }
  if (status && replacing) status = SyncDirectory(directory_);
  Abandon();  // removes the temporary file when something failed
  return status;
}

// Gives the unnamed file a name. linkat() never replaces an existing name (Linux has no flag for that),
// so a new file is linked straight at `path` (no other name ever exists), while a file being replaced is
// linked at a fresh temporary name and renamed over `path` by Commit: rename() is what keeps readers seeing
// the old content or the new, never neither. A kill in the two system calls between the link and the
// rename can leave that temporary name; before O_TMPFILE it existed for the whole write.
Status AtomicFile::Publish() {
  const std::string self = "/proc/self/fd/" + std::to_string(fd_);
  struct stat st {};
  if (::lstat(path_.c_str(), &st) != 0 && errno == ENOENT) {
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, path_.c_str(), AT_SYMLINK_FOLLOW) == 0) return Ok{};
    if (errno != EEXIST) return MakeError(ErrorCode::kIo, SystemError("cannot create", path_));
    // Created meanwhile by someone else: replaced, as it would have been had it been there before.
  }
  for (int attempt = 0; attempt < 100; ++attempt) {
    std::string name = TemporaryName(directory_, std::filesystem::path(path_).filename().string());
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) == 0) {
      temporary_ = std::move(name);
      return Ok{};
    }
    if (errno != EEXIST) break;
  }
  return MakeError(ErrorCode::kIo, SystemError("cannot create a file in", directory_));
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
        // Bytes that are not UTF-8 (a Latin-1 or binary name) are escaped too: a terminal would show
        // garbage or swallow them, and \xNN keeps the name exact.
        const size_t length = c < 0x80 ? 1 : Utf8Length(name, i);
        if (c < 0x20 || c == 0x7f || length == 0) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 0xf];
        } else {
          out.append(name.substr(i, length));
          i += length - 1;
        }
    }
  }
  return out;
}

}  // namespace modelguard
