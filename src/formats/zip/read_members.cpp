// ReadZipMembers (formats/zip.h): the zip reader's Parse and Extract, with the facts they emit turned into
// errors where they mean a member cannot be read as the loader would.
#include "modelguard/formats/zip.h"
#include "src/formats/zip/zip_reader.h"

namespace modelguard::formats {

Result<std::vector<ZipMember>> ReadZipMembers(ByteView archive, const Limits& limits) {
  std::vector<Fact> facts;
  AnalysisContext ctx(limits, facts);
  const zip::Archive parsed = zip::Parse(archive, ctx);
  if (parsed.entries.empty()) {
    std::string why = facts.empty() ? "no members" : facts.front().detail;
    return MakeError(ErrorCode::kParse, "not a readable ZIP archive: " + why);
  }
  if (parsed.entries.size() > limits.max_members)
    return MakeError(ErrorCode::kLimit, "more than " + std::to_string(limits.max_members) + " members");
  std::vector<ZipMember> members;
  for (const zip::Entry& entry : parsed.entries) {
    UnpackBuffer storage(ctx);
    const size_t facts_before = facts.size();
    auto bytes = zip::Extract(archive, entry, ctx, storage, /*verify_crc=*/true);
    if (!bytes) {
      std::string why = facts.size() > facts_before ? facts.back().detail : "unreadable";
      return MakeError(ErrorCode::kParse, "member '" + entry.name + "': " + why);
    }
    members.push_back({entry.name, std::vector<uint8_t>(bytes->begin(), bytes->end())});
  }
  return members;
}

}  // namespace modelguard::formats
