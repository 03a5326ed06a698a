// One libFuzzer target per format: the build sets MODELGUARD_FUZZ_FORMAT to the analyzer's name and the
// input goes straight to it (if its sniff accepts it); an empty name fuzzes sniffing and every format.
#include "modelguard/formats/format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const modelguard::formats::Limits limits = [] {
    modelguard::formats::Limits l;
    l.max_member_size = 1 << 24;
    l.max_total_unpacked = 1 << 26;
    return l;
  }();
  std::vector<modelguard::formats::Fact> facts;
  modelguard::formats::AnalysisContext ctx(limits, facts);
  modelguard::formats::MemberHint hint;
  hint.forced_format = MODELGUARD_FUZZ_FORMAT;
  modelguard::formats::AnalyzeBuffer({data, size}, ctx, hint);
  return 0;
}
