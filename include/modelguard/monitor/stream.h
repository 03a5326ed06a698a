#pragma once
// `monitor serve`'s engine: the gateway's audit events, one at a time, against a reference, per route and per
// API key, with a stated false-alarm rate.
//
// Each route's reference is its first `reference_events` events (or a file of events given before the stream).
// Once it is complete, every scope (the route, and the route seen through each API key) collects tumbling
// windows of `window_events` events and judges each signal three ways:
//   - test: the window against the reference with a two-sample test at p < false_alarm_rate (KS for numeric
//     signals with more than 5 distinct reference values, the proportion z-test for binary ones, chi-square for
//     other categories; stats/drift.h);
//   - cusum: a two-sided CUSUM of the values standardised by the reference (allowance k in reference standard
//     deviations), restarted at each window;
//   - page_hinkley: Page-Hinkley against the window's own running mean (a change inside the window, whatever
//     the reference), restarted at each window.
// The CUSUM and Page-Hinkley thresholds are calibrated on the reference itself by the bootstrap: the (1 - rate)
// quantile of the statistic's maximum over `calibration_runs` replays of the whole procedure (a resampled
// reference standardises a window resampled from the reference), so on a stream that behaves like the
// reference each detector alarms in at most about `false_alarm_rate` of the windows, whatever the signal's
// distribution (latency's long tail, a 0/1 refusal flag) and despite the reference's own estimation error.
//
// An alert fires once when a detector first alarms (dedup: later drifting windows do not repeat it) and is
// resolved after `resolve_after` consecutive clean windows. Memory is bounded: at most max_routes named routes
// and max_keys_per_route named keys per route (the rest share the route or key "(other)"), max_signals signals
// per route, per scope and signal one window of values.
#include <cstdint>
#include <map>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::monitor {

// A signal's value in one event: a number (booleans are 0/1 numbers) or a category.
struct SignalValue {
  bool numeric = true;
  double number = 0;
  std::string category;
};

// One audit event reduced to what the monitor follows; no text from prompts or answers ever reaches it (the
// gateway's `signals` hold none, and only the members below are read).
struct MonitoredEvent {
  int64_t time_ms = 0;
  std::string route, key_id;
  std::string request_id;  // the gateway's id of the request (empty: none), which labels name
  std::vector<std::pair<std::string, SignalValue>> signals;
};

// Reads `route`, `key_id`, `request_id`, `latency_ms`, `first_byte_ms`, `tokens` (numbers), `status` (as the
// category status_class "2xx"...)
// and every number, boolean and string in `signals`, nested objects flattened to dotted names
// ("signals.guard.scores.injection"); lists (a batch of classifier rows) are left out. Not a JSON object:
// kParse.
// Limits keep one hostile line from costing more than a normal one by orders of magnitude: a line over the
// size, a route, key, signal name or category over kMaxAuditNameBytes, or more than kMaxAuditSignals
// members inside `signals` is refused (kLimit), never half read.
inline constexpr size_t kMaxAuditLineBytes = size_t{1} << 20;
inline constexpr size_t kMaxAuditNameBytes = 256;
inline constexpr size_t kMaxAuditSignals = 256;
Result<MonitoredEvent> ParseAuditEvent(std::string_view line);
// The same into `event`, whose buffers are reused from line to line (the monitor reads every line the gateway
// writes; allocating each event's strings afresh cost a third of the parse). After an error `event` means nothing.
Status ParseAuditEvent(std::string_view line, MonitoredEvent& event);
// The same, keeping only the signals named in `signals` (StreamSettings::signals: what the monitor follows)
// and signals.predicted_class and signals.top_probability (the classifier performance it follows whatever
// the list; empty: every signal). The line is read and checked as above, limits included: it is refused
// exactly when the call above refuses it, and the signals kept are those the call above gives that pass.
Status ParseAuditEvent(std::string_view line, MonitoredEvent& event, const std::vector<std::string>& signals);

struct StreamSettings {
  uint64_t reference_events = 1000;  // per route, when no reference file is given
  uint64_t window_events = 500;      // events per window (each scope counts its own)
  double false_alarm_rate = 0.01;    // per window, per scope, signal and detector
  bool test = true, cusum = true, page_hinkley = true;
  bool per_key = true;
  std::vector<std::string> signals;   // empty: every signal the events carry
  uint64_t resolve_after = 2;         // consecutive clean windows before an alert is resolved
  double cusum_k = 0.25;              // allowance, reference standard deviations (tuned for 0.5 sd shifts)
  double page_hinkley_delta = 0.125;  // Page-Hinkley's tolerance, reference standard deviations
  uint64_t calibration_runs = 2000;
  uint64_t seed = 1;
  size_t max_routes = 64, max_keys_per_route = 100, max_signals = 64;
  size_t max_reference_values = 10000;  // a reference file is sampled down to this many values per signal
  uint64_t min_window_values = 20;      // a signal seen fewer times in a window is not judged there
  // Classifier performance (see PerformanceStatus): events whose signals carry predicted_class.
  bool performance = true;
  uint64_t calibration_labels = 100;   // labelled reference predictions before the calibration replaces identity
  size_t max_pending_labels = 100000;  // predictions kept for a label to come, and labels for their prediction
  size_t performance_windows = 100;    // closed windows kept per scope, for labels that arrive later
  size_t history_windows = 120;        // closed windows kept per route and signal for the report's time series
};

