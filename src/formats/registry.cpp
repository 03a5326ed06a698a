#include <sys/mman.h>
#include <unistd.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <ostream>

#include "modelguard/core/cancel.h"
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
  return {fact::kFormat, fact::kParseError, fact::kUnknownFormat,
          fact::kLimit,  fact::kPolyglot,   fact::kDecompressionBomb};
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

bool AnalysisContext::ReserveUnpacked(uint64_t more, uint64_t member_size, uint64_t compressed_size,
                                      std::string_view what) {
  // Decompression is where one file's scan can take seconds: stop at the next chunk once asked to.
  if (cancel::Requested()) {
    ReportInterrupted(what);
    return false;
  }
  std::string why;
  // unpacked_ and held_ never exceed their caps, so the subtractions cannot wrap.
  if (member_size > limits_.max_member_size) {
    why = "the member decompresses to more than " + std::to_string(limits_.max_member_size) +
          " bytes (max_member_size, scan --max-member-size)";
  } else if (more > limits_.max_total_unpacked - unpacked_) {
    if (total_reported_) return false;  // said once for the file; every later member would repeat it
    total_reported_ = true;
    why = "the file's members decompress to more than " + std::to_string(limits_.max_total_unpacked) +
          " bytes in total (max_total_unpacked, scan --max-total-unpacked); this and later members";
  } else if (more > limits_.max_unpacked_held - held_) {
    why = "nested members would hold more than " + std::to_string(limits_.max_unpacked_held) +
          " decompressed bytes in memory at once (max_unpacked_held, scan --max-unpacked-held)";
  } else if (limits_.max_compression_ratio != 0 && compressed_size != 0 && member_size > limits_.ratio_checked_above &&
             member_size / limits_.max_compression_ratio > compressed_size) {
    why = "the member decompresses more than " + std::to_string(limits_.max_compression_ratio) + ":1 (" +
          std::to_string(member_size) + " bytes so far from " + std::to_string(compressed_size) +
          "; max_compression_ratio, scan --max-compression-ratio)";
  }
  if (!why.empty()) {
    Emit(fact::kDecompressionBomb, std::nullopt, std::string(what), why + " were not analysed");
    return false;
  }
  unpacked_ += more;
  held_ += more;
  return true;
}

void AnalysisContext::ReportInterrupted(std::string_view what) {
  if (interrupted_reported_) return;  // once per file: every later member and chunk would repeat it
  interrupted_reported_ = true;
  Emit(fact::kLimit, std::nullopt, std::string(what),
       "the scan was " + cancel::Describe() + "; " + (what.empty() ? std::string("the file") : std::string(what)) +
           " and what follows it were not analysed");
}

void AnalysisContext::ReleaseUnpacked(uint64_t bytes) { held_ -= std::min(held_, bytes); }

UnpackBuffer::UnpackBuffer(AnalysisContext& ctx) : ctx_(ctx) {}

UnpackBuffer::~UnpackBuffer() {
  Release();
  if (reserved_ != 0) ::munmap(data_, reserved_);
}

void UnpackBuffer::Release() {
  ctx_.ReleaseUnpacked(size_);
  // Give the previous member's pages back: the held-at-once budget counts only live bytes, so pages kept
  // resident here would let a nested member use the same memory twice. Untouched pages read as zeros.
  if (reserved_ != 0 && size_ != 0) {
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    ::madvise(data_, std::min(reserved_, (size_ + page - 1) / page * page), MADV_DONTNEED);
  }
  if (reserved_ == 0) {
    std::vector<uint8_t>().swap(fallback_);  // the fallback's memory goes back too, not only its size
    data_ = nullptr;
  }
  size_ = 0;
}

void UnpackBuffer::Start(std::string what, uint64_t compressed_size) {
  Release();
  what_ = std::move(what);
  compressed_ = compressed_size;
}

bool UnpackBuffer::Ensure(uint64_t size) {
  if (reserved_ == 0 && data_ == nullptr && ctx_.limits().max_member_size != 0) {
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    const uint64_t want = (ctx_.limits().max_member_size + page - 1) / page * page;
    void* p = want <= SIZE_MAX
                  ? ::mmap(nullptr, want, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
                  : MAP_FAILED;
    if (p != MAP_FAILED) {
      data_ = static_cast<uint8_t*>(p);
      reserved_ = want;
    }
  }
  if (reserved_ != 0) return size <= reserved_;
  // No address space to reserve (strict overcommit): an ordinary vector, zero-filled as it grows.
  if (size > fallback_.size()) fallback_.resize(size);
  data_ = fallback_.data();
  return true;
}

bool UnpackBuffer::GrowTo(uint64_t size) {
  if (size <= size_) return true;
  if (!ctx_.ReserveUnpacked(size - size_, size, compressed_, what_) || !Ensure(size)) return false;
  size_ = size;
  return true;
}

bool UnpackBuffer::WriteAt(uint64_t offset, ByteView chunk) {
  if (chunk.empty()) return true;
  if (offset > UINT64_MAX - chunk.size() || !GrowTo(std::max(size_, offset + chunk.size()))) return false;
  std::memcpy(data_ + offset, chunk.data(), chunk.size());
  return true;
}

void AnalysisContext::AnalyzeMember(std::string_view name, ByteView data, const MemberHint& hint) {
  const std::string saved = location_;
  location_ = location_.empty() ? std::string(name) : location_ + "!" + std::string(name);
  if (cancel::Requested()) {
    ReportInterrupted(name);
  } else if (depth_ + 1 > limits_.max_container_depth) {
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
