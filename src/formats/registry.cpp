#include <algorithm>

#include "modelguard/formats/format.h"
#include "src/formats/registry_entries.h"

namespace modelguard::formats {

const std::vector<std::unique_ptr<FormatAnalyzer>>& Registry() {
  // The one list of formats. Order breaks ties between equally strong sniffs: specific before generic.
  static const auto* registry = [] {
    auto* list = new std::vector<std::unique_ptr<FormatAnalyzer>>();
    list->push_back(MakeTorchZipAnalyzer());
    list->push_back(MakeKerasAnalyzer());
    list->push_back(MakeSkopsAnalyzer());
    list->push_back(MakeZipAnalyzer());
    list->push_back(MakeNpyAnalyzer());
    list->push_back(MakeGgufAnalyzer());
    list->push_back(MakeTfliteAnalyzer());
    list->push_back(MakeHdf5Analyzer());
    list->push_back(MakeSafetensorsAnalyzer());
    list->push_back(MakeOnnxAnalyzer());
    list->push_back(MakeCompressedAnalyzer());
    list->push_back(MakeArchiveAnalyzer());
    list->push_back(MakePickleAnalyzer());
    list->push_back(MakeTensorflowAnalyzer());
    list->push_back(MakeConfigAnalyzer());
    return list;
  }();
  return *registry;
}

const FormatAnalyzer* FindAnalyzer(std::string_view name) {
  for (const auto& a : Registry()) {
    if (a->name() == name) return a.get();
  }
  return nullptr;
}

const FormatAnalyzer* Detect(ByteView data) {
  const FormatAnalyzer* best = nullptr;
  SniffResult best_strength = SniffResult::kNo;
  for (const auto& a : Registry()) {
    const SniffResult s = a->Sniff(data);
    if (s > best_strength) {
      best = a.get();
      best_strength = s;
      if (s == SniffResult::kStrong) break;
    }
  }
  return best;
}

namespace {
bool IsZipFamily(std::string_view name) {
  return name == "zip" || name == "pytorch-zip" || name == "keras" || name == "skops";
}
bool SameFamily(std::string_view a, std::string_view b) { return a == b || (IsZipFamily(a) && IsZipFamily(b)); }
}  // namespace

std::string AnalyzeBuffer(ByteView data, AnalysisContext& ctx, const MemberHint& hint) {
  const FormatAnalyzer* analyzer = nullptr;
  if (!hint.forced_format.empty()) {
    analyzer = FindAnalyzer(hint.forced_format);
    if (analyzer != nullptr && !analyzer->ParsesAnyBytes() && analyzer->Sniff(data) == SniffResult::kNo)
      analyzer = nullptr;
  }
  if (analyzer == nullptr) analyzer = Detect(data);
  if (analyzer == nullptr) {
    ctx.Emit(fact::kUnknownFormat, std::nullopt, "",
             data.empty() ? "empty file" : "content matches no supported model or container format");
    return "unknown";
  }
  ctx.NoteFormat(analyzer->name());
  ctx.Emit(fact::kFormat, std::nullopt, std::string(analyzer->name()), "");
  analyzer->Analyze(data, ctx);
  // A file that is two formats at once runs differently depending on which loader opens it: a zip
  // with a pickle in front is a legacy checkpoint to torch.load and an archive to zipfile.
  if (hint.forced_format.empty()) {
    for (std::string_view other : {"pickle", "zip"}) {
      if (SameFamily(other, analyzer->name())) continue;
      const FormatAnalyzer* second = FindAnalyzer(other);
      if (second == nullptr || second->Sniff(data) == SniffResult::kNo) continue;
      ctx.Emit("polyglot", 0, std::string(other),
               "the bytes are both " + std::string(analyzer->name()) + " and " + std::string(other) +
                   "; each loader sees different content");
      ctx.NoteFormat(other);
      second->Analyze(data, ctx);
    }
  }
  return std::string(analyzer->name());
}

AnalysisContext::AnalysisContext(const Limits& limits, std::vector<Fact>& sink, std::string source_path)
    : limits_(limits), sink_(sink), source_path_(std::move(source_path)) {}

void AnalysisContext::Emit(std::string_view kind, std::optional<uint64_t> offset, std::string subject,
                           std::string detail, std::string name) {
  sink_.push_back(Fact{std::string(kind), location_, offset, std::move(subject), std::move(name), std::move(detail)});
}

void AnalysisContext::NoteFormat(std::string_view name) {
  if (std::find(formats_seen_.begin(), formats_seen_.end(), name) == formats_seen_.end()) {
    formats_seen_.emplace_back(name);
  }
}

bool AnalysisContext::ReserveUnpacked(uint64_t more, uint64_t member_size, std::string_view what) {
  // unpacked_ never exceeds max_total_unpacked, so the subtraction cannot wrap.
  if (member_size > limits_.max_member_size || more > limits_.max_total_unpacked - unpacked_) {
    Emit(fact::kLimit, std::nullopt, std::string(what),
         "unpacking would exceed the configured budget (max member " + std::to_string(limits_.max_member_size) +
             " bytes, max total " + std::to_string(limits_.max_total_unpacked) +
             " bytes per file); the content was not analysed");
    return false;
  }
  unpacked_ += more;
  return true;
}

void AnalysisContext::AnalyzeMember(std::string_view name, ByteView data, const MemberHint& hint) {
  const std::string saved = location_;
  location_ = location_.empty() ? std::string(name) : location_ + "!" + std::string(name);
  if (depth_ + 1 > limits_.max_container_depth) {
    Emit(fact::kLimit, std::nullopt, "depth",
         "containers nested deeper than " + std::to_string(limits_.max_container_depth) +
             " levels; this member was not analysed");
  } else {
    ++depth_;
    AnalyzeBuffer(data, *this, hint);
    --depth_;
  }
  location_ = saved;
}

}  // namespace modelguard::formats
