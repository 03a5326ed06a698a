#pragma once
// The format layer: parsers that turn untrusted bytes into typed facts. They decide nothing about danger;
// the scan policy turns facts into findings.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace modelguard::formats {

using ByteView = std::span<const uint8_t>;

// Stable fact kinds. Each kind is also the rule id the default policy maps it to, except kinds ending in
// ".import" ("pickle.import", "keras.import", ...): the loader imports subject.name, and the one import
// policy classifies that into "<format>.dangerous-import" / ".attribute-walk" / ".unknown-import" or nothing.
namespace fact {
inline constexpr std::string_view kFormat = "format";                 // subject: format name
inline constexpr std::string_view kParseError = "parse-error";        // the bytes broke the format
inline constexpr std::string_view kUnknownFormat = "unknown-format";  // nothing recognised the content
inline constexpr std::string_view kLimit = "limit-exceeded";          // a budget stopped the analysis
inline constexpr std::string_view kPickleImport = "pickle.import";    // subject: module, name: attribute
inline constexpr std::string_view kPickleDynamicImport = "pickle.dynamic-import";
inline constexpr std::string_view kPickleGlobalMutation = "pickle.global-mutation";
inline constexpr std::string_view kPickleExtension = "pickle.extension-code";
inline constexpr std::string_view kPicklePersistentId = "pickle.persistent-id";
inline constexpr std::string_view kPickleFrameMismatch = "pickle.frame-mismatch";
inline constexpr std::string_view kPickleOutOfBandBuffer = "pickle.out-of-band-buffer";
inline constexpr std::string_view kPickleMemoOverwrite = "pickle.memo-overwrite";
inline constexpr std::string_view kPickleTrailingData = "pickle.trailing-data";
inline constexpr std::string_view kPickleNestedStream = "pickle.nested-stream";
}  // namespace fact

// A typed observation about the bytes. `kind` is one of the fact:: constants or a format-specific
// "<format>.<observation>" id (e.g. "zip.crc-mismatch").
struct Fact {
  std::string kind;
  std::string location;  // "!"-joined container path below the scanned file ("" = the file itself)
  std::optional<uint64_t> offset;
  std::string subject;  // the thing observed: an import's module "os", a member name, a format name
  std::string name;     // second part of the subject where it has one: an import's attribute "system"
  std::string detail;   // human-readable explanation and evidence
};

// Explicit resource limits. Every container level, every decompression and every parser is bounded.
struct Limits {
  uint32_t max_container_depth = 8;
  uint64_t max_member_size = uint64_t{4} << 30;      // decompressed bytes of one member
  uint64_t max_total_unpacked = uint64_t{16} << 30;  // decompressed bytes per scanned file
  uint64_t max_members = 100000;                     // entries per archive
  uint64_t max_pickle_memo_entries = 50'000'000;     // like CPython's MemoryError, but earlier
  uint64_t max_pickle_stack_depth = 10'000'000;
  uint64_t max_pickle_objects = 200'000'000;  // strings and containers modelled (memory bound)
  uint32_t max_pickle_streams = 4096;         // consecutive pickles in one member
  size_t max_kept_string = 4096;              // longer strings are kept as prefix + length
};

// What a caller knows about a member before sniffing: containers that know how their loader treats a
// member (PyTorch unpickles every "*.pkl" of its archive whatever the bytes look like) force the format.
struct MemberHint {
  std::string forced_format;  // empty: sniff by content
};

class AnalysisContext;

enum class SniffResult { kNo = 0, kWeak = 1, kStrong = 2 };

class FormatAnalyzer {
 public:
  virtual ~FormatAnalyzer() = default;
  virtual std::string_view name() const = 0;
  // Decides from content alone. kStrong: unambiguous magic. kWeak: plausible structure.
  virtual SniffResult Sniff(ByteView data) const = 0;
  // Emits facts through ctx. Must not throw, must not read outside data. Called only on bytes Sniff
  // accepted, unless ParsesAnyBytes() (a container may force such a format on a member).
  virtual void Analyze(ByteView data, AnalysisContext& ctx) const = 0;
  // True for formats whose loader is applied to bytes whatever they look like (pickle: torch.load
  // unpickles data.pkl without looking), so a forced format skips the sniff.
  virtual bool ParsesAnyBytes() const { return false; }
};

// Everything an analyzer may do besides reading its bytes: record facts and hand members back.
class AnalysisContext {
 public:
  AnalysisContext(const Limits& limits, std::vector<Fact>& sink, std::string source_path = {});

  // The file system path of the scanned file, when it is one (empty for stdin and in-memory buffers).
  // Formats that reference sibling files (ONNX external data) resolve them against its directory.
  const std::string& source_path() const { return source_path_; }

  const Limits& limits() const { return limits_; }
  uint32_t depth() const { return depth_; }
  const std::string& location() const { return location_; }

  void Emit(std::string_view kind, std::optional<uint64_t> offset, std::string subject, std::string detail,
            std::string name = {});

  // Sniffs and analyses a container member at depth+1 (or forced format). `name` is appended to the
  // location with "!". Enforces depth and unpacked-size budgets, emitting kLimit facts.
  void AnalyzeMember(std::string_view name, ByteView data, const MemberHint& hint = {});

  // Accounts for `more` bytes a container is about to decompress into a member that will then hold
  // `member_size` bytes; false (and one kLimit fact) when the member or per-file budget is exceeded.
  bool ReserveUnpacked(uint64_t more, uint64_t member_size, std::string_view what);

  // Names of formats analysed so far (top level first).
  const std::vector<std::string>& formats_seen() const { return formats_seen_; }
  void NoteFormat(std::string_view name);

 private:
  const Limits& limits_;
  std::vector<Fact>& sink_;
  std::string source_path_;
  std::string location_;
  uint32_t depth_ = 0;
  uint64_t unpacked_ = 0;
  std::vector<std::string> formats_seen_;
};

// The registry: the single list of analyzers (src/formats/registry.cpp). The core knows no format by name.
const std::vector<std::unique_ptr<FormatAnalyzer>>& Registry();
const FormatAnalyzer* FindAnalyzer(std::string_view name);
// Picks the analyzer whose sniff is strongest (registry order breaks ties); nullptr if none.
const FormatAnalyzer* Detect(ByteView data);

// Entry point for one buffer: detect, analyse, or emit kUnknownFormat. Returns the detected format name.
std::string AnalyzeBuffer(ByteView data, AnalysisContext& ctx, const MemberHint& hint = {});

}  // namespace modelguard::formats
