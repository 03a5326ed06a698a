#include "modelguard/formats/pickle.h"
#include "src/formats/registry_entries.h"

namespace modelguard::formats {
namespace {

class PickleAnalyzer final : public FormatAnalyzer {
 public:
  std::string_view name() const override { return "pickle"; }
  SniffResult Sniff(ByteView data) const override {
    if (data.size() >= 2 && data[0] == 0x80 && data[1] <= 5) return SniffResult::kStrong;
    return pickle::LooksLikePickle(data) ? SniffResult::kWeak : SniffResult::kNo;
  }
  void Analyze(ByteView data, AnalysisContext& ctx) const override { pickle::RunAllStreams(data, ctx); }
  bool ParsesAnyBytes() const override { return true; }
};

}  // namespace

std::unique_ptr<FormatAnalyzer> MakePickleAnalyzer() { return std::make_unique<PickleAnalyzer>(); }

}  // namespace modelguard::formats
