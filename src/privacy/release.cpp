#include "modelguard/privacy/release.h"

#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <iostream>
#include <limits>
#include <unordered_map>

#include "modelguard/core/bytes.h"
#include "modelguard/core/hash.h"
#include "modelguard/core/json_text.h"
#include "modelguard/data/table.h"

namespace modelguard::privacy {

__extension__ typedef __int128 Int128;

// epsilon as a fraction numerator / 2^30, rounded down: the noise drawn is never less than the stated epsilon
// calls for.
constexpr int kEpsilonFractionBits = 30;
// Sums are accumulated in integers of 2^-20 grid steps (exact), then rounded to the grid.
constexpr int kFineBits = 20;
// Grids are chosen so the noise spans about this many steps: rounding to the grid then moves a release by
// far less than the noise does.
constexpr double kStepsPerNoiseUnit = 1024;
// Quantile ranks as fractions of 2^20.
constexpr int kQuantileBits = 20;

struct PreparedRelease::Plan {
  struct Group {  // how one kind of component is noised
    double granularity = 1;
    uint64_t grid_sensitivity = 0;
    uint64_t laplace_numerator = 0, laplace_denominator = 0;  // scale in grid steps
    uint64_t variance_numerator = 0;                          // over kVarianceDenominator, in grid steps
  };
  struct Component {
    std::string label;
    int64_t grid_value = 0;  // the exact aggregate, in grid steps
    size_t group = 0;
  };
  QueryKind kind = QueryKind::kCount;
  NoiseMechanism mechanism = NoiseMechanism::kLaplace;
  std::vector<Group> groups;
  std::vector<Component> components;
  std::pair<double, double> bounds{0, 0};
  std::string label;  // the query, as released values are labelled
  // Quantiles.
  std::vector<int64_t> utilities;
  uint64_t utility_sensitivity = 0;
  uint64_t epsilon_numerator = 0, epsilon_denominator = 0;
  double grid_step = 0;
  ReleaseResult description;
};

namespace {

Error Invalid(const std::string& message) { return MakeError(ErrorCode::kInvalidArgument, message); }

// A whole finite number, surrounding spaces allowed; nullopt for anything else (a missing value).
std::optional<double> ParseFinite(std::string_view text) {
  text = TrimAsciiSpace(text);
  char copy[72];  // strtod needs a terminated string; longer text is no number we accept
  if (text.empty() || text.size() >= sizeof copy) return std::nullopt;
  std::memcpy(copy, text.data(), text.size());
  copy[text.size()] = '\0';
  errno = 0;
  char* end = nullptr;
  const double value = std::strtod(copy, &end);
  if (end != copy + text.size() || errno == ERANGE || !std::isfinite(value)) return std::nullopt;
  return value;
}

// One argument: a double-quoted name ("" for a quote) or bare text up to ',' or ')', trimmed.
Result<std::string> ParseColumnArgument(std::string_view& rest) {
  rest = TrimAsciiSpace(rest);
  std::string name;
  if (!rest.empty() && rest.front() == '"') {
    size_t at = 1;
    for (;; ++at) {
      if (at >= rest.size()) return Invalid("query: a quoted column name is not closed");
      if (rest[at] == '"') {
        if (at + 1 < rest.size() && rest[at + 1] == '"') {
          name += '"';
          ++at;
          continue;
        }
        break;
      }
      name += rest[at];
    }
    rest.remove_prefix(at + 1);
  } else {
    const size_t end = rest.find_first_of(",)");
    name = std::string(TrimAsciiSpace(rest.substr(0, end)));
    rest.remove_prefix(end == std::string_view::npos ? rest.size() : end);
  }
  if (name.empty()) return Invalid("query: the column name is empty");
  rest = TrimAsciiSpace(rest);
  return name;
}

std::string QuoteColumn(const std::string& name) {
  if (name.find_first_of(",()\"") == std::string::npos && TrimAsciiSpace(name) == name) return name;
  std::string quoted = "\"";
  for (char c : name) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::pair<uint64_t, uint64_t> EpsilonFraction(double epsilon) {
  const uint64_t denominator = uint64_t{1} << kEpsilonFractionBits;
  return {static_cast<uint64_t>(std::floor(std::ldexp(epsilon, kEpsilonFractionBits))), denominator};
}

// The power of two at or below `value` (value > 0).
double PowerOfTwoBelow(double value) { return std::ldexp(1.0, static_cast<int>(std::floor(std::log2(value)))); }
double PowerOfTwoAbove(double value) { return std::ldexp(1.0, static_cast<int>(std::ceil(std::log2(value)))); }

// Noise for a component whose value changes by at most `grid_sensitivity` grid steps between neighbours.
// `vector_valued`: a histogram, whose bins are noised together (L2 sensitivity), so the one-dimensional
// exact delta does not apply; zCDP (Canonne et al. 2020, Thm. 14: rho = sensitivity^2 / (2 sigma^2)) and its
// conversion epsilon = rho + 2 sqrt(rho log(1/delta)) (Bun and Steinke 2016, Prop. 1.3) do.
Result<PreparedRelease::Plan::Group> MakeGroup(NoiseMechanism mechanism, double granularity, uint64_t grid_sensitivity,
                                               double epsilon, double delta, bool vector_valued) {
  PreparedRelease::Plan::Group group;
  group.granularity = granularity;
  group.grid_sensitivity = grid_sensitivity;
  if (mechanism == NoiseMechanism::kLaplace) {
    const auto [numerator, denominator] = EpsilonFraction(epsilon);
    if (numerator == 0) return Invalid("epsilon below 2^-30 cannot be represented");
    if (grid_sensitivity >= (uint64_t{1} << 33)) return Invalid("the sensitivity is too large for the grid");
    group.laplace_numerator = grid_sensitivity * denominator;
    group.laplace_denominator = numerator;
    if (group.laplace_numerator / group.laplace_denominator >= kMaxNoiseScale)
      return Invalid("epsilon is so small that the noise scale exceeds 2^50 grid steps");
    return group;
  }
  if (!vector_valued) {
    MG_ASSIGN_OR_RETURN(group.variance_numerator, CalibrateDiscreteGaussian(grid_sensitivity, epsilon, delta));
    return group;
  }
  const double log_inverse_delta = std::log(1 / delta);
  const double root = std::sqrt(log_inverse_delta + epsilon) - std::sqrt(log_inverse_delta);
  const double rho = root * root;
  const double sensitivity = static_cast<double>(grid_sensitivity);
  const double variance = sensitivity * sensitivity / (2 * rho);
  if (!(variance < kMaxDiscreteGaussianSigma * kMaxDiscreteGaussianSigma))
    return Invalid("this (epsilon, delta) needs a Gaussian sigma above 65536 steps; use a larger epsilon or Laplace");
  group.variance_numerator = static_cast<uint64_t>(std::ceil(variance * kVarianceDenominator));
  return group;
}

// The grid for a sum whose per-unit contribution is bounded by `contribution` in absolute value: fine
// enough that rounding is negligible against the noise, coarse enough that the sensitivity in grid steps
// stays below 2^32.
double SumGranularity(NoiseMechanism mechanism, double contribution, double epsilon, double delta) {
  const double rough_noise = mechanism == NoiseMechanism::kLaplace
                                 ? contribution / epsilon
                                 : contribution * std::sqrt(2 * std::log(1.25 / delta)) / epsilon;
  return std::max(PowerOfTwoBelow(rough_noise / kStepsPerNoiseUnit), PowerOfTwoAbove(contribution / 4294967296.0));
}

struct Accumulator {
  uint64_t rows = 0;           // kept rows (count), or kept rows with a value (mean's count)
  Int128 fine_sum = 0;         // sum of values, in 2^-20 grid steps
  std::vector<double> values;  // quantile
  std::vector<uint64_t> bins;  // histogram
};

// Rows kept per person, by a 64-bit hash of the id, in one flat open-addressing table (a node-based map
// spends most of a large release chasing pointers). Two ids that collide share one limit: that can only drop
// rows (utility), never let a person contribute more than the limit (privacy).
class RowsPerUnit {
 public:
  // The count slot for `key`, inserted at 0 when new; nullptr when the table holds kMaxPrivacyUnits already.
  uint32_t* Find(uint64_t key) {
    if (key == 0) key = 1;  // 0 marks an empty slot
    if ((size_ + 1) * 2 > keys_.size()) Grow();
    for (size_t at = key & (keys_.size() - 1);; at = (at + 1) & (keys_.size() - 1)) {
      if (keys_[at] == key) return &counts_[at];
      if (keys_[at] == 0) {
        if (size_ >= kMaxPrivacyUnits) return nullptr;
        keys_[at] = key;
        ++size_;
        return &counts_[at];
      }
    }
  }

 private:
  void Grow() {
    std::vector<uint64_t> keys(std::max<size_t>(1024, keys_.size() * 2), 0);
    std::vector<uint32_t> counts(keys.size(), 0);
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (keys_[i] == 0) continue;
      size_t at = keys_[i] & (keys.size() - 1);
      while (keys[at] != 0) at = (at + 1) & (keys.size() - 1);
      keys[at] = keys_[i];
      counts[at] = counts_[i];
    }
    keys_.swap(keys);
    counts_.swap(counts);
  }
  std::vector<uint64_t> keys_;
  std::vector<uint32_t> counts_;
  size_t size_ = 0;
};

// The cell's text, or nullptr when the row has no such cell (short CSV row, JSONL key missing or null). CSV
// cells are returned in place; JSONL values are written into `scratch` (strings as they are, numbers and
// other values as JSON).
const std::string* CellText(const data::Record& record, data::TableFormat format, size_t column_index,
                            const std::string& column, std::string& scratch) {
  if (format != data::TableFormat::kJsonl)
    return column_index < record.cells.size() ? &record.cells[column_index] : nullptr;
  if (!record.document.is_object()) return nullptr;
  const auto it = record.document.find(column);
  if (it == record.document.end() || it->is_null()) return nullptr;
  scratch = it->is_string() ? it->get<std::string>() : it->dump();
  return &scratch;
}

}  // namespace

Result<ReleaseQuery> ParseReleaseQuery(std::string_view text) {
  text = TrimAsciiSpace(text);
  ReleaseQuery query;
  if (text == "count" || text == "count()") return query;
  const size_t open = text.find('(');
  if (open == std::string_view::npos || text.back() != ')')
    return Invalid("query '" + std::string(text) +
                   "': expected count, sum(col), mean(col), quantile(col, p) or histogram(col)");
  const std::string_view name = TrimAsciiSpace(text.substr(0, open));
  if (name == "sum") {
    query.kind = QueryKind::kSum;
  } else if (name == "mean") {
    query.kind = QueryKind::kMean;
  } else if (name == "quantile") {
    query.kind = QueryKind::kQuantile;
  } else if (name == "histogram") {
    query.kind = QueryKind::kHistogram;
  } else {
    return Invalid("query: unknown function '" + std::string(name) + "' (count, sum, mean, quantile, histogram)");
  }
  std::string_view rest = text.substr(open + 1, text.size() - open - 2);
  MG_ASSIGN_OR_RETURN(query.column, ParseColumnArgument(rest));
  if (query.kind == QueryKind::kQuantile) {
    if (rest.empty() || rest.front() != ',')
      return Invalid("query: quantile needs a second argument, quantile(col, p)");
    rest.remove_prefix(1);
    const auto p = ParseFinite(rest);
    if (!p || *p < 0 || *p > 1) return Invalid("query: the quantile must be a number in [0, 1]");
    query.quantile = *p;
  } else if (!rest.empty()) {
    return Invalid("query: " + std::string(name) + " takes one column");
  }
  return query;
}

std::string ToString(const ReleaseQuery& query) {
  switch (query.kind) {
    case QueryKind::kCount:
      return "count";
    case QueryKind::kSum:
      return "sum(" + QuoteColumn(query.column) + ")";
    case QueryKind::kMean:
      return "mean(" + QuoteColumn(query.column) + ")";
    case QueryKind::kQuantile: {
      return "quantile(" + QuoteColumn(query.column) + ", " + JsonNumberText(query.quantile) + ")";
    }
    case QueryKind::kHistogram:
      return "histogram(" + QuoteColumn(query.column) + ")";
  }
  return {};
}

const ReleaseResult& PreparedRelease::description() const { return plan_->description; }

Result<PreparedRelease> PrepareRelease(std::istream& in, const std::string& format_name,
                                       const ReleaseOptions& options) {
  const ReleaseQuery& query = options.query;
  const bool gaussian = options.mechanism == NoiseMechanism::kGaussian;
  if (!(options.epsilon > 0) || !std::isfinite(options.epsilon) || options.epsilon > 1000)
    return Invalid("--epsilon must be a number in (0, 1000]");
  if (gaussian && !(options.delta > 0 && options.delta < 1))
    return Invalid("the Gaussian mechanism needs --delta in (0, 1)");
  if (!gaussian && options.delta != 0)
    return Invalid("--delta applies to the Gaussian mechanism only (Laplace and quantiles are pure epsilon)");
  if (query.kind == QueryKind::kQuantile && gaussian)
    return Invalid("quantiles use permute-and-flip (pure epsilon); --mechanism gaussian does not apply");
  if (options.contribution_limit < 1 || options.contribution_limit > 1000000)
    return Invalid("--contribution-limit must be in [1, 1000000]");
  if (options.contribution_limit > 1 && options.privacy_unit.empty())
    return Invalid("--contribution-limit needs --privacy-unit COLUMN, the column that names each person");
  const bool numeric_histogram = query.kind == QueryKind::kHistogram && options.categories.empty();
  const bool needs_bounds = query.kind == QueryKind::kSum || query.kind == QueryKind::kMean ||
                            query.kind == QueryKind::kQuantile || numeric_histogram;
  if (needs_bounds && !options.bounds)
    return Invalid(query.kind == QueryKind::kHistogram
                       ? "histogram needs --categories A,B,... for a categorical column, or --bounds LO,HI and "
                         "--bins N for a numeric one (taking them from the data would leak it)"
                       : "this query needs --bounds LO,HI (public bounds on the values; taking them from the data "
                         "would leak it)");
  double lo = 0, hi = 0;
  if (options.bounds) {
    std::tie(lo, hi) = *options.bounds;
    if (!std::isfinite(lo) || !std::isfinite(hi) || !(lo < hi) || std::fabs(lo) > 1e15 || std::fabs(hi) > 1e15)
      return Invalid("--bounds must be finite numbers LO < HI within +-1e15");
  }
  if (numeric_histogram && (options.bins < 1 || options.bins > kMaxHistogramBins))
    return Invalid("a numeric histogram needs --bins in [1, " + std::to_string(kMaxHistogramBins) + "]");
  if (!options.categories.empty() && options.categories.size() > kMaxHistogramBins)
    return Invalid("too many categories (at most " + std::to_string(kMaxHistogramBins) + ")");
  if (query.kind == QueryKind::kQuantile &&
      (options.quantile_candidates < 2 || options.quantile_candidates > kMaxQuantileCandidates))
    return Invalid("--candidates must be in [2, " + std::to_string(kMaxQuantileCandidates) + "]");

  MG_ASSIGN_OR_RETURN(data::TableFormat format, data::TableFormatOf(format_name, options.format));
  data::TableReader reader(in, format);
  data::Record record;
  MG_ASSIGN_OR_RETURN(bool more, reader.Next(record));
  const auto column_index = [&](const std::string& name) -> Result<size_t> {
    if (format == data::TableFormat::kJsonl) return size_t{0};
    const auto& header = reader.header();
    const auto it = std::find(header.begin(), header.end(), name);
    if (it == header.end()) return Invalid("no column '" + name + "' in the header");
    if (std::find(it + 1, header.end(), name) != header.end())
      return Invalid("column '" + name + "' appears twice in the header");
    return static_cast<size_t>(it - header.begin());
  };
  size_t value_index = 0, unit_index = 0;
  if (query.kind != QueryKind::kCount) {
    MG_ASSIGN_OR_RETURN(value_index, column_index(query.column));
  }
  if (!options.privacy_unit.empty()) {
    MG_ASSIGN_OR_RETURN(unit_index, column_index(options.privacy_unit));
  }

  auto plan = std::make_shared<PreparedRelease::Plan>();
  plan->kind = query.kind;
  plan->mechanism = options.mechanism;
  plan->bounds = {lo, hi};
  const uint64_t limit = options.contribution_limit;
  const double middle = lo / 2 + hi / 2;
  const double half_range = hi / 2 - lo / 2;
  // Sums (and the mean's centred sum) in 2^-20 steps of their grid.
  double sum_granularity = 1, fine_unit = 1, value_offset = 0, value_bound = 0;
  if (query.kind == QueryKind::kSum || query.kind == QueryKind::kMean) {
    value_offset = query.kind == QueryKind::kMean ? middle : 0;
    value_bound = query.kind == QueryKind::kMean ? half_range : std::max(std::fabs(lo), std::fabs(hi));
    const double share = query.kind == QueryKind::kMean ? 2 : 1;
    sum_granularity = SumGranularity(options.mechanism, static_cast<double>(limit) * value_bound,
                                     options.epsilon / share, options.delta / share);
    fine_unit = std::ldexp(sum_granularity, -kFineBits);
  }
  const size_t bin_count = query.kind != QueryKind::kHistogram ? 0
                           : numeric_histogram                 ? static_cast<size_t>(options.bins)
                                                               : options.categories.size() + 1;
  std::unordered_map<std::string, size_t> category_bin;
  for (size_t i = 0; i < options.categories.size(); ++i) {
    if (!category_bin.emplace(options.categories[i], i).second)
      return Invalid("category '" + options.categories[i] + "' is listed twice");
  }

  Accumulator acc;
  acc.bins.assign(bin_count, 0);
  RowsPerUnit kept_per_unit;
  std::string unit_scratch, value_scratch;
  // One record into the accumulator; `continue` of a loop is `return Ok{}` here.
  const auto add = [&]() -> Status {
    if (!record.error.empty()) return Ok{};  // a JSONL line that is not JSON: no row
    if (!options.privacy_unit.empty()) {
      const std::string* unit = CellText(record, format, unit_index, options.privacy_unit, unit_scratch);
      // Rows without an id all count as one person (the empty id): never as a person each, which would let
      // anyone contribute without limit by leaving the id out.
      const uint64_t key = Mix64(Fnv1a64(unit ? std::string_view(*unit) : std::string_view()));
      uint32_t* kept = kept_per_unit.Find(key);
      if (kept == nullptr)
        return MakeError(ErrorCode::kLimit, "more than " + std::to_string(kMaxPrivacyUnits) + " privacy units");
      if (*kept >= limit) return Ok{};
      ++*kept;
    }
    if (query.kind == QueryKind::kCount) {
      ++acc.rows;
      return Ok{};
    }
    const std::string* cell = CellText(record, format, value_index, query.column, value_scratch);
    if (query.kind == QueryKind::kHistogram && !numeric_histogram) {
      if (!cell) return Ok{};
      const auto it = category_bin.find(*cell);
      ++acc.bins[it == category_bin.end() ? options.categories.size() : it->second];
      return Ok{};
    }
    const auto value = cell ? ParseFinite(*cell) : std::nullopt;
    if (!value) return Ok{};
    const double clamped = std::clamp(*value, lo, hi);
    switch (query.kind) {
      case QueryKind::kSum:
      case QueryKind::kMean:
        ++acc.rows;
        // |centred value| <= value_bound < 2^32 grid steps, so below 2^52 fine steps: exact in a double.
        acc.fine_sum += static_cast<Int128>(std::llround((clamped - value_offset) / fine_unit));
        break;
      case QueryKind::kQuantile:
        if (acc.values.size() >= kMaxQuantileValues)
          return MakeError(ErrorCode::kLimit, "more than " + std::to_string(kMaxQuantileValues) + " values");
        acc.values.push_back(clamped);
        break;
      case QueryKind::kHistogram: {
        const double position = (clamped - lo) / (hi - lo) * static_cast<double>(bin_count);
        ++acc.bins[std::min(bin_count - 1, static_cast<size_t>(std::max(0.0, position)))];
        break;
      }
      case QueryKind::kCount:
        break;
    }
    return Ok{};
  };
  while (more) {
    MG_TRY(add());
    MG_ASSIGN_OR_RETURN(more, reader.Next(record));
  }

  ReleaseResult& description = plan->description;
  description.epsilon = options.epsilon;
  description.delta = gaussian ? options.delta : 0;
  description.mechanism = gaussian ? "discrete-gaussian" : "discrete-laplace";
  const std::string label = ToString(query);
  plan->label = label;
  // One noised integer. The group's granularity is applied when drawn.
  const auto describe = [&](const PreparedRelease::Plan::Group& group) {
    description.granularity = group.granularity;
    description.sensitivity = static_cast<double>(group.grid_sensitivity) * group.granularity;
    if (gaussian) {
      const double variance = static_cast<double>(group.variance_numerator) / kVarianceDenominator;
      description.noise_scale = std::sqrt(variance) * group.granularity;
      description.half_width_95 = static_cast<double>(DiscreteGaussianHalfWidth(variance, 0.95)) * group.granularity;
    } else {
      const double scale =
          static_cast<double>(group.laplace_numerator) / static_cast<double>(group.laplace_denominator);
      description.noise_scale = scale * group.granularity;
      description.half_width_95 = static_cast<double>(DiscreteLaplaceHalfWidth(scale, 0.95)) * group.granularity;
    }
  };
  // The grid value of a sum, and its sensitivity in grid steps: one unit moves the fine sum by at most
  // limit * round(bound / fine_unit), and rounding to the grid adds at most one step.
  const auto sum_component = [&]() -> std::pair<int64_t, uint64_t> {
    const Int128 half = Int128{1} << (kFineBits - 1);
    const auto grid_value = static_cast<int64_t>((acc.fine_sum + half) >> kFineBits);
    const auto per_value = static_cast<uint64_t>(std::llround(value_bound / fine_unit));
    const Int128 moved = static_cast<Int128>(limit) * per_value;
    return {grid_value, static_cast<uint64_t>(moved >> kFineBits) + 1};
  };
  switch (query.kind) {
    case QueryKind::kCount: {
      MG_ASSIGN_OR_RETURN(auto group, MakeGroup(options.mechanism, 1, limit, options.epsilon, options.delta, false));
      plan->groups.push_back(group);
      plan->components.push_back({label, static_cast<int64_t>(acc.rows), 0});
      describe(group);
      break;
    }
    case QueryKind::kSum: {
      const auto [grid_value, grid_sensitivity] = sum_component();
      MG_ASSIGN_OR_RETURN(auto group, MakeGroup(options.mechanism, sum_granularity, grid_sensitivity, options.epsilon,
                                                options.delta, false));
      plan->groups.push_back(group);
      plan->components.push_back({label, grid_value, 0});
      describe(group);
      break;
    }
    case QueryKind::kMean: {
      // Basic composition: (epsilon/2, delta/2) for the count and for the centred sum.
      MG_ASSIGN_OR_RETURN(auto count_group,
                          MakeGroup(options.mechanism, 1, limit, options.epsilon / 2, options.delta / 2, false));
      const auto [grid_value, grid_sensitivity] = sum_component();
      MG_ASSIGN_OR_RETURN(auto sum_group, MakeGroup(options.mechanism, sum_granularity, grid_sensitivity,
                                                    options.epsilon / 2, options.delta / 2, false));
      plan->groups = {count_group, sum_group};
      plan->components.push_back({"count", static_cast<int64_t>(acc.rows), 0});
      plan->components.push_back({"centred sum", grid_value, 1});
      describe(sum_group);
      description.half_width_95 = std::numeric_limits<double>::quiet_NaN();
      break;
    }
    case QueryKind::kHistogram: {
      MG_ASSIGN_OR_RETURN(auto group, MakeGroup(options.mechanism, 1, limit, options.epsilon, options.delta, gaussian));
      plan->groups.push_back(group);
      for (size_t bin = 0; bin < bin_count; ++bin) {
        std::string bin_label;
        if (numeric_histogram) {
          const double width = (hi - lo) / static_cast<double>(bin_count);
          const double start = lo + width * static_cast<double>(bin);
          const double end = bin + 1 == bin_count ? hi : lo + width * static_cast<double>(bin + 1);
          bin_label = "[" + JsonNumberText(start) + ", " + JsonNumberText(end) + (bin + 1 == bin_count ? "]" : ")");
        } else {
          bin_label = bin < options.categories.size() ? options.categories[bin] : "(other)";
        }
        plan->components.push_back({bin_label, static_cast<int64_t>(acc.bins[bin]), 0});
      }
      describe(group);
      break;
    }
    case QueryKind::kQuantile: {
      std::sort(acc.values.begin(), acc.values.end());
      const uint64_t candidates = options.quantile_candidates;
      plan->grid_step = (hi - lo) / static_cast<double>(candidates - 1);
      // Utility of candidate c: -|(#below c + #at or below c) 2^20 - 2 p_num n|, twice the distance of c's rank
      // from the target rank p n (the average of the two ranks, so a value shared by many rows is a good answer
      // for the ranks it covers). One unit's `limit` rows move the first term by at most 2 limit 2^20 and the
      // second by 2 limit p_num: sensitivity 2 limit max(p_num, 2^20 - p_num).
      const auto p_num = static_cast<int64_t>(std::llround(std::ldexp(query.quantile, kQuantileBits)));
      const int64_t p_den = int64_t{1} << kQuantileBits;
      const auto n = static_cast<int64_t>(acc.values.size());
      plan->utilities.resize(candidates);
      for (uint64_t j = 0; j < candidates; ++j) {
        const double c = j + 1 == candidates ? hi : lo + plan->grid_step * static_cast<double>(j);
        const auto below = std::lower_bound(acc.values.begin(), acc.values.end(), c) - acc.values.begin();
        const auto at_or_below = std::upper_bound(acc.values.begin(), acc.values.end(), c) - acc.values.begin();
        plan->utilities[j] = -std::llabs((below + at_or_below) * p_den - 2 * p_num * n);
      }
      plan->utility_sensitivity = 2 * limit * static_cast<uint64_t>(std::max(p_num, p_den - p_num));
      std::tie(plan->epsilon_numerator, plan->epsilon_denominator) = EpsilonFraction(options.epsilon);
      if (plan->epsilon_numerator == 0) return Invalid("epsilon below 2^-30 cannot be represented");
      description.mechanism = "permute-and-flip";
      description.granularity = plan->grid_step;
      description.sensitivity = static_cast<double>(limit) * std::max(query.quantile, 1 - query.quantile);
      description.noise_scale = std::numeric_limits<double>::quiet_NaN();
      description.half_width_95 = std::numeric_limits<double>::quiet_NaN();
      break;
    }
  }
  return PreparedRelease(std::move(plan));
}

namespace {

// Hashes what the table reader consumes, so the digest names exactly the bytes the release was computed on.
class DigestingBuffer final : public std::streambuf {
 public:
  explicit DigestingBuffer(std::streambuf* source) : source_(source) {}
  std::string HexDigest() { return digest_.HexDigest(); }

