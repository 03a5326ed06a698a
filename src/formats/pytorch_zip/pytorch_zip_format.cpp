// PyTorch's zip checkpoint (torch.save since 1.6) and TorchScript archives. Facts from
// caffe2/serialize/inline_container.cc and torch/serialization.py: the archive prefix is the first
// member's top directory; torch.load unpickles "<prefix>/data.pkl" (TorchScript also "constants.pkl"),
// whatever its bytes look like; "<prefix>/data/<key>" are raw storages read through persistent_load;
// "<prefix>/code/" holds TorchScript source that torch.jit.load compiles.
#include <string>

#include "src/formats/registry_entries.h"
#include "src/formats/zip/zip_reader.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kTorchscriptCode{"torchscript.code"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats {
namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

std::string_view Prefix(std::string_view name) {
  const auto slash = name.find('/');
  return slash == std::string_view::npos ? std::string_view{} : name.substr(0, slash + 1);
}

// Small text records torch.save writes next to the pickle; torch reads them as numbers, never unpickles.
constexpr std::string_view kMetadataMembers[] = {
    "version", ".data/version", "byteorder", ".data/serialization_id", ".format_version", ".storage_alignment"};

class TorchZipAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "pytorch-zip",
        .summary =
            "PyTorch zip checkpoint (torch.save since 1.6) and TorchScript archive: members read leniently as PyTorch "
            "does, every `*.pkl` member unpickled as torch.load would, TorchScript `code/` reported",
        .detection_rank = 10,
        .extensions = {".pt", ".pth", ".ckpt", ".zip"},
        .family = FormatFamily::kZip,
        .polyglot_probe = false,
        .carries_weights = true,
        .libraries = {"transformers", "diffusers", "sentence-transformers", "peft", "timm"},
        .facts = {fact::kTorchscriptCode},
    };
    return d;
  }

  SniffResult Sniff(ByteView data) const override {
    if (!zip::HasZipMagic(data)) return SniffResult::kNo;
    // Cheap structural check on the central directory, without emitting facts.
    Limits limits;
    std::vector<Fact> scratch;
    AnalysisContext probe(limits, scratch);
    const zip::Archive archive = zip::Parse(data, probe);
    for (const auto& e : archive.entries) {
      if (EndsWith(e.name, "/data.pkl") || EndsWith(e.name, "/constants.pkl") || EndsWith(e.name, "/.data/version")) {
        return SniffResult::kStrong;
      }
    }
    return SniffResult::kNo;
  }

  void Analyze(ByteView data, AnalysisContext& ctx) const override {
    std::string prefix;
    bool first = true;
    zip::AnalyzeMembers(data, ctx, [&](const zip::Entry& e) {
      if (first) {
        prefix = std::string(Prefix(e.name));
        first = false;
      }
      std::string_view rel = e.name;
      if (!prefix.empty() && rel.substr(0, prefix.size()) == prefix) rel.remove_prefix(prefix.size());
      if (EndsWith(rel, ".pkl")) return zip::MemberAction::kForcePickle;
      for (std::string_view meta : kMetadataMembers) {
        if (rel == meta) return zip::MemberAction::kSkip;
      }
      if (rel.substr(0, 5) == "data/") return zip::MemberAction::kSkip;  // raw tensor storage
      if (rel.substr(0, 5) == "code/" && !EndsWith(rel, ".debug_pkl")) {
        ctx.Emit(fact::kTorchscriptCode, e.local_header_offset, e.name,
                 "TorchScript source that torch.jit.load compiles and runs: " + e.name);
        return zip::MemberAction::kSkip;
      }
      if (EndsWith(rel, ".debug_pkl")) return zip::MemberAction::kForcePickle;
      return zip::MemberAction::kAnalyze;
    });
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(pytorch_zip, TorchZipAnalyzer)

}  // namespace modelguard::formats
