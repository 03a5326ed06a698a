// tar (POSIX ustar, GNU, pax) and 7z archives, read through libarchive. Members go back to the sniffer.
#include <archive.h>
#include <archive_entry.h>

#include <cstring>
#include <memory>
#include <string>

#include "src/formats/common/path_safety.h"
#include "src/formats/registry_entries.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kArchivePathTraversal{"archive.path-traversal"};
inline constexpr FactKind kArchiveLink{"archive.link"};
inline constexpr FactKind kArchiveSpecialMember{"archive.special-member"};
inline constexpr FactKind kArchiveEncryptedMember{"archive.encrypted-member"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats {
namespace {

constexpr uint8_t k7zMagic[] = {'7', 'z', 0xBC, 0xAF, 0x27, 0x1C};
constexpr size_t kTarMagicOffset = 257;  // "ustar" in POSIX and GNU headers

bool Is7z(ByteView d) { return d.size() >= sizeof k7zMagic && std::memcmp(d.data(), k7zMagic, sizeof k7zMagic) == 0; }
constexpr size_t kTarBlock = 512;
constexpr size_t kTarChecksumOffset = 148;

// "ustar" at 257 (POSIX and GNU headers) is the signature, even when the file ends before the first
// 512-byte block does: a truncated tar is a malformed tar (libarchive reports the truncation), not unknown.
bool HasTarMagic(ByteView d) {
  return d.size() >= kTarMagicOffset + 5 && std::memcmp(d.data() + kTarMagicOffset, "ustar", 5) == 0;
}

// Pre-POSIX (v7) headers have no magic; their checksum is what identifies them: the octal number at 148
// equals the sum of the header's bytes with the checksum field read as spaces (Python's tarfile and GNU tar
// still read these). One 512-byte sum per sniffed file.
bool HasV7TarChecksum(ByteView d) {
  if (d.size() < kTarBlock || d[0] == 0) return false;
  uint64_t stored = 0;
  size_t i = kTarChecksumOffset;
  while (i < kTarChecksumOffset + 8 && d[i] == ' ') ++i;
  size_t digits = 0;
  for (; i < kTarChecksumOffset + 8 && d[i] >= '0' && d[i] <= '7'; ++i, ++digits) stored = stored * 8 + (d[i] - '0');
  if (digits == 0 || (i < kTarChecksumOffset + 8 && d[i] != 0 && d[i] != ' ')) return false;
  uint64_t sum = 8 * ' ';
  for (size_t j = 0; j < kTarBlock; ++j) {
    if (j < kTarChecksumOffset || j >= kTarChecksumOffset + 8) sum += d[j];
  }
  return sum == stored;
}

class ArchiveAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "archive",
        .summary =
            "tar and 7z (legacy torch.save, NeMo) through libarchive: member paths, links, special and encrypted "
            "members; every member analysed",
        .detection_rank = 120,
        .extensions = {".pt", ".pth", ".7z", ".tar", ".nemo"},
        .family = FormatFamily::kOwn,
        .polyglot_probe = false,
        .carries_weights = false,
        .libraries = {"nemo"},
        .facts = {fact::kArchivePathTraversal, fact::kArchiveLink, fact::kArchiveSpecialMember,
                  fact::kArchiveEncryptedMember},
    };
    return d;
  }
  SniffResult Sniff(ByteView data) const override {
    if (Is7z(data) || HasTarMagic(data)) return SniffResult::kStrong;
    return HasV7TarChecksum(data) ? SniffResult::kWeak : SniffResult::kNo;
  }

  void Analyze(ByteView data, AnalysisContext& ctx) const override {
    ctx.NoteFormat(Is7z(data) ? "7z" : "tar");
    std::unique_ptr<archive, decltype(&archive_read_free)> a(archive_read_new(), archive_read_free);
    archive_read_support_format_tar(a.get());
    archive_read_support_format_7zip(a.get());
    archive_read_support_filter_none(a.get());
    if (!Is7z(data) && data.size() < kTarBlock) {
      // libarchive reads a short tar as an empty archive; its header is cut, whatever else is wrong.
      ctx.Emit(fact::kParseError, data.size(), "archive",
               "tar header truncated: the file ends at byte " + std::to_string(data.size()) + " of the first " +
                   std::to_string(kTarBlock) + "-byte header block");
      return;
    }
    if (archive_read_open_memory(a.get(), data.data(), data.size()) != ARCHIVE_OK) {
      ctx.Emit(fact::kParseError, 0, "archive", std::string("cannot open archive: ") + archive_error_string(a.get()));
      return;
    }
    archive_entry* entry = nullptr;
    uint64_t members = 0;
    UnpackBuffer buffer(ctx);
    while (true) {
      const int rc = archive_read_next_header(a.get(), &entry);
      if (rc == ARCHIVE_EOF) break;
      if (rc < ARCHIVE_WARN) {
        const char* msg = archive_error_string(a.get());
        ctx.Emit(fact::kParseError, std::nullopt, "archive",
                 std::string("archive is corrupt after ") + std::to_string(members) +
                     " members: " + (msg ? msg : "unknown error"));
        return;
      }
      if (++members > ctx.limits().max_members) {
        ctx.Emit(fact::kLimit, std::nullopt, "members",
                 "more than " + std::to_string(ctx.limits().max_members) + " members");
        return;
      }
      const char* path = archive_entry_pathname(entry);
      const std::string name = path ? path : "<unnamed>";
      if (EscapesDirectory(name)) {
        ctx.Emit(fact::kArchivePathTraversal, std::nullopt, name, "member name escapes the extraction directory");
      }
      const auto type = archive_entry_filetype(entry);
      if (archive_entry_symlink(entry) != nullptr || archive_entry_hardlink(entry) != nullptr) {
        const char* target =
            archive_entry_symlink(entry) ? archive_entry_symlink(entry) : archive_entry_hardlink(entry);
        ctx.Emit(fact::kArchiveLink, std::nullopt, name, "link member pointing at '" + std::string(target) + "'");
        continue;
      }
      // 7z entries written without attributes have no file type; they are still files.
      if (type == AE_IFDIR) continue;
      if (type != AE_IFREG && type != 0) {
        ctx.Emit(fact::kArchiveSpecialMember, std::nullopt, name, "device, FIFO or socket entry; not extracted");
        continue;
      }
      if (archive_entry_is_encrypted(entry)) {
        ctx.Emit(fact::kArchiveEncryptedMember, std::nullopt, name, "encrypted member; its content was not analysed");
        continue;
      }
      // libarchive does not say how many compressed bytes a member took (7z solid blocks share them), so
      // the ratio is taken against the whole archive: lenient, and the member and total caps still hold.
      buffer.Start(name, data.size());
      bool ok = true;
      const void* block = nullptr;
      size_t size = 0;
      la_int64_t offset = 0;
      while (true) {
        const int r = archive_read_data_block(a.get(), &block, &size, &offset);
        if (r == ARCHIVE_EOF) break;
        if (r < ARCHIVE_WARN) {
          const char* msg = archive_error_string(a.get());
          ctx.Emit(fact::kParseError, std::nullopt, name,
                   std::string("cannot read member: ") + (msg ? msg : "unknown error"));
          ok = false;
          break;
        }
        // A negative or absurd offset (sparse entries) is a member larger than any budget.
        if (offset < 0 ||
            !buffer.WriteAt(static_cast<uint64_t>(offset), ByteView(static_cast<const uint8_t*>(block), size))) {
          if (offset < 0) ctx.ReserveUnpacked(0, ctx.limits().max_member_size + 1, 0, name);
          ok = false;
          break;
        }
      }
      if (!ok) continue;
      ctx.AnalyzeMember(name, buffer.view());
    }
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(archive, ArchiveAnalyzer)

}  // namespace modelguard::formats
