#include "modelguard/guard/pattern_set.h"

#include <hs/hs.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "modelguard/core/bytes.h"
#include "modelguard/core/cache_dir.h"
#include "modelguard/core/hash.h"

namespace modelguard::guard {
namespace {

// Compiling the guard's databases is most of its start-up (about 0.6 s of a 0.7 s start), so a compiled set
// is kept in the user cache (core/cache_dir.h) under a key naming everything the bytecode depends on:
// vectorscan's version, the CPU features it compiled for, the mode, every pattern and its flags. An entry:
//   "MGHSDB1\n" | key (32) | pattern count (8, LE) | exact-start flag per pattern (count bytes)
//   | bytecode length (8, LE) | SHA-256 of the bytecode (32) | bytecode
// Anything that does not match exactly (another key, a short or long file, a changed byte) is ignored and
// the set compiled and stored again; the digest is checked before vectorscan sees a byte of it.
constexpr std::string_view kCacheMagic = "MGHSDB1\n";
constexpr uint64_t kMaxCacheEntryBytes = uint64_t{256} << 20;

Sha256Digest CacheKey(const std::vector<PatternSpec>& specs, bool utf8, bool exact_starts) {
  DigestStream key;
  const auto field = [&key](std::string_view bytes) {
    const uint64_t size = bytes.size();
    key.Update(std::string_view(reinterpret_cast<const char*>(&size), sizeof size));
    key.Update(bytes);
  };
  field(kCacheMagic);
  field(hs_version());
  hs_platform_info_t platform{};
  if (hs_populate_platform(&platform) == HS_SUCCESS) {
    field(std::to_string(platform.tune) + "/" + std::to_string(platform.cpu_features));
  }
  field(utf8 ? "utf8" : "bytes");
  field(exact_starts ? "exact" : "approximate");
  for (const PatternSpec& spec : specs) {
    field(spec.expression);
    field(spec.caseless ? "i" : "");
    field(spec.multiline ? "m" : "");
  }
  Sha256Digest out{};
  const std::string digest = key.Finish();
  std::memcpy(out.data(), digest.data(), std::min(digest.size(), out.size()));
  return out;
}

void AppendLe64(std::string& out, uint64_t value) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((value >> (8 * i)) & 0xFF);
}

uint64_t ReadLe64(std::string_view bytes) {
  uint64_t value = 0;
  for (int i = 7; i >= 0; --i) value = value << 8 | static_cast<uint8_t>(bytes[static_cast<size_t>(i)]);
  return value;
}

}  // namespace

std::optional<CachedPatternSet> ParsePatternCacheEntry(std::string_view entry, const Sha256Digest& key, size_t count) {
  std::string_view rest = entry;
  const auto take = [&rest](size_t n, std::string_view& out) {
    if (rest.size() < n) return false;
    out = rest.substr(0, n);
    rest.remove_prefix(n);
    return true;
  };
  std::string_view magic, stored_key, stored_count, flags, length, digest;
  if (!take(kCacheMagic.size(), magic) || magic != kCacheMagic) return std::nullopt;
  if (!take(key.size(), stored_key) || std::memcmp(stored_key.data(), key.data(), key.size()) != 0) return std::nullopt;
  if (!take(8, stored_count) || ReadLe64(stored_count) != count) return std::nullopt;
  if (!take(count, flags)) return std::nullopt;
  if (!take(8, length) || ReadLe64(length) != rest.size() - std::min<size_t>(rest.size(), 32)) return std::nullopt;
  if (!take(32, digest) || rest.empty()) return std::nullopt;
  const Sha256Digest actual = Sha256(rest);
  if (std::memcmp(actual.data(), digest.data(), actual.size()) != 0) return std::nullopt;
  CachedPatternSet out;
  for (const char flag : flags) {
    if (flag != 0 && flag != 1) return std::nullopt;
    out.exact_start.push_back(flag == 1);
  }
  out.bytecode = rest;
  return out;
}

