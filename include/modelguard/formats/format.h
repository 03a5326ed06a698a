#pragma once
// The format layer: parsers that turn untrusted bytes into typed facts. They decide nothing about danger;
// the scan policy turns facts into findings.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace modelguard::formats {

using ByteView = std::span<const uint8_t>;

// A fact kind: a stable id such as "zip.crc-mismatch". Kinds are declared constants (the constructor is
// consteval and explicit), so a fact cannot be emitted under an id assembled at run time or typed inline
// at the call site: `ctx.Emit("zip.x", ...)` does not compile. Core kinds are below; each format declares
// its own in its folder and lists them in its descriptor, and a test checks that every declared kind has a
// rule in policies/default.json. Each kind is also the rule id the default policy maps it to, except kinds
// ending in ".import" ("pickle.import", "keras.import", ...): the loader imports subject.name, and the one
// import policy classifies that into "<format>.dangerous-import" / ".attribute-walk" / ".unknown-import" or
// nothing; and kinds ending in ".op", which become "<format>.dangerous-op" when the policy lists the op.
class FactKind {
 public:
  consteval explicit FactKind(const char* id) : id_(id) {}
  constexpr std::string_view id() const { return id_; }
  // Reading a kind as text is harmless (tests match facts by id); only building one from text is not.
  constexpr operator std::string_view() const { return id_; }  // NOLINT: implicit by design
  constexpr bool operator==(const FactKind& other) const { return id_ == other.id_; }
  constexpr bool operator==(std::string_view id) const { return id_ == id; }

 private:
  std::string_view id_;
};
std::ostream& operator<<(std::ostream& out, const FactKind& kind);

namespace fact {
inline constexpr FactKind kFormat{"format"};                 // subject: format name
inline constexpr FactKind kParseError{"parse-error"};        // the bytes broke the format
inline constexpr FactKind kUnknownFormat{"unknown-format"};  // nothing recognised the content
inline constexpr FactKind kLimit{"limit-exceeded"};          // a budget stopped the analysis
inline constexpr FactKind kPolyglot{"polyglot"};             // the bytes are two formats at once
// A decompression budget (member, per-file total, held at once, ratio) was exceeded: the member was not
// analysed. Containers of every kind (zip, tar/7z, gzip/bzip2/xz/zstd/...) report it under one id.
inline constexpr FactKind kDecompressionBomb{"archive.decompression-bomb"};
inline constexpr FactKind kPickleImport{"pickle.import"};  // subject: module, name: attribute
inline constexpr FactKind kPickleDynamicImport{"pickle.dynamic-import"};
inline constexpr FactKind kPickleGlobalMutation{"pickle.global-mutation"};
inline constexpr FactKind kPickleExtension{"pickle.extension-code"};
inline constexpr FactKind kPicklePersistentId{"pickle.persistent-id"};
inline constexpr FactKind kPickleFrameMismatch{"pickle.frame-mismatch"};
inline constexpr FactKind kPickleOutOfBandBuffer{"pickle.out-of-band-buffer"};
inline constexpr FactKind kPickleMemoOverwrite{"pickle.memo-overwrite"};
inline constexpr FactKind kPickleTrailingData{"pickle.trailing-data"};
}  // namespace fact

// Kinds the analysis core emits for every format (pickle's are listed by the pickle descriptor).
std::vector<FactKind> CoreFactKinds();

// A typed observation about the bytes.
struct Fact {
  FactKind kind;
  std::string location;  // "!"-joined container path below the scanned file ("" = the file itself)
  std::optional<uint64_t> offset;
  std::string subject;  // the thing observed: an import's module "os", a member name, a format name
  std::string name;     // second part of the subject where it has one: an import's attribute "system"
  std::string detail;   // human-readable explanation and evidence
};

// How a format relates to others. Formats of one family share a container layout (a Keras archive is a
// zip with config.json): two readings of one file as the same family are not a polyglot.
enum class FormatFamily { kOwn, kZip, kPickle };
std::string_view ToString(FormatFamily family);

// What a format analyzer says about itself. Everything that lists formats (detection order, the scanner's
// extension, weights and model-card tables, polyglot probes, fuzz targets, docs/formats.md) is derived
// from these.
struct FormatDescriptor {
  std::string_view name;  // stable id, reported as the file's format
  std::string_view summary;
  // Content signature strength, i.e. the place in the detection order (lower is asked first): layouts
  // inside a container (pytorch-zip inside zip) before the container, fixed magic before plausible
  // structure, free text last. Among equally strong sniffs the lower rank wins. Unique per format.
  int detection_rank = 0;
  // File extensions (lower case, with the dot) this format legitimately goes by. A file named with an
  // extension that some format claims, whose content is none of the claiming formats, is a mismatch.
  std::vector<std::string_view> extensions;
  FormatFamily family = FormatFamily::kOwn;
  // True for the family's own format (zip, pickle): its reader tolerates foreign bytes around the stream
  // (zip readers start from the end, unpickling stops at STOP), so every file is also probed as it, and a
  // file that is both is a polyglot.
  bool polyglot_probe = false;
  bool carries_weights = false;  // a loader would pair it with code found beside it
  // Hugging Face model-card `library_name` values whose loaders read this format.
  std::vector<std::string_view> libraries;
  // Fact kinds this format's own code emits (members it hands back add their formats' kinds).
  std::vector<FactKind> facts;
};

