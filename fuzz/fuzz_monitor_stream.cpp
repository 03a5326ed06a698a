// The stream monitor on arbitrary bytes: the input is split at its first form feed; the lines before it are
// audit events (parsed as the follower hands them over) fed to a monitor with small windows, the bytes after
// it a saved state offered to a fresh monitor. Each line's parse must agree with a JSON library's
// (tests/monitor/audit_event_reference.h): the same lines refused (but for our size limits, which the library
// has not), the same route, key, time and signals.
// Every line is also offered as a line of a labels file (monitor label's), and the whole text as a labels
// file to add: a label parsed is a valid label.
// Either a clear error or a monitor whose state survives a round trip through text exactly, and whose
// metrics render.
#include <cstdint>
#include <string>
#include <string_view>

#include "modelguard/monitor/labels.h"
#include "modelguard/monitor/stream.h"
#include "tests/monitor/audit_event_reference.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace modelguard::monitor;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\f');
  const std::string_view events = input.substr(0, split);
  StreamSettings settings;
  settings.reference_events = 8;
  settings.window_events = 4;
  settings.min_window_values = 2;
  settings.calibration_runs = 100;
  settings.max_routes = 4;
  settings.max_keys_per_route = 3;
  settings.max_signals = 8;
  settings.calibration_labels = 3;
  settings.max_pending_labels = 6;
  settings.performance_windows = 2;
  StreamMonitor monitor(settings);
  MonitoredEvent reused;
  size_t start = 0;
  while (start < events.size()) {
    size_t end = events.find('\n', start);
    if (end == std::string_view::npos) end = events.size();
    const std::string_view line = events.substr(start, end - start);
    auto event = ParseAuditEvent(line);
    const bool limited = !event && event.error().code == modelguard::ErrorCode::kLimit;  // ours only
    // A raw NUL byte is never JSON, but nlohmann's lexer takes it for the end of the input and accepts
    // "{}\0anything": the library is no reference for such lines, and ours must refuse them.
    if (line.find('\0') != std::string_view::npos) {
      if (event) __builtin_trap();
      start = end + 1;
      continue;
    }
    const auto expected = reference::Parse(line);
    if (!limited && event.ok() != expected.has_value()) __builtin_trap();
    if (event && !(reference::FromParsed(*event) == *expected)) __builtin_trap();
    // One event reused across lines, as monitor serve parses, gives what a fresh one gives.
    if (ParseAuditEvent(line, reused).ok() != event.ok()) __builtin_trap();
    if (event && !(reference::FromParsed(reused) == reference::FromParsed(*event))) __builtin_trap();
    if (event) monitor.Observe(*event);
    if (auto label = ParseLabelLine(line)) {
      if (!CheckLabel(*label)) __builtin_trap();
      monitor.Label(label->request_id, label->label);
    }
    start = end + 1;
  }
  if (auto labels = ParseLabelsFile(events))
    for (const auto& label : *labels)
      if (!CheckLabel(label)) __builtin_trap();
  for (const auto& alert : monitor.TakeAlerts()) (void)ToJson(alert).dump();
  (void)monitor.Prometheus();
  (void)monitor.Performance();
  const auto state = monitor.SaveState();
  StreamMonitor again(settings);
  if (!again.LoadState(nlohmann::json::parse(state.dump()))) __builtin_trap();
  if (again.SaveState() != state) __builtin_trap();
  if (split != std::string_view::npos) {
    const auto offered = nlohmann::json::parse(input.substr(split + 1), nullptr, false);
    StreamMonitor fresh(settings);
    if (fresh.LoadState(offered)) (void)fresh.Prometheus();
  }
  return 0;
}