namespace {

std::string PatternCacheEntry(const Sha256Digest& key, const std::vector<bool>& exact_start,
                              std::string_view bytecode) {
  std::string entry(kCacheMagic);
  entry.append(reinterpret_cast<const char*>(key.data()), key.size());
  AppendLe64(entry, exact_start.size());
  for (const bool exact : exact_start) entry += static_cast<char>(exact ? 1 : 0);
  AppendLe64(entry, bytecode.size());
  const Sha256Digest digest = Sha256(bytecode);
  entry.append(reinterpret_cast<const char*>(digest.data()), digest.size());
  entry.append(bytecode);
  return entry;
}

std::string CacheEntryName(const Sha256Digest& key) {
  return "patterns-" + HexEncode(std::string_view(reinterpret_cast<const char*>(key.data()), key.size())) + ".hsdb";
}

struct Collector {
  std::vector<PatternMatch> matches;
  bool truncated = false;
};

int OnMatch(unsigned int id, unsigned long long from, unsigned long long to, unsigned int, void* context) {
  auto* collector = static_cast<Collector*>(context);
  if (collector->matches.size() >= kMaxMatchesPerScan) {
    collector->truncated = true;
    return 1;  // stop scanning
  }
  collector->matches.push_back(PatternMatch{id, static_cast<size_t>(from), static_cast<size_t>(to)});
  return 0;
}

}  // namespace

Result<std::shared_ptr<const PatternSet>> PatternSet::Adopt(hs_database_t* database, std::vector<bool> exact_start,
                                                            bool from_cache) {
  std::shared_ptr<PatternSet> set(new PatternSet());
  set->database_ = database;  // freed by the destructor from here on, whatever happens next
  set->count_ = exact_start.size();
  set->exact_start_ = std::move(exact_start);
  set->from_cache_ = from_cache;
  if (hs_alloc_scratch(database, &set->prototype_) != HS_SUCCESS)
    return MakeError(ErrorCode::kLimit, "pattern set: cannot allocate scratch space");
  return std::shared_ptr<const PatternSet>(std::move(set));
}

Result<std::shared_ptr<const PatternSet>> PatternSet::Compile(const std::vector<PatternSpec>& specs, bool utf8,
                                                              bool exact_starts) {
  if (specs.empty()) return MakeError(ErrorCode::kInvalidArgument, "no patterns to compile");
  const Sha256Digest key = CacheKey(specs, utf8, exact_starts);
  const std::string name = CacheEntryName(key);
  if (const auto entry = ReadCacheEntry(name, kMaxCacheEntryBytes)) {
    if (auto cached = ParsePatternCacheEntry(*entry, key, specs.size())) {
      hs_database_t* database = nullptr;
      if (hs_deserialize_database(cached->bytecode.data(), cached->bytecode.size(), &database) == HS_SUCCESS) {
        if (auto set = Adopt(database, std::move(cached->exact_start), true)) return set;
      }
    }
  }
  MG_ASSIGN_OR_RETURN(auto set, CompileUncached(specs, utf8, exact_starts));
  char* bytecode = nullptr;
  size_t length = 0;
  if (hs_serialize_database(set->database_, &bytecode, &length) == HS_SUCCESS) {
    // A cache that cannot be written (read-only home, full disk) costs only the next start's compile.
    (void)WriteCacheEntry(name, PatternCacheEntry(key, set->exact_start_, std::string_view(bytecode, length)));
    std::free(bytecode);  // vectorscan's default allocator is malloc
  }
  return set;
}

