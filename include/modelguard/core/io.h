#pragma once
// Whole-file reads with a size cap and atomic whole-file writes: what every command that reads a document
// or writes a result needs. Errors name the path and what the system said.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "modelguard/core/result.h"

namespace modelguard {

inline constexpr uint64_t kDefaultMaxReadBytes = uint64_t{1} << 30;

// The whole file, or standard input for "-". A file (or stream) longer than `max_bytes` is a kLimit error,
// never a silently truncated read. Directories and unreadable paths are kIo errors.
Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes = kDefaultMaxReadBytes);
// At most the first `bytes` bytes of a regular file (fewer when it is shorter): for sniffing what a file is.
// Opened without blocking, so a FIFO swapped in for the file does not hang; anything but a regular file
// is a kIo error.
Result<std::string> ReadFilePrefix(const std::string& path, size_t bytes);

// Replaces `path` with `bytes` so that readers see the old content or the new, never a part: a temporary file
// in its directory (unnamed where the system allows, see AtomicFile), flushed to disk, then put in its place
// (so writing a file onto itself is safe). Paths that are not regular files (/dev/stdout, a FIFO, /dev/full)
// are written in place, and every short write or failed flush is an error (a full disk is reported, not
// ignored).
Status WriteFileAtomic(const std::string& path, std::string_view bytes);

// WriteFileAtomic in pieces, for results written as they are produced: Write() goes to a temporary file
// in the directory of `path`, Commit() flushes it to disk, puts it in place of `path` and flushes the
// directory. Destroyed without a successful Commit (an error, an early return), the temporary file is
// removed and `path` keeps its old content. On Linux the temporary file is unnamed (O_TMPFILE) until the
// commit, so even a writer killed mid-write leaves no file behind; filesystems without O_TMPFILE get a
// named ".NAME.PID.N.tmp", which only a kill can leave.
// Devices, FIFOs and terminals are written in place, as WriteFileAtomic does; through a symbolic link, the
// file it names is replaced and the link kept.
class AtomicFile {
 public:
  // `mode`: the permission bits of the result whatever the umask or the replaced file had (0600 for a
  // file of secrets); unset, a new file gets 0666 less the umask and a replaced file keeps its bits.
  static Result<AtomicFile> Create(const std::string& path, std::optional<uint32_t> mode = std::nullopt);
  AtomicFile(AtomicFile&& other) noexcept;
  AtomicFile& operator=(AtomicFile&& other) noexcept;
  AtomicFile(const AtomicFile&) = delete;
  AtomicFile& operator=(const AtomicFile&) = delete;
  ~AtomicFile();

  // Every short write is an error naming the path (a full disk is reported, not ignored).
  Status Write(std::string_view bytes);
  // Overwrites bytes already written at `offset` (a header completed after the body); an error when the
  // target is written in place and cannot seek (a device, FIFO or terminal).
  Status WriteAt(uint64_t offset, std::string_view bytes);
  Status Commit();
  const std::string& path() const { return path_; }

 private:
  AtomicFile() = default;
  void Abandon();
  Status Publish();
  std::string path_;
  std::string directory_;
  std::string temporary_;  // a named temporary file (empty: unnamed, or written in place)
  bool unnamed_ = false;   // an O_TMPFILE file, named only at the commit
  int fd_ = -1;
  std::optional<uint32_t> mode_;
};

// `name` (a file name, a path) made safe to print in text meant for a terminal or a line-oriented log:
// C0 control characters and DEL become escapes (\n, \t, \r, \x1b, ...), the UTF-8 C1 controls \u0080..\u009f,
// and a backslash is doubled, so an escape sequence in a name can neither drive the terminal nor forge a line.
// Bytes that are not well-formed UTF-8 become \xNN as well (the result is always UTF-8 and still names
// exactly one name). Every text reporter prints names through this; JSON and SARIF keep the exact name
// (their own escaping is lossless).
std::string EscapeControlCharacters(std::string_view name);

// Whether `text` is well-formed UTF-8 (RFC 3629: no overlong forms, surrogates or code points above
// U+10FFFF), which a JSON string needs: nlohmann's dump() throws on anything else.
bool IsValidUtf8(std::string_view text);

}  // namespace modelguard
