#include "src/guard/patterns/pattern_set.h"

#include <hs/hs.h>

#include <algorithm>

namespace modelguard::guard {
namespace {

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

Result<std::shared_ptr<const PatternSet>> PatternSet::Compile(const std::vector<PatternSpec>& specs, bool utf8,
                                                              bool exact_starts) {
  if (specs.empty()) return MakeError(ErrorCode::kInvalidArgument, "no patterns to compile");
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
                      (specs[i].caseless ? HS_FLAG_CASELESS : 0u));
    }
    hs_database_t* database = nullptr;
    hs_compile_error_t* error = nullptr;
    if (hs_compile_multi(expressions.data(), flags.data(), ids.data(), static_cast<unsigned>(specs.size()),
                         HS_MODE_BLOCK, nullptr, &database, &error) == HS_SUCCESS) {
      std::shared_ptr<PatternSet> set(new PatternSet());
      set->database_ = database;
      if (hs_alloc_scratch(database, &set->prototype_) != HS_SUCCESS)
        return MakeError(ErrorCode::kLimit, "pattern set: cannot allocate scratch space");
      set->count_ = specs.size();
      set->exact_start_ = std::move(exact_start);
      return std::shared_ptr<const PatternSet>(std::move(set));
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
