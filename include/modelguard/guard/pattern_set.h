#pragma once
// Many regular expressions compiled into one vectorscan database and run in one pass over the text: the
// cost of a scan does not grow with the number of rules. Matches come back leftmost-longest per pattern
// and non-overlapping, with byte offsets.
#include <cstddef>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/hash.h"
#include "modelguard/core/result.h"

struct hs_database;
struct hs_scratch;

namespace modelguard::guard {

inline constexpr size_t kMaxMatchesPerScan = 4096;  // a text made of nothing but matches stops here

struct PatternSpec {
  std::string expression;
  bool caseless = false;
  bool multiline = false;  // ^ and $ match at line starts and ends too (source code is read line by line)
};

struct PatternMatch {
  unsigned pattern = 0;  // index into the specs given to Compile
  size_t begin = 0;      // exact unless the pattern was too large to track its start (see Compile)
  size_t end = 0;
};

// Without exact starts, a pattern vectorscan cannot compile with start-of-match tracking (long bounded
// repeats) is compiled without it; its matches then start at most this many bytes before their end.
inline constexpr size_t kApproximateMatchSpan = 96;

// A compiled set read back from the user cache (see pattern_set.cpp for the entry's layout): nullopt
// unless the entry is whole, carries `key` and `count` patterns, and its bytecode matches its digest.
struct CachedPatternSet {
  std::vector<bool> exact_start;
  std::string_view bytecode;  // into the entry
};
std::optional<CachedPatternSet> ParsePatternCacheEntry(std::string_view entry, const Sha256Digest& key, size_t count);

class PatternSet {
 public:
  // Err names the first pattern vectorscan refused and why. `utf8`: patterns and scanned texts are UTF-8
  // (the texts must then be valid UTF-8, as folded texts always are); otherwise both are bytes.
  // `exact_starts`: every pattern tracks where its matches begin (redaction needs it), or Err. Otherwise
  // start tracking is dropped for the patterns too large for it (see kApproximateMatchSpan).
  // A set compiled before with the same patterns, options, vectorscan and CPU is loaded from the user
  // cache instead (core/cache_dir.h; MODELGUARD_CACHE_DIR=off turns it off), and a set compiled here is
  // stored there.
  static Result<std::shared_ptr<const PatternSet>> Compile(const std::vector<PatternSpec>& specs, bool utf8,
                                                           bool exact_starts);
  ~PatternSet();
  PatternSet(const PatternSet&) = delete;
  PatternSet& operator=(const PatternSet&) = delete;

  // Sorted by begin. `truncated` is set when kMaxMatchesPerScan was reached.
  std::vector<PatternMatch> Scan(std::string_view text, bool* truncated = nullptr) const;
  size_t size() const { return count_; }
  bool from_cache() const { return from_cache_; }

 private:
  PatternSet() = default;
  static Result<std::shared_ptr<const PatternSet>> CompileUncached(const std::vector<PatternSpec>& specs, bool utf8,
                                                                   bool exact_starts);
  static Result<std::shared_ptr<const PatternSet>> Adopt(hs_database* database, std::vector<bool> exact_start,
                                                         bool from_cache);
  hs_scratch* TakeScratch() const;
  void ReturnScratch(hs_scratch* scratch) const;
  hs_database* database_ = nullptr;
  size_t count_ = 0;
  std::vector<bool> exact_start_;
  bool from_cache_ = false;
  // Scratch space for concurrent scans: one per scan in flight, kept for reuse (allocating or re-checking
  // scratch on every scan costs more than a short scan itself).
  hs_scratch* prototype_ = nullptr;
  mutable std::mutex scratch_mutex_;
  mutable std::vector<hs_scratch*> idle_scratch_;
};

}  // namespace modelguard::guard
