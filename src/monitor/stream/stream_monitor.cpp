// The stream monitor's windows, detectors, calibration, alerts, metrics and state (stream.h).
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <deque>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "modelguard/core/hash.h"
#include "modelguard/core/json_text.h"
#include "modelguard/core/mersenne_twister.h"
#include "modelguard/monitor/stream.h"
#include "modelguard/stats/drift.h"
#include "modelguard/stats/isotonic.h"
#include "modelguard/stats/stats.h"

namespace modelguard::monitor {
namespace {

constexpr size_t kMaxCategories = 64;  // per signal; further values are counted as "(other)"
constexpr const char* kOther = "(other)";
constexpr const char* kNoRoute = "(none)";
constexpr const char* kStateSchema = "modelguard.monitor-state/v1";
// Classifier performance: the signals a prediction carries, and the alert its estimate raises.
constexpr std::string_view kPredictedClass = "signals.predicted_class";
constexpr std::string_view kTopProbability = "signals.top_probability";
constexpr const char* kEstimatedAccuracy = "estimated_accuracy";
constexpr const char* kCbpe = "cbpe";
constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

std::string NumberCategory(double value) { return JsonNumberText(value); }

void AddCategory(std::map<std::string, uint64_t>& counts, const std::string& category, uint64_t count = 1) {
  if (counts.size() >= kMaxCategories && !counts.count(category))
    counts[kOther] += count;
  else
    counts[category] += count;
}

struct Reference {
  size_t slot = 0;      // its route's references in creation order: the index of its window in each scope
  bool numeric = true;  // fixed by the first value seen
  std::vector<double> values;
  std::map<std::string, uint64_t> categories;
  uint64_t observations = 0;  // values offered (a reference file is sampled down to max_reference_values)
  // Set when the reference is complete.
  stats::ColumnSample sample;
  const stats::DriftTest* test = nullptr;
  double mean = 0, deviation = 0;
  double cusum_threshold = 0, page_hinkley_threshold = 0;  // 0: not calibrated (categories, constant values)
  std::string top_category;  // categories: the most common (the history follows its share)
  double top_share = 0;
  std::vector<double> edges;  // numeric: Sturges bins over the reference's range, for the report's bars
};

// A closed window's distribution, for the report: counts per reference bin (numbers) or per category.
// Numbers are kept as the window's values and binned only when asked (BinsOf): a window closes every few
// hundred events, and the report or the state asks for its bins far less often.
struct WindowDistribution {
  std::vector<double> values;
  std::vector<double> bins;  // when there are no values: as a saved state gave them
  std::map<std::string, uint64_t> categories;
};

// A numeric window's counts per reference bin (`edges`); values beyond the reference's range count in the end bins.
std::vector<double> BinsOf(const WindowDistribution& distribution, const std::vector<double>& edges) {
  if (distribution.values.empty() || edges.size() < 2) return distribution.bins;
  std::vector<double> clamped = distribution.values;
  for (double& v : clamped) v = std::clamp(v, edges.front(), edges.back());
  return stats::HistogramCounts(clamped, edges);
}

// Four significant digits: a bin's edge as a person reads it.
std::string EdgeText(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

double ReferenceMean(const Reference& ref) { return ref.numeric ? ref.mean : 0; }

// A map that gives up its oldest entries beyond a capacity: the predictions waiting for their labels, and the
// labels waiting for their predictions. Entries are found by request id; the order of arrival is kept beside
// them, with entries taken out left in place until they reach the front (or the order is compacted).
template <typename V>
class BoundedMap {
 public:
  // Inserts (a key already present moves to the back with its new value); returns how many entries were
  // given up to stay within `capacity`.
  uint64_t Put(const std::string& key, V value, size_t capacity) {
    entries_[key] = {std::move(value), next_};
    order_.push_back({next_++, key});
    uint64_t given_up = 0;
    while (entries_.size() > capacity) {
      if (Live(order_.front())) {
        entries_.erase(order_.front().second);
        ++given_up;
      }
      order_.pop_front();
    }
    while (!order_.empty() && !Live(order_.front())) order_.pop_front();
    if (order_.size() > 2 * entries_.size() + 64) {  // taken entries behind a long-lived one: compact
      std::deque<std::pair<uint64_t, std::string>> live;
      for (auto& entry : order_)
        if (Live(entry)) live.push_back(std::move(entry));
      order_.swap(live);
    }
    return given_up;
  }
  std::optional<V> Take(const std::string& key) {
    auto found = entries_.find(key);
    if (found == entries_.end()) return std::nullopt;
    V value = std::move(found->second.value);
    entries_.erase(found);
    return value;
  }
  size_t size() const { return entries_.size(); }
  template <typename F>
  void ForEachOldestFirst(F&& f) const {
    for (const auto& entry : order_)
      if (Live(entry)) f(entry.second, entries_.at(entry.second).value);
  }

 private:
  struct Entry {
    V value;
    uint64_t sequence = 0;
  };
  bool Live(const std::pair<uint64_t, std::string>& entry) const {
    auto found = entries_.find(entry.second);
    return found != entries_.end() && found->second.sequence == entry.first;
  }
  std::unordered_map<std::string, Entry> entries_;
  std::deque<std::pair<uint64_t, std::string>> order_;
  uint64_t next_ = 0;
};

// A prediction waiting for its label: where it was counted.
struct PendingPrediction {
  std::string route, key;  // key empty: counted in the route's scope only
  uint64_t route_window = 0, key_window = 0;
  int64_t reference = -1;  // an index into the route's reference predictions, or -1
  int64_t predicted = 0;
};

struct PerformanceWindow {
  uint64_t sequence = 0;
  int64_t first_ms = 0, last_ms = 0;
  uint64_t predictions = 0;
  std::vector<double> confidences;  // the scored predictions' top probabilities (open window only)
  uint64_t scored = 0;
  double estimate = kNaN;  // set when the window closes
  bool calibrated = false;
  uint64_t labelled = 0, correct = 0;
};

struct ScopePerformance {
  PerformanceWindow open;
  std::deque<PerformanceWindow> closed;  // the last performance_windows, oldest first
  PerformanceWindow* Find(uint64_t sequence) {
    if (sequence == open.sequence) return &open;
    if (closed.empty() || sequence < closed.front().sequence || sequence - closed.front().sequence >= closed.size())
      return nullptr;
    return &closed[sequence - closed.front().sequence];
  }
};

struct ReferencePrediction {
  double confidence = kNaN;  // NaN: the answer gave no scores
  int64_t predicted = 0;
  int64_t label = -1;  // -1: no label yet
};

struct RoutePerformance {
  std::vector<ReferencePrediction> reference;  // the reference's predictions (at most max_reference_values)
  uint64_t labelled = 0, correct = 0;          // over `reference`
  stats::IsotonicMap calibration;              // empty: confidences taken as calibrated
  uint64_t fitted_labels = 0;                  // `labelled` when the calibration was last fitted
  double estimate = kNaN, threshold = 0;
  bool judged = false;  // a threshold was set (at least two scored reference predictions)
};

struct Window {
  std::vector<double> values;
  // Signals that are categories: the first kMaxCategories distinct ones with their counts, flat and searched
  // from the last one counted (events of a route name a handful of categories, mostly the one before), and
  // the count of further ones; named as a map when a window closes (CategoriesOf).
  std::vector<std::pair<std::string, uint64_t>> category_counts;
  uint64_t category_other = 0;
  size_t last_category = 0;
  std::vector<std::pair<double, uint64_t>> number_counts;  // numeric ones compared by their values' counts
  uint64_t number_other = 0;                               // values past kMaxCategories distinct ones
  uint64_t count = 0;
  double cusum_up = 0, cusum_down = 0, cusum_max = 0;
  double running_mean = 0, ph_up = 0, ph_up_min = 0, ph_down = 0, ph_down_max = 0, ph_max = 0;
  bool cusum_alarm = false, ph_alarm = false;
};

struct Verdict {  // the last closed window's, for the metrics and --once
  double window_mean = std::numeric_limits<double>::quiet_NaN();
  double statistic = std::numeric_limits<double>::quiet_NaN();
  std::optional<double> p_value;
  std::string test;
  double cusum_max = 0, ph_max = 0;
  uint64_t windows = 0;
  std::map<std::string, uint64_t> alarms;  // detector -> windows in which it alarmed
};

struct AlertState {
  bool firing = false;
  uint64_t clean_windows = 0;
  std::string id;
  int64_t started_ms = 0;
};

struct Scope {
  std::string key;  // empty: the whole route
  uint64_t window_events = 0;
  std::map<std::string, Window, std::less<>> windows;
  std::vector<Window*> window_of_slot;  // into `windows` (map nodes stay put), by Reference::slot
  std::map<std::string, Verdict> verdicts;
  std::map<std::pair<std::string, std::string>, AlertState> alerts;  // (signal, detector)
  ScopePerformance performance;
  std::map<std::string, std::deque<WindowPoint>, std::less<>> history;       // the whole route's scope only
  std::map<std::string, WindowDistribution, std::less<>> last_distribution;  // the same
};

struct Route {
  uint64_t events = 0;
  uint64_t reference_events = 0;  // events that formed the reference
  bool complete = false;
  std::map<std::string, Reference, std::less<>> references;
  Scope whole;
  std::map<std::string, Scope, std::less<>> keys;
  // The previous event's signal names with their references (into `references`; nullptr: not followed).
  // Events of one route carry mostly the same signals in the same order, so a name costs one comparison
  // with the cached one instead of a lookup per scope.
  struct Recent {
    bool known = false;
    std::string name;
    Reference* reference = nullptr;
  };
  std::vector<Recent> recent;
  RoutePerformance performance;
};

// a == b for the short names compared at every event (signal names, routes), inline: eight bytes at a time,
// the last eight overlapping, where operator== calls memcmp.
[[gnu::always_inline]] inline bool SameName(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  const size_t n = a.size();
  if (n < 8) {
    for (size_t i = 0; i < n; ++i)
      if (a[i] != b[i]) return false;
    return true;
  }
  uint64_t x, y, diff = 0;
  for (size_t i = 0; i + 8 < n; i += 8) {
    std::memcpy(&x, a.data() + i, 8);
    std::memcpy(&y, b.data() + i, 8);
    diff |= x ^ y;
  }
  std::memcpy(&x, a.data() + n - 8, 8);
  std::memcpy(&y, b.data() + n - 8, 8);
  return (diff | (x ^ y)) == 0;
}

// Counted per event, so kept flat (a 0/1 signal has two entries) and named only when a window closes.
void CountNumber(Window& w, double value) {
  for (auto& [seen, count] : w.number_counts) {
    if (std::memcmp(&seen, &value, sizeof value) == 0) {  // -0.0 is its own value, as its name is
      ++count;
      return;
    }
  }
  if (w.number_counts.size() >= kMaxCategories) {
    ++w.number_other;
    return;
  }
  w.number_counts.push_back({value, 1});
}

void CountCategory(Window& w, const std::string& category) {
  auto& counts = w.category_counts;
  if (w.last_category < counts.size() && SameName(counts[w.last_category].first, category)) {
    ++counts[w.last_category].second;
    return;
  }
  for (size_t i = 0; i < counts.size(); ++i) {
    if (SameName(counts[i].first, category)) {
      ++counts[i].second;
      w.last_category = i;
      return;
    }
  }
  if (counts.size() >= kMaxCategories) {
    ++w.category_other;
    return;
  }
  counts.push_back({category, 1});
  w.last_category = counts.size() - 1;
}

// A window's counts by name: its categories, or its numbers' counts named as the reference names them.
std::map<std::string, uint64_t> CategoriesOf(const Window& w) {
  std::map<std::string, uint64_t> out;
  for (const auto& [name, count] : w.category_counts) out[name] += count;
  if (w.category_other) out[kOther] += w.category_other;
  for (const auto& [value, count] : w.number_counts) AddCategory(out, NumberCategory(value), count);
  if (w.number_other) out[kOther] += w.number_other;
  return out;
}

double Mean(const std::vector<double>& values) {
  double sum = 0;
  for (double v : values) sum += v;
  return values.empty() ? 0 : sum / static_cast<double>(values.size());
}

double SampleDeviation(const std::vector<double>& values, double mean) {
  if (values.size() < 2) return 0;
  double sum = 0;
  for (double v : values) sum += (v - mean) * (v - mean);
  return std::sqrt(sum / static_cast<double>(values.size() - 1));
}

// A value in reference standard deviations, clamped: a value a million deviations away (or an overflow, for
// values near the largest double) counts as that far, so the detectors' sums stay finite.
double Standardise(double value, double mean, double deviation) {
  constexpr double kFarthest = 1e6;
  const double z = (value - mean) / deviation;
  if (!(z > -kFarthest)) return -kFarthest;
  if (!(z < kFarthest)) return kFarthest;
  return z;
}

// Indices drawn uniformly from [0, n) for the bootstrap, which draws tens of millions of them: each 64-bit
// output of the generator gives two 32-bit numbers, each mapped to an index by Lemire's multiply-shift
// ("Fast random integer generation in an interval", 2019: the high half of x n, no division). Its bias is
// under n / 2^32 per index, a few millionths for the references a monitor keeps (max_reference_values);
// a reference past 2^32 values takes a 64-bit number per index the same way.
__extension__ typedef unsigned __int128 Uint128;  // GCC and Clang on 64-bit targets

class IndexDraws {
 public:
  IndexDraws(MersenneTwister64& rng, uint64_t n) : rng_(rng), n_(n) {}
  // The next `count` indices of the stream, the same however a caller splits it into calls.
  void Fill(uint64_t* out, size_t count) {
    if (count == 0) return;
    if (n_ > UINT32_MAX) {
      rng_.Generate(out, count);
      for (size_t i = 0; i < count; ++i) out[i] = static_cast<uint64_t>((static_cast<Uint128>(out[i]) * n_) >> 64);
      return;
    }
    if (has_spare_) {
      *out++ = (spare_ * n_) >> 32;
      --count;
      has_spare_ = false;
    }
    // Pairs of indices from whole numbers, drawn in bulk; an odd last index leaves the other half as a spare.
    const size_t pairs = count / 2;
    bits_.resize(pairs + 1);
    rng_.Generate(bits_.data(), pairs + count % 2);
    const uint64_t n = n_;
    for (size_t i = 0; i < pairs; ++i) {
      out[2 * i] = ((bits_[i] & UINT32_MAX) * n) >> 32;
      out[2 * i + 1] = ((bits_[i] >> 32) * n) >> 32;
    }
    if (count % 2) {
      out[count - 1] = ((bits_[pairs] & UINT32_MAX) * n) >> 32;
      spare_ = bits_[pairs] >> 32;
      has_spare_ = true;
    }
  }

 private:
  MersenneTwister64& rng_;
  uint64_t n_;
  uint64_t spare_ = 0;
  bool has_spare_ = false;
  std::vector<uint64_t> bits_;
};

// A closed window's values in ascending order for the KS test, by an LSD radix sort of their bits (as keys
// that order like the numbers: the sign bit flipped, and all bits of negatives): std::sort on a window of
// random latencies mispredicts about every other comparison, and cost more than the test. The order is
// std::sort's but between -0.0 and 0.0, which std::sort leaves as it finds them and this puts -0.0 first;
// nothing that reads the sorted window (the KS test's comparisons, the histogram) tells them apart. The
// values are finite (JSON numbers, or a state's checked values): no NaN to place.
void SortWindow(std::vector<double>& values) {
  constexpr size_t kSmall = 64;  // below this, std::sort's insertion sort is as fast
  const size_t n = values.size();
  if (n < kSmall) {
    std::sort(values.begin(), values.end());
    return;
  }
  thread_local std::vector<uint64_t> keys, spare;
  keys.resize(n);
  spare.resize(n);
  size_t counts[8][256] = {};
  for (size_t i = 0; i < n; ++i) {
    uint64_t bits;
    std::memcpy(&bits, &values[i], sizeof bits);
    bits = bits >> 63 ? ~bits : bits | (uint64_t{1} << 63);
    keys[i] = bits;
    for (int digit = 0; digit < 8; ++digit) ++counts[digit][(bits >> (8 * digit)) & 0xff];
  }
  for (int digit = 0; digit < 8; ++digit) {
    size_t* count = counts[digit];
    const unsigned shift = 8 * static_cast<unsigned>(digit);
    if (count[(keys[0] >> shift) & 0xff] == n) continue;  // every key has this digit: the pass moves nothing
    size_t offset = 0;
    for (size_t b = 0; b < 256; ++b) {
      const size_t here = count[b];
      count[b] = offset;
      offset += here;
    }
    for (size_t i = 0; i < n; ++i) spare[count[(keys[i] >> shift) & 0xff]++] = keys[i];
    keys.swap(spare);
  }
  for (size_t i = 0; i < n; ++i) {
    uint64_t bits = keys[i];
    bits = bits >> 63 ? bits & ~(uint64_t{1} << 63) : ~bits;
    std::memcpy(&values[i], &bits, sizeof bits);
  }
}

// The larger of two values as std::max gives it, for a double or for the lanes of a vector (GCC's vector
// extensions take ?: lane by lane).
template <typename T>
[[gnu::always_inline]] inline T Larger(T a, T b) {
  return a < b ? b : a;
}
template <typename T>
[[gnu::always_inline]] inline T Smaller(T a, T b) {
  return b < a ? b : a;
}
#if defined(__SSE2__)
// For doubles, the same by MAXSD and MINSD, whose "first operand if greater (less), else the second" is
// exactly the expressions above with the operands in this order (NaNs and signed zeros included). GCC
// compiles the expressions to a compare and a branch on the data instead, and a CUSUM sum hovering at zero
// takes that branch either way at random: it was the costliest part of a step.
template <>
[[gnu::always_inline]] inline double Larger(double a, double b) {
  return _mm_cvtsd_f64(_mm_max_sd(_mm_set_sd(b), _mm_set_sd(a)));
}
template <>
[[gnu::always_inline]] inline double Smaller(double a, double b) {
  return _mm_cvtsd_f64(_mm_min_sd(_mm_set_sd(b), _mm_set_sd(a)));
}
#endif

// One step of both sequential detectors on a standardised value `z`, the window's n-th, given as 1 / n. `S`
// holds the detectors' sums as doubles (a window) or as vectors of simulated windows in step (the
// calibration), so both take exactly the same arithmetic, lane by lane. The running mean is updated by a
// product with 1 / n, which is known before the step, rather than by a division: it is the longest chain
// from one step to the next, and a division on it cost more than the rest of the step.
template <typename S, typename T>
[[gnu::always_inline]] inline void StepDetectors(S& w, T z, double inverse_count, double k, double delta) {
  const T zero{};
  w.cusum_up = Larger(zero, w.cusum_up + z - k);
  w.cusum_down = Larger(zero, w.cusum_down - z - k);
  w.cusum_max = Larger(Larger(w.cusum_max, w.cusum_up), w.cusum_down);
  w.running_mean += (z - w.running_mean) * inverse_count;
  w.ph_up += z - w.running_mean - delta;
  w.ph_up_min = Smaller(w.ph_up_min, w.ph_up);
  w.ph_down += z - w.running_mean + delta;
  w.ph_down_max = Larger(w.ph_down_max, w.ph_down);
  w.ph_max = Larger(Larger(w.ph_max, w.ph_up - w.ph_up_min), w.ph_down_max - w.ph_down);
}

inline void Step(Window& w, double z, double k, double delta) {
  ++w.count;
  StepDetectors(w, z, 1.0 / static_cast<double>(w.count), k, delta);
}

// The calibration's simulated windows in step: two in the lanes of an SSE2 vector (what x86-64 always has;
// wider vectors would be split into scalar code there), and kCalibrationVectors such vectors at a time, whose
// chains of dependent steps the processor overlaps.
typedef double CalibrationLanes __attribute__((vector_size(2 * sizeof(double))));
constexpr size_t kCalibrationVectors = 2;
struct LaneDetectors {
  CalibrationLanes cusum_up{}, cusum_down{}, cusum_max{};
  CalibrationLanes running_mean{}, ph_up{}, ph_up_min{}, ph_down{}, ph_down_max{}, ph_max{};
};

std::string Escape(const std::string& text) {  // Prometheus label values
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out += '\\';
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out += c;
  }
  return out;
}

// Prometheus sample values: the shortest round-trip spelling, or its names for the non-finite ones.
std::string Number(double value) {
  if (std::isnan(value)) return "NaN";
  if (std::isinf(value)) return value > 0 ? "+Inf" : "-Inf";
  return JsonNumberText(value);
}

}  // namespace

nlohmann::ordered_json ToJson(const Alert& alert) {
  nlohmann::ordered_json out = {
      {"schema", "modelguard.monitor-alert/v1"},
      {"id", alert.id},
      {"status", alert.status},
      {"route", alert.route},
      {"key_id", alert.key_id.empty() ? nlohmann::ordered_json(nullptr) : nlohmann::ordered_json(alert.key_id)},
      {"signal", alert.signal},
      {"detector", alert.detector},
      {"statistic", alert.statistic},
      {"threshold", alert.threshold}};
  out["p_value"] = alert.p_value ? nlohmann::ordered_json(*alert.p_value) : nlohmann::ordered_json(nullptr);
  out["reference_mean"] = alert.reference_mean;
  out["window_mean"] = alert.window_mean;
  out["window_values"] = alert.window_values;
  out["time_ms"] = alert.time_ms;
  out["started_ms"] = alert.started_ms;
  out["message"] = alert.message;
  return out;
}

struct StreamMonitor::Impl {
  StreamSettings settings;
  std::map<std::string, Route, std::less<>> routes;
  uint64_t events = 0, episodes = 0, fired = 0, resolved = 0, kind_mismatches = 0;
  std::vector<Alert> pending;
  std::mt19937_64 reservoir{1};                 // a reference file's sampling
  std::vector<Reference*> references_of_event;  // the current event's signals' references (Resolve)
  // The last event's route (Observe): a node of `routes`, which are never taken out.
  std::pair<const std::string, Route>* last_route = nullptr;
  BoundedMap<PendingPrediction> pending_predictions;  // by request id
  BoundedMap<int64_t> early_labels;                   // labels read before their prediction, by request id
  LabelCounts label_counts;

