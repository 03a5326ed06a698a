// The nested-payload decoder of the pickle machine on its own: a string/bytes constant unwrapped through up
// to four layers (base64, hex, zlib, gzip) until it starts like a pickle, under the per-pickle budget. The
// confirmation is the pickle sniff the machine uses; a found payload must lie inside what was decoded.
#include <cstdint>
#include <vector>

#include "modelguard/formats/pickle.h"
#include "src/formats/pickle/nested.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  namespace nested = modelguard::formats::pickle::nested;
  static const modelguard::formats::Limits limits;
  std::vector<modelguard::formats::Fact> facts;
  modelguard::formats::AnalysisContext ctx(limits, facts);
  const modelguard::formats::ByteView constant{data, size};
  nested::OuterScope scope;
  (void)nested::MightCarry(constant);
  const auto payload = nested::FindPayload(constant, ctx, [](modelguard::formats::ByteView bytes) {
    return modelguard::formats::pickle::LooksLikePickle(bytes);
  });
  if (payload && !payload->bytes.empty()) {
    const auto* begin = payload->bytes.data();
    const bool in_owned = !payload->owned.empty() && begin >= payload->owned.data() &&
                          begin + payload->bytes.size() <= payload->owned.data() + payload->owned.size();
    const bool in_constant = begin >= data && begin + payload->bytes.size() <= data + size;
    if (!in_owned && !in_constant) __builtin_trap();
  }
  return 0;
}
