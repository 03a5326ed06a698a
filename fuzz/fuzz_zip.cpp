#include "src/formats/zip/zip_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const modelguard::formats::Limits limits = [] {
    modelguard::formats::Limits l;
    l.max_member_size = 1 << 24;  // keep decompression bombs from dominating the run
    return l;
  }();
  std::vector<modelguard::formats::Fact> facts;
  modelguard::formats::AnalysisContext ctx(limits, facts);
  namespace zip = modelguard::formats::zip;
  zip::AnalyzeMembers({data, size}, ctx, [](const zip::Entry&) { return zip::MemberAction::kAnalyze; });
  return 0;
}