  bool Wanted(const std::string& signal) const {
    return settings.signals.empty() ||
           std::find(settings.signals.begin(), settings.signals.end(), signal) != settings.signals.end();
  }

  // Routes past max_routes share "(other)"; events without a route are "(none)".
  std::string RouteName(const std::string& name) const {
    const std::string wanted = name.empty() ? kNoRoute : name;
    if (routes.count(wanted) || routes.size() < settings.max_routes) return wanted;
    return kOther;
  }

  void AddToReference(Route& route, const MonitoredEvent& event, std::mt19937_64& sampler) {
    for (const auto& [name, value] : event.signals) {
      if (!Wanted(name)) continue;
      auto found = route.references.find(name);
      if (found == route.references.end()) {
        if (route.references.size() >= settings.max_signals) continue;
        found = route.references.emplace(name, Reference{}).first;
        found->second.slot = route.references.size() - 1;
        found->second.numeric = value.numeric;
      }
      Reference& ref = found->second;
      if (ref.numeric != value.numeric) {
        ++kind_mismatches;
        continue;
      }
      ++ref.observations;
      if (value.numeric) {
        AddCategory(ref.categories, NumberCategory(value.number));
        // Reservoir sampling keeps a uniform sample of a long reference file.
        if (ref.values.size() < settings.max_reference_values) {
          ref.values.push_back(value.number);
        } else {
          const uint64_t slot = sampler() % ref.observations;
          if (slot < ref.values.size()) ref.values[slot] = value.number;
        }
      } else {
        AddCategory(ref.categories, value.category);
      }
    }
    ++route.reference_events;
  }