// One closed window of a route's signal (the whole route, not each key), for the report's time series.
struct WindowPoint {
  int64_t end_ms = 0;  // the time of the window's last event
  double value = 0;    // numeric: the window's mean; categories: the followed category's share (NaN: none)
  uint64_t values = 0;
  bool test = false, cusum = false, page_hinkley = false;  // the detectors that alarmed in the window
};
struct SignalHistory {
  std::string route, signal;
  bool numeric = true;
  std::string category;             // categories: the reference's most common one, whose share is followed
  double reference_value = 0;       // the reference's mean, or that category's share
  double reference_spread = 0;      // per value: the standard deviation, or sqrt(share (1 - share))
  std::vector<WindowPoint> points;  // oldest first
  // The last closed window's distribution beside the reference's: bins over the reference's range (values
  // beyond it counted in the end bins) or categories; shares of each side.
  std::vector<std::string> bins;
  std::vector<double> reference_shares, window_shares;
};

// Classifier routes without labels: confidence-based performance estimation (NannyML's CBPE, on the top-label
// confidence the gateway records). Each prediction (an event whose signals carry `predicted_class`, and
// `top_probability` when the answer gave scores) is right with the probability its calibrated confidence
// states, so a window's expected accuracy is the mean calibrated confidence. The calibration is the isotonic
// regression of "the label was the predicted class" on the confidence, fitted on the reference's labelled
// predictions once `calibration_labels` of them have labels (stats/isotonic.h); until then confidences are
// taken as calibrated. Windows of `window_events` predictions per scope; a window whose estimate falls below
// the reference's by more than chance (the false_alarm_rate quantile of windows resampled from the
// reference) fires the alert `estimated_accuracy` / `cbpe`. Labels joined by request id give each window's
// realised accuracy as they arrive, and the gap between estimate and reality.
struct PerformanceWindowStatus {
  std::string key_id;     // empty: the whole route
  uint64_t sequence = 0;  // the scope's performance windows, counted from 0
  int64_t first_ms = 0, last_ms = 0;
  uint64_t predictions = 0, scored = 0;  // scored: with a top probability
  double estimated_accuracy = 0;         // NaN when no prediction was scored
  bool calibrated = false;               // estimated with a fitted calibration (else confidences as stated)
  uint64_t labelled = 0, correct = 0;    // realised accuracy: correct / labelled
};
struct PerformanceStatus {
  std::string route;
  bool complete = false;  // the reference is complete
  uint64_t reference_predictions = 0, reference_labelled = 0, reference_correct = 0;
  double reference_estimated_accuracy = 0, threshold = 0;  // the alarm's lower bound on a window's estimate
  bool calibrated = false;
  std::vector<PerformanceWindowStatus> windows;  // closed windows kept, the route's first, then each key's
};
// What became of labels given to StreamMonitor::Label.
struct LabelCounts {
  uint64_t joined = 0;   // matched their prediction
  uint64_t waiting = 0;  // not matched yet: their prediction has not been read (or was never recorded)
  uint64_t dropped = 0;  // waited longest while max_pending_labels others waited: given up
  uint64_t expired = 0;  // predictions given up unlabelled the same way
  uint64_t refused = 0;  // a label that was not a class index
};

struct Alert {
  std::string id;             // one per episode: the same in its firing and resolved messages
  std::string status;         // firing | resolved
  std::string route, key_id;  // key_id empty: the whole route
  std::string signal, detector;
  double statistic = 0, threshold = 0;
  std::optional<double> p_value;               // test only
  double reference_mean = 0, window_mean = 0;  // numeric signals (rates for 0/1 ones)
  uint64_t window_values = 0;
  int64_t time_ms = 0;     // the event that decided
  int64_t started_ms = 0;  // when the episode fired
  std::string message;
};
nlohmann::ordered_json ToJson(const Alert& alert);

// The latest verdicts of one scope and signal, for --once summaries and the metrics.
struct SignalStatus {
  std::string route, key_id, signal;
  bool numeric = true;
  double reference_mean = 0, last_window_mean = 0;
  uint64_t windows = 0;                             // closed windows judged
  std::map<std::string, bool> firing;               // detector -> alert firing
  std::map<std::string, uint64_t> alarmed_windows;  // detector -> windows in which it alarmed
};

class StreamMonitor {
 public:
  explicit StreamMonitor(StreamSettings settings);
  ~StreamMonitor();
  StreamMonitor(const StreamMonitor&) = delete;
  StreamMonitor& operator=(const StreamMonitor&) = delete;

  // A reference file: events given here form their routes' references, which are complete at FreezeReferences.
  void AddReference(const MonitoredEvent& event);
  void FreezeReferences();
  void Observe(const MonitoredEvent& event);
  // The true class of request `request_id`'s prediction, read before or after the prediction itself. A label
  // for a prediction whose window is no longer kept counts as joined but changes no window.
  void Label(std::string_view request_id, int64_t label);
  std::vector<Alert> TakeAlerts();

  uint64_t events() const;
  std::vector<SignalStatus> SignalStatuses() const;
  std::vector<PerformanceStatus> Performance() const;  // routes that made predictions
  std::vector<SignalHistory> History() const;          // routes whose reference is complete
  LabelCounts labels() const;
  // Prometheus text exposition (gauges per route, key, signal and detector; counters of events).
  std::string Prometheus() const;
  // Everything needed to continue after a restart: references, calibrations, windows, detector and alert states.
  nlohmann::json SaveState() const;
  // Refuses a state saved with different settings (window, rate, detectors) or of another shape.
  Status LoadState(const nlohmann::json& state);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace modelguard::monitor
