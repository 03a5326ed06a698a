// `monitor serve`'s summary (--format json, report.json) and report.html (serve.h).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <limits>
#include <sstream>

#include "modelguard/core/html.h"
#include "modelguard/core/number_text.h"
#include "modelguard/monitor/serve.h"
#include "src/monitor/bars_svg.h"

namespace modelguard::monitor {
namespace {

using Json = nlohmann::ordered_json;

Json OrNull(double value) { return std::isfinite(value) ? Json(value) : Json(nullptr); }
Json KeyOrNull(const std::string& key) { return key.empty() ? Json(nullptr) : Json(key); }

Json PerformanceJson(const std::vector<PerformanceStatus>& routes) {
  Json out = Json::array();
  for (const auto& route : routes) {
    Json windows = Json::array();
    for (const auto& w : route.windows)
      windows.push_back(
          {{"key_id", KeyOrNull(w.key_id)},
           {"window", w.sequence},
           {"first_ms", w.first_ms},
           {"last_ms", w.last_ms},
           {"predictions", w.predictions},
           {"scored", w.scored},
           {"estimated_accuracy", OrNull(w.estimated_accuracy)},
           {"calibrated", w.calibrated},
           {"labelled", w.labelled},
           {"realised_accuracy",
            w.labelled ? OrNull(static_cast<double>(w.correct) / static_cast<double>(w.labelled)) : Json(nullptr)}});
    out.push_back({{"route", route.route},
                   {"reference_complete", route.complete},
                   {"reference_predictions", route.reference_predictions},
                   {"reference_labelled", route.reference_labelled},
                   {"reference_realised_accuracy", route.reference_labelled
                                                       ? OrNull(static_cast<double>(route.reference_correct) /
                                                                static_cast<double>(route.reference_labelled))
                                                       : Json(nullptr)},
                   {"reference_estimated_accuracy", OrNull(route.reference_estimated_accuracy)},
                   {"threshold", OrNull(route.threshold)},
                   {"calibrated", route.calibrated},
                   {"windows", windows}});
  }
  return out;
}

Json HistoryJson(const std::vector<SignalHistory>& all) {
  Json out = Json::array();
  for (const auto& history : all) {
    Json points = Json::array();
    for (const auto& p : history.points) {
      Json alarms = Json::array();
      if (p.test) alarms.push_back("test");
      if (p.cusum) alarms.push_back("cusum");
      if (p.page_hinkley) alarms.push_back("page_hinkley");
      points.push_back({{"end_ms", p.end_ms}, {"value", OrNull(p.value)}, {"values", p.values}, {"alarms", alarms}});
    }
    out.push_back({{"route", history.route},
                   {"signal", history.signal},
                   {"numeric", history.numeric},
                   {"category", history.numeric ? Json(nullptr) : Json(history.category)},
                   {"reference_value", OrNull(history.reference_value)},
                   {"reference_spread", OrNull(history.reference_spread)},
                   {"windows", points},
                   {"distribution",
                    {{"bins", history.bins},
                     {"reference_shares", history.reference_shares},
                     {"last_window_shares", history.window_shares}}}});
  }
  return out;
}

// One chart: lines (or dots) over the windows, a shaded band, horizontal reference lines, red rings on
// marked windows. Values that are not finite leave a gap.
struct Series {
  std::vector<double> y;
  const char* color;
  bool dots = false;
};
struct Level {
  double y;
  const char* color;
  bool dashed = false;
};

// Four significant digits: enough to read a chart by.
std::string Short(double value) {
  char text[32];
  std::snprintf(text, sizeof text, "%.4g", value);
  return text;
}

std::string ChartSvg(const std::vector<Series>& series, const std::vector<double>& band_low,
                     const std::vector<double>& band_high, const std::vector<Level>& levels,
                     const std::vector<bool>& marked, size_t windows) {
  constexpr double kWidth = 720, kHeight = 150, kLeft = 56, kRight = 8, kTop = 8, kBottom = 8;
  double low = std::numeric_limits<double>::infinity(), high = -low;
  auto take = [&](double v) {
    if (std::isfinite(v)) low = std::min(low, v), high = std::max(high, v);
  };
  for (const auto& s : series)
    for (double v : s.y) take(v);
  for (double v : band_low) take(v);
  for (double v : band_high) take(v);
  for (const auto& level : levels) take(level.y);
  if (!std::isfinite(low)) low = 0, high = 1;
  if (high - low < 1e-12) low -= 0.5, high += 0.5;
  const double pad = (high - low) * 0.05;
  low -= pad, high += pad;
  const double span = std::max<double>(1, static_cast<double>(windows) - 1);
  auto x = [&](size_t i) { return kLeft + (kWidth - kLeft - kRight) * static_cast<double>(i) / span; };
  auto y = [&](double v) { return kTop + (kHeight - kTop - kBottom) * (high - v) / (high - low); };
  auto number = [](double v) { return FixedDecimal(v, 1); };
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" role=\"img\"><rect x=\"" << kLeft << "\" y=\"" << kTop << "\" width=\"" << kWidth - kLeft - kRight
      << "\" height=\"" << kHeight - kTop - kBottom << "\" fill=\"#fafafa\" stroke=\"#ddd\"/>";
  svg << "<text x=\"2\" y=\"" << kTop + 10 << "\" font-size=\"10\">" << Short(high) << "</text><text x=\"2\" y=\""
      << kHeight - kBottom << "\" font-size=\"10\">" << Short(low) << "</text>";
  // The band: upper edge left to right, lower edge back, skipping windows without one.
  std::string upper, lower;
  for (size_t i = 0; i < band_low.size() && i < band_high.size(); ++i) {
    if (!std::isfinite(band_low[i]) || !std::isfinite(band_high[i])) continue;
    upper += number(x(i)) + "," + number(y(band_high[i])) + " ";
    lower = number(x(i)) + "," + number(y(band_low[i])) + " " + lower;
  }
  if (!upper.empty()) svg << "<polygon class=\"band\" points=\"" << upper << lower << "\" fill=\"#cfe3cf\"/>";
  for (const auto& level : levels)
    if (std::isfinite(level.y))
      svg << "<line x1=\"" << kLeft << "\" x2=\"" << kWidth - kRight << "\" y1=\"" << number(y(level.y)) << "\" y2=\""
          << number(y(level.y)) << "\" stroke=\"" << level.color << "\""
          << (level.dashed ? " stroke-dasharray=\"4 3\"" : "") << "/>";
  for (const auto& s : series) {
    std::string path;
    bool open = false;
    for (size_t i = 0; i < s.y.size(); ++i) {
      if (!std::isfinite(s.y[i])) {
        open = false;
        continue;
      }
      if (s.dots) {
        svg << "<circle cx=\"" << number(x(i)) << "\" cy=\"" << number(y(s.y[i])) << "\" r=\"2.5\" fill=\"" << s.color
            << "\"/>";
        continue;
      }
      path += (open ? " L" : " M") + number(x(i)) + "," + number(y(s.y[i]));
      open = true;
    }
    if (!path.empty()) svg << "<path d=\"" << path << "\" fill=\"none\" stroke=\"" << s.color << "\"/>";
  }
  for (size_t i = 0; i < marked.size(); ++i) {
    if (!marked[i] || series.empty() || i >= series[0].y.size() || !std::isfinite(series[0].y[i])) continue;
    svg << "<circle class=\"alarm\" cx=\"" << number(x(i)) << "\" cy=\"" << number(y(series[0].y[i]))
        << "\" r=\"4.5\" fill=\"none\" stroke=\"#c00\" stroke-width=\"2\"/>";
  }
  svg << "</svg>";
  return svg.str();
}

std::string Time(int64_t ms) {
  const auto seconds = static_cast<std::time_t>(ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char text[32];
  std::strftime(text, sizeof text, "%Y-%m-%d %H:%M:%S", &utc);
  return text;
}

}  // namespace

nlohmann::ordered_json ServeReportJson(const ServeConfig& config, const ServeOutcome& outcome) {
  Json status = Json::array();
  for (const auto& signal : outcome.status) {
    Json firing = Json::object();
    for (const auto& [detector, on] : signal.firing) firing[detector] = on;
    status.push_back({{"route", signal.route},
                      {"key_id", KeyOrNull(signal.key_id)},
                      {"signal", signal.signal},
                      {"numeric", signal.numeric},
                      {"windows", signal.windows},
                      {"reference_mean", signal.numeric ? OrNull(signal.reference_mean) : Json(nullptr)},
                      {"last_window_mean", OrNull(signal.last_window_mean)},
                      {"firing", firing}});
  }
  return {{"schema", "modelguard.monitor-serve/v1"},
          {"audit", config.audit},
          {"events", outcome.events},
          {"parse_errors", outcome.parse_errors},
          {"skipped", outcome.skipped},
          {"alerts", outcome.alerts},
          {"webhook_failures", outcome.webhook_failures},
          {"firing", outcome.firing},
          {"interrupted", outcome.interrupted},
          {"signals", status},
          {"labels",
           {{"read", outcome.labels},
            {"errors", outcome.label_errors},
            {"joined", outcome.label_counts.joined},
            {"waiting", outcome.label_counts.waiting},
            {"dropped", outcome.label_counts.dropped},
            {"expired", outcome.label_counts.expired}}},
          {"performance", PerformanceJson(outcome.performance)},
          {"history", HistoryJson(outcome.history)}};
}

std::string RenderServeHtml(const ServeConfig& config, const ServeOutcome& outcome) {
  std::ostringstream html;
  html << "<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>modelguard monitor serve</title><style>"
          "body{font-family:sans-serif;margin:24px;color:#222}table{border-collapse:collapse}"
          "td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}.firing{color:#b00;font-weight:bold}"
          ".ok{color:#070}.chart{margin:14px 0 22px}.legend span{display:inline-block;width:18px;height:10px;"
          "margin:0 4px 0 12px}</style></head><body><h1>Monitor: the gateway's traffic over time</h1>";
  html << "<p>Audit <code>" << HtmlEscape(config.audit) << "</code>: " << outcome.events << " events read in this run; "
       << outcome.alerts << " alert messages. "
       << (outcome.firing ? "<span class=\"firing\">Alerts firing.</span>"
                          : "<span class=\"ok\">Nothing firing.</span>")
       << "</p>";
  html << "<p class=\"legend\"><span style=\"background:#2a6fdb\"></span>window<span style=\"background:#cfe3cf\">"
          "</span>reference &plusmn; 3 standard errors<span style=\"background:#888;height:2px\"></span>reference"
          "<span style=\"border:2px solid #c00;border-radius:50%;width:8px;height:8px\"></span>a detector alarmed</p>";
  // Firing alerts first: what an operator opens the page for.
  html << "<h2>Alerts firing</h2><table><tr><th>route</th><th>key</th><th>signal</th><th>detectors</th></tr>";
  size_t firing_rows = 0;
  for (const auto& signal : outcome.status) {
    std::string detectors;
    for (const auto& [detector, on] : signal.firing)
      if (on) detectors += (detectors.empty() ? "" : ", ") + detector;
    if (detectors.empty()) continue;
    ++firing_rows;
    html << "<tr class=\"firing\"><td>" << HtmlEscape(signal.route) << "</td><td>" << HtmlEscape(signal.key_id)
         << "</td><td>" << HtmlEscape(signal.signal) << "</td><td>" << HtmlEscape(detectors) << "</td></tr>";
  }
  if (firing_rows == 0) html << "<tr><td colspan=\"4\" class=\"ok\">none</td></tr>";
  html << "</table>";
  std::string route;
  for (const auto& history : outcome.history) {
    if (history.route != route) {
      route = history.route;
      html << "<h2>Route " << HtmlEscape(route) << "</h2>";
    }
    std::vector<double> values, low, high;
    std::vector<bool> marked;
    size_t alarms = 0;
    for (const auto& p : history.points) {
      values.push_back(p.value);
      const double error =
          3 * history.reference_spread / std::sqrt(static_cast<double>(std::max<uint64_t>(1, p.values)));
      low.push_back(history.reference_value - error);
      high.push_back(history.reference_value + error);
      const bool alarm = p.test || p.cusum || p.page_hinkley;
      marked.push_back(alarm);
      alarms += alarm ? 1 : 0;
    }
    const std::string what = history.numeric ? "mean per window" : "share of \"" + history.category + "\" per window";
    html << "<div class=\"chart\"><h3>" << HtmlEscape(history.signal) << " — " << HtmlEscape(what) << "</h3><p>"
         << history.points.size() << " windows";
    if (!history.points.empty())
      html << " from " << Time(history.points.front().end_ms) << " to " << Time(history.points.back().end_ms) << " UTC";
    html << "; reference " << Short(history.reference_value) << "; " << alarms << " windows with an alarm.</p>"
         << ChartSvg({{values, "#2a6fdb"}}, low, high, {{history.reference_value, "#888"}}, marked, values.size());
    if (!history.bins.empty())
      html << "<p>The last window's distribution (blue) beside the reference's (grey):</p>"
           << BarsSvg(history.bins, history.reference_shares, history.window_shares, "last window");
    html << "</div>";
  }
  for (const auto& perf : outcome.performance) {
    std::vector<double> estimated, realised;
    std::vector<bool> marked;
    for (const auto& w : perf.windows) {
      if (!w.key_id.empty()) continue;
      estimated.push_back(w.estimated_accuracy);
      realised.push_back(w.labelled ? static_cast<double>(w.correct) / static_cast<double>(w.labelled)
                                    : std::numeric_limits<double>::quiet_NaN());
      marked.push_back(std::isfinite(perf.threshold) && w.estimated_accuracy < perf.threshold);
    }
    html << "<div class=\"chart\"><h3>Route " << HtmlEscape(perf.route)
         << " — classifier accuracy per window</h3><p>Estimated from "
         << (perf.calibrated ? "confidences calibrated on " + std::to_string(perf.reference_labelled) + " labels"
                             : "the confidences as stated (no calibration yet)")
         << " (blue); realised where labels arrived (green dots); the cbpe bound (red, dashed); the reference's "
            "estimate (grey).</p>"
         << ChartSvg({{estimated, "#2a6fdb"}, {realised, "#1a8f3a", true}}, {}, {},
                     {{perf.reference_estimated_accuracy, "#888"}, {perf.threshold, "#c00", true}}, marked,
                     estimated.size())
         << "</div>";
  }
  html << "</body></html>\n";
  return html.str();
}

}  // namespace modelguard::monitor
