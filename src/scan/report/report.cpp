#include "modelguard/scan/report.h"

#include <algorithm>

namespace modelguard::scan {

Severity FileReport::MaxSeverity() const {
  Severity max = Severity::kInfo;
  for (const auto& f : findings) max = std::max(max, f.severity);
  return max;
}

size_t ScanReport::CountAtOrAbove(Severity threshold) const {
  size_t n = 0;
  for (const auto& file : files) {
    for (const auto& f : file.findings) n += f.severity >= threshold ? 1 : 0;
  }
  return n;
}

}  // namespace modelguard::scan