// Explicit resource limits. Every container level, every decompression and every parser is bounded.
// The decompression defaults keep a scan under 256 MB of memory whatever the input: a member is held in
// memory while it is analysed, so the held-at-once cap (all nesting levels together) is the memory bound;
// the per-file total bounds the time spent inflating; the ratio catches bombs long before either.
struct Limits {
  uint32_t max_container_depth = 8;
  uint64_t max_member_size = uint64_t{128} << 20;    // decompressed bytes of one member
  uint64_t max_total_unpacked = uint64_t{1} << 30;   // decompressed bytes per scanned file, all levels
  uint64_t max_unpacked_held = uint64_t{192} << 20;  // decompressed bytes in memory at once, all levels
  // Decompressed : compressed bytes of one member, checked once it has produced ratio_checked_above bytes
  // (small highly compressible members are normal). 0 turns the ratio check off.
  uint64_t max_compression_ratio = 200;
  uint64_t ratio_checked_above = uint64_t{4} << 20;
  uint64_t max_members = 100000;                  // entries per archive
  uint64_t max_pickle_memo_entries = 50'000'000;  // like CPython's MemoryError, but earlier
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
  virtual const FormatDescriptor& descriptor() const = 0;
  std::string_view name() const { return descriptor().name; }
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

  void Emit(FactKind kind, std::optional<uint64_t> offset, std::string subject, std::string detail,
            std::string name = {});

  // Sniffs and analyses a container member at depth+1 (or forced format). `name` is appended to the
  // location with "!". Enforces depth and unpacked-size budgets, emitting kLimit facts.
  void AnalyzeMember(std::string_view name, ByteView data, const MemberHint& hint = {});

  // Accounts for `more` bytes a container is about to decompress into a member that will then hold
  // `member_size` bytes, decompressed from `compressed_size` input bytes (0: unknown, no ratio check);
  // false (and one kDecompressionBomb fact) when the member, per-file, held-at-once or ratio budget is
  // exceeded. The bytes count as held until ReleaseUnpacked (UnpackBuffer does both).
  bool ReserveUnpacked(uint64_t more, uint64_t member_size, uint64_t compressed_size, std::string_view what);
  void ReleaseUnpacked(uint64_t bytes);
  // Once cancellation is requested (core/cancel.h), AnalyzeMember and ReserveUnpacked refuse further work
  // and the file gets one kLimit fact saying the analysis was interrupted.
  void ReportInterrupted(std::string_view what);

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
  uint64_t held_ = 0;
  bool total_reported_ = false;  // the per-file total is reported once, not for every later member
  bool interrupted_reported_ = false;
  std::vector<std::string> formats_seen_;
};

// The memory one decompressed member lives in while it is analysed, within the context's budgets. Address
// space for the largest member the limits allow is reserved up front but committed only as written
// (anonymous mmap, MAP_NORESERVE), so growing never copies and the resident size is what was decompressed;
// a bomb therefore costs at most the cap, never cap + reallocation. Reusable member after member.
class UnpackBuffer {
 public:
  explicit UnpackBuffer(AnalysisContext& ctx);
  ~UnpackBuffer();
  UnpackBuffer(const UnpackBuffer&) = delete;
  UnpackBuffer& operator=(const UnpackBuffer&) = delete;

  // Starts a new member (releasing the previous one's bytes) decompressed from `compressed_size` bytes.
  void Start(std::string what, uint64_t compressed_size);
  // False (with one finding) when a budget is exceeded; the member must not be analysed then.
  bool Append(ByteView chunk) { return WriteAt(size_, chunk); }
  // Writes at `offset`, zero-filling any gap (sparse archive members), within the same budgets.
  bool WriteAt(uint64_t offset, ByteView chunk);
  bool GrowTo(uint64_t size);
  ByteView view() const { return {data_, size_}; }
  uint64_t size() const { return size_; }

 private:
  bool Ensure(uint64_t size);
  void Release();

  AnalysisContext& ctx_;
  std::string what_;
  uint64_t compressed_ = 0;
  uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
  uint64_t reserved_ = 0;  // mapped bytes (0 when the fallback vector is used)
  std::vector<uint8_t> fallback_;
};

// The registry: every analyzer of src/formats/formats.def, in detection order (descriptor ranks). The core
// knows no format by name.
const std::vector<std::unique_ptr<FormatAnalyzer>>& Registry();
const FormatAnalyzer* FindAnalyzer(std::string_view name);
// Picks the analyzer whose sniff is strongest (lower detection rank breaks ties); nullptr if none.
const FormatAnalyzer* Detect(ByteView data);
// The same over any list in detection order (tests add a format of their own).
const FormatAnalyzer* DetectAmong(std::span<const FormatAnalyzer* const> analyzers, ByteView data);

// Entry point for one buffer: detect, analyse, or emit kUnknownFormat. Returns the detected format name.
std::string AnalyzeBuffer(ByteView data, AnalysisContext& ctx, const MemberHint& hint = {});

}  // namespace modelguard::formats
