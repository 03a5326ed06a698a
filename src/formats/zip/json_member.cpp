#include "src/formats/zip/json_member.h"

#include <algorithm>

#include "src/formats/config/json_guard.h"

namespace modelguard::formats::zip {

bool HasMembers(ByteView data, std::initializer_list<std::string_view> members) {
  if (!HasZipMagic(data)) return false;
  Limits limits;
  std::vector<Fact> scratch;
  AnalysisContext probe(limits, scratch);
  const Archive archive = Parse(data, probe);
  return std::all_of(members.begin(), members.end(), [&](std::string_view m) {
    return std::any_of(archive.entries.begin(), archive.entries.end(), [&](const Entry& e) { return e.name == m; });
  });
}

void AnalyzeWithJsonMember(ByteView data, AnalysisContext& ctx, std::string_view member,
                           const std::function<void(const nlohmann::json&, uint64_t offset)>& check) {
  AnalyzeMembers(data, ctx, [&](const Entry& e) {
    if (e.name != member) return MemberAction::kAnalyze;
    UnpackBuffer storage(ctx);
    auto bytes = Extract(data, e, ctx, storage, /*verify_crc=*/false);
    if (!bytes) return MemberAction::kSkip;
    auto doc = config::ParseJsonGuarded({reinterpret_cast<const char*>(bytes->data()), bytes->size()});
    if (!doc) {
      ctx.Emit(fact::kParseError, e.local_header_offset, std::string(member),
               std::string(member) + " is not valid JSON: " + doc.error().message);
    } else {
      check(*doc, e.local_header_offset);
    }
    return MemberAction::kSkip;
  });
}

}  // namespace modelguard::formats::zip