  // The thresholds of both sequential detectors: the (1 - rate) quantile of their maxima over simulated
  // windows, each the whole procedure replayed on the reference by the bootstrap: a reference resampled with
  // replacement gives the mean and deviation that standardise, a window drawn from the reference (as many
  // values as the signal shows per window there) is judged with them. Replaying the estimation matters:
  // sequential detectors add up small biases, and a mean estimated from 2,000 values is off by enough to
  // double a CUSUM's false alarms if the threshold ignored it. Alarms need a maximum strictly above the
  // threshold, so a statistic with atoms (0/1 signals) stays at or below the rate too.
  void Calibrate(const std::string& key, uint64_t reference_events, Reference& ref) const {
    ref.cusum_threshold = ref.page_hinkley_threshold = 0;
    if (!ref.numeric || ref.values.size() < 2 || !(ref.deviation > 0) || settings.calibration_runs == 0) return;
    const double presence =
        static_cast<double>(ref.observations) / static_cast<double>(std::max<uint64_t>(1, reference_events));
    const auto per_window = static_cast<uint64_t>(
        std::max(1.0, std::round(static_cast<double>(settings.window_events) * std::min(1.0, presence))));
    MersenneTwister64 rng(Mix64(settings.seed ^ Fnv1a64(key)));
    const std::vector<double>& values = ref.values;
    const size_t n = values.size();
    IndexDraws draw(rng, n);
    std::vector<double> cusum_maxima(settings.calibration_runs), ph_maxima(settings.calibration_runs);
    const double k = settings.cusum_k, delta = settings.page_hinkley_delta;
    // One run: its reference resampled, then its window, drawn in that order.
    // Its draws are taken a chunk at a time, never more than the run takes.
    std::vector<uint64_t> chunk(4096);
    size_t chunk_next = 0, chunk_filled = 0;
    uint64_t run_left = 0;  // draws the run being replayed has still to take
    auto next_index = [&] {
      if (chunk_next == chunk_filled) {
        chunk_filled = static_cast<size_t>(std::min<uint64_t>(chunk.size(), run_left));
        draw.Fill(chunk.data(), chunk_filled);
        chunk_next = 0;
      }
      --run_left;
      return chunk[chunk_next++];
    };
    auto run_alone = [&](uint64_t run) {
      run_left = n + per_window;
      chunk_next = chunk_filled = 0;
      double sum = 0, squares = 0;
      for (size_t i = 0; i < n; ++i) {
        const double v = values[next_index()] - ref.mean;  // centred: the sums stay well conditioned
        sum += v;
        squares += v * v;
      }
      const double mean = sum / static_cast<double>(n);
      const double variance = (squares - sum * mean) / static_cast<double>(n - 1);
      const double deviation = variance > 0 ? std::sqrt(variance) : ref.deviation;
      Window w;
      for (uint64_t i = 0; i < per_window; ++i)
        Step(w, Standardise(values[next_index()] - ref.mean, mean, deviation), k, delta);
      cusum_maxima[run] = w.cusum_max;
      ph_maxima[run] = w.ph_max;
    };
    // Runs replayed kLanes at a time, one in each lane of the vectors: their draws are taken in the order
    // above (each run's reference, then its window, run after run) and laid out lane by lane, so the sums and
    // detector steps of all lanes are vector operations, each lane's the same arithmetic in the same order as
    // a run alone. Runs too long to keep a block of (a reference or window of hundreds of thousands of values)
    // are replayed alone.
    constexpr size_t kVectors = kCalibrationVectors, kWidth = sizeof(CalibrationLanes) / sizeof(double);
    constexpr size_t kLanes = kVectors * kWidth;
    constexpr size_t kMaxDrawn = size_t{1} << 17;
    const uint64_t per_run = n + per_window;
    uint64_t run = 0;
    if (per_run * kLanes <= kMaxDrawn) {
      std::vector<uint64_t> indices(per_run * kLanes);  // in the order drawn: run after run
      std::vector<double> drawn(per_run * kLanes);      // value i of lane l: drawn[i * kLanes + l]
      const auto vector_at = [&](size_t i, size_t v) {  // lanes v * kWidth... of value i
        CalibrationLanes x;
        std::memcpy(&x, &drawn[i * kLanes + v * kWidth], sizeof x);
        return x;
      };
      for (; run + kLanes <= settings.calibration_runs; run += kLanes) {
        draw.Fill(indices.data(), indices.size());
        for (size_t lane = 0; lane < kLanes; ++lane)
          for (size_t i = 0; i < per_run; ++i)
            drawn[i * kLanes + lane] = values[indices[lane * per_run + i]] - ref.mean;
        CalibrationLanes sum[kVectors] = {}, squares[kVectors] = {};
        for (size_t i = 0; i < n; ++i) {
          for (size_t v = 0; v < kVectors; ++v) {
            const CalibrationLanes x = vector_at(i, v);
            sum[v] += x;
            squares[v] += x * x;
          }
        }
        const auto lane_deviation = [&](double variance) { return variance > 0 ? std::sqrt(variance) : ref.deviation; };
        CalibrationLanes mean[kVectors], deviation[kVectors];
        for (size_t v = 0; v < kVectors; ++v) {
          mean[v] = sum[v] / static_cast<double>(n);
          const CalibrationLanes variance = (squares[v] - sum[v] * mean[v]) / static_cast<double>(n - 1);
          static_assert(kWidth == 2);
          deviation[v] = CalibrationLanes{lane_deviation(variance[0]), lane_deviation(variance[1])};
        }
        LaneDetectors w[kVectors];
        constexpr double kFarthest = 1e6;  // Standardise's clamp, lane by lane
        for (uint64_t i = 0; i < per_window; ++i) {
          const double inverse_count = 1.0 / static_cast<double>(i + 1);
          for (size_t v = 0; v < kVectors; ++v) {
            CalibrationLanes z = (vector_at(n + i, v) - mean[v]) / deviation[v];
            z = z > -kFarthest ? z : -kFarthest;
            z = z < kFarthest ? z : kFarthest;
            StepDetectors(w[v], z, inverse_count, k, delta);
          }
        }
        for (size_t lane = 0; lane < kLanes; ++lane) {
          cusum_maxima[run + lane] = w[lane / kWidth].cusum_max[lane % kWidth];
          ph_maxima[run + lane] = w[lane / kWidth].ph_max[lane % kWidth];
        }
      }
    }
    for (; run < settings.calibration_runs; ++run) run_alone(run);
    const double runs = static_cast<double>(settings.calibration_runs);
    const auto rank = static_cast<size_t>(std::min(runs, std::ceil((1 - settings.false_alarm_rate) * (runs + 1))) - 1);
    std::nth_element(cusum_maxima.begin(), cusum_maxima.begin() + static_cast<long>(rank), cusum_maxima.end());
    std::nth_element(ph_maxima.begin(), ph_maxima.begin() + static_cast<long>(rank), ph_maxima.end());
    ref.cusum_threshold = cusum_maxima[rank];
    ref.page_hinkley_threshold = ph_maxima[rank];
  }

  void Complete(const std::string& route_name, Route& route) {
    route.complete = true;
    for (auto& [signal, ref] : route.references) {
      stats::ColumnSample& sample = ref.sample;
      sample = {};
      sample.numeric = ref.numeric;
      sample.values = ref.values;
      std::sort(sample.values.begin(), sample.values.end());  // sorted once: the KS test of each window skips it
      const bool overflow = ref.categories.count(kOther) > 0 && ref.numeric;
      if (!overflow)
        for (const auto& [name, count] : ref.categories)
          sample.categories.push_back({name, static_cast<double>(count)});
      sample.observations = ref.observations;
      sample.distinct = ref.categories.size();
      ref.top_category.clear();
      ref.top_share = 0;
      if (!ref.numeric) {
        uint64_t most = 0;
        for (const auto& [name, count] : ref.categories)
          if (count > most && name != kOther) most = count, ref.top_category = name;
        ref.top_share = static_cast<double>(most) / static_cast<double>(std::max<uint64_t>(1, ref.observations));
      }
      ref.edges.clear();
      if (ref.numeric && !ref.values.empty()) ref.edges = stats::SturgesEdges(ref.values, ref.values);
      if (ref.numeric) {
        ref.mean = Mean(ref.values);
        ref.deviation = SampleDeviation(ref.values, ref.mean);
        sample.standard_deviation = ref.deviation;
      }
      if (stats::KindOf(sample) == stats::ColumnKind::kNumeric)
        ref.test = stats::FindDriftTest("ks");
      else if (!sample.categories.empty())
        ref.test = stats::FindDriftTest(sample.distinct <= 2 ? "z" : "chi2");
      else
        ref.test = nullptr;
      Calibrate(route_name + "\x1f" + signal, route.reference_events, ref);
    }
    FitPerformance(route_name, route.performance);
  }

  // The prediction an event carries: its class (a whole number from 0 to 2^53) and its top probability (NaN
  // when the answer gave no scores, or gave one outside [0, 1]). False: the event made no prediction.
  static bool PredictionOf(const MonitoredEvent& event, int64_t& predicted, double& confidence) {
    bool found = false;
    confidence = kNaN;
    for (const auto& [name, value] : event.signals) {
      if (!value.numeric) continue;
      if (name == kPredictedClass) {
        const double v = value.number;
        found = v >= 0 && v <= 9007199254740992.0 && v == std::floor(v);
        if (found) predicted = static_cast<int64_t>(v);
      } else if (name == kTopProbability) {
        confidence = value.number >= 0 && value.number <= 1 ? value.number : kNaN;
      }
    }
    return found;
  }

