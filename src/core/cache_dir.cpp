#include "modelguard/core/cache_dir.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "modelguard/core/io.h"

namespace modelguard {
namespace {

// Owned by this user and not writable by anyone else: what another user could have planted or changed is
// never trusted.
bool OwnedAndPrivate(const struct stat& info) {
  return info.st_uid == ::geteuid() && (info.st_mode & (S_IWGRP | S_IWOTH)) == 0;
}

bool PlainName(std::string_view name) {
  return !name.empty() && name != "." && name != ".." && name.find('/') == std::string_view::npos &&
         name.find('\0') == std::string_view::npos;
}

}  // namespace

std::optional<std::string> UserCacheDir(std::string* why) {
  const auto refuse = [why](std::string reason) -> std::optional<std::string> {
    if (why) *why = std::move(reason);
    return std::nullopt;
  };
  std::string dir;
  if (const char* configured = std::getenv("MODELGUARD_CACHE_DIR")) {
    if (*configured == '\0' || std::strcmp(configured, "off") == 0) return refuse("the cache is off");
    dir = configured;
  } else if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg && *xdg == '/') {
    dir = std::string(xdg) + "/modelguard";
  } else if (const char* home = std::getenv("HOME"); home && *home == '/') {
    dir = std::string(home) + "/.cache/modelguard";
  } else {
    return refuse("no cache directory: set MODELGUARD_CACHE_DIR or HOME");
  }
  // The parent of the default location may not exist yet (a fresh account has no ~/.cache).
  if (!std::getenv("MODELGUARD_CACHE_DIR")) {
    const std::string parent = dir.substr(0, dir.rfind('/'));
    if (::mkdir(parent.c_str(), 0700) != 0 && errno != EEXIST) return refuse("cannot create " + parent);
  }
  if (::mkdir(dir.c_str(), 0700) != 0 && errno != EEXIST) return refuse("cannot create " + dir);
  struct stat info {};
  if (::lstat(dir.c_str(), &info) != 0) return refuse("cannot read " + dir);
  if (!S_ISDIR(info.st_mode)) return refuse(dir + " is not a directory");
  if (!OwnedAndPrivate(info)) return refuse(dir + " is not owned by this user or is writable by others");
  return dir;
}

std::optional<std::string> ReadCacheEntry(std::string_view name, uint64_t max_bytes) {
  if (!PlainName(name)) return std::nullopt;
  const auto dir = UserCacheDir();
  if (!dir) return std::nullopt;
  const std::string path = *dir + "/" + std::string(name);
  // No symbolic link is followed, and the checks are made on the file actually opened.
  const int fd = ::open(path.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  struct stat info {};
  const bool trusted = ::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && OwnedAndPrivate(info) &&
                       static_cast<uint64_t>(info.st_size) <= max_bytes;
  std::string bytes;
  if (trusted) {
    bytes.resize(static_cast<size_t>(info.st_size));
    size_t done = 0;
    while (done < bytes.size()) {
      const ssize_t got = ::read(fd, bytes.data() + done, bytes.size() - done);
      if (got < 0 && errno == EINTR) continue;
      if (got <= 0) break;
      done += static_cast<size_t>(got);
    }
    bytes.resize(done);  // a file cut short meanwhile reads short: its own checks reject it
  }
  ::close(fd);
  if (!trusted) return std::nullopt;
  return bytes;
}

Status WriteCacheEntry(std::string_view name, std::string_view bytes) {
  if (!PlainName(name)) return MakeError(ErrorCode::kInvalidArgument, "cache entry names are plain file names");
  std::string why;
  const auto dir = UserCacheDir(&why);
  if (!dir) return MakeError(ErrorCode::kIo, why);
  MG_ASSIGN_OR_RETURN(auto file, AtomicFile::Create(*dir + "/" + std::string(name), 0600));
  MG_TRY(file.Write(bytes));
  return file.Commit();
}

}  // namespace modelguard
