#include "src/formats/registry_entries.h"
#include "src/formats/zip/zip_reader.h"

namespace modelguard::formats {
namespace {

class ZipAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "zip",
        .summary =
            "ZIP archive (also numpy `.npz`): local headers against the central directory, CRCs, flags, names and "
            "overlaps; every member analysed",
        .detection_rank = 40,
        .extensions = {".npz", ".ckpt", ".keras", ".zip"},
        .family = FormatFamily::kZip,
        .polyglot_probe = true,
        .carries_weights = false,
        .libraries = {},
        .facts = {fact::kZipHeaderMismatch, fact::kZipCrcMismatch, fact::kZipEncryptionFlag, fact::kZipEncryptedMember,
                  fact::kZipUnusualFlag, fact::kZipHiddenEntry, fact::kZipDuplicateName, fact::kZipOverlappingEntries,
                  fact::kZipPathTraversal, fact::kZipPrefixedData, fact::kZipTrailingData,
                  fact::kZipMissingCentralDirectory, fact::kZipUnsupportedMethod, fact::kZipInconsistentDirectory},
    };
    return d;
  }
  SniffResult Sniff(ByteView data) const override {
    if (zip::HasZipMagic(data)) return SniffResult::kStrong;
    // Readers that start from the end (zipfile, unzip) also accept archives with bytes in front.
    return zip::HasEndRecord(data) ? SniffResult::kWeak : SniffResult::kNo;
  }
  void Analyze(ByteView data, AnalysisContext& ctx) const override {
    zip::AnalyzeMembers(data, ctx, [](const zip::Entry&) { return zip::MemberAction::kAnalyze; });
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(zip, ZipAnalyzer)

}  // namespace modelguard::formats
