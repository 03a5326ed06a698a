#pragma once
// A hardened, lenient ZIP reader (APPNOTE.TXT 6.3.10 layout facts). It reads archives the way the most
// forgiving real loader does -- PyTorch's miniz reader locates members through the central directory,
// takes the data offset from the local header, and ignores CRCs and flag bits -- and reports every place
// where the central directory, the local headers and the data disagree, because each disagreement is a
// place where two tools see two different files.
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "modelguard/formats/format.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kZipHeaderMismatch{"zip.header-mismatch"};
inline constexpr FactKind kZipCrcMismatch{"zip.crc-mismatch"};
inline constexpr FactKind kZipEncryptionFlag{"zip.encryption-flag"};
inline constexpr FactKind kZipEncryptedMember{"zip.encrypted-member"};
inline constexpr FactKind kZipUnusualFlag{"zip.unusual-flag"};
inline constexpr FactKind kZipHiddenEntry{"zip.hidden-entry"};
inline constexpr FactKind kZipDuplicateName{"zip.duplicate-name"};
inline constexpr FactKind kZipOverlappingEntries{"zip.overlapping-entries"};
inline constexpr FactKind kZipPathTraversal{"zip.path-traversal"};
inline constexpr FactKind kZipPrefixedData{"zip.prefixed-data"};
inline constexpr FactKind kZipTrailingData{"zip.trailing-data"};
inline constexpr FactKind kZipMissingCentralDirectory{"zip.missing-central-directory"};
inline constexpr FactKind kZipUnsupportedMethod{"zip.unsupported-method"};
inline constexpr FactKind kZipInconsistentDirectory{"zip.inconsistent-directory"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats::zip {

struct Entry {
  std::string name;  // central-directory name (local name when the entry is only in the local headers)
  uint16_t flags = 0;
  uint16_t method = 0;
  uint32_t crc32 = 0;
  uint64_t compressed_size = 0;
  uint64_t uncompressed_size = 0;
  uint64_t local_header_offset = 0;
  uint64_t data_offset = 0;  // from the local header's own name/extra lengths, as miniz computes it
  bool in_central_directory = true;
  bool local_header_ok = false;
};

struct Archive {
  std::vector<Entry> entries;
  bool has_central_directory = false;
};

// Parses structure and emits zip.* facts for every inconsistency. Never throws, never reads out of bounds.
Archive Parse(ByteView data, AnalysisContext& ctx);

// Member bytes: a view into `data` for stored entries, or `storage` filled by decompression within the
// context's decompression budgets. nullopt (with a fact emitted) when the member cannot be read.
std::optional<ByteView> Extract(ByteView data, const Entry& entry, AnalysisContext& ctx, UnpackBuffer& storage,
                                bool verify_crc);

// What a container-specific analyzer wants done with each member.
enum class MemberAction { kAnalyze, kForcePickle, kSkip };

// Parses, then extracts and hands each member back to the sniffer (or as told by `classify`).
void AnalyzeMembers(ByteView data, AnalysisContext& ctx, const std::function<MemberAction(const Entry&)>& classify);

bool HasZipMagic(ByteView data);
// An end-of-central-directory record that ends the file and whose central directory lies inside it.
bool HasEndRecord(ByteView data);

}  // namespace modelguard::formats::zip
