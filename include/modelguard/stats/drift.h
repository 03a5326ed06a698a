#pragma once
// Drift tests between a reference and a current sample of one column, as one registry: each test describes
// itself (name, the column kinds it applies to, p-value or distance, default threshold), so the CLI's help,
// the docs and the choice of tests derive from this list. Shared by `monitor run` and `data validate`.
//
// The default choice is Evidently's (its documented "data drift algorithm"): with at most 1,000 reference
// observations, KS for numeric columns with more than 5 distinct values, chi-square for other columns with
// more than 2, the two-proportion z-test for binary ones; above 1,000, the Wasserstein distance normed by the
// reference's standard deviation for numeric columns with more than 5 distinct values and the Jensen-Shannon
// distance for the rest. Thresholds: p < 0.05 for tests, distance >= 0.1 for distances.
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace modelguard::stats {

// One column of one dataset. Numeric columns carry a sample of their values (all of them, or a uniform
// sample); every column with few distinct values also carries its counts per value.
struct ColumnSample {
  bool numeric = false;
  std::vector<double> values;                              // numeric: the (sampled) values, NaN left out
  std::vector<std::pair<std::string, double>> categories;  // value -> count (empty: too many to count)
  uint64_t observations = 0;                               // non-missing values in the whole column
  uint64_t distinct = 0;                                   // distinct values (a lower bound past the count cap)
  std::optional<double> standard_deviation;                // of the whole column, when known (else the sample's)
};

struct DriftSettings {
  std::optional<double> threshold;     // replaces the test's default
  uint64_t permutations = 200;         // MMD's permutation test
  uint64_t seed = 1;                   // its permutations
  size_t mmd_max_sample = 500;         // values per side (evenly spaced in sorted order) for MMD's O(n^2) kernel
  size_t ks_exact_max_sample = 10000;  // KS's exact p-value up to this many values a side (0: asymptotic)
};

struct DriftOutcome {
  std::string test;
  double statistic = 0;
  std::optional<double> p_value;  // tests only
  double threshold = 0;
  bool drift = false;
  std::string note;  // why a test could not judge (e.g. a constant reference)
};

enum class ColumnKind { kNumeric, kCategorical };
// Numeric with more than 5 distinct values; everything else is compared by its categories.
ColumnKind KindOf(const ColumnSample& reference);

struct DriftTest {
  const char* name;
  const char* title;
  bool numeric;      // applies to numeric columns
  bool categorical;  // applies to categorical ones
  bool p_value;      // drift when p < threshold; else a distance, drift when >= threshold
  double default_threshold;
  DriftOutcome (*run)(const ColumnSample& reference, const ColumnSample& current, const DriftSettings& settings);
};

std::span<const DriftTest> DriftTests();
const DriftTest* FindDriftTest(std::string_view name);
// Evidently's choice for this column (see above); `reference_rows` counts the reference's observations.
const DriftTest& AutoDriftTest(const ColumnSample& reference, uint64_t reference_rows);
bool Applies(const DriftTest& test, const ColumnSample& reference);

// Two-proportion z-test (pooled), two-sided; the proportion is of the first category of the union.
DriftOutcome ProportionZTest(const ColumnSample& reference, const ColumnSample& current);
// Unbiased MMD^2 with a Gaussian kernel exp(-d^2 / (2 s^2)), s^2 = half the median squared distance between
// reference and current values (the median heuristic), and its permutation p-value
// (1 + #{permuted >= observed}) / (1 + permutations).
struct MmdResult {
  double mmd2 = 0;
  double bandwidth = 0;  // s
  double p_value = 1;
};
MmdResult MaximumMeanDiscrepancy(std::span<const double> reference, std::span<const double> current,
                                 uint64_t permutations, uint64_t seed);

// Counts of both sides over the union of their categories, in name order.
void AlignCategories(const ColumnSample& reference, const ColumnSample& current, std::vector<std::string>& names,
                     std::vector<double>& reference_counts, std::vector<double>& current_counts);

}  // namespace modelguard::stats
