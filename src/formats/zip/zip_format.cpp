#include "src/formats/registry_entries.h"
#include "src/formats/zip/zip_reader.h"

namespace modelguard::formats {
namespace {

class ZipAnalyzer final : public FormatAnalyzer {
 public:
  std::string_view name() const override { return "zip"; }
  SniffResult Sniff(ByteView data) const override {
    if (zip::HasZipMagic(data)) return SniffResult::kStrong;
    // Readers that start from the end (zipfile, unzip) also accept archives with bytes in front.
    return zip::HasEndRecord(data) ? SniffResult::kWeak : SniffResult::kNo;
  }
  void Analyze(ByteView data, AnalysisContext& ctx) const override {
    zip::AnalyzeMembers(data, ctx, [](const zip::Entry&) { return zip::MemberAction::kAnalyze; });
  }
};

}  // namespace

std::unique_ptr<FormatAnalyzer> MakeZipAnalyzer() { return std::make_unique<ZipAnalyzer>(); }

}  // namespace modelguard::formats
