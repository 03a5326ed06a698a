// numpy .npy: the header is read by the shared npy::ParseHeader. Object arrays are stored as a pickle right
// after the header; np.load(allow_pickle=True) unpickles it.
#include <cstring>
#include <limits>
#include <string>

#include "modelguard/formats/npy.h"
#include "modelguard/formats/pickle.h"
#include "src/formats/registry_entries.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kNpyObjectArray{"npy.object-array"};
inline constexpr FactKind kNpySizeMismatch{"npy.size-mismatch"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats {
namespace {

constexpr uint8_t kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

class NpyAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "npy",
        .summary =
            "numpy array: header read by the shared NPY reader, declared size against the data; an object array's "
            "pickle is analysed",
        .detection_rank = 50,
        .extensions = {".npy"},
        .family = FormatFamily::kOwn,
        .polyglot_probe = false,
        .carries_weights = true,
        .libraries = {},
        .facts = {fact::kNpyObjectArray, fact::kNpySizeMismatch},
    };
    return d;
  }
  SniffResult Sniff(ByteView data) const override {
    return data.size() >= sizeof kMagic && std::memcmp(data.data(), kMagic, sizeof kMagic) == 0 ? SniffResult::kStrong
                                                                                                : SniffResult::kNo;
  }

  void Analyze(ByteView data, AnalysisContext& ctx) const override {
    uint64_t error_offset = 0;
    const auto header = npy::ParseHeader(data, &error_offset);
    if (!header) return ParseError(ctx, error_offset, header.error().message);
    const uint64_t payload = header->data_offset;
    if (header->is_object) {
      ctx.Emit(fact::kNpyObjectArray, payload, "", "object array: np.load(allow_pickle=True) unpickles the payload");
      pickle::RunAllStreams(data, ctx, {}, payload);
      return;
    }
    if (!header->item_size) return;  // structured dtype without objects: raw records
    if (!header->shape_error.empty()) return ParseError(ctx, header->header_offset, header->shape_error);
    const uint64_t expected = header->element_count * *header->item_size;
    if (expected != data.size() - payload) {
      ctx.Emit(fact::kNpySizeMismatch, payload, "",
               "header declares " + std::to_string(expected) + " data bytes, the file holds " +
                   std::to_string(data.size() - payload));
    }
  }

 private:
  static void ParseError(AnalysisContext& ctx, uint64_t offset, std::string message) {
    ctx.Emit(fact::kParseError, offset, "npy", "npy: " + message);
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(npy, NpyAnalyzer)

}  // namespace modelguard::formats
