#pragma once
// Whole-file reads with a size cap and atomic whole-file writes: what every command that reads a document
// or writes a result needs. Errors name the path and what the system said.
#include <cstdint>
#include <string>
#include <string_view>

#include "modelguard/core/result.h"

namespace modelguard {

inline constexpr uint64_t kDefaultMaxReadBytes = uint64_t{1} << 30;

// The whole file, or standard input for "-". A file (or stream) longer than `max_bytes` is a kLimit error,
// never a silently truncated read. Directories and unreadable paths are kIo errors.
Result<std::string> ReadFile(const std::string& path, uint64_t max_bytes = kDefaultMaxReadBytes);

// Replaces `path` with `bytes` so that readers see the old content or the new, never a part: a temporary file
// beside it, flushed to disk, then renamed over it (so writing a file onto itself is safe). Paths that are
// not regular files (/dev/stdout, a FIFO, /dev/full) are written in place, and every short write or failed
// flush is an error (a full disk is reported, not ignored).
Status WriteFileAtomic(const std::string& path, std::string_view bytes);

}  // namespace modelguard
