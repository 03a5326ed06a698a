// Two-sample tests and distances (stats.h says which SciPy function each one matches).
#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <limits>
#include <numeric>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "modelguard/stats/stats.h"

namespace modelguard::stats {
namespace {

// No NaN, and no value below the one before. Checked whole rather than up to the first value out of place:
// the reference a monitor tests every window against is always in order, and two values at a time (SSE2,
// all of x86-64) check it at a fraction of a loop's cost per value.
bool InOrderWithoutNan(std::span<const double> values) {
  const size_t n = values.size();
  const double* v = values.data();
  size_t i = 1;
  bool bad = n > 0 && std::isnan(v[0]);
#if defined(__SSE2__)
  __m128d flags = _mm_setzero_pd();
  for (; i + 2 <= n; i += 2) {
    const __m128d current = _mm_loadu_pd(v + i), previous = _mm_loadu_pd(v + i - 1);
    flags = _mm_or_pd(flags, _mm_or_pd(_mm_cmpunord_pd(current, current), _mm_cmplt_pd(current, previous)));
  }
  bad |= _mm_movemask_pd(flags) != 0;
#endif
  for (; i < n; ++i) bad |= std::isnan(v[i]) || v[i] < v[i - 1];
  return !bad;
}

// `values` in order without NaNs: the input itself when it already is (a caller that tests many samples
// against one reference sorts it once: monitor serve, every window), else a sorted copy kept in `storage`.
std::span<const double> SortedWithoutNan(std::span<const double> values, std::vector<double>& storage) {
  if (InOrderWithoutNan(values)) return values;
  storage.clear();
  storage.reserve(values.size());
  for (double v : values)
    if (!std::isnan(v)) storage.push_back(v);
  std::sort(storage.begin(), storage.end());
  return storage;
}

// P(D >= h / (n m)) for two samples of sizes n and m under the null hypothesis: the share of monotone
// lattice paths from (0, 0) to (n, m) that touch |i m - j n| >= h (Hodges 1957). The path through (i, j)
// came from (i-1, j) with probability i / (i + j), so the share of paths that have touched the boundary is
// carried as a probability, row by row: no binomial coefficient overflows, and a small p-value is summed
// from small terms rather than taken as 1 minus something close to 1.
double KsExactSurvival(int64_t n, int64_t m, int64_t h) {
  if (h <= 0) return 1.0;
  std::vector<double> row(static_cast<size_t>(m) + 1);
  const auto touches = [&](int64_t i, int64_t j) { return std::abs(i * m - j * n) >= h; };
  for (int64_t i = 0; i <= n; ++i) {
    for (int64_t j = 0; j <= m; ++j) {
      double& cell = row[static_cast<size_t>(j)];
      if (touches(i, j)) {
        cell = 1.0;
      } else if (i == 0 && j == 0) {
        cell = 0.0;
      } else {
        const double total = static_cast<double>(i + j);
        const double from_above = i > 0 ? cell * (static_cast<double>(i) / total) : 0.0;
        const double from_left = j > 0 ? row[static_cast<size_t>(j) - 1] * (static_cast<double>(j) / total) : 0.0;
        cell = from_above + from_left;
      }
    }
  }
  return std::min(1.0, row[static_cast<size_t>(m)]);
}

double Sum(std::span<const double> values) { return std::accumulate(values.begin(), values.end(), 0.0); }

}  // namespace

TestResult KsTwoSample(std::span<const double> reference, std::span<const double> current, size_t exact_max_sample) {
  std::vector<double> a_storage, b_storage;
  const std::span<const double> a = SortedWithoutNan(reference, a_storage);
  const std::span<const double> b = SortedWithoutNan(current, b_storage);
  TestResult result;
  if (a.empty() || b.empty()) return result;
  const auto n = static_cast<int64_t>(a.size());
  const auto m = static_cast<int64_t>(b.size());
  // The statistic as the integer h = D n m, so the boundary of the exact computation is exact too. Between
  // two consecutive values of one sample its CDF is flat while the other's rises, so the distance is largest
  // at one of that sample's values or just below one: the CDFs are compared there only, the shorter sample's
  // values taken one distinct value at a time, the longer one's counted by a pointer that only moves on. A
  // merge of both would take a hard-to-predict branch at every value of either (a monitor's window of 500
  // against a reference of 2,000, thousands of times).
  const bool a_shorter = a.size() <= b.size();
  const std::span<const double> shorter = a_shorter ? a : b, longer = a_shorter ? b : a;
  const int64_t shorter_size = a_shorter ? n : m, longer_size = a_shorter ? m : n;
  int64_t h = 0;
  size_t below = 0;  // values of `longer` below the current value
  for (size_t start = 0; start < shorter.size();) {
    const double value = shorter[start];
    size_t end = start + 1;
    while (end < shorter.size() && shorter[end] == value) ++end;
    while (below < longer.size() && longer[below] < value) ++below;
    size_t through = below;  // values of `longer` at or below the current value
    while (through < longer.size() && longer[through] == value) ++through;
    // |F_a - F_b| n m just below the value and at it: |i m - j n| with i of a's values counted and j of b's.
    const auto distance = [&](size_t shorter_count, size_t longer_count) {
      return std::abs(static_cast<int64_t>(shorter_count) * longer_size -
                      static_cast<int64_t>(longer_count) * shorter_size);
    };
    h = std::max({h, distance(start, below), distance(end, through)});
    below = through;
    start = end;
  }
  result.statistic = static_cast<double>(h) / (static_cast<double>(n) * static_cast<double>(m));
  if (a.size() <= exact_max_sample && b.size() <= exact_max_sample) {
    result.p_value = KsExactSurvival(n, m, h);
    result.exact = true;
  } else {
    const double effective = static_cast<double>(n) * static_cast<double>(m) / static_cast<double>(n + m);
    result.p_value = KolmogorovSurvival(std::sqrt(effective) * result.statistic);
  }
  return result;
}

TestResult ChiSquareContingency(std::span<const double> reference_counts, std::span<const double> current_counts) {
  TestResult result;
  std::vector<std::pair<double, double>> table;
  for (size_t k = 0; k < std::min(reference_counts.size(), current_counts.size()); ++k)
    if (reference_counts[k] > 0 || current_counts[k] > 0) table.emplace_back(reference_counts[k], current_counts[k]);
  if (table.size() < 2) return result;
  double rows[2] = {0, 0};
  for (const auto& [r, c] : table) {
    rows[0] += r;
    rows[1] += c;
  }
  const double total = rows[0] + rows[1];
  if (rows[0] <= 0 || rows[1] <= 0) return result;
  result.dof = static_cast<double>(table.size() - 1);
  const bool yates = table.size() == 2;  // one degree of freedom
  for (const auto& [r, c] : table) {
    const double column = r + c;
    for (int row = 0; row < 2; ++row) {
      const double expected = rows[row] * column / total;
      double observed = row == 0 ? r : c;
      if (yates) {
        // Move each observed count up to 0.5 towards its expectation, as SciPy does.
        const double difference = expected - observed;
        observed += std::copysign(std::min(0.5, std::fabs(difference)), difference);
      }
      result.statistic += (observed - expected) * (observed - expected) / expected;
    }
  }
  result.p_value = ChiSquareSurvival(result.statistic, result.dof);
  return result;
}

TestResult ChiSquareGoodnessOfFit(std::span<const double> observed, std::span<const double> expected) {
  TestResult result;
  const size_t k = std::min(observed.size(), expected.size());
  if (k < 2) return result;
  const double observed_total = Sum(observed.first(k));
  const double expected_total = Sum(expected.first(k));
  if (!(observed_total > 0) || !(expected_total > 0)) return result;
  for (size_t i = 0; i < k; ++i) {
    const double e = expected[i] * observed_total / expected_total;
    if (e <= 0) {
      if (observed[i] > 0) result.statistic = std::numeric_limits<double>::infinity();
      continue;
    }
    result.statistic += (observed[i] - e) * (observed[i] - e) / e;
  }
  result.dof = static_cast<double>(k - 1);
  result.p_value = std::isinf(result.statistic) ? 0.0 : ChiSquareSurvival(result.statistic, result.dof);
  return result;
}

double JensenShannonDistance(std::span<const double> p, std::span<const double> q, double base) {
  const size_t k = std::min(p.size(), q.size());
  const double p_total = Sum(p.first(k));
  const double q_total = Sum(q.first(k));
  if (!(p_total > 0) || !(q_total > 0)) return std::numeric_limits<double>::quiet_NaN();
  double divergence = 0;
  for (size_t i = 0; i < k; ++i) {
    const double pi = p[i] / p_total;
    const double qi = q[i] / q_total;
    const double mi = (pi + qi) / 2;
    if (pi > 0) divergence += pi * std::log(pi / mi);
    if (qi > 0) divergence += qi * std::log(qi / mi);
  }
  if (base > 0) divergence /= std::log(base);
  return std::sqrt(std::max(0.0, divergence / 2));
}

double PopulationStabilityIndex(std::span<const double> reference_counts, std::span<const double> current_counts) {
  const size_t k = std::min(reference_counts.size(), current_counts.size());
  const double r_total = Sum(reference_counts.first(k));
  const double c_total = Sum(current_counts.first(k));
  if (!(r_total > 0) || !(c_total > 0)) return std::numeric_limits<double>::quiet_NaN();
  double psi = 0;
  for (size_t i = 0; i < k; ++i) {
    const double r = reference_counts[i] > 0 ? reference_counts[i] / r_total : kEmptyBinShare;
    const double c = current_counts[i] > 0 ? current_counts[i] / c_total : kEmptyBinShare;
    psi += (c - r) * std::log(c / r);
  }
  return psi;
}

double WassersteinDistance(std::span<const double> reference, std::span<const double> current) {
  std::vector<double> a_storage, b_storage;
  const std::span<const double> a = SortedWithoutNan(reference, a_storage);
  const std::span<const double> b = SortedWithoutNan(current, b_storage);
  if (a.empty() || b.empty()) return std::numeric_limits<double>::quiet_NaN();
  // The integral of |F_a - F_b| over the merged support, one segment between consecutive values at a time.
  double distance = 0;
  size_t i = 0, j = 0;
  double previous = std::min(a.front(), b.front());
  while (i < a.size() || j < b.size()) {
    const double value = j >= b.size() || (i < a.size() && a[i] <= b[j]) ? a[i] : b[j];
    const double fa = static_cast<double>(i) / static_cast<double>(a.size());
    const double fb = static_cast<double>(j) / static_cast<double>(b.size());
    distance += std::fabs(fa - fb) * (value - previous);
    previous = value;
    while (i < a.size() && a[i] == value) ++i;
    while (j < b.size() && b[j] == value) ++j;
  }
  return distance;
}

std::vector<double> SturgesEdges(std::span<const double> a, std::span<const double> b) {
  double low = std::numeric_limits<double>::infinity();
  double high = -low;
  size_t count = 0;
  for (auto sample : {a, b}) {
    for (double v : sample) {
      if (std::isnan(v) || std::isinf(v)) continue;
      low = std::min(low, v);
      high = std::max(high, v);
      ++count;
    }
  }
  if (count == 0) return {};
  if (!(high > low)) return {low - 0.5, high + 0.5};
  const double width = (high - low) / (std::log2(static_cast<double>(count)) + 1.0);
  const auto bins = std::max<size_t>(1, static_cast<size_t>(std::ceil((high - low) / width)));
  std::vector<double> edges(bins + 1);
  // numpy.linspace: low + k * step, the last edge exactly `high`.
  const double step = (high - low) / static_cast<double>(bins);
  for (size_t k = 0; k <= bins; ++k) edges[k] = low + static_cast<double>(k) * step;
  edges.back() = high;
  return edges;
}

std::vector<double> HistogramCounts(std::span<const double> values, std::span<const double> edges) {
  if (edges.size() < 2) return {};
  std::vector<double> counts(edges.size() - 1, 0.0);
  // Edges in order (as SturgesEdges gives them, evenly spaced): the index upper_bound would find is the
  // number of edges at or below the value, found by stepping from where even spacing puts it, which is one
  // or two comparisons away instead of a binary search's mispredicted branch at every step.
  const bool ordered = std::none_of(edges.begin(), edges.end(), [](double e) { return std::isnan(e); }) &&
                       std::is_sorted(edges.begin(), edges.end());
  const double span = edges.back() - edges.front();
  if (ordered && std::isfinite(span) && span > 0) {
    const size_t size = edges.size();
    const double per_unit = static_cast<double>(size - 1) / span;
    for (double v : values) {
      if (std::isnan(v) || v < edges.front() || v > edges.back()) continue;
      const double guess = std::floor((v - edges.front()) * per_unit);
      size_t above = 1 + static_cast<size_t>(std::clamp(guess, 0.0, static_cast<double>(size - 1)));
      while (above < size && edges[above] <= v) ++above;  // edges[above - 1] <= v < edges[above], or
      while (above > 1 && edges[above - 1] > v) --above;  // above == size: `above` edges are at or below v
      const size_t k = std::min(above, size - 1) - 1;
      counts[k] += 1;
    }
    return counts;
  }
  for (double v : values) {
    if (std::isnan(v) || v < edges.front() || v > edges.back()) continue;
    // edges[k] <= v < edges[k + 1]; the last bin also takes v == edges.back().
    auto k = static_cast<size_t>(std::upper_bound(edges.begin(), edges.end(), v) - edges.begin());
    k = std::min(k, edges.size() - 1) - 1;
    counts[k] += 1;
  }
  return counts;
}

}  // namespace modelguard::stats
