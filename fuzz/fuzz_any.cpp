// The full path a scanned file takes: sniffing, every format, containers handing members back.
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
  modelguard::formats::AnalyzeBuffer({data, size}, ctx);
  return 0;
}
