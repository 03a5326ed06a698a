// One libFuzzer target per format folder of src/formats/formats.def that has no harness of its own: the
// build sets MODELGUARD_FUZZ_FOLDER and the input goes straight to that folder's analyzer (if its sniff
// accepts it); without a folder ("any") it fuzzes sniffing and every format.
#include "modelguard/formats/format.h"
#include "src/formats/registry_entries.h"

// One more expansion step, so the folder name the build defines is pasted, not the macro's own name.
#define FUZZ_FACTORY(folder) MODELGUARD_FORMAT_FACTORY(folder)

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  static const modelguard::formats::Limits limits = [] {
    modelguard::formats::Limits l;
    l.max_member_size = 1 << 24;
    l.max_total_unpacked = 1 << 26;
    return l;
  }();
#ifdef MODELGUARD_FUZZ_FOLDER
  static const std::string forced(modelguard::formats::FUZZ_FACTORY(MODELGUARD_FUZZ_FOLDER)()->name());
#else
  static const std::string forced;
#endif
  std::vector<modelguard::formats::Fact> facts;
  modelguard::formats::AnalysisContext ctx(limits, facts);
  modelguard::formats::MemberHint hint;
  hint.forced_format = forced;
  modelguard::formats::AnalyzeBuffer({data, size}, ctx, hint);
  return 0;
}
