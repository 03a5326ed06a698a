#pragma once
// Private statistics of a table (CSV, TSV or JSON Lines): count, sum, mean, quantile and histogram, released
// with differential privacy over people, not rows.
//
// - Contributions are bounded first: with a privacy-unit column (a user id), at most `contribution_limit`
//   rows per unit are kept (the first ones in file order); without one, every row is its own unit.
// - Values are clamped to public bounds; the bounds are never taken from the data (that would leak it).
//   Cells that are not finite numbers count as missing: they are left out, silently, because any message
//   about them would be a release the budget did not pay for.
// - Count, sum and histogram bins get discrete Laplace noise (pure epsilon) or discrete Gaussian noise
//   (epsilon, delta) on a public grid (see noise.h: no floating-point noise, so Mironov's 2012 attack has
//   nothing to read). Sums are accumulated exactly, in integers of 2^-20 grid steps, so the sensitivity
//   bound holds for the computed sum and not only for the real-number one (floating-point summation can
//   exceed it).
// - Mean: a noisy count and a noisy sum of the values minus the middle of the bounds, half the budget each.
// - Quantile: permute-and-flip (McKenna and Sheldon 2020) over a public grid of candidate values, with
//   integer utilities and exact coin flips: pure epsilon, output always a grid point.
// - Histogram: a categorical column over a public list of categories (plus "(other)"), or a numeric one
//   over equal bins between the bounds. Categories are never taken from the data.
#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/privacy/noise.h"

namespace modelguard::privacy {

enum class QueryKind { kCount, kSum, kMean, kQuantile, kHistogram };

struct ReleaseQuery {
  QueryKind kind = QueryKind::kCount;
  std::string column;     // empty for count
  double quantile = 0.5;  // quantile(column, p), p in [0, 1]
};
// "count", "sum(col)", "mean(col)", "quantile(col, p)", "histogram(col)"; a column name with a comma, a
// parenthesis or surrounding spaces is written in double quotes ("" for a quote inside).
Result<ReleaseQuery> ParseReleaseQuery(std::string_view text);
std::string ToString(const ReleaseQuery& query);

enum class NoiseMechanism { kLaplace, kGaussian };

struct ReleaseOptions {
  ReleaseQuery query;
  NoiseMechanism mechanism = NoiseMechanism::kLaplace;
  double epsilon = 0;
  double delta = 0;                                 // Gaussian only (required there); Laplace and quantiles spend none
  std::optional<std::pair<double, double>> bounds;  // sum, mean, quantile, numeric histogram
  std::string privacy_unit;                         // column naming the person; empty: one row, one person
  uint64_t contribution_limit = 1;                  // rows kept per privacy unit
  std::vector<std::string> categories;              // histogram of a categorical column
  uint64_t bins = 0;                                // histogram of a numeric column, over the bounds
  uint64_t quantile_candidates = 4097;              // grid points between the bounds, ends included
  std::string format;                               // "csv", "tsv", "jsonl"; empty: by extension
};

// Limits: beyond them the release is refused (distinct privacy units, and values kept for a quantile).
inline constexpr uint64_t kMaxPrivacyUnits = uint64_t{1} << 25;
inline constexpr uint64_t kMaxQuantileValues = uint64_t{1} << 25;
inline constexpr uint64_t kMaxHistogramBins = 100000;
inline constexpr uint64_t kMaxQuantileCandidates = 1000001;

struct ReleasedValue {
  std::string label;  // the bin for a histogram, the query otherwise
  double value = 0;
};

struct ReleaseResult {
  std::vector<ReleasedValue> values;
  std::string mechanism;     // "discrete-laplace", "discrete-gaussian", "permute-and-flip"
  double granularity = 0;    // every noisy sum or count is a multiple of it; the quantile grid's step
  double sensitivity = 0;    // of each noised component, in data units, after rounding to the grid
  double noise_scale = 0;    // Laplace scale or Gaussian sigma, in data units
  double half_width_95 = 0;  // 95 % of the noise lies within +-this (NaN for mean and quantile)
  double epsilon = 0, delta = 0;
};

// The exact aggregate, held in memory and never shown: Draw() adds noise to it. A caller charges the
// privacy budget between the two, so nothing is released before it is paid for. Each Draw() is a separate
// release and costs the budget again.
class PreparedRelease {
 public:
  struct Plan;  // release.cpp
  explicit PreparedRelease(std::shared_ptr<const Plan> plan) : plan_(std::move(plan)) {}
  Result<ReleaseResult> Draw(RandomBits& bits) const;
  // Mechanism, grid, sensitivity and noise scale: public, as they depend on the options only.
  const ReleaseResult& description() const;
  // SHA-256 (hex) of the bytes read, when read by PrepareReleaseFile: the dataset's default ledger name.
  const std::string& data_sha256() const { return data_sha256_; }

 private:
  friend Result<PreparedRelease> PrepareReleaseFile(const std::string& path, const ReleaseOptions& options);
  std::shared_ptr<const Plan> plan_;
  std::string data_sha256_;
};

Result<PreparedRelease> PrepareRelease(std::istream& in, const std::string& format_name, const ReleaseOptions& options);
// `path` must be a regular file ("-" for stdin); the digest is taken over the very bytes parsed.
Result<PreparedRelease> PrepareReleaseFile(const std::string& path, const ReleaseOptions& options);

// SHA-256 (hex) of a regular file's content: the name `privacy budget` gives a dataset by default.
Result<std::string> DatasetSha256(const std::string& path);

}  // namespace modelguard::privacy
