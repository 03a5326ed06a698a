#include "modelguard/formats/pickle.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const modelguard::formats::Limits limits;
  std::vector<modelguard::formats::Fact> facts;
  modelguard::formats::AnalysisContext ctx(limits, facts);
  modelguard::formats::pickle::RunAllStreams({data, size}, ctx);
  (void)modelguard::formats::pickle::LooksLikePickle({data, size});
  return 0;
}
