#include "modelguard/formats/format.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const modelguard::formats::Limits limits;
  std::vector<modelguard::formats::Fact> facts;
  modelguard::formats::AnalysisContext ctx(limits, facts);
  modelguard::formats::MemberHint hint;
  hint.forced_format = "npy";
  modelguard::formats::AnalyzeBuffer({data, size}, ctx, hint);
  return 0;
}