Result<std::shared_ptr<const PatternSet>> PatternSet::CompileUncached(const std::vector<PatternSpec>& specs, bool utf8,
                                                                      bool exact_starts) {
  std::vector<const char*> expressions;
  std::vector<unsigned> ids;
  std::vector<bool> exact_start(specs.size(), exact_starts);
  for (size_t i = 0; i < specs.size(); ++i) {
    expressions.push_back(specs[i].expression.c_str());
    ids.push_back(static_cast<unsigned>(i));
  }
  // Start-of-match tracking makes some patterns too large; those are retried without it, one at a time.
  for (size_t attempt = 0; attempt <= specs.size(); ++attempt) {
    std::vector<unsigned> flags;
    for (size_t i = 0; i < specs.size(); ++i) {
      flags.push_back((exact_start[i] ? HS_FLAG_SOM_LEFTMOST : 0u) | (utf8 ? HS_FLAG_UTF8 : 0u) | HS_FLAG_DOTALL |
                      (specs[i].caseless ? HS_FLAG_CASELESS : 0u) | (specs[i].multiline ? HS_FLAG_MULTILINE : 0u));
    }
    hs_database_t* database = nullptr;
    hs_compile_error_t* error = nullptr;
    if (hs_compile_multi(expressions.data(), flags.data(), ids.data(), static_cast<unsigned>(specs.size()),
                         HS_MODE_BLOCK, nullptr, &database, &error) == HS_SUCCESS) {
      return Adopt(database, std::move(exact_start), false);
    }
    const std::string message = error && error->message ? error->message : "unknown error";
    const int at = error ? error->expression : -1;
    hs_free_compile_error(error);
    // Only where the caller accepts approximate starts: redaction must never cut at a guessed offset.
    if (!exact_starts && at >= 0 && static_cast<size_t>(at) < specs.size() && exact_start[static_cast<size_t>(at)] &&
        message.find("too large") != std::string::npos) {
      exact_start[static_cast<size_t>(at)] = false;
      continue;
    }
    if (at >= 0 && static_cast<size_t>(at) < specs.size()) {
      return MakeError(ErrorCode::kParse, "pattern " + std::to_string(at) + " (" +
                                              specs[static_cast<size_t>(at)].expression + "): " + message);
    }
    return MakeError(ErrorCode::kParse, "pattern set: " + message);
  }
  return MakeError(ErrorCode::kParse, "pattern set: cannot be compiled");
}

PatternSet::~PatternSet() {
  for (hs_scratch_t* scratch : idle_scratch_) hs_free_scratch(scratch);
  if (prototype_) hs_free_scratch(prototype_);
  if (database_) hs_free_database(database_);
}

hs_scratch_t* PatternSet::TakeScratch() const {
  {
    std::lock_guard lock(scratch_mutex_);
    if (!idle_scratch_.empty()) {
      hs_scratch_t* scratch = idle_scratch_.back();
      idle_scratch_.pop_back();
      return scratch;
    }
  }
  hs_scratch_t* scratch = nullptr;
  return hs_clone_scratch(prototype_, &scratch) == HS_SUCCESS ? scratch : nullptr;
}

void PatternSet::ReturnScratch(hs_scratch_t* scratch) const {
  std::lock_guard lock(scratch_mutex_);
  idle_scratch_.push_back(scratch);
}

std::vector<PatternMatch> PatternSet::Scan(std::string_view text, bool* truncated) const {
  Collector collector;
  hs_scratch_t* scratch = TakeScratch();
  if (!scratch) {
    if (truncated) *truncated = true;  // out of memory: say the scan is incomplete rather than clean
    return {};
  }
  // vectorscan takes an unsigned int length; the guard caps its inputs far below that.
  const auto length = static_cast<unsigned>(std::min<size_t>(text.size(), 0xFFFFFFFFu));
  hs_scan(database_, text.data(), length, 0, scratch, OnMatch, &collector);
  ReturnScratch(scratch);
  if (truncated) *truncated = collector.truncated;
  // Every end position of every pattern was reported; keep, per pattern, the longest match at each
  // leftmost start and drop the ones inside it.
  auto& all = collector.matches;
  for (auto& match : all) {
    if (!exact_start_[match.pattern])
      match.begin = match.end > kApproximateMatchSpan ? match.end - kApproximateMatchSpan : 0;
  }
  std::sort(all.begin(), all.end(), [](const PatternMatch& a, const PatternMatch& b) {
    if (a.pattern != b.pattern) return a.pattern < b.pattern;
    if (a.begin != b.begin) return a.begin < b.begin;
    return a.end > b.end;
  });
  std::vector<PatternMatch> kept;
  for (size_t i = 0; i < all.size(); ++i) {
    if (!kept.empty() && kept.back().pattern == all[i].pattern && all[i].begin < kept.back().end) continue;
    kept.push_back(all[i]);
  }
  std::sort(kept.begin(), kept.end(), [](const PatternMatch& a, const PatternMatch& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.pattern < b.pattern;
  });
  return kept;
}

}  // namespace modelguard::guard