  // The calibration from the reference's labelled predictions (when there are calibration_labels of them),
  // the reference's estimated accuracy, and the lower bound a window's estimate must stay above. The bound
  // replays the comparison by the bootstrap, as Calibrate does: each run resamples a reference (its estimate)
  // and a window from it (as many scored predictions as a window holds there), and the bound is the reference's
  // estimate plus the false_alarm_rate quantile of window minus reference. So a window like the reference falls
  // below it about that often, the reference's own estimation error included (ignoring it, a 200-prediction
  // window against a 2,000-prediction reference would alarm in about 5.8 % of windows at a configured 5 %, by
  // the normal approximation: the difference's variance is 1.1 times the window's alone).
  void FitPerformance(const std::string& route_name, RoutePerformance& perf) const {
    perf.calibration = {};
    if (settings.calibration_labels > 0 && perf.labelled >= settings.calibration_labels) {
      std::vector<double> x, y;
      for (const ReferencePrediction& r : perf.reference) {
        if (r.label < 0 || std::isnan(r.confidence)) continue;
        x.push_back(r.confidence);
        y.push_back(r.label == r.predicted ? 1 : 0);
      }
      perf.calibration = stats::IsotonicMap::Fit(x, y);
    }
    perf.fitted_labels = perf.labelled;
    std::vector<double> calibrated;
    for (const ReferencePrediction& r : perf.reference)
      if (!std::isnan(r.confidence)) calibrated.push_back(perf.calibration.Apply(r.confidence));
    perf.estimate = calibrated.empty() ? kNaN : Mean(calibrated);
    perf.judged = false;
    if (calibrated.size() < 2 || settings.calibration_runs == 0) return;
    const auto per_window = static_cast<uint64_t>(
        std::max(1.0, std::round(static_cast<double>(settings.window_events) * static_cast<double>(calibrated.size()) /
                                 static_cast<double>(perf.reference.size()))));
    MersenneTwister64 rng(Mix64(settings.seed ^ Fnv1a64(route_name + "\x1f" + kCbpe)));
    const size_t n = calibrated.size();
    std::vector<double> differences(settings.calibration_runs);
    for (double& difference : differences) {
      double reference_sum = 0, window_sum = 0;
      for (size_t i = 0; i < n; ++i) reference_sum += calibrated[rng() % n];
      for (uint64_t i = 0; i < per_window; ++i) window_sum += calibrated[rng() % n];
      difference = window_sum / static_cast<double>(per_window) - reference_sum / static_cast<double>(n);
    }
    const double runs = static_cast<double>(settings.calibration_runs);
    const auto rank = static_cast<size_t>(std::max(1.0, std::floor(settings.false_alarm_rate * (runs + 1))) - 1);
    std::nth_element(differences.begin(), differences.begin() + static_cast<long>(rank), differences.end());
    perf.threshold = perf.estimate + differences[rank];
    perf.judged = true;
  }

  void Join(const PendingPrediction& prediction, int64_t label) {
    ++label_counts.joined;
    auto route = routes.find(prediction.route);
    if (route == routes.end()) return;
    const bool right = label == prediction.predicted;
    RoutePerformance& perf = route->second.performance;
    if (prediction.reference >= 0) {
      const auto index = static_cast<size_t>(prediction.reference);
      if (index < perf.reference.size() && perf.reference[index].label < 0) {
        perf.reference[index].label = label;
        ++perf.labelled;
        perf.correct += right ? 1 : 0;
      }
      return;
    }
    auto count = [&](Scope& scope, uint64_t sequence) {
      if (PerformanceWindow* w = scope.performance.Find(sequence)) {
        ++w->labelled;
        w->correct += right ? 1 : 0;
      }
    };
    count(route->second.whole, prediction.route_window);
    if (!prediction.key.empty())
      if (auto key = route->second.keys.find(prediction.key); key != route->second.keys.end())
        count(key->second, prediction.key_window);
  }

  void Label(const std::string& request_id, int64_t label) {
    if (label < 0) {
      ++label_counts.refused;
      return;
    }
    if (auto prediction = pending_predictions.Take(request_id)) {
      Join(*prediction, label);
      return;
    }
    label_counts.dropped += early_labels.Put(request_id, label, settings.max_pending_labels);
  }

  // A prediction of a request with an id waits for its label, or meets the label that came first.
  void RecordPrediction(const MonitoredEvent& event, PendingPrediction prediction) {
    if (event.request_id.empty()) return;
    if (auto label = early_labels.Take(event.request_id)) {
      Join(prediction, *label);
      return;
    }
    label_counts.expired +=
        pending_predictions.Put(event.request_id, std::move(prediction), settings.max_pending_labels);
  }

  void AddReferencePrediction(const std::string& route_name, Route& route, const MonitoredEvent& event) {
    int64_t predicted = 0;
    double confidence = kNaN;
    if (!settings.performance || !PredictionOf(event, predicted, confidence)) return;
    auto& reference = route.performance.reference;
    // The first ones, not a sample: a label finds its reference prediction by its index.
    if (reference.size() >= settings.max_reference_values) return;
    reference.push_back({confidence, predicted, -1});
    PendingPrediction prediction;
    prediction.route = route_name;
    prediction.reference = static_cast<int64_t>(reference.size() - 1);
    prediction.predicted = predicted;
    RecordPrediction(event, std::move(prediction));
  }

  static void CountPrediction(Scope& scope, int64_t time_ms, double confidence) {
    PerformanceWindow& w = scope.performance.open;
    if (w.predictions == 0) w.first_ms = time_ms;
    w.last_ms = time_ms;
    ++w.predictions;
    if (!std::isnan(confidence)) {
      w.confidences.push_back(confidence);
      ++w.scored;
    }
  }

  // Labels for the reference arrived since the last fit: fitted again once they are calibration_labels, then
  // whenever they have grown by a tenth (or all are in). Each fit replays calibration_runs bootstrap windows,
  // so refitting at every window close while labels trickle in would cost more than the events.
  bool RefitDue(const RoutePerformance& perf) const {
    if (perf.labelled < settings.calibration_labels || perf.labelled == perf.fitted_labels) return false;
    return perf.fitted_labels < settings.calibration_labels ||
           perf.labelled >= perf.fitted_labels + perf.fitted_labels / 10 || perf.labelled == perf.reference.size();
  }

  void ClosePerformanceWindow(const std::string& route_name, Route& route, Scope& scope, int64_t time_ms) {
    RoutePerformance& perf = route.performance;
    if (RefitDue(perf)) FitPerformance(route_name, perf);  // a better calibration
    ScopePerformance& performance = scope.performance;
    PerformanceWindow& w = performance.open;
    double sum = 0;
    for (double confidence : w.confidences) sum += perf.calibration.Apply(confidence);
    w.estimate = w.scored ? sum / static_cast<double>(w.scored) : kNaN;
    w.calibrated = !perf.calibration.empty();
    if (perf.judged && w.scored >= settings.min_window_values) {
      if (w.estimate < perf.threshold)
        Drift(route_name, scope, kEstimatedAccuracy, kCbpe, perf.estimate, w.estimate, perf.threshold, std::nullopt,
              w.estimate, w.scored, time_ms);
      else
        Clean(route_name, scope, kEstimatedAccuracy, kCbpe, perf.estimate, w.estimate, perf.threshold, w.estimate,
              w.scored, time_ms);
    }
    std::vector<double>().swap(w.confidences);
    const uint64_t next = w.sequence + 1;
    performance.closed.push_back(std::move(w));
    while (performance.closed.size() > std::max<size_t>(1, settings.performance_windows))
      performance.closed.pop_front();
    performance.open = PerformanceWindow{};
    performance.open.sequence = next;
  }

  void Emit(const std::string& route_name, const Scope& scope, const std::string& signal, const std::string& detector,
            double reference_mean, AlertState& state, bool firing, double statistic, double threshold,
            std::optional<double> p_value, double window_mean, uint64_t window_values, int64_t time_ms) {
    Alert alert;
    alert.status = firing ? "firing" : "resolved";
    alert.route = route_name;
    alert.key_id = scope.key;
    alert.signal = signal;
    alert.detector = detector;
    alert.statistic = statistic;
    alert.threshold = threshold;
    alert.p_value = p_value;
    alert.reference_mean = reference_mean;
    alert.window_mean = window_mean;
    alert.window_values = window_values;
    alert.time_ms = time_ms;
    if (firing) {
      state.started_ms = time_ms;
      state.id = Sha256Hex(route_name + "\x1f" + scope.key + "\x1f" + signal + "\x1f" + detector + "\x1f" +
                           std::to_string(time_ms) + "\x1f" + std::to_string(++episodes))
                     .substr(0, 16);
      ++fired;
    } else {
      ++resolved;
    }
    alert.id = state.id;
    alert.started_ms = state.started_ms;
    const std::string where = route_name + (scope.key.empty() ? "" : " (key " + scope.key + ")");
    if (firing)
      alert.message = signal + " drifted on " + where + ": " + detector + " " + Number(statistic) +
                      (p_value ? " (p " + Number(*p_value) + ")" : "") + ", threshold " + Number(threshold);
    else
      alert.message = signal + " back to normal on " + where + " (" + detector + ", " +
                      std::to_string(settings.resolve_after) + " clean windows)";
    pending.push_back(std::move(alert));
  }

  // A detector's judgement of one window (test, at its end) or of one event (cusum, page_hinkley, as soon as
  // they cross): fires once per episode.
  void Drift(const std::string& route_name, Scope& scope, const std::string& signal, const std::string& detector,
             double reference_mean, double statistic, double threshold, std::optional<double> p_value,
             double window_mean, uint64_t window_values, int64_t time_ms) {
    AlertState& state = scope.alerts[{signal, detector}];
    state.clean_windows = 0;
    if (state.firing) return;
    state.firing = true;
    Emit(route_name, scope, signal, detector, reference_mean, state, true, statistic, threshold, p_value, window_mean,
         window_values, time_ms);
  }

  void Clean(const std::string& route_name, Scope& scope, const std::string& signal, const std::string& detector,
             double reference_mean, double statistic, double threshold, double window_mean, uint64_t window_values,
             int64_t time_ms) {
    auto found = scope.alerts.find({signal, detector});
    if (found == scope.alerts.end() || !found->second.firing) return;
    AlertState& state = found->second;
    if (++state.clean_windows < settings.resolve_after) return;
    state.firing = false;
    state.clean_windows = 0;
    Emit(route_name, scope, signal, detector, reference_mean, state, false, statistic, threshold, std::nullopt,
         window_mean, window_values, time_ms);
  }