 protected:
  int_type underflow() override {
    const std::streamsize got = source_->sgetn(buffer_, sizeof buffer_);
    if (got <= 0) return traits_type::eof();
    digest_.Update(std::string_view(buffer_, static_cast<size_t>(got)));
    setg(buffer_, buffer_, buffer_ + got);
    return traits_type::to_int_type(buffer_[0]);
  }

 private:
  std::streambuf* source_;
  DigestStream digest_;
  char buffer_[65536];
};

}  // namespace

Result<PreparedRelease> PrepareReleaseFile(const std::string& path, const ReleaseOptions& options) {
  std::ifstream file;
  std::streambuf* source = std::cin.rdbuf();
  if (path == "-") {
    if (options.format.empty()) return Invalid("reading stdin needs --input-format csv|tsv|jsonl");
  } else {
    struct stat st {};
    if (::stat(path.c_str(), &st) != 0)
      return MakeError(ErrorCode::kIo, "cannot read '" + path + "': " + std::strerror(errno));
    if (!S_ISREG(st.st_mode)) return MakeError(ErrorCode::kIo, "'" + path + "' is not a regular file");
    file.open(path, std::ios::binary);
    if (!file) return MakeError(ErrorCode::kIo, "cannot open '" + path + "'");
    source = file.rdbuf();
  }
  auto digesting = std::make_unique<DigestingBuffer>(source);
  std::istream in(digesting.get());
  MG_ASSIGN_OR_RETURN(PreparedRelease prepared, PrepareRelease(in, path, options));
  if (in.bad()) return MakeError(ErrorCode::kIo, "error reading '" + path + "'");
  prepared.data_sha256_ = digesting->HexDigest();
  return prepared;
}

Result<std::string> DatasetSha256(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0)
    return MakeError(ErrorCode::kIo, "cannot read '" + path + "': " + std::strerror(errno));
  if (!S_ISREG(st.st_mode)) return MakeError(ErrorCode::kIo, "'" + path + "' is not a regular file");
  std::ifstream file(path, std::ios::binary);
  if (!file) return MakeError(ErrorCode::kIo, "cannot open '" + path + "'");
  auto digesting = std::make_unique<DigestingBuffer>(file.rdbuf());
  std::istream in(digesting.get());
  char chunk[65536];
  while (in.read(chunk, sizeof chunk) || in.gcount() > 0) {
  }
  if (in.bad() || file.bad()) return MakeError(ErrorCode::kIo, "error reading '" + path + "'");
  return digesting->HexDigest();
}

