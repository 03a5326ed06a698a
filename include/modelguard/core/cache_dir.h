#pragma once
// The per-user cache: derived data that is expensive to rebuild (compiled pattern databases) and safe to
// lose. Where it lives: $MODELGUARD_CACHE_DIR, else $XDG_CACHE_HOME/modelguard, else $HOME/.cache/modelguard;
// MODELGUARD_CACHE_DIR=off (or an empty value) turns it off. A cache someone else could write to would be
// a way to feed this process crafted data, so a directory or entry not owned by this user, or writable by
// group or others, is never read or written. Callers verify an entry's content themselves (a key and a
// digest inside it): any entry may be stale, truncated or corrupt, and then they rebuild it.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "modelguard/core/result.h"

namespace modelguard {

// The cache directory, created (mode 0700) if missing; nullopt when the cache is off or the directory is not
// safe to use (see above). `why`, when given, says why not.
std::optional<std::string> UserCacheDir(std::string* why = nullptr);

// The entry `name` (a plain file name, no slash) if it exists, is a regular file owned by this user and not
// writable by others, and is at most `max_bytes`; nullopt otherwise (nothing cached, or not trusted).
std::optional<std::string> ReadCacheEntry(std::string_view name, uint64_t max_bytes);

// Replaces the entry atomically (mode 0600). Errors say why; a caller may ignore them (a cache that cannot
// be written only costs the rebuild next time).
Status WriteCacheEntry(std::string_view name, std::string_view bytes);

}  // namespace modelguard