  void CloseWindow(const std::string& route_name, Route& route, Scope& scope, int64_t time_ms) {
    for (auto& [signal, ref] : route.references) {
      auto found = scope.windows.find(signal);
      if (found == scope.windows.end()) continue;
      Window& w = found->second;
      const uint64_t seen = ref.numeric ? w.values.size() : w.count;
      Verdict& verdict = scope.verdicts[signal];
      const double window_mean = ref.numeric ? Mean(w.values) : std::numeric_limits<double>::quiet_NaN();
      bool test_alarm = false;
      if (seen >= settings.min_window_values) {
        ++verdict.windows;
        verdict.window_mean = window_mean;
        verdict.cusum_max = w.cusum_max;
        verdict.ph_max = w.ph_max;
        if (settings.test && ref.test) {
          stats::ColumnSample current;
          current.numeric = ref.numeric;
          // Sorted here, where the window is done with its order, and lent to the test, which then copies nothing.
          // Only the KS test reads the values; the z and chi-square tests compare counts.
          if (ref.test->numeric) SortWindow(w.values);
          current.values.swap(w.values);
          const auto categories = CategoriesOf(w);
          for (const auto& [name, count] : categories) current.categories.push_back({name, static_cast<double>(count)});
          current.observations = seen;
          current.distinct = categories.size();
          stats::DriftSettings drift_settings;
          drift_settings.threshold = settings.false_alarm_rate;
          drift_settings.ks_exact_max_sample = 0;  // asymptotic: the exact O(n m) would cost more than the events
          const auto outcome = ref.test->run(ref.sample, current, drift_settings);
          current.values.swap(w.values);
          verdict.test = outcome.test;
          verdict.statistic = outcome.statistic;
          verdict.p_value = outcome.p_value;
          test_alarm = outcome.drift;
          if (outcome.drift) ++verdict.alarms["test"];
          if (outcome.drift)
            Drift(route_name, scope, signal, "test", ReferenceMean(ref), outcome.statistic, outcome.threshold,
                  outcome.p_value, window_mean, seen, time_ms);
          else
            Clean(route_name, scope, signal, "test", ReferenceMean(ref), outcome.statistic, outcome.threshold,
                  window_mean, seen, time_ms);
        }
        if (settings.cusum && ref.cusum_threshold > 0 && !w.cusum_alarm)
          Clean(route_name, scope, signal, "cusum", ReferenceMean(ref), w.cusum_max, ref.cusum_threshold, window_mean,
                seen, time_ms);
        if (settings.page_hinkley && ref.page_hinkley_threshold > 0 && !w.ph_alarm)
          Clean(route_name, scope, signal, "page_hinkley", ReferenceMean(ref), w.ph_max, ref.page_hinkley_threshold,
                window_mean, seen, time_ms);
      }
      if (w.cusum_alarm) ++verdict.alarms["cusum"];
      if (w.ph_alarm) ++verdict.alarms["page_hinkley"];
      if (scope.key.empty() && seen >= settings.min_window_values && settings.history_windows > 0) {
        WindowPoint point;
        point.end_ms = time_ms;
        point.values = seen;
        if (ref.numeric) {
          point.value = window_mean;
        } else {
          uint64_t top_count = 0;
          for (const auto& [name, count] : w.category_counts)
            if (name == ref.top_category) top_count = count;
          point.value = static_cast<double>(top_count) / static_cast<double>(seen);
        }
        point.test = test_alarm;
        point.cusum = w.cusum_alarm;
        point.page_hinkley = w.ph_alarm;
        auto& points = scope.history[signal];
        points.push_back(point);
        while (points.size() > settings.history_windows) points.pop_front();
        WindowDistribution& distribution = scope.last_distribution[signal];
        distribution.values.clear();
        distribution.bins.clear();
        distribution.categories.clear();
        if (ref.numeric && ref.edges.size() >= 2)
          distribution.values.swap(w.values);  // the window is done with them; w.values takes the old buffer
        else if (!ref.numeric)
          distribution.categories = CategoriesOf(w);
      }
      // Emptied for the next window, its buffers kept: a window's values would otherwise be allocated afresh,
      // growing by doubling, in every window.
      std::vector<double> values = std::move(w.values);
      std::vector<std::pair<double, uint64_t>> number_counts = std::move(w.number_counts);
      values.clear();
      number_counts.clear();
      w = Window{};
      w.values = std::move(values);
      w.number_counts = std::move(number_counts);
    }
    scope.window_events = 0;
  }

  // The references of the event's signals into `references_of_event`, through the route's cache of the last names.
  void Resolve(Route& route, const MonitoredEvent& event) {
    references_of_event.resize(event.signals.size());
    if (route.recent.size() < event.signals.size()) route.recent.resize(event.signals.size());
    for (size_t i = 0; i < event.signals.size(); ++i) {
      const std::string& name = event.signals[i].first;
      Route::Recent& recent = route.recent[i];
      if (!recent.known || !SameName(recent.name, name)) {
        auto found = route.references.find(name);
        recent.reference = found == route.references.end() ? nullptr : &found->second;
        recent.name = name;
        recent.known = true;
      }
      references_of_event[i] = recent.reference;
    }
  }

  static Window& WindowOf(Scope& scope, const Reference& ref, const std::string& name) {
    if (ref.slot >= scope.window_of_slot.size()) scope.window_of_slot.resize(ref.slot + 1, nullptr);
    Window*& window = scope.window_of_slot[ref.slot];
    if (!window) window = &scope.windows.try_emplace(name).first->second;
    return *window;
  }

