#include <algorithm>
#include <ostream>

#include "modelguard/formats/format.h"
#include "src/formats/registry_entries.h"

namespace modelguard::formats {

const std::vector<std::unique_ptr<FormatAnalyzer>>& Registry() {
  static const auto* registry = [] {
    auto* list = new std::vector<std::unique_ptr<FormatAnalyzer>>();
#define MODELGUARD_FORMAT(folder) list->push_back(MODELGUARD_FORMAT_FACTORY(folder)());
#include "src/formats/formats.def"
#undef MODELGUARD_FORMAT
    // The detection order is the descriptors' signature strength; the list's own order does not count.
    std::stable_sort(list->begin(), list->end(), [](const auto& a, const auto& b) {
      return a->descriptor().detection_rank < b->descriptor().detection_rank;
    });
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

const FormatAnalyzer* DetectAmong(std::span<const FormatAnalyzer* const> analyzers, ByteView data) {
  const FormatAnalyzer* best = nullptr;
  SniffResult best_strength = SniffResult::kNo;
  for (const FormatAnalyzer* a : analyzers) {
    const SniffResult s = a->Sniff(data);
    if (s > best_strength) {
      best = a;
      best_strength = s;
      if (s == SniffResult::kStrong) break;
    }
  }
  return best;
}

const FormatAnalyzer* Detect(ByteView data) {
  static const auto* order = [] {
    auto* list = new std::vector<const FormatAnalyzer*>();
    for (const auto& a : Registry()) list->push_back(a.get());
    return list;
  }();
  return DetectAmong(*order, data);
}

std::vector<FactKind> CoreFactKinds() {
  return {fact::kFormat, fact::kParseError, fact::kUnknownFormat, fact::kLimit, fact::kPolyglot};
}

std::ostream& operator<<(std::ostream& out, const FactKind& kind) { return out << kind.id(); }

std::string_view ToString(FormatFamily family) {
  switch (family) {
    case FormatFamily::kOwn:
      return "";
    case FormatFamily::kZip:
      return "zip";
    case FormatFamily::kPickle:
      return "pickle";
  }
  return "";
}

namespace {
bool SameFamily(const FormatAnalyzer& a, const FormatAnalyzer& b) {
  if (&a == &b) return true;
  const FormatFamily fa = a.descriptor().family;
  return fa != FormatFamily::kOwn && fa == b.descriptor().family;
}

// Formats every file is also read as (zip, pickle), in registry order.
const std::vector<const FormatAnalyzer*>& PolyglotProbes() {
  static const auto* probes = [] {
    auto* list = new std::vector<const FormatAnalyzer*>();
    for (const auto& a : Registry()) {
      if (a->descriptor().polyglot_probe) list->push_back(a.get());
    }
    return list;
  }();
  return *probes;
}
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
    for (const FormatAnalyzer* second : PolyglotProbes()) {
      if (SameFamily(*second, *analyzer) || second->Sniff(data) == SniffResult::kNo) continue;
      const std::string other(second->name());
      ctx.Emit(fact::kPolyglot, 0, other,
               "the bytes are both " + std::string(analyzer->name()) + " and " + other +
                   "; each loader sees different content");
      ctx.NoteFormat(other);
      second->Analyze(data, ctx);
    }
  }
  return std::string(analyzer->name());
}

AnalysisContext::AnalysisContext(const Limits& limits, std::vector<Fact>& sink, std::string source_path)
    : limits_(limits), sink_(sink), source_path_(std::move(source_path)) {}

void AnalysisContext::Emit(FactKind kind, std::optional<uint64_t> offset, std::string subject, std::string detail,
                           std::string name) {
  sink_.push_back(Fact{kind, location_, offset, std::move(subject), std::move(name), std::move(detail)});
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