Result<ReleaseResult> PreparedRelease::Draw(RandomBits& bits) const {
  const Plan& plan = *plan_;
  ReleaseResult result = plan.description;
  if (plan.kind == QueryKind::kQuantile) {
    MG_ASSIGN_OR_RETURN(size_t index, PermuteAndFlip(bits, plan.utilities, plan.utility_sensitivity,
                                                     plan.epsilon_numerator, plan.epsilon_denominator));
    const double value = index + 1 == plan.utilities.size()
                             ? plan.bounds.second
                             : plan.bounds.first + plan.grid_step * static_cast<double>(index);
    result.values.push_back({plan.label, value});
    return result;
  }
  std::vector<double> noisy;
  for (const auto& component : plan.components) {
    const Plan::Group& group = plan.groups[component.group];
    int64_t noise = 0;
    if (plan.mechanism == NoiseMechanism::kGaussian) {
      MG_ASSIGN_OR_RETURN(noise, DiscreteGaussian(bits, group.variance_numerator, kVarianceDenominator));
    } else {
      MG_ASSIGN_OR_RETURN(noise, DiscreteLaplace(bits, group.laplace_numerator, group.laplace_denominator));
    }
    // grid_value + noise is an integer (exact in long double below 2^64), times a power of two.
    const long double steps = static_cast<long double>(component.grid_value) + static_cast<long double>(noise);
    noisy.push_back(static_cast<double>(steps * static_cast<long double>(group.granularity)));
  }
  if (plan.kind == QueryKind::kMean) {
    const auto [lo, hi] = plan.bounds;
    const double mean = lo / 2 + hi / 2 + noisy[1] / std::max(1.0, noisy[0]);
    result.values.push_back({plan.label, std::clamp(mean, lo, hi)});
    return result;
  }
  for (size_t i = 0; i < noisy.size(); ++i) result.values.push_back({plan.components[i].label, noisy[i]});
  return result;
}

}  // namespace modelguard::privacy