  // The event's signals into one scope's windows (Resolve first).
  void ObserveScope(const std::string& route_name, Route& route, Scope& scope, const MonitoredEvent& event) {
    for (size_t i = 0; i < event.signals.size(); ++i) {
      const Reference* found = references_of_event[i];
      if (!found) continue;
      const auto& [name, value] = event.signals[i];
      const Reference& ref = *found;
      if (ref.numeric != value.numeric) {
        ++kind_mismatches;
        continue;
      }
      Window& w = WindowOf(scope, ref, name);
      if (!value.numeric) {
        ++w.count;
        CountCategory(w, value.category);
        continue;
      }
      if (w.values.size() >= settings.window_events) continue;  // a name repeated within events
      w.values.push_back(value.number);
      if (ref.test && !ref.sample.categories.empty()) CountNumber(w, value.number);
      if (!(ref.deviation > 0)) continue;
      Step(w, Standardise(value.number, ref.mean, ref.deviation), settings.cusum_k, settings.page_hinkley_delta);
      if (settings.cusum && ref.cusum_threshold > 0 && !w.cusum_alarm && w.cusum_max > ref.cusum_threshold) {
        w.cusum_alarm = true;
        Drift(route_name, scope, name, "cusum", ReferenceMean(ref), w.cusum_max, ref.cusum_threshold, std::nullopt,
              Mean(w.values), w.values.size(), event.time_ms);
      }
      if (settings.page_hinkley && ref.page_hinkley_threshold > 0 && !w.ph_alarm &&
          w.ph_max > ref.page_hinkley_threshold) {
        w.ph_alarm = true;
        Drift(route_name, scope, name, "page_hinkley", ReferenceMean(ref), w.ph_max, ref.page_hinkley_threshold,
              std::nullopt, Mean(w.values), w.values.size(), event.time_ms);
      }
    }
    if (++scope.window_events >= settings.window_events) CloseWindow(route_name, route, scope, event.time_ms);
  }
};

StreamMonitor::StreamMonitor(StreamSettings settings) : impl_(std::make_unique<Impl>()) {
  impl_->settings = std::move(settings);
  impl_->settings.window_events = std::max<uint64_t>(1, impl_->settings.window_events);
  impl_->settings.reference_events = std::max<uint64_t>(1, impl_->settings.reference_events);
  impl_->settings.resolve_after = std::max<uint64_t>(1, impl_->settings.resolve_after);
}

StreamMonitor::~StreamMonitor() = default;

void StreamMonitor::AddReference(const MonitoredEvent& event) {
  const std::string name = impl_->RouteName(event.route);
  Route& route = impl_->routes[name];
  if (route.complete) return;
  impl_->AddToReference(route, event, impl_->reservoir);
  impl_->AddReferencePrediction(name, route, event);
}

void StreamMonitor::FreezeReferences() {
  for (auto& [name, route] : impl_->routes)
    if (!route.complete && route.reference_events > 0) impl_->Complete(name, route);
}

void StreamMonitor::Observe(const MonitoredEvent& event) {
  Impl& impl = *impl_;
  ++impl.events;
  const std::string_view route_key = event.route.empty() ? std::string_view(kNoRoute) : std::string_view(event.route);
  // Most events name the route the one before named: compared with it before the map is searched.
  auto* found = impl.last_route;
  if (!found || !SameName(found->first, route_key)) {
    auto named = impl.routes.find(route_key);
    if (named == impl.routes.end()) named = impl.routes.try_emplace(impl.RouteName(event.route)).first;
    found = &*named;
  }
  impl.last_route = found;
  const std::string& route_name = found->first;
  Route& route = found->second;
  ++route.events;
  if (!route.complete) {
    impl.AddToReference(route, event, impl.reservoir);
    impl.AddReferencePrediction(route_name, route, event);
    if (route.reference_events >= impl.settings.reference_events) impl.Complete(route_name, route);
    return;
  }
  impl.Resolve(route, event);
  impl.ObserveScope(route_name, route, route.whole, event);
  Scope* key_scope = nullptr;
  if (impl.settings.per_key && !event.key_id.empty()) {
    auto key = route.keys.find(event.key_id);
    if (key == route.keys.end()) {
      const std::string name = route.keys.size() >= impl.settings.max_keys_per_route ? kOther : event.key_id;
      key = route.keys.try_emplace(name).first;
      key->second.key = name;
    }
    key_scope = &key->second;
    impl.ObserveScope(route_name, route, *key_scope, event);
  }
  int64_t predicted = 0;
  double confidence = kNaN;
  if (!impl.settings.performance || !Impl::PredictionOf(event, predicted, confidence)) return;
  Impl::CountPrediction(route.whole, event.time_ms, confidence);
  if (key_scope) Impl::CountPrediction(*key_scope, event.time_ms, confidence);
  PendingPrediction prediction;
  prediction.route = route_name;
  prediction.route_window = route.whole.performance.open.sequence;
  if (key_scope) {
    prediction.key = key_scope->key;
    prediction.key_window = key_scope->performance.open.sequence;
  }
  prediction.predicted = predicted;
  impl.RecordPrediction(event, std::move(prediction));
  const uint64_t full = impl.settings.window_events;
  if (route.whole.performance.open.predictions >= full)
    impl.ClosePerformanceWindow(route_name, route, route.whole, event.time_ms);
  if (key_scope && key_scope->performance.open.predictions >= full)
    impl.ClosePerformanceWindow(route_name, route, *key_scope, event.time_ms);
}

void StreamMonitor::Label(std::string_view request_id, int64_t label) { impl_->Label(std::string(request_id), label); }

std::vector<SignalHistory> StreamMonitor::History() const {
  std::vector<SignalHistory> out;
  for (const auto& [route_name, route] : impl_->routes) {
    if (!route.complete) continue;
    for (const auto& [signal, ref] : route.references) {
      SignalHistory history;
      history.route = route_name;
      history.signal = signal;
      history.numeric = ref.numeric;
      history.category = ref.top_category;
      history.reference_value = ref.numeric ? ref.mean : ref.top_share;
      history.reference_spread = ref.numeric ? ref.deviation : std::sqrt(ref.top_share * (1 - ref.top_share));
      if (auto points = route.whole.history.find(signal); points != route.whole.history.end())
        history.points.assign(points->second.begin(), points->second.end());
      auto last = route.whole.last_distribution.find(signal);
      const auto share = [](double count, double total) { return total > 0 ? count / total : 0.0; };
      if (ref.numeric && ref.edges.size() >= 2) {
        const std::vector<double> reference = stats::HistogramCounts(ref.values, ref.edges);
        const double reference_total = static_cast<double>(ref.values.size());
        const std::vector<double> last_bins =
            last != route.whole.last_distribution.end() ? BinsOf(last->second, ref.edges) : std::vector<double>();
        double window_total = 0;
        for (double c : last_bins) window_total += c;
        for (size_t i = 0; i + 1 < ref.edges.size(); ++i) {
          history.bins.push_back(EdgeText(ref.edges[i]) + " to " + EdgeText(ref.edges[i + 1]));
          history.reference_shares.push_back(share(reference[i], reference_total));
          history.window_shares.push_back(i < last_bins.size() ? share(last_bins[i], window_total) : 0.0);
        }
      } else if (!ref.numeric) {
        std::map<std::string, std::pair<double, double>> both;
        double reference_total = 0, window_total = 0;
        for (const auto& [name, count] : ref.categories) {
          both[name].first = static_cast<double>(count);
          reference_total += static_cast<double>(count);
        }
        if (last != route.whole.last_distribution.end())
          for (const auto& [name, count] : last->second.categories) {
            both[name].second = static_cast<double>(count);
            window_total += static_cast<double>(count);
          }
        for (const auto& [name, counts] : both) {
          history.bins.push_back(name);
          history.reference_shares.push_back(share(counts.first, reference_total));
          history.window_shares.push_back(share(counts.second, window_total));
        }
      }
      out.push_back(std::move(history));
    }
  }
  return out;
}

LabelCounts StreamMonitor::labels() const {
  LabelCounts counts = impl_->label_counts;
  counts.waiting = impl_->early_labels.size();
  return counts;
}

std::vector<PerformanceStatus> StreamMonitor::Performance() const {
  std::vector<PerformanceStatus> out;
  for (const auto& [route_name, route] : impl_->routes) {
    const RoutePerformance& perf = route.performance;
    if (perf.reference.empty() && route.whole.performance.closed.empty() &&
        route.whole.performance.open.predictions == 0)
      continue;
    PerformanceStatus status;
    status.route = route_name;
    status.complete = route.complete;
    status.reference_predictions = perf.reference.size();
    status.reference_labelled = perf.labelled;
    status.reference_correct = perf.correct;
    status.reference_estimated_accuracy = perf.estimate;
    status.threshold = perf.judged ? perf.threshold : kNaN;
    status.calibrated = !perf.calibration.empty();
    auto add = [&](const Scope& scope) {
      for (const PerformanceWindow& w : scope.performance.closed)
        status.windows.push_back({scope.key, w.sequence, w.first_ms, w.last_ms, w.predictions, w.scored, w.estimate,
                                  w.calibrated, w.labelled, w.correct});
    };
    add(route.whole);
    for (const auto& [key, scope] : route.keys) add(scope);
    out.push_back(std::move(status));
  }
  return out;
}

std::vector<Alert> StreamMonitor::TakeAlerts() {
  std::vector<Alert> out;
  out.swap(impl_->pending);
  return out;
}

uint64_t StreamMonitor::events() const { return impl_->events; }

std::vector<SignalStatus> StreamMonitor::SignalStatuses() const {
  std::vector<SignalStatus> out;
  for (const auto& named_route : impl_->routes) {
    // Named, not structured bindings: clang before 16 cannot capture those in the lambda (scripts/fuzz).
    const std::string& route_name = named_route.first;
    const Route& route = named_route.second;
    auto add = [&](const Scope& scope) {
      for (const auto& [signal, ref] : route.references) {
        SignalStatus status;
        status.route = route_name;
        status.key_id = scope.key;
        status.signal = signal;
        status.numeric = ref.numeric;
        status.reference_mean = ref.mean;
        if (auto verdict = scope.verdicts.find(signal); verdict != scope.verdicts.end()) {
          status.last_window_mean = verdict->second.window_mean;
          status.windows = verdict->second.windows;
          status.alarmed_windows = verdict->second.alarms;
        }
        for (const auto& [which, state] : scope.alerts)
          if (which.first == signal) status.firing[which.second] = state.firing;
        out.push_back(std::move(status));
      }
      // The classifier's estimated accuracy, judged like a signal (the cbpe detector).
      const RoutePerformance& perf = route.performance;
      if (!route.complete || !perf.judged) return;
      SignalStatus status;
      status.route = route_name;
      status.key_id = scope.key;
      status.signal = kEstimatedAccuracy;
      status.reference_mean = perf.estimate;
      status.windows = scope.performance.closed.empty() ? 0 : scope.performance.closed.back().sequence + 1;
      status.last_window_mean = scope.performance.closed.empty() ? kNaN : scope.performance.closed.back().estimate;
      const auto state = scope.alerts.find({kEstimatedAccuracy, kCbpe});
      status.firing[kCbpe] = state != scope.alerts.end() && state->second.firing;
      out.push_back(std::move(status));
    };
    add(route.whole);
    for (const auto& [key, scope] : route.keys) add(scope);
  }
  return out;
}

std::string StreamMonitor::Prometheus() const {
  const Impl& impl = *impl_;
  std::string out;
  out += "# HELP modelguard_monitor_events_total Audit events read.\n# TYPE modelguard_monitor_events_total counter\n";
  out += "modelguard_monitor_events_total " + std::to_string(impl.events) + "\n";
  out +=
      "# HELP modelguard_monitor_alerts_total Alert messages sent, by status.\n"
      "# TYPE modelguard_monitor_alerts_total counter\n";
  out += "modelguard_monitor_alerts_total{status=\"firing\"} " + std::to_string(impl.fired) + "\n";
  out += "modelguard_monitor_alerts_total{status=\"resolved\"} " + std::to_string(impl.resolved) + "\n";
  const LabelCounts labels = this->labels();
  out +=
      "# HELP modelguard_monitor_labels_total Labels read, by what became of them (and predictions given up "
      "unlabelled: expired).\n# TYPE modelguard_monitor_labels_total counter\n";
  for (const auto& [outcome, count] : {std::pair<const char*, uint64_t>{"joined", labels.joined},
                                       {"dropped", labels.dropped},
                                       {"expired", labels.expired},
                                       {"refused", labels.refused}})
    out += std::string("modelguard_monitor_labels_total{outcome=\"") + outcome + "\"} " + std::to_string(count) + "\n";
  out +=
      "# HELP modelguard_monitor_labels_waiting Labels read before their prediction, waiting for it.\n"
      "# TYPE modelguard_monitor_labels_waiting gauge\n";
  out += "modelguard_monitor_labels_waiting " + std::to_string(labels.waiting) + "\n";
  std::string route_events, complete, reference_mean, thresholds, window_mean, p_values, statistics, cusum, ph, firing,
      alarmed, reference_accuracy, accuracy_threshold, estimated, realised, labelled, gap;
  for (const auto& named_route : impl.routes) {
    const std::string& route_name = named_route.first;  // not structured bindings: see SignalStatuses
    const Route& route = named_route.second;
    const std::string r = "route=\"" + Escape(route_name) + "\"";
    route_events += "modelguard_monitor_route_events_total{" + r + "} " + std::to_string(route.events) + "\n";
    complete += "modelguard_monitor_reference_complete{" + r + "} " + (route.complete ? "1" : "0") + "\n";
    for (const auto& [signal, ref] : route.references) {
      const std::string rs = r + ",signal=\"" + Escape(signal) + "\"";
      if (ref.numeric && route.complete)
        reference_mean += "modelguard_monitor_reference_mean{" + rs + "} " + Number(ref.mean) + "\n";
      if (ref.cusum_threshold > 0) {
        thresholds +=
            "modelguard_monitor_threshold{" + rs + ",detector=\"cusum\"} " + Number(ref.cusum_threshold) + "\n";
        thresholds += "modelguard_monitor_threshold{" + rs + ",detector=\"page_hinkley\"} " +
                      Number(ref.page_hinkley_threshold) + "\n";
      }
    }
    const RoutePerformance& perf = route.performance;
    if (route.complete && !std::isnan(perf.estimate)) {
      reference_accuracy +=
          "modelguard_monitor_reference_estimated_accuracy{" + r + "} " + Number(perf.estimate) + "\n";
      if (perf.judged)
        accuracy_threshold +=
            "modelguard_monitor_estimated_accuracy_threshold{" + r + "} " + Number(perf.threshold) + "\n";
    }
    auto scope_lines = [&](const Scope& scope) {
      const std::string rk = r + ",key=\"" + Escape(scope.key) + "\"";
      const auto& closed = scope.performance.closed;
      if (!closed.empty() && !std::isnan(closed.back().estimate))
        estimated += "modelguard_monitor_estimated_accuracy{" + rk + "} " + Number(closed.back().estimate) + "\n";
      // Realised: the latest closed window that has labels (labels come later than predictions).
      for (auto w = closed.rbegin(); w != closed.rend(); ++w) {
        if (w->labelled == 0) continue;
        const double accuracy = static_cast<double>(w->correct) / static_cast<double>(w->labelled);
        realised += "modelguard_monitor_realised_accuracy{" + rk + "} " + Number(accuracy) + "\n";
        labelled += "modelguard_monitor_labelled_predictions{" + rk + "} " + std::to_string(w->labelled) + "\n";
        if (!std::isnan(w->estimate))
          gap += "modelguard_monitor_accuracy_gap{" + rk + "} " + Number(w->estimate - accuracy) + "\n";
        break;
      }
      if (route.complete && perf.judged) {
        const auto state = scope.alerts.find({kEstimatedAccuracy, kCbpe});
        const bool on = state != scope.alerts.end() && state->second.firing;
        firing += "modelguard_monitor_alert_firing{" + rk + ",signal=\"" + kEstimatedAccuracy + "\",detector=\"" +
                  kCbpe + "\"} " + (on ? "1" : "0") + "\n";
      }
      for (const auto& [signal, verdict] : scope.verdicts) {
        const std::string l = rk + ",signal=\"" + Escape(signal) + "\"";
        if (!std::isnan(verdict.window_mean))
          window_mean += "modelguard_monitor_window_mean{" + l + "} " + Number(verdict.window_mean) + "\n";
        if (!verdict.test.empty()) {
          statistics += "modelguard_monitor_test_statistic{" + l + ",test=\"" + verdict.test + "\"} " +
                        Number(verdict.statistic) + "\n";
          if (verdict.p_value)
            p_values += "modelguard_monitor_test_p_value{" + l + ",test=\"" + verdict.test + "\"} " +
                        Number(*verdict.p_value) + "\n";
        }
        for (const auto& [detector, count] : verdict.alarms)
          alarmed += "modelguard_monitor_alarmed_windows_total{" + l + ",detector=\"" + detector + "\"} " +
                     std::to_string(count) + "\n";
        cusum +=
            "modelguard_monitor_window_statistic{" + l + ",detector=\"cusum\"} " + Number(verdict.cusum_max) + "\n";
        ph +=
            "modelguard_monitor_window_statistic{" + l + ",detector=\"page_hinkley\"} " + Number(verdict.ph_max) + "\n";
      }
      // Every detector that judges a signal has its gauge from the start, 0 until it fires.
      if (!route.complete) return;
      for (const auto& [signal, ref] : route.references) {
        for (const char* detector : {"test", "cusum", "page_hinkley"}) {
          const std::string which = detector;
          const bool judges = which == "test"    ? impl.settings.test && ref.test
                              : which == "cusum" ? impl.settings.cusum && ref.cusum_threshold > 0
                                                 : impl.settings.page_hinkley && ref.page_hinkley_threshold > 0;
          if (!judges) continue;
          const auto state = scope.alerts.find({signal, which});
          const bool on = state != scope.alerts.end() && state->second.firing;
          firing += "modelguard_monitor_alert_firing{" + rk + ",signal=\"" + Escape(signal) + "\",detector=\"" + which +
                    "\"} " + (on ? "1" : "0") + "\n";
        }
      }
    };
    scope_lines(route.whole);
    for (const auto& [key, scope] : route.keys) scope_lines(scope);
  }
  auto section = [&](const char* name, const char* type, const char* help, const std::string& lines) {
    if (lines.empty()) return;
    out += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " " + type + "\n" + lines;
  };
  section("modelguard_monitor_route_events_total", "counter", "Audit events read per route.", route_events);
  section("modelguard_monitor_reference_complete", "gauge", "1 once the route's reference is complete.", complete);
  section("modelguard_monitor_reference_mean", "gauge", "Mean of a numeric signal over the reference.", reference_mean);
  section("modelguard_monitor_threshold", "gauge", "Calibrated threshold of a sequential detector.", thresholds);
  section("modelguard_monitor_window_mean", "gauge", "Mean of a numeric signal over the last closed window.",
          window_mean);
  section("modelguard_monitor_test_statistic", "gauge", "Two-sample test statistic of the last closed window.",
          statistics);
  section("modelguard_monitor_test_p_value", "gauge", "Two-sample test p-value of the last closed window.", p_values);
  section("modelguard_monitor_window_statistic", "gauge",
          "Largest CUSUM or Page-Hinkley statistic in the last closed window.", cusum + ph);
  section("modelguard_monitor_reference_estimated_accuracy", "gauge",
          "Classifier accuracy estimated from the reference's calibrated confidences.", reference_accuracy);
  section("modelguard_monitor_estimated_accuracy_threshold", "gauge",
          "Lower bound of a window's estimated accuracy before the cbpe alert fires.", accuracy_threshold);
  section("modelguard_monitor_estimated_accuracy", "gauge",
          "Classifier accuracy estimated without labels over the last closed window.", estimated);
  section("modelguard_monitor_realised_accuracy", "gauge",
          "Accuracy over the labelled predictions of the latest closed window that has labels.", realised);
  section("modelguard_monitor_labelled_predictions", "gauge", "Labelled predictions behind the realised accuracy.",
          labelled);
  section("modelguard_monitor_accuracy_gap", "gauge", "Estimated minus realised accuracy of that window.", gap);
  section("modelguard_monitor_alert_firing", "gauge", "1 while an alert is firing.", firing);
  section("modelguard_monitor_alarmed_windows_total", "counter", "Closed windows in which a detector alarmed.",
          alarmed);
  return out;
}

namespace {

nlohmann::json OrNull(double value) { return std::isnan(value) ? nlohmann::json(nullptr) : nlohmann::json(value); }

nlohmann::json SavePerformanceWindow(const PerformanceWindow& w) {
  return {{"sequence", w.sequence},
          {"first_ms", w.first_ms},
          {"last_ms", w.last_ms},
          {"predictions", w.predictions},
          {"scored", w.scored},
          {"confidences", w.confidences},
          {"estimate", OrNull(w.estimate)},
          {"calibrated", w.calibrated},
          {"labelled", w.labelled},
          {"correct", w.correct}};
}

}  // namespace

// The state holds what cannot be recomputed: references' values and counts (their tests and calibrations are
// recomputed, deterministically, from them and the seed), windows in progress, detector and alert states.
nlohmann::json StreamMonitor::SaveState() const {
  const Impl& impl = *impl_;
  const StreamSettings& s = impl.settings;
  nlohmann::json out = {{"schema", kStateSchema},
                        {"settings",
                         {{"reference_events", s.reference_events},
                          {"window_events", s.window_events},
                          {"false_alarm_rate", s.false_alarm_rate},
                          {"cusum_k", s.cusum_k},
                          {"page_hinkley_delta", s.page_hinkley_delta},
                          {"calibration_runs", s.calibration_runs},
                          {"seed", s.seed},
                          {"detectors", {s.test, s.cusum, s.page_hinkley}}}},
                        {"events", impl.events},
                        {"episodes", impl.episodes},
                        {"fired", impl.fired},
                        {"resolved", impl.resolved}};
  nlohmann::json routes = nlohmann::json::array();
  for (const auto& [name, route] : impl.routes) {
    nlohmann::json references = nlohmann::json::array();
    for (const auto& [signal, ref] : route.references)
      references.push_back({{"signal", signal},
                            {"numeric", ref.numeric},
                            {"observations", ref.observations},
                            {"values", ref.values},
                            {"categories", ref.categories}});
    nlohmann::json scopes = nlohmann::json::array();
    const auto& references_of_route = route.references;  // clang 14 captures no structured binding
    auto save_scope = [&](const Scope& scope) {
      nlohmann::json windows = nlohmann::json::array();
      for (const auto& [signal, w] : scope.windows)
        windows.push_back({{"signal", signal},
                           {"values", w.values},
                           {"categories", CategoriesOf(w)},
                           {"count", w.count},
                           {"cusum", {w.cusum_up, w.cusum_down, w.cusum_max}},
                           {"page_hinkley", {w.running_mean, w.ph_up, w.ph_up_min, w.ph_down, w.ph_down_max, w.ph_max}},
                           {"alarms", {w.cusum_alarm, w.ph_alarm}}});
      nlohmann::json alerts = nlohmann::json::array();
      for (const auto& [which, state] : scope.alerts)
        alerts.push_back({{"signal", which.first},
                          {"detector", which.second},
                          {"firing", state.firing},
                          {"clean_windows", state.clean_windows},
                          {"id", state.id},
                          {"started_ms", state.started_ms}});
      nlohmann::json closed = nlohmann::json::array();
      for (const PerformanceWindow& w : scope.performance.closed) closed.push_back(SavePerformanceWindow(w));
      nlohmann::json history = nlohmann::json::array();
      for (const auto& [signal, points] : scope.history) {
        nlohmann::json saved = nlohmann::json::array();
        for (const WindowPoint& p : points)
          saved.push_back(
              {p.end_ms, OrNull(p.value), p.values, (p.test ? 1 : 0) | (p.cusum ? 2 : 0) | (p.page_hinkley ? 4 : 0)});
        nlohmann::json last = nullptr;
        if (auto found = scope.last_distribution.find(signal); found != scope.last_distribution.end()) {
          const auto ref = references_of_route.find(signal);
          last = !found->second.categories.empty()  ? nlohmann::json(found->second.categories)
                 : ref != references_of_route.end() ? nlohmann::json(BinsOf(found->second, ref->second.edges))
                                                    : nlohmann::json(found->second.bins);
        }
        history.push_back({{"signal", signal}, {"points", saved}, {"last", last}});
      }
      scopes.push_back(
          {{"key", scope.key},
           {"window_events", scope.window_events},
           {"windows", windows},
           {"alerts", alerts},
           {"history", history},
           {"performance", {{"open", SavePerformanceWindow(scope.performance.open)}, {"closed", closed}}}});
    };
    save_scope(route.whole);
    for (const auto& [key, scope] : route.keys) save_scope(scope);
    nlohmann::json predictions = nlohmann::json::array();
    const RoutePerformance& perf = route.performance;
    for (const ReferencePrediction& r : perf.reference)
      predictions.push_back({OrNull(r.confidence), r.predicted, r.label});
    // The fit in use: refitted only as labels grow, it is not always the fit of every label there now.
    const nlohmann::json fit = {{"labels", perf.fitted_labels}, {"x", perf.calibration.xs()},
                                {"y", perf.calibration.ys()},   {"estimate", OrNull(perf.estimate)},
                                {"threshold", perf.threshold},  {"judged", perf.judged}};
    routes.push_back({{"route", name},
                      {"events", route.events},
                      {"reference_events", route.reference_events},
                      {"complete", route.complete},
                      {"references", references},
                      {"reference_predictions", predictions},
                      {"calibration", fit},
                      {"scopes", scopes}});
  }
  out["routes"] = routes;
  const LabelCounts& counts = impl.label_counts;
  out["labels"] = {
      {"joined", counts.joined}, {"dropped", counts.dropped}, {"expired", counts.expired}, {"refused", counts.refused}};
  nlohmann::json pending = nlohmann::json::array();
  impl.pending_predictions.ForEachOldestFirst([&](const std::string& id, const PendingPrediction& p) {
    pending.push_back({id, p.route, p.key, p.route_window, p.key_window, p.reference, p.predicted});
  });
  out["pending_predictions"] = std::move(pending);
  nlohmann::json early = nlohmann::json::array();
  impl.early_labels.ForEachOldestFirst([&](const std::string& id, int64_t label) { early.push_back({id, label}); });
  out["early_labels"] = std::move(early);
  return out;
}

namespace {

// Checked reads of a state document (it sits on disk and may have been edited or cut short): each type is
// checked before it is read, so a float where a count belongs is an error, not a conversion.
template <typename T>
T Field(const nlohmann::json& object, const char* name) {
  if (!object.is_object() || !object.contains(name)) throw std::runtime_error(std::string("missing '") + name + "'");
  const nlohmann::json& value = object.at(name);
  bool fits = false;
  if constexpr (std::is_same_v<T, bool>)
    fits = value.is_boolean();
  else if constexpr (std::is_same_v<T, std::string>)
    fits = value.is_string();
  else if constexpr (std::is_same_v<T, double>)
    fits = value.is_number();
  else if constexpr (std::is_unsigned_v<T>)
    fits = value.is_number_unsigned() || (value.is_number_integer() && value.template get<int64_t>() >= 0);
  else if constexpr (std::is_integral_v<T>)
    fits = value.is_number_integer() &&
           !(value.is_number_unsigned() && value.template get<uint64_t>() > uint64_t{INT64_MAX});
  else
    fits = true;  // containers: nlohmann checks every element's type (and throws type_error)
  if (!fits) throw std::runtime_error(std::string("'") + name + "' has the wrong type");
  return value.template get<T>();
}

std::vector<double> FiniteValues(const nlohmann::json& object, const char* name, size_t cap) {
  auto values = Field<std::vector<double>>(object, name);
  if (values.size() > cap)
    throw std::runtime_error(std::string("'") + name + "' holds more values than the settings allow");
  for (double v : values)
    if (!std::isfinite(v)) throw std::runtime_error(std::string("'") + name + "' holds a value that is not finite");
  return values;
}

// A number, or null for "none" (NaN, which JSON cannot spell).
double NumberOrNaN(const nlohmann::json& value, const char* name) {
  if (value.is_null()) return kNaN;
  if (!value.is_number() || !std::isfinite(value.get<double>()))
    throw std::runtime_error(std::string("'") + name + "' is not a finite number or null");
  return value.get<double>();
}

// A whole number from `low` up, as a list item (Field reads members of objects).
int64_t Whole(const nlohmann::json& value, int64_t low, const char* name) {
  if (!value.is_number_integer() || (value.is_number_unsigned() && value.get<uint64_t>() > uint64_t{INT64_MAX}) ||
      value.get<int64_t>() < low)
    throw std::runtime_error(std::string("'") + name + "' holds an item that is not a whole number from " +
                             std::to_string(low));
  return value.get<int64_t>();
}

const nlohmann::json& ListOf(const nlohmann::json& object, const char* name, size_t cap) {
  const nlohmann::json& list = object.at(name);
  if (!list.is_array() || list.size() > cap)
    throw std::runtime_error(std::string("'") + name + "' is not a list of at most " + std::to_string(cap) + " items");
  return list;
}

PerformanceWindow LoadPerformanceWindow(const nlohmann::json& saved, const StreamSettings& s) {
  PerformanceWindow w;
  w.sequence = Field<uint64_t>(saved, "sequence");
  w.first_ms = Field<int64_t>(saved, "first_ms");
  w.last_ms = Field<int64_t>(saved, "last_ms");
  w.predictions = Field<uint64_t>(saved, "predictions");
  w.scored = Field<uint64_t>(saved, "scored");
  w.confidences = FiniteValues(saved, "confidences", s.window_events);
  w.estimate = NumberOrNaN(saved.at("estimate"), "estimate");
  w.calibrated = Field<bool>(saved, "calibrated");
  w.labelled = Field<uint64_t>(saved, "labelled");
  w.correct = Field<uint64_t>(saved, "correct");
  if (w.predictions > s.window_events || w.scored > w.predictions ||
      (!w.confidences.empty() && w.confidences.size() != w.scored) || w.correct > w.labelled)
    throw std::runtime_error("a performance window's counts do not add up");
  for (double c : w.confidences)
    if (c < 0 || c > 1) throw std::runtime_error("a performance window's confidence is outside [0, 1]");
  return w;
}

std::map<std::string, uint64_t> Categories(const nlohmann::json& object) {
  auto categories = Field<std::map<std::string, uint64_t>>(object, "categories");
  if (categories.size() > kMaxCategories + 1) throw std::runtime_error("too many categories");
  return categories;
}

}  // namespace

Status StreamMonitor::LoadState(const nlohmann::json& state) {
  Impl fresh;
  fresh.settings = impl_->settings;
  const StreamSettings& s = fresh.settings;
  try {
    if (Field<std::string>(state, "schema") != kStateSchema) throw std::runtime_error("not a monitor state");
    const auto& saved = state.at("settings");
    if (Field<uint64_t>(saved, "reference_events") != s.reference_events ||
        Field<uint64_t>(saved, "window_events") != s.window_events ||
        Field<double>(saved, "false_alarm_rate") != s.false_alarm_rate ||
        Field<double>(saved, "cusum_k") != s.cusum_k ||
        Field<double>(saved, "page_hinkley_delta") != s.page_hinkley_delta ||
        Field<uint64_t>(saved, "calibration_runs") != s.calibration_runs || Field<uint64_t>(saved, "seed") != s.seed ||
        Field<std::vector<bool>>(saved, "detectors") != std::vector<bool>{s.test, s.cusum, s.page_hinkley})
      return MakeError(ErrorCode::kInvalidArgument,
                       "the state was saved with other reference, window, rate or detector settings; remove it to "
                       "start afresh");
    fresh.events = Field<uint64_t>(state, "events");
    fresh.episodes = Field<uint64_t>(state, "episodes");
    fresh.fired = Field<uint64_t>(state, "fired");
    fresh.resolved = Field<uint64_t>(state, "resolved");
    const auto& routes = state.at("routes");
    if (!routes.is_array() || routes.size() > s.max_routes + 2)
      throw std::runtime_error("'routes' is not a short list");
    for (const auto& saved_route : routes) {
      const auto name = Field<std::string>(saved_route, "route");
      if (fresh.routes.count(name)) throw std::runtime_error("route '" + name + "' appears twice");
      Route& route = fresh.routes[name];
      route.events = Field<uint64_t>(saved_route, "events");
      route.reference_events = Field<uint64_t>(saved_route, "reference_events");
      const auto& references = saved_route.at("references");
      if (!references.is_array() || references.size() > s.max_signals) throw std::runtime_error("too many signals");
      for (const auto& saved_ref : references) {
        const auto [slot, created] = route.references.try_emplace(Field<std::string>(saved_ref, "signal"));
        if (!created) throw std::runtime_error("signal '" + slot->first + "' appears twice");
        Reference& ref = slot->second;
        ref.slot = route.references.size() - 1;
        ref.numeric = Field<bool>(saved_ref, "numeric");
        ref.observations = Field<uint64_t>(saved_ref, "observations");
        ref.values = FiniteValues(saved_ref, "values", std::max<size_t>(s.max_reference_values, s.reference_events));
        ref.categories = Categories(saved_ref);
      }
      RoutePerformance& perf = route.performance;
      if (saved_route.contains("reference_predictions")) {  // states saved before performance have none
        for (const auto& item : ListOf(saved_route, "reference_predictions", s.max_reference_values)) {
          if (!item.is_array() || item.size() != 3) throw std::runtime_error("a reference prediction");
          ReferencePrediction r;
          r.confidence = NumberOrNaN(item[0], "reference_predictions");
          if (!std::isnan(r.confidence) && (r.confidence < 0 || r.confidence > 1))
            throw std::runtime_error("a reference prediction's confidence is outside [0, 1]");
          r.predicted = Whole(item[1], 0, "reference_predictions");
          r.label = Whole(item[2], -1, "reference_predictions");
          perf.reference.push_back(r);
          if (r.label >= 0) {
            ++perf.labelled;
            perf.correct += r.label == r.predicted ? 1 : 0;
          }
        }
      }
      if (Field<bool>(saved_route, "complete")) fresh.Complete(name, route);
      if (saved_route.contains("calibration")) {
        const auto& fit = saved_route.at("calibration");
        auto map = stats::IsotonicMap::FromPoints(FiniteValues(fit, "x", s.max_reference_values),
                                                  FiniteValues(fit, "y", s.max_reference_values));
        if (!map) throw std::runtime_error("a calibration that is not an isotonic map");
        perf.calibration = std::move(*map);
        perf.fitted_labels = Field<uint64_t>(fit, "labels");
        perf.estimate = NumberOrNaN(fit.at("estimate"), "estimate");
        perf.threshold = Field<double>(fit, "threshold");
        perf.judged = Field<bool>(fit, "judged");
        if (perf.fitted_labels > perf.labelled) throw std::runtime_error("a calibration of more labels than there are");
      }
      const auto& scopes = saved_route.at("scopes");
      if (!scopes.is_array() || scopes.size() > s.max_keys_per_route + 2) throw std::runtime_error("too many scopes");
      bool first = true;
      for (const auto& saved_scope : scopes) {
        const auto key = Field<std::string>(saved_scope, "key");
        if (first != key.empty()) throw std::runtime_error("the route's own scope must come first, alone");
        Scope& scope = first ? route.whole : route.keys[key];
        first = false;
        scope.key = key;
        scope.window_events = Field<uint64_t>(saved_scope, "window_events");
        for (const auto& saved_window : saved_scope.at("windows")) {
          const auto signal = Field<std::string>(saved_window, "signal");
          if (!route.references.count(signal)) throw std::runtime_error("a window of an unknown signal");
          Window& w = scope.windows[signal];
          w.values = FiniteValues(saved_window, "values", s.window_events);
          if (route.references.at(signal).numeric) {
            for (const auto& [text, count] : Categories(saved_window)) {
              if (text == kOther) {
                w.number_other = count;
                continue;
              }
              char* end = nullptr;
              const double value = std::strtod(text.c_str(), &end);
              if (end != text.c_str() + text.size() || !std::isfinite(value))
                throw std::runtime_error("a window's number category '" + text + "' is not a number");
              w.number_counts.push_back({value, count});
            }
          } else {
            for (const auto& [category, count] : Categories(saved_window)) {
              if (category == kOther)
                w.category_other += count;  // counted past kMaxCategories (or a category of that name: the same sum)
              else
                w.category_counts.push_back({category, count});
            }
          }
          w.count = Field<uint64_t>(saved_window, "count");
          const auto cusum = Field<std::vector<double>>(saved_window, "cusum");
          const auto ph = Field<std::vector<double>>(saved_window, "page_hinkley");
          const auto alarms = Field<std::vector<bool>>(saved_window, "alarms");
          if (cusum.size() != 3 || ph.size() != 6 || alarms.size() != 2)
            throw std::runtime_error("a window's detector state");
          w.cusum_up = cusum[0], w.cusum_down = cusum[1], w.cusum_max = cusum[2];
          w.running_mean = ph[0], w.ph_up = ph[1], w.ph_up_min = ph[2], w.ph_down = ph[3], w.ph_down_max = ph[4],
          w.ph_max = ph[5];
          w.cusum_alarm = alarms[0], w.ph_alarm = alarms[1];
        }
        for (const auto& saved_alert : saved_scope.at("alerts")) {
          AlertState& alert =
              scope.alerts[{Field<std::string>(saved_alert, "signal"), Field<std::string>(saved_alert, "detector")}];
          alert.firing = Field<bool>(saved_alert, "firing");
          alert.clean_windows = Field<uint64_t>(saved_alert, "clean_windows");
          alert.id = Field<std::string>(saved_alert, "id");
          alert.started_ms = Field<int64_t>(saved_alert, "started_ms");
        }
        if (saved_scope.contains("history")) {  // states saved before the history have none
          for (const auto& saved_history : ListOf(saved_scope, "history", s.max_signals)) {
            const auto signal = Field<std::string>(saved_history, "signal");
            if (!route.references.count(signal) || !key.empty())
              throw std::runtime_error("a history of an unknown signal, or of a key");
            auto [slot, created] = scope.history.try_emplace(signal);
            if (!created) throw std::runtime_error("signal '" + signal + "' has two histories");
            for (const auto& item : ListOf(saved_history, "points", s.history_windows)) {
              if (!item.is_array() || item.size() != 4) throw std::runtime_error("a history point");
              WindowPoint p;
              p.end_ms = Whole(item[0], std::numeric_limits<int64_t>::min(), "points");
              p.value = NumberOrNaN(item[1], "points");
              p.values = static_cast<uint64_t>(Whole(item[2], 0, "points"));
              const int64_t flags = Whole(item[3], 0, "points");
              if (flags > 7) throw std::runtime_error("a history point's detectors");
              p.test = (flags & 1) != 0;
              p.cusum = (flags & 2) != 0;
              p.page_hinkley = (flags & 4) != 0;
              slot->second.push_back(p);
            }
            if (saved_history.contains("last") && !saved_history.at("last").is_null()) {
              WindowDistribution& distribution = scope.last_distribution[signal];
              const Reference& ref = route.references.at(signal);
              if (ref.numeric) {
                distribution.bins = FiniteValues(saved_history, "last", ref.edges.size());
                if (distribution.bins.size() + 1 != ref.edges.size())
                  throw std::runtime_error("a last window's bins are not the reference's");
              } else {
                auto categories = saved_history.at("last");
                distribution.categories = Categories(nlohmann::json{{"categories", categories}});
              }
            }
          }
        }
        if (saved_scope.contains("performance")) {
          const auto& saved_performance = saved_scope.at("performance");
          ScopePerformance& performance = scope.performance;
          for (const auto& saved_window : ListOf(saved_performance, "closed", s.performance_windows)) {
            performance.closed.push_back(LoadPerformanceWindow(saved_window, s));
            // Consecutive: a label finds its window by the distance from the first.
            if (performance.closed.size() > 1 &&
                performance.closed.back().sequence != performance.closed[performance.closed.size() - 2].sequence + 1)
              throw std::runtime_error("closed performance windows out of sequence");
          }
          performance.open = LoadPerformanceWindow(saved_performance.at("open"), s);
          if (!performance.closed.empty() && performance.open.sequence != performance.closed.back().sequence + 1)
            throw std::runtime_error("the open performance window out of sequence");
        }
      }
    }
    if (state.contains("labels")) {
      const auto& labels = state.at("labels");
      fresh.label_counts.joined = Field<uint64_t>(labels, "joined");
      fresh.label_counts.dropped = Field<uint64_t>(labels, "dropped");
      fresh.label_counts.expired = Field<uint64_t>(labels, "expired");
      fresh.label_counts.refused = Field<uint64_t>(labels, "refused");
    }
    if (state.contains("pending_predictions")) {
      for (const auto& item : ListOf(state, "pending_predictions", s.max_pending_labels)) {
        if (!item.is_array() || item.size() != 7 || !item[0].is_string() || !item[1].is_string() ||
            !item[2].is_string())
          throw std::runtime_error("a pending prediction");
        PendingPrediction p;
        p.route = item[1].get<std::string>();
        p.key = item[2].get<std::string>();
        p.route_window = static_cast<uint64_t>(Whole(item[3], 0, "pending_predictions"));
        p.key_window = static_cast<uint64_t>(Whole(item[4], 0, "pending_predictions"));
        p.reference = Whole(item[5], -1, "pending_predictions");
        p.predicted = Whole(item[6], 0, "pending_predictions");
        if (item[0].get<std::string>().size() > kMaxAuditNameBytes) throw std::runtime_error("a request id too long");
        fresh.pending_predictions.Put(item[0].get<std::string>(), std::move(p), s.max_pending_labels);
      }
    }
    if (state.contains("early_labels")) {
      for (const auto& item : ListOf(state, "early_labels", s.max_pending_labels)) {
        if (!item.is_array() || item.size() != 2 || !item[0].is_string()) throw std::runtime_error("an early label");
        if (item[0].get<std::string>().size() > kMaxAuditNameBytes) throw std::runtime_error("a request id too long");
        fresh.early_labels.Put(item[0].get<std::string>(), Whole(item[1], 0, "early_labels"), s.max_pending_labels);
      }
    }
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kParse, std::string("monitor state: ") + e.what());
  }
  *impl_ = std::move(fresh);
  return Ok{};
}

}  // namespace modelguard::monitor
