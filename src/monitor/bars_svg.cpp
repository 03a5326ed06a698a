#include "src/monitor/bars_svg.h"

#include <algorithm>
#include <sstream>

#include "modelguard/core/html.h"
#include "modelguard/core/number_text.h"

namespace modelguard::monitor {

std::string BarsSvg(const std::vector<std::string>& labels, const std::vector<double>& reference_shares,
                    const std::vector<double>& current_shares, std::string_view current_name) {
  constexpr int kWidth = 520, kHeight = 150, kLeft = 8, kBase = 120;
  const size_t bins = labels.size();
  std::ostringstream svg;
  svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << kWidth << "\" height=\"" << kHeight
      << "\" role=\"img\">";
  if (bins == 0) return svg.str() + "</svg>";
  double top = 0;
  for (size_t i = 0; i < bins; ++i) top = std::max({top, reference_shares[i], current_shares[i]});
  if (!(top > 0)) top = 1;
  const double slot = static_cast<double>(kWidth - 2 * kLeft) / static_cast<double>(bins);
  const double bar = std::max(1.0, slot * 0.4);
  for (size_t i = 0; i < bins; ++i) {
    const double x = kLeft + slot * static_cast<double>(i);
    const double hr = reference_shares[i] / top * (kBase - 10);
    const double hc = current_shares[i] / top * (kBase - 10);
    svg << "<rect x=\"" << FixedDecimal(x, 1) << "\" y=\"" << FixedDecimal(kBase - hr, 1) << "\" width=\""
        << FixedDecimal(bar, 1) << "\" height=\"" << FixedDecimal(hr, 1) << "\" fill=\"#999\"><title>reference "
        << HtmlEscape(labels[i]) << ": " << FixedDecimal(reference_shares[i], 4) << "</title></rect>";
    svg << "<rect x=\"" << FixedDecimal(x + bar, 1) << "\" y=\"" << FixedDecimal(kBase - hc, 1) << "\" width=\""
        << FixedDecimal(bar, 1) << "\" height=\"" << FixedDecimal(hc, 1) << "\" fill=\"#2a6fdb\"><title>"
        << HtmlEscape(current_name) << " " << HtmlEscape(labels[i]) << ": " << FixedDecimal(current_shares[i], 4)
        << "</title></rect>";
  }
  svg << "<line x1=\"" << kLeft << "\" y1=\"" << kBase << "\" x2=\"" << kWidth - kLeft << "\" y2=\"" << kBase
      << "\" stroke=\"#333\"/>";
  svg << "<text x=\"" << kLeft << "\" y=\"" << kBase + 14 << "\" font-size=\"10\">" << HtmlEscape(labels.front())
      << "</text><text x=\"" << kWidth - kLeft << "\" y=\"" << kBase + 28 << "\" font-size=\"10\" text-anchor=\"end\">"
      << HtmlEscape(labels.back()) << "</text></svg>";
  return svg.str();
}

}  // namespace modelguard::monitor
