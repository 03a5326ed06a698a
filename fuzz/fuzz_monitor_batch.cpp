// monitor run on arbitrary JSON Lines: the input is split at its first form feed into a reference and a
// current document, each read by the flattening JSONL source (nested objects to dotted columns) and compared
// with every drift test. Either a clear error or a report whose figures are numbers and whose verdicts follow
// from them.
#include <cmath>
#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>

#include "modelguard/monitor/batch.h"
#include "src/monitor/flat_jsonl.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace modelguard;
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  const size_t split = input.find('\f');
  const std::string_view first = input.substr(0, split);
  const std::string_view second = split == std::string_view::npos ? first : input.substr(split + 1);
  auto reference = monitor::FlatJsonlFromStream(std::make_unique<std::istringstream>(std::string(first)));
  auto current = monitor::FlatJsonlFromStream(std::make_unique<std::istringstream>(std::string(second)));
  monitor::BatchOptions options;
  for (const auto& test : stats::DriftTests()) options.tests.push_back(test.name);
  options.settings.permutations = 20;
  options.settings.mmd_max_sample = 60;
  auto report = monitor::CompareSources(*reference, *current, options);
  if (!report) return 0;
  for (const auto& column : report->columns) {
    for (const auto* outcome : {&column.verdict}) {
      if (std::isnan(outcome->statistic)) __builtin_trap();
      if (outcome->p_value && !(*outcome->p_value >= 0 && *outcome->p_value <= 1)) __builtin_trap();
    }
    if (column.reference_shares.size() != column.labels.size()) __builtin_trap();
  }
  (void)monitor::ToJson(*report).dump();
  (void)monitor::RenderHtml(*report);
  return 0;
}
