#pragma once
// Grouped bars for the monitor's reports (monitor run's per column, monitor serve's per signal): the
// reference's share (grey) beside the current one's (blue), one pair per bin or category, inline SVG.
#include <string>
#include <string_view>
#include <vector>

namespace modelguard::monitor {

// `reference_shares` and `current_shares` have one share per label; `current_name` titles the blue bars.
std::string BarsSvg(const std::vector<std::string>& labels, const std::vector<double>& reference_shares,
                    const std::vector<double>& current_shares, std::string_view current_name);

}  // namespace modelguard::monitor
