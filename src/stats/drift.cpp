#include "modelguard/stats/drift.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>

#include "modelguard/core/hash.h"
#include "modelguard/stats/stats.h"

namespace modelguard::stats {
namespace {

constexpr uint64_t kSmallReference = 1000;  // Evidently: tests up to here, distances above
constexpr uint64_t kFewDistinct = 5;        // numeric columns with at most this many values are categorical
constexpr double kPValueThreshold = 0.05;
constexpr double kDistanceThreshold = 0.1;

double ThresholdOf(const DriftTest& test, const DriftSettings& settings) {
  return settings.threshold.value_or(test.default_threshold);
}

DriftOutcome Judge(const char* name, double statistic, std::optional<double> p_value, double threshold) {
  DriftOutcome outcome;
  outcome.test = name;
  outcome.statistic = statistic;
  outcome.p_value = p_value;
  outcome.threshold = threshold;
  outcome.drift = p_value ? *p_value < threshold : statistic >= threshold;
  return outcome;
}

// Histograms over Sturges bins of both samples (numeric), or the categories' counts (categorical): what the
// distribution distances compare, as Evidently bins them.
void Distributions(const ColumnSample& reference, const ColumnSample& current, std::vector<double>& r,
                   std::vector<double>& c) {
  if (KindOf(reference) == ColumnKind::kNumeric) {
    const auto edges = SturgesEdges(reference.values, current.values);
    r = HistogramCounts(reference.values, edges);
    c = HistogramCounts(current.values, edges);
    return;
  }
  std::vector<std::string> names;
  AlignCategories(reference, current, names, r, c);
}

DriftOutcome RunKs(const ColumnSample& reference, const ColumnSample& current, const DriftSettings& settings) {
  const auto test = KsTwoSample(reference.values, current.values, settings.ks_exact_max_sample);
  return Judge("ks", test.statistic, test.p_value, ThresholdOf(*FindDriftTest("ks"), settings));
}

DriftOutcome RunChiSquare(const ColumnSample& reference, const ColumnSample& current, const DriftSettings& settings) {
  std::vector<std::string> names;
  std::vector<double> r, c;
  AlignCategories(reference, current, names, r, c);
  const auto test = ChiSquareContingency(r, c);
  return Judge("chi2", test.statistic, test.p_value, ThresholdOf(*FindDriftTest("chi2"), settings));
}

DriftOutcome RunZ(const ColumnSample& reference, const ColumnSample& current, const DriftSettings& settings) {
  DriftOutcome outcome = ProportionZTest(reference, current);
  outcome.threshold = ThresholdOf(*FindDriftTest("z"), settings);
  outcome.drift = outcome.p_value && *outcome.p_value < outcome.threshold;
  return outcome;
}

DriftOutcome RunWasserstein(const ColumnSample& reference, const ColumnSample& current, const DriftSettings& settings) {
  double spread = 0;
  if (reference.standard_deviation) {
    spread = *reference.standard_deviation;
  } else if (!reference.values.empty()) {
    const double n = static_cast<double>(reference.values.size());
    const double mean = std::accumulate(reference.values.begin(), reference.values.end(), 0.0) / n;
    double squares = 0;
    for (double v : reference.values) squares += (v - mean) * (v - mean);
    spread = std::sqrt(squares / n);  // NumPy's np.std (ddof 0), as Evidently norms
  }
  const double distance = WassersteinDistance(reference.values, current.values);
  // A constant reference has no spread to norm by: any movement at all is drift.
  const double normed = spread > 0 ? distance / spread : (distance > 0 ? std::numeric_limits<double>::infinity() : 0);
  DriftOutcome outcome =
      Judge("wasserstein", normed, std::nullopt, ThresholdOf(*FindDriftTest("wasserstein"), settings));
  if (!(spread > 0)) outcome.note = "constant reference: not normed";
  return outcome;
}

DriftOutcome RunJensenShannon(const ColumnSample& reference, const ColumnSample& current,
                              const DriftSettings& settings) {
  std::vector<double> r, c;
  Distributions(reference, current, r, c);
  return Judge("js", JensenShannonDistance(r, c), std::nullopt, ThresholdOf(*FindDriftTest("js"), settings));
}

DriftOutcome RunPsi(const ColumnSample& reference, const ColumnSample& current, const DriftSettings& settings) {
  std::vector<double> r, c;
  Distributions(reference, current, r, c);
  return Judge("psi", PopulationStabilityIndex(r, c), std::nullopt, ThresholdOf(*FindDriftTest("psi"), settings));
}

// `count` values of the sorted sample, evenly spaced: keeps its shape at a fraction of MMD's quadratic cost.
std::vector<double> Thinned(std::span<const double> values, size_t count) {
  std::vector<double> sorted(values.begin(), values.end());
  std::sort(sorted.begin(), sorted.end());
  if (sorted.size() <= count) return sorted;
  std::vector<double> out(count);
  for (size_t i = 0; i < count; ++i)
    out[i] = sorted[static_cast<size_t>(static_cast<double>(i) * static_cast<double>(sorted.size() - 1) /
                                        static_cast<double>(count - 1))];
  return out;
}

DriftOutcome RunMmd(const ColumnSample& reference, const ColumnSample& current, const DriftSettings& settings) {
  const auto r = Thinned(reference.values, settings.mmd_max_sample);
  const auto c = Thinned(current.values, settings.mmd_max_sample);
  const MmdResult mmd = MaximumMeanDiscrepancy(r, c, settings.permutations, settings.seed);
  return Judge("mmd", mmd.mmd2, mmd.p_value, ThresholdOf(*FindDriftTest("mmd"), settings));
}

constexpr DriftTest kTests[] = {
    {"ks", "two-sample Kolmogorov-Smirnov test (scipy.stats.ks_2samp)", true, false, true, kPValueThreshold, RunKs},
    {"chi2", "chi-square test of the 2 x k contingency table (scipy.stats.chi2_contingency)", false, true, true,
     kPValueThreshold, RunChiSquare},
    {"z", "two-proportion z-test, pooled, two-sided (binary columns)", false, true, true, kPValueThreshold, RunZ},
    {"wasserstein", "Wasserstein distance normed by the reference's standard deviation", true, false, false,
     kDistanceThreshold, RunWasserstein},
    {"js", "Jensen-Shannon distance over Sturges bins or categories (scipy.spatial.distance.jensenshannon)", true, true,
     false, kDistanceThreshold, RunJensenShannon},
    {"psi", "population stability index over Sturges bins or categories", true, true, false, kDistanceThreshold,
     RunPsi},
    {"mmd", "maximum mean discrepancy, Gaussian kernel (median heuristic), permutation test", true, false, true,
     kPValueThreshold, RunMmd},
};

}  // namespace

ColumnKind KindOf(const ColumnSample& reference) {
  return reference.numeric && reference.distinct > kFewDistinct ? ColumnKind::kNumeric : ColumnKind::kCategorical;
}

std::span<const DriftTest> DriftTests() { return kTests; }

const DriftTest* FindDriftTest(std::string_view name) {
  for (const DriftTest& test : kTests)
    if (name == test.name) return &test;
  return nullptr;
}

bool Applies(const DriftTest& test, const ColumnSample& reference) {
  if (KindOf(reference) == ColumnKind::kNumeric) return test.numeric;
  if (!test.categorical) return false;
  if (reference.categories.empty()) return false;  // too many values to compare as categories
  return std::string_view(test.name) != "z" || reference.distinct <= 2;
}

const DriftTest& AutoDriftTest(const ColumnSample& reference, uint64_t reference_rows) {
  const bool numeric = KindOf(reference) == ColumnKind::kNumeric;
  if (reference_rows <= kSmallReference) {
    if (numeric) return *FindDriftTest("ks");
    return *FindDriftTest(reference.distinct > 2 ? "chi2" : "z");
  }
  return *FindDriftTest(numeric ? "wasserstein" : "js");
}

void AlignCategories(const ColumnSample& reference, const ColumnSample& current, std::vector<std::string>& names,
                     std::vector<double>& reference_counts, std::vector<double>& current_counts) {
  std::map<std::string, std::pair<double, double>> merged;
  for (const auto& [name, count] : reference.categories) merged[name].first += count;
  for (const auto& [name, count] : current.categories) merged[name].second += count;
  names.clear();
  reference_counts.clear();
  current_counts.clear();
  for (const auto& [name, counts] : merged) {
    names.push_back(name);
    reference_counts.push_back(counts.first);
    current_counts.push_back(counts.second);
  }
}

DriftOutcome ProportionZTest(const ColumnSample& reference, const ColumnSample& current) {
  std::vector<std::string> names;
  std::vector<double> r, c;
  AlignCategories(reference, current, names, r, c);
  const double n1 = std::accumulate(r.begin(), r.end(), 0.0), n2 = std::accumulate(c.begin(), c.end(), 0.0);
  DriftOutcome outcome;
  outcome.test = "z";
  if (names.size() < 2 || !(n1 > 0) || !(n2 > 0)) {  // one category on both sides: nothing moved
    outcome.p_value = 1;
    outcome.note = "a single category";
    return outcome;
  }
  const double p1 = r[0] / n1, p2 = c[0] / n2, pooled = (r[0] + c[0]) / (n1 + n2);
  const double spread = std::sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  outcome.statistic = spread > 0 ? (p1 - p2) / spread : 0;
  // Two-sided: 2 * Phi(-|z|) = erfc(|z| / sqrt 2).
  outcome.p_value = std::erfc(std::fabs(outcome.statistic) / std::sqrt(2.0));
  return outcome;
}

MmdResult MaximumMeanDiscrepancy(std::span<const double> reference, std::span<const double> current,
                                 uint64_t permutations, uint64_t seed) {
  MmdResult result;
  const size_t n = reference.size(), m = current.size();
  if (n < 2 || m < 2) return result;
  std::vector<double> squared;
  squared.reserve(n * m);
  for (double x : reference)
    for (double y : current) squared.push_back((x - y) * (x - y));
  const size_t middle = squared.size() / 2;
  std::nth_element(squared.begin(), squared.begin() + static_cast<ptrdiff_t>(middle), squared.end());
  double median = squared[middle];
  if (squared.size() % 2 == 0) {
    median = (median + *std::max_element(squared.begin(), squared.begin() + static_cast<ptrdiff_t>(middle))) / 2;
  }
  const double variance = median > 0 ? median / 2 : 1;  // identical samples: any bandwidth gives MMD 0
  result.bandwidth = std::sqrt(variance);
  std::vector<double> pooled(reference.begin(), reference.end());
  pooled.insert(pooled.end(), current.begin(), current.end());
  const size_t total = pooled.size();
  std::vector<double> kernel(total * total);
  for (size_t i = 0; i < total; ++i)
    for (size_t j = i; j < total; ++j)
      kernel[i * total + j] = kernel[j * total + i] =
          std::exp(-(pooled[i] - pooled[j]) * (pooled[i] - pooled[j]) / (2 * variance));
  // The unbiased estimate for the split "first n of `order` are reference".
  const auto statistic = [&](const std::vector<size_t>& order) {
    double xx = 0, yy = 0, xy = 0;
    for (size_t a = 0; a < total; ++a) {
      const double* row = &kernel[order[a] * total];
      for (size_t b = a + 1; b < total; ++b) {
        const double k = row[order[b]];
        if (b < n)
          xx += k;
        else if (a >= n)
          yy += k;
        else
          xy += k;
      }
    }
    const double dn = static_cast<double>(n), dm = static_cast<double>(m);
    return 2 * xx / (dn * (dn - 1)) + 2 * yy / (dm * (dm - 1)) - 2 * xy / (dn * dm);
  };
  std::vector<size_t> order(total);
  std::iota(order.begin(), order.end(), size_t{0});
  result.mmd2 = statistic(order);
  uint64_t counter = seed, at_least = 0;
  for (uint64_t p = 0; p < permutations; ++p) {
    for (size_t i = total - 1; i > 0; --i) std::swap(order[i], order[Mix64(counter++) % (i + 1)]);
    if (statistic(order) >= result.mmd2) ++at_least;
  }
  result.p_value = static_cast<double>(1 + at_least) / static_cast<double>(1 + permutations);
  return result;
}

}  // namespace modelguard::stats
