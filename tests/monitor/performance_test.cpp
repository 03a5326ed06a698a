// Classifier performance in the stream monitor: accuracy estimated from calibrated confidences (CBPE-style),
// labels joined by request id into realised accuracy, the cbpe alert and its false-alarm rate, bounded waiting
// for labels, and all of it across a restart.
#include <gtest/gtest.h>

#include <cmath>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "modelguard/monitor/stream.h"

namespace modelguard::monitor {
namespace {

// A three-class classifier that is overconfident: it states a confidence p (uniform on [low, high]) and is
// right with probability p², so its true accuracy is E[p²] while its confidences promise E[p].
struct Classifier {
  double low = 0.5, high = 1.0;
};

struct Labelled {
  MonitoredEvent event;
  int64_t truth = 0;
  bool right = false;
};

Labelled Predict(std::mt19937_64& rng, const Classifier& model, uint64_t id, const std::string& key = "k1") {
  std::uniform_real_distribution<double> uniform(0, 1);
  const double p = model.low + (model.high - model.low) * uniform(rng);
  const auto predicted = static_cast<int64_t>(rng() % 3);
  Labelled out;
  out.right = uniform(rng) < p * p;
  out.truth = out.right ? predicted : (predicted + 1) % 3;
  out.event.time_ms = static_cast<int64_t>(1796000000000 + id);
  out.event.route = "predict";
  out.event.key_id = key;
  out.event.request_id = "r" + std::to_string(id);
  out.event.signals.push_back({"latency_ms", SignalValue{true, 3.0 + uniform(rng), {}}});
  out.event.signals.push_back({"signals.predicted_class", SignalValue{true, static_cast<double>(predicted), {}}});
  out.event.signals.push_back({"signals.top_probability", SignalValue{true, p, {}}});
  return out;
}

StreamSettings Settings(uint64_t reference, uint64_t window, double rate = 0.01) {
  StreamSettings settings;
  settings.reference_events = reference;
  settings.window_events = window;
  settings.false_alarm_rate = rate;
  settings.per_key = false;
  settings.resolve_after = 1;
  settings.calibration_runs = 2000;
  settings.performance_windows = 1000;
  settings.signals = {"latency_ms", "signals.top_probability"};  // drift detectors on a few signals only
  return settings;
}

// The one route's status (a copy: the list is a temporary).
PerformanceStatus Route(const std::vector<PerformanceStatus>& all) {
  EXPECT_EQ(all.size(), 1u);
  return all.at(0);
}

TEST(Performance, CalibratedEstimateMatchesRealisedAccuracyWhereStatedConfidenceDoesNot) {
  constexpr uint64_t kReference = 2000, kWindow = 500, kWindows = 20;
  StreamMonitor calibrated(Settings(kReference, kWindow));
  StreamMonitor uncalibrated(Settings(kReference, kWindow));  // never gets a reference label
  std::mt19937_64 rng(5);
  std::vector<Labelled> stream;
  for (uint64_t i = 0; i < kReference + kWindows * kWindow; ++i) stream.push_back(Predict(rng, {}, i));
  for (uint64_t i = 0; i < kReference; ++i) {
    calibrated.Observe(stream[i].event);
    uncalibrated.Observe(stream[i].event);
  }
  // The reference's labels arrive before the first window closes; they calibrate.
  for (uint64_t i = 0; i < kReference; ++i) calibrated.Label(stream[i].event.request_id, stream[i].truth);
  for (uint64_t i = kReference; i < stream.size(); ++i) {
    calibrated.Observe(stream[i].event);
    uncalibrated.Observe(stream[i].event);
  }
  // Later, every other prediction is labelled; each label goes to its own window.
  std::vector<uint64_t> labelled(kWindows), correct(kWindows);
  for (uint64_t i = kReference; i < stream.size(); i += 2) {
    calibrated.Label(stream[i].event.request_id, stream[i].truth);
    const uint64_t window = (i - kReference) / kWindow;
    ++labelled[window];
    correct[window] += stream[i].right ? 1 : 0;
  }
  const PerformanceStatus route = Route(calibrated.Performance());
  EXPECT_TRUE(route.complete);
  EXPECT_TRUE(route.calibrated);
  EXPECT_EQ(route.reference_predictions, kReference);
  EXPECT_EQ(route.reference_labelled, kReference);
  // Isotonic regression keeps the mean of what it fits: on its own reference the estimate is the reference's
  // realised accuracy.
  EXPECT_NEAR(route.reference_estimated_accuracy,
              static_cast<double>(route.reference_correct) / static_cast<double>(route.reference_labelled), 1e-12);
  ASSERT_EQ(route.windows.size(), kWindows);
  double estimated = 0, realised = 0;
  for (uint64_t w = 0; w < kWindows; ++w) {
    const PerformanceWindowStatus& window = route.windows[w];
    EXPECT_EQ(window.sequence, w);
    EXPECT_EQ(window.predictions, kWindow);
    EXPECT_EQ(window.scored, kWindow);
    EXPECT_TRUE(window.calibrated);
    EXPECT_EQ(window.labelled, labelled[w]) << "window " << w;
    EXPECT_EQ(window.correct, correct[w]) << "window " << w;
    estimated += window.estimated_accuracy / kWindows;
    realised += static_cast<double>(window.correct) / static_cast<double>(window.labelled) / kWindows;
  }
  // True accuracy E[p²] for p uniform on [0.5, 1] is 7/12 = 0.5833; stated confidence promises 0.75.
  const PerformanceStatus stated = Route(uncalibrated.Performance());
  EXPECT_FALSE(stated.calibrated);
  double promised = 0;
  for (const auto& window : stated.windows) promised += window.estimated_accuracy / kWindows;
  std::cout << "estimated accuracy: calibrated " << estimated << ", realised " << realised << ", stated confidence "
            << promised << " (true 0.5833)\n";
  // Realised over 5,000 labels has a standard error of 0.007.
  EXPECT_NEAR(estimated, realised, 0.025);
  EXPECT_NEAR(estimated, 7.0 / 12, 0.02);
  EXPECT_NEAR(promised, 0.75, 0.01);
  const LabelCounts counts = calibrated.labels();
  EXPECT_EQ(counts.joined, kReference + kWindows * kWindow / 2);
  EXPECT_EQ(counts.waiting, 0u);
  EXPECT_EQ(counts.expired, 0u);
}

// Runs a labelled reference of `reference` predictions and then `windows` windows of `window` predictions of
// `after`; returns the windows whose estimate fell below the bound and the event (after the reference) at
// which the cbpe alert first fired (0: never).
std::pair<uint64_t, uint64_t> Judge(const Classifier& after, uint64_t reference, uint64_t window, uint64_t windows,
                                    double rate, uint64_t seed) {
  StreamSettings settings = Settings(reference, window, rate);
  settings.signals = {"signals.top_probability"};
  StreamMonitor monitor(settings);
  std::mt19937_64 rng(seed);
  for (uint64_t i = 0; i < reference; ++i) {
    const Labelled p = Predict(rng, {}, i);
    monitor.Observe(p.event);
    monitor.Label(p.event.request_id, p.truth);
  }
  uint64_t first = 0;
  for (uint64_t i = 0; i < windows * window; ++i) {
    monitor.Observe(Predict(rng, after, reference + i).event);
    for (const Alert& alert : monitor.TakeAlerts())
      if (alert.detector == "cbpe" && alert.status == "firing" && first == 0) {
        EXPECT_EQ(alert.signal, "estimated_accuracy");
        EXPECT_LT(alert.window_mean, alert.threshold);
        EXPECT_LT(alert.threshold, alert.reference_mean);
        first = i + 1;
      }
  }
  const PerformanceStatus route = Route(monitor.Performance());
  uint64_t below = 0;
  for (const auto& w : route.windows) below += w.estimated_accuracy < route.threshold ? 1 : 0;
  return {below, first};
}

TEST(Performance, CbpeAlertFiresOnAConfidenceDropAndKeepsItsFalseAlarmRate) {
  // The bound holds the rate on average over references. One reference alarms more or less often as its own
  // estimate happens to be high or low (a NumPy/scikit-learn replay with 2,000-prediction references and
  // 200-prediction windows: 0.052 on average over 60 references, standard deviation 0.033 between them), so
  // the mean over 30 references is compared with the rate, allowing 2.5 standard errors measured from the
  // references' own spread.
  constexpr double kRate = 0.05;
  constexpr uint64_t kReferences = 30, kWindows = 100;
  std::vector<double> rates;
  for (uint64_t seed = 1; seed <= kReferences; ++seed)
    rates.push_back(static_cast<double>(Judge({}, 1000, 100, kWindows, kRate, 20261202 + seed).first) / kWindows);
  double mean = 0, spread = 0;
  for (double r : rates) mean += r / kReferences;
  for (double r : rates) spread += (r - mean) * (r - mean) / (kReferences - 1);
  const double standard_error = std::sqrt(spread / kReferences);
  std::cout << "cbpe false alarms: " << mean << " over " << kReferences << " references of " << kWindows
            << " windows at " << kRate << " (standard error " << standard_error << ")\n";
  EXPECT_LE(mean, kRate + 2.5 * standard_error);
  EXPECT_GT(mean, kRate - 2.5 * standard_error);  // nor far too quiet: the bound is a quantile, not a wall
  // Confidences now uniform on [0.5, 0.9] instead of [0.5, 1]: calibrated accuracy falls from 0.58 to 0.50.
  const auto [drops, first] = Judge({.low = 0.5, .high = 0.9}, 2000, 200, 5, 0.01, 22);
  std::cout << "cbpe alert after " << first << " events of lower confidence\n";
  EXPECT_GT(first, 0u);
  EXPECT_LE(first, 200u);  // the first window after the change
  EXPECT_EQ(drops, 5u);
}

TEST(Performance, LabelsMayComeFirstAndWaitingIsBounded) {
  StreamSettings settings = Settings(20, 10);
  settings.per_key = true;
  settings.max_pending_labels = 10;
  StreamMonitor monitor(settings);
  std::mt19937_64 rng(3);
  std::vector<Labelled> stream;
  for (uint64_t i = 0; i < 60; ++i) stream.push_back(Predict(rng, {}, i, i % 2 ? "k1" : "k2"));
  for (uint64_t i = 0; i < 20; ++i) monitor.Observe(stream[i].event);  // the reference: 10 expire unlabelled
  EXPECT_EQ(monitor.labels().expired, 10u);
  // A label read before its prediction waits for it, then joins the window the prediction is counted in.
  monitor.Label(stream[25].event.request_id, stream[25].truth);
  EXPECT_EQ(monitor.labels().waiting, 1u);
  for (uint64_t i = 20; i < 40; ++i) monitor.Observe(stream[i].event);
  LabelCounts counts = monitor.labels();
  EXPECT_EQ(counts.waiting, 0u);
  EXPECT_EQ(counts.joined, 1u);
  EXPECT_EQ(counts.expired, 29u);  // of the 29 recorded since (25 met its label), the last 10 wait
  const PerformanceStatus route = Route(monitor.Performance());
  uint64_t route_labels = 0, key_labels = 0;
  for (const auto& window : route.windows) (window.key_id.empty() ? route_labels : key_labels) += window.labelled;
  EXPECT_EQ(route_labels, 1u);
  EXPECT_EQ(key_labels, 1u);  // and in the window of its key, k1
  // Labels of predictions given up wait in turn, and are given up beyond the bound.
  for (uint64_t i = 0; i < 15; ++i) monitor.Label(stream[i].event.request_id, stream[i].truth);
  counts = monitor.labels();
  EXPECT_EQ(counts.waiting, 10u);
  EXPECT_EQ(counts.dropped, 5u);
  // The 10 predictions still waiting (30..39) take their labels.
  for (uint64_t i = 30; i < 40; ++i) monitor.Label(stream[i].event.request_id, stream[i].truth);
  EXPECT_EQ(monitor.labels().joined, 11u);
  monitor.Label("r-negative", -1);
  EXPECT_EQ(monitor.labels().refused, 1u);
}

TEST(Performance, StateSurvivesARestartWithPredictionsAndLabelsWaiting) {
  StreamSettings settings = Settings(300, 100);
  settings.per_key = true;
  settings.calibration_labels = 50;
  std::mt19937_64 rng(9);
  std::vector<Labelled> stream;
  for (uint64_t i = 0; i < 1500; ++i)
    stream.push_back(Predict(rng, i < 900 ? Classifier{} : Classifier{0.4, 0.8}, i, i % 3 ? "k1" : "k2"));
  // Labels trail predictions by 150 events; some come before theirs (every 7th, 20 events early).
  auto feed = [&](StreamMonitor& monitor, uint64_t from, uint64_t to, std::vector<Alert>& alerts) {
    for (uint64_t i = from; i < to; ++i) {
      monitor.Observe(stream[i].event);
      if (i >= 150 && (i - 150) % 2 == 0) monitor.Label(stream[i - 150].event.request_id, stream[i - 150].truth);
      if (i + 20 < stream.size() && (i + 20) % 7 == 0)
        monitor.Label(stream[i + 20].event.request_id, stream[i + 20].truth);
      for (Alert& alert : monitor.TakeAlerts()) alerts.push_back(std::move(alert));
    }
  };
  StreamMonitor whole(settings);
  std::vector<Alert> whole_alerts;
  feed(whole, 0, stream.size(), whole_alerts);

  std::vector<Alert> restarted_alerts;
  nlohmann::json state;
  {
    StreamMonitor first(settings);
    feed(first, 0, 777, restarted_alerts);
    state = nlohmann::json::parse(first.SaveState().dump());  // through text, as on disk
  }
  StreamMonitor second(settings);
  ASSERT_TRUE(second.LoadState(state));
  EXPECT_EQ(second.SaveState(), state);
  feed(second, 777, stream.size(), restarted_alerts);

  EXPECT_EQ(second.SaveState(), whole.SaveState());
  const auto a = whole.Performance(), b = second.Performance();
  ASSERT_EQ(a.size(), 1u);
  ASSERT_EQ(b.size(), 1u);
  ASSERT_EQ(a[0].windows.size(), b[0].windows.size());
  for (size_t i = 0; i < a[0].windows.size(); ++i) {
    EXPECT_EQ(a[0].windows[i].estimated_accuracy, b[0].windows[i].estimated_accuracy);
    EXPECT_EQ(a[0].windows[i].labelled, b[0].windows[i].labelled);
    EXPECT_EQ(a[0].windows[i].correct, b[0].windows[i].correct);
  }
  ASSERT_EQ(whole_alerts.size(), restarted_alerts.size());
  bool cbpe = false;
  for (size_t i = 0; i < whole_alerts.size(); ++i) {
    EXPECT_EQ(ToJson(whole_alerts[i]), ToJson(restarted_alerts[i]));
    cbpe = cbpe || whole_alerts[i].detector == "cbpe";
  }
  EXPECT_TRUE(cbpe);  // the lower confidences from event 900 on fired it
  EXPECT_GT(whole.labels().joined, 500u);

  // Broken performance state is refused, not half loaded.
  for (const auto& [where, breakage] : std::vector<std::pair<std::string, nlohmann::json>>{
           {"/pending_predictions/0/5", -2},
           {"/early_labels", nlohmann::json::array({nlohmann::json::array({"r1", -1})})},
           {"/routes/0/reference_predictions/0/0", 1.5},
           {"/routes/0/scopes/0/performance/open/sequence", 0},
           {"/routes/0/scopes/0/performance/closed/0/correct", 1000}}) {
    nlohmann::json broken = state;
    if (where == "/early_labels") {
      broken["early_labels"] = breakage;
    } else {
      ASSERT_TRUE(broken.contains(nlohmann::json::json_pointer(where))) << where;
      broken[nlohmann::json::json_pointer(where)] = breakage;
    }
    StreamMonitor fresh(settings);
    EXPECT_FALSE(fresh.LoadState(broken)) << where;
  }
}

}  // namespace
}  // namespace modelguard::monitor
