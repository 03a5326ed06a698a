// The data audit's report.html: self-contained (inline SVG, no scripts, nothing fetched). Per method, a
// histogram of its scores for each class, with flagged samples stacked in red; the methods' pictures (a
// recovered trigger); the top suspicious samples drawn as images with their scores.
#include <algorithm>
#include <cmath>
#include <filesystem>
#include <sstream>

#include "modelguard/assess/audit.h"
#include "modelguard/core/html.h"
#include "modelguard/core/io.h"
#include "modelguard/core/number_text.h"
#include "src/assess/poisoning/linalg.h"

namespace modelguard::assess::poisoning {
namespace {

constexpr int kBins = 20;
constexpr size_t kTopSamples = 48;  // drawn in the report
constexpr size_t kJsonSamples = 1000;

// One class's histogram: bars of all scored samples, the flagged share of each bar in red.
std::string Histogram(const std::string& title, const std::vector<double>& scores, const std::vector<bool>& flagged,
                      const std::vector<int64_t>& indices) {
  constexpr double kWidth = 220, kHeight = 120, kLeft = 8, kTop = 18, kBottom = 16;
  double low = INFINITY, high = -INFINITY;
  for (int64_t i : indices) {
    const double v = scores[static_cast<size_t>(i)];
    if (!std::isfinite(v)) continue;
    low = std::min(low, v);
    high = std::max(high, v);
  }
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight << "\"><text x=\""
      << kLeft << "\" y=\"12\" font-size=\"11\">" << HtmlEscape(title) << "</text>";
  if (!std::isfinite(low)) return svg.str() + "<text x=\"8\" y=\"60\" font-size=\"10\">not scored</text></svg>";
  const double span = high > low ? high - low : 1;
  int all[kBins] = {}, red[kBins] = {};
  for (int64_t i : indices) {
    const double v = scores[static_cast<size_t>(i)];
    if (!std::isfinite(v)) continue;
    const int bin = std::min(kBins - 1, static_cast<int>((v - low) / span * kBins));
    ++all[bin];
    if (flagged[static_cast<size_t>(i)]) ++red[bin];
  }
  const int tallest = std::max(1, *std::max_element(all, all + kBins));
  const double bar = (kWidth - 2 * kLeft) / kBins, plot = kHeight - kTop - kBottom;
  for (int b = 0; b < kBins; ++b) {
    const double h = plot * all[b] / tallest, hr = plot * red[b] / tallest;
    const double x = kLeft + b * bar, base = kTop + plot;
    svg << "<rect x=\"" << FixedDecimal(x, 1) << "\" y=\"" << FixedDecimal(base - h, 1) << "\" width=\""
        << FixedDecimal(bar - 1, 1) << "\" height=\"" << FixedDecimal(h, 1) << "\" fill=\"#1f77b4\"/>";
    if (red[b] > 0)
      svg << "<rect x=\"" << FixedDecimal(x, 1) << "\" y=\"" << FixedDecimal(base - hr, 1) << "\" width=\""
          << FixedDecimal(bar - 1, 1) << "\" height=\"" << FixedDecimal(hr, 1) << "\" fill=\"#d62728\"/>";
  }
  svg << "<text x=\"" << kLeft << "\" y=\"" << kHeight - 3 << "\" font-size=\"9\">" << FixedDecimal(low, 3)
      << "</text><text x=\"" << kWidth - kLeft << "\" y=\"" << kHeight - 3 << "\" font-size=\"9\" text-anchor=\"end\">"
      << FixedDecimal(high, 3) << "</text></svg>";
  return svg.str();
}

// A picture as a grid of rects (grey or RGB), `scale` pixels per pixel.
std::string PictureSvg(const Picture& picture, int scale) {
  const int64_t channels = picture.channels, height = picture.height, width = picture.width;
  if (height <= 0 || width <= 0 || (channels != 1 && channels != 3) ||
      picture.pixels.size() != static_cast<size_t>(channels * height * width))
    return "<span>(no picture)</span>";
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width * scale << "\" height=\"" << height * scale
      << "\" shape-rendering=\"crispEdges\">";
  auto level = [&](int64_t c, int64_t y, int64_t x) {
    const float v = picture.pixels[static_cast<size_t>((c * height + y) * width + x)];
    return static_cast<int>(std::lround(255 * std::clamp(std::isfinite(v) ? v : 0.0f, 0.0f, 1.0f)));
  };
  for (int64_t y = 0; y < height; ++y) {
    for (int64_t x = 0; x < width; ++x) {
      const int r = level(0, y, x), g = level(channels == 3 ? 1 : 0, y, x), b = level(channels == 3 ? 2 : 0, y, x);
      svg << "<rect x=\"" << x * scale << "\" y=\"" << y * scale << "\" width=\"" << scale << "\" height=\"" << scale
          << "\" fill=\"rgb(" << r << "," << g << "," << b << ")\"/>";
    }
  }
  svg << "</svg>";
  return svg.str();
}

// A sample as a picture when its shape is an image ({C, H, W} with C 1 or 3, or {H, W}); a square of a flat
// row otherwise (digits' 64 values are 8 x 8).
std::optional<Picture> SamplePicture(const Dataset& data, size_t sample) {
  Picture picture;
  const auto& shape = data.sample_shape;
  if (shape.size() == 3 && (shape[0] == 1 || shape[0] == 3)) {
    picture.channels = shape[0], picture.height = shape[1], picture.width = shape[2];
  } else if (shape.size() == 2) {
    picture.height = shape[0], picture.width = shape[1];
  } else if (shape.size() == 1) {
    const auto side = static_cast<int64_t>(std::lround(std::sqrt(static_cast<double>(shape[0]))));
    if (side * side != shape[0] || side < 2) return std::nullopt;
    picture.height = picture.width = side;
  } else {
    return std::nullopt;
  }
  const auto size = static_cast<size_t>(data.SampleSize());
  if (picture.height * picture.width > 256 * 256) return std::nullopt;
  picture.pixels.assign(data.features.begin() + static_cast<std::ptrdiff_t>(sample * size),
                        data.features.begin() + static_cast<std::ptrdiff_t>((sample + 1) * size));
  return picture;
}

std::string RenderHtml(const AuditReport& report, const Dataset& data) {
  std::ostringstream html;
  html << "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>modelguard data audit: "
       << HtmlEscape(report.dataset) << "</title>"
       << "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
          "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
          ".plots svg{margin:6px 10px 6px 0}.samples div{display:inline-block;margin:6px;text-align:center;"
          "font-size:11px;vertical-align:top}.flagged{background:#f8d7da}</style></head><body>";
  html << "<h1>Training-data audit</h1><p>Data: <code>" << HtmlEscape(report.dataset) << "</code> (" << data.size()
       << " samples, " << data.classes << " classes)";
  if (!report.model.empty()) html << ", model: <code>" << HtmlEscape(report.model) << "</code>";
  html << ", " << FixedDecimal(report.seconds, 1) << " s.</p>";
  html << "<p><b>" << report.flagged_samples << "</b> samples flagged by at least one method"
       << (report.model_flagged ? "; <b>the model is flagged as backdoored</b>" : "") << ".</p>";
  html << "<h2>Methods</h2><table><tr><th>Method</th><th>Flagged</th><th>What it does</th><th>Reference</th></tr>";
  for (const MethodResult& result : report.results) {
    const auto flagged = std::count(result.flagged.begin(), result.flagged.end(), true);
    const char* summary = "";
    const char* reference = "";
    for (const MethodDescriptor& m : Methods()) {
      if (result.method == m.name) summary = m.summary, reference = m.reference;
    }
    html << "<tr" << (flagged > 0 || result.model_flagged ? " class=\"flagged\"" : "") << "><td>"
         << HtmlEscape(result.method) << "</td><td>" << flagged << (result.model_flagged ? " (model flagged)" : "")
         << "</td><td>" << HtmlEscape(summary) << "</td><td>" << HtmlEscape(reference) << "</td></tr>";
  }
  html << "</table>";
  const auto by_class = IndicesByClass(data);
  for (const MethodResult& result : report.results) {
    html << "<h2>" << HtmlEscape(result.method) << "</h2>";
    if (result.scores.size() == data.size()) {
      html << "<p>Score histograms per class (red: flagged by this method).</p><div class=\"plots\">";
      for (size_t c = 0; c < by_class.size(); ++c) {
        if (by_class[c].empty()) continue;
        html << Histogram("class " + std::to_string(c) + " (" + std::to_string(by_class[c].size()) + ")", result.scores,
                          result.flagged, by_class[c]);
      }
      html << "</div>";
    }
    if (!result.pictures.empty()) {
      html << "<div class=\"samples\">";
      for (const Picture& picture : result.pictures) {
        const int scale = static_cast<int>(std::clamp<int64_t>(96 / std::max<int64_t>(1, picture.width), 1, 12));
        html << "<div>" << PictureSvg(picture, scale) << "<br>" << HtmlEscape(picture.caption) << "</div>";
      }
      html << "</div>";
    }
    html << "<details><summary>Details</summary><pre>" << HtmlEscape(result.details.dump(2)) << "</pre></details>";
  }
  html << "<h2>Most suspicious samples</h2><div class=\"samples\">";
  for (size_t r = 0; r < std::min(kTopSamples, report.ranking.size()); ++r) {
    const size_t sample = report.ranking[r];
    if (!std::isfinite(report.combined[sample])) break;
    html << "<div>";
    if (auto picture = SamplePicture(data, sample)) {
      const int scale = static_cast<int>(std::clamp<int64_t>(64 / std::max<int64_t>(1, picture->width), 1, 8));
      html << PictureSvg(*picture, scale) << "<br>";
    }
    html << "#" << r + 1 << ": sample " << sample << ", class " << data.labels[sample] << "<br>combined "
         << FixedDecimal(report.combined[sample], 3);
    for (const MethodResult& result : report.results) {
      if (result.scores.size() != data.size() || !std::isfinite(result.scores[sample])) continue;
      html << "<br>" << HtmlEscape(result.method) << " " << FixedDecimal(result.scores[sample], 4)
           << (result.flagged[sample] ? " *" : "");
    }
    html << "</div>";
  }
  html << "</div><p>* flagged by that method.</p></body></html>\n";
  return html.str();
}

}  // namespace

Status WriteAuditReport(const AuditReport& report, const Dataset& data, const std::string& directory) {
  std::error_code error;
  std::filesystem::create_directories(directory, error);
  if (error) return MakeError(ErrorCode::kIo, "cannot create " + directory + ": " + error.message());
  MG_TRY(WriteFileAtomic(directory + "/report.json", AuditToJson(report, data, kJsonSamples).dump(2) + "\n"));
  return WriteFileAtomic(directory + "/report.html", RenderHtml(report, data));
}

}  // namespace modelguard::assess::poisoning
