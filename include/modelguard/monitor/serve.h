#pragma once
// `monitor serve`: follows the gateway's audit (follow.h), feeds the stream monitor (stream.h), and tells
// operators: alerts appended to a JSON Lines log and posted to webhooks (retried with backoff, one message per
// episode and status, an Idempotency-Key header receivers can deduplicate on), Prometheus metrics on
// /metrics, and a state file written atomically (every few seconds and on exit) so a restart continues where
// it stopped: same position in the audit, same references, windows, detectors, open alerts and undelivered
// webhooks.
#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "modelguard/core/result.h"
#include "modelguard/monitor/stream.h"

namespace modelguard::monitor {

struct WebhookSettings {
  std::string url;
  std::string authorization;  // an Authorization header value, from the environment variable named in the file
  std::string ca_file;        // https:// targets: a CA bundle (default: the system's)
  uint64_t attempts = 6;      // the first try and its retries
  std::chrono::milliseconds backoff{500};  // doubled after each failure, at most 60 s
  std::chrono::milliseconds timeout{5000};
};

struct ServeConfig {
  std::string file;            // the configuration's own path, for messages
  std::string audit;           // JSONL file, SQLite log (.sqlite, .db) or postgresql:// URI
  std::string reference_file;  // audit events forming the references (default: each route's first events)
  std::string labels;          // JSON Lines of {"request_id", "label"} (empty: none), followed like the audit
  std::string state;           // state file (empty: none)
  std::chrono::seconds state_interval{10};
  std::string alert_log;  // JSON Lines, appended
  std::vector<WebhookSettings> webhooks;
  std::string metrics_host;  // empty: no metrics listener
  uint16_t metrics_port = 0;
  std::chrono::milliseconds poll{200};
  StreamSettings stream;
};

// YAML, TOML or JSON; unknown keys, wrong types and values out of range are errors naming file:line and key.
Result<ServeConfig> LoadServeConfig(const std::string& path);
// The configuration's keys as a markdown table (docs/monitor.md is checked against it).
std::string ServeConfigReference();

struct ServeOptions {
  bool once = false;  // read what the audit holds now, deliver the alerts, save the state, return
  std::function<void(uint16_t metrics_port)> on_listening;
  std::function<void(const std::string&)> note;  // progress and warnings for a human (stderr)
};

struct ServeOutcome {
  uint64_t events = 0;            // read in this run
  uint64_t parse_errors = 0;      // lines that were not audit events
  uint64_t skipped = 0;           // lines longer than the limit
  uint64_t alerts = 0;            // alert messages produced in this run
  uint64_t webhook_failures = 0;  // messages given up after every attempt
  uint64_t labels = 0;            // label lines read in this run
  uint64_t label_errors = 0;      // label lines that were not {"request_id": text, "label": whole number >= 0}
  bool firing = false;            // an alert is firing at the end
  bool interrupted = false;
  std::vector<SignalStatus> status;
  std::vector<PerformanceStatus> performance;
  LabelCounts label_counts;
  std::vector<SignalHistory> history;
};

Result<ServeOutcome> Serve(const ServeConfig& config, const ServeOptions& options);

// The run's summary: --format json's document and report.json (schema modelguard.monitor-serve/v1).
nlohmann::ordered_json ServeReportJson(const ServeConfig& config, const ServeOutcome& outcome);
// report.html: the alerts firing; per route and signal the windows' means (or the share of the reference's
// most common category) against the reference's band, windows where a detector alarmed ringed; per classifier
// route the estimated and realised accuracy against the cbpe bound. Inline SVG: no script, nothing loaded
// from elsewhere.
std::string RenderServeHtml(const ServeConfig& config, const ServeOutcome& outcome);

}  // namespace modelguard::monitor
