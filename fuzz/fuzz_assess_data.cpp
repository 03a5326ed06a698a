// The assessment engine's dataset parsers (IDX, CSV, NPY) and the gateway's PRADA statistics on
// arbitrary bytes. The first byte picks the parser; the rest is split in two files where one is needed.
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include "modelguard/assess/dataset.h"
#include "modelguard/defenses/output_hardening.h"
#include "modelguard/defenses/prada.h"
#include "modelguard/stats/stats.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size < 2) return 0;
  const std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  const size_t cut = bytes.size() / 2;
  modelguard::assess::DataLimits limits;
  limits.max_bytes = 1 << 20;
  limits.max_samples = 1 << 16;
  switch (data[0] % 5) {
    case 0:
      (void)modelguard::assess::ParseIdx(bytes.substr(0, cut), bytes.substr(cut), limits);
      break;
    case 1:
      (void)modelguard::assess::ParseCsv(bytes, modelguard::assess::CsvScaling::kColumn, limits);
      break;
    case 2:
      (void)modelguard::assess::ParseNpy(bytes.substr(0, cut), bytes.substr(cut), limits);
      break;
    case 3:
      (void)modelguard::defenses::ParseOutputPolicy(bytes);
      break;
    default: {
      std::vector<double> values(bytes.size() / sizeof(double));
      // memcpy with a null destination is undefined even for zero bytes (an empty vector has no data()).
      if (!values.empty()) std::memcpy(values.data(), bytes.data(), values.size() * sizeof(double));
      (void)modelguard::stats::ShapiroWilkW(values);
      modelguard::defenses::PradaDetector detector;
      for (size_t i = 0; i + 4 <= values.size(); i += 4)
        detector.Observe(std::span<const double>(values.data() + i, 4), static_cast<int64_t>(i % 7));
      if (!values.empty()) (void)modelguard::defenses::HardenScores(values, modelguard::defenses::OutputPolicy{});
    }
  }
  return 0;
}
