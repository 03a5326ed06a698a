// Private releases of arbitrary tables: the query parser on the first line, then a table (CSV, TSV or JSONL,
// chosen by the next byte) released with options drawn from the bytes after the query. Either a clear error
// or released values that are finite, on the mechanism's grid, and inside the bounds where the query has them.
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "modelguard/privacy/release.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace modelguard::privacy;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t line_end = input.find('\n');
  if (line_end == std::string_view::npos || line_end + 3 > input.size()) return 0;
  ReleaseOptions options;
  auto query = ParseReleaseQuery(input.substr(0, line_end));
  const auto choice = static_cast<uint8_t>(input[line_end + 1]);
  const auto format = static_cast<uint8_t>(input[line_end + 2]);
  if (query) {
    options.query = *query;
  } else {
    options.query.kind = static_cast<QueryKind>(choice % 5);
    options.query.column = "a";
    options.query.quantile = (choice >> 3) / 31.0;
  }
  options.mechanism = (choice & 0x20) ? NoiseMechanism::kGaussian : NoiseMechanism::kLaplace;
  options.epsilon = 0.05 * (1 + (choice >> 6) * 20);
  options.delta = options.mechanism == NoiseMechanism::kGaussian ? 1e-6 : 0;
  options.bounds = std::pair(-10.0 * (1 + (format >> 4)), 100.0);
  if (options.query.kind == QueryKind::kHistogram) {
    if (format & 0x8)
      options.categories = {"x", "y", ""};
    else
      options.bins = 1 + (format >> 4);
  }
  if (format & 0x4) {
    options.privacy_unit = "u";
    options.contribution_limit = 1 + (format >> 6);
  }
  options.quantile_candidates = 2 + (format >> 2) * 7;
  static const char* const kFormats[] = {"t.csv", "t.tsv", "t.jsonl", "t.csv"};
  std::istringstream table(std::string(input.substr(line_end + 3)));
  auto prepared = PrepareRelease(table, kFormats[format & 3], options);
  if (!prepared) return 0;
  auto bits = SeededRandomBits(size);
  auto released = prepared->Draw(*bits);
  if (!released) __builtin_trap();  // a prepared release always draws
  for (const auto& value : released->values) {
    if (!std::isfinite(value.value)) __builtin_trap();
    const bool bounded = options.query.kind == QueryKind::kMean || options.query.kind == QueryKind::kQuantile;
    if (bounded && (value.value < options.bounds->first || value.value > options.bounds->second)) __builtin_trap();
    const bool on_grid = options.query.kind == QueryKind::kCount || options.query.kind == QueryKind::kSum ||
                         options.query.kind == QueryKind::kHistogram;
    if (on_grid && std::fmod(value.value, released->granularity) != 0) __builtin_trap();
  }
  return 0;
}
