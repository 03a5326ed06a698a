// GGUF v1-v3 (ggml/docs/gguf.md): "GGUF", u32 version, tensor count and KV count (u32 in v1, u64 after),
// KV pairs (gguf string key, u32 type, value), tensor infos (name, u32 n_dims <= 4, dims, u32 ggml type,
// u64 offset), padding to general.alignment (default 32), tensor data. Every count and length is checked
// against the bytes that remain before anything is allocated for it (the 2024 Talos GGUF heap overflows
// were exactly unchecked counts), and chat templates go to the template checker.
#include <limits>
#include <string>

#include "src/formats/gguf/template_check.h"
#include "src/formats/registry_entries.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kGgufTemplateInjection{"gguf.template-injection"};
inline constexpr FactKind kGgufTensorBounds{"gguf.tensor-bounds"};
inline constexpr FactKind kGgufUnknownType{"gguf.unknown-type"};
inline constexpr FactKind kGgufBadAlignment{"gguf.bad-alignment"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats {
namespace {

constexpr uint32_t kMaxDims = 4;            // GGML_MAX_DIMS
constexpr uint64_t kDefaultAlignment = 32;  // GGUF_DEFAULT_ALIGNMENT
constexpr uint32_t kMaxArrayNesting = 2;

enum ValueType : uint32_t {
  kU8 = 0,
  kI8 = 1,
  kU16 = 2,
  kI16 = 3,
  kU32 = 4,
  kI32 = 5,
  kF32 = 6,
  kBool = 7,
  kString = 8,
  kArray = 9,
  kU64 = 10,
  kI64 = 11,
  kF64 = 12,
};

uint64_t ScalarSize(uint32_t type) {
  switch (type) {
    case kU8:
    case kI8:
    case kBool:
      return 1;
    case kU16:
    case kI16:
      return 2;
    case kU32:
    case kI32:
    case kF32:
      return 4;
    case kU64:
    case kI64:
    case kF64:
      return 8;
    default:
      return 0;
  }
}

// ggml_type -> (block size in elements, bytes per block), from ggml's type traits.
struct TypeTraits {
  uint32_t type;
  uint64_t block, bytes;
};
constexpr TypeTraits kTypes[] = {
    {0, 1, 4},      {1, 1, 2},     {2, 32, 18},    {3, 32, 20},    {6, 32, 22},    {7, 32, 24},    {8, 32, 34},
    {9, 32, 36},    {10, 256, 84}, {11, 256, 110}, {12, 256, 144}, {13, 256, 176}, {14, 256, 210}, {15, 256, 292},
    {16, 256, 66},  {17, 256, 74}, {18, 256, 98},  {19, 256, 50},  {20, 32, 18},   {21, 256, 110}, {22, 256, 82},
    {23, 256, 136}, {24, 1, 1},    {25, 1, 2},     {26, 1, 4},     {27, 1, 8},     {28, 1, 8},     {29, 256, 56},
    {30, 1, 2},     {34, 256, 54}, {35, 256, 66},  {39, 32, 17}};

const TypeTraits* FindType(uint32_t t) {
  for (const auto& tt : kTypes) {
    if (tt.type == t) return &tt;
  }
  return nullptr;
}

struct GgufError {
  uint64_t offset;
  std::string message;
};

class Reader {
 public:
  Reader(ByteView d, uint32_t version) : d_(d), version_(version) {}
  uint64_t pos() const { return pos_; }
  uint64_t remaining() const { return d_.size() - pos_; }
  void Seek(uint64_t p) { pos_ = p; }
  uint64_t Uint(int bytes) {
    Need(static_cast<uint64_t>(bytes));
    uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i) v = (v << 8) | d_[pos_ + static_cast<uint64_t>(i)];
    pos_ += static_cast<uint64_t>(bytes);
    return v;
  }
  // Counts and lengths are u32 in GGUF v1 and u64 from v2 on.
  uint64_t Count() { return Uint(version_ == 1 ? 4 : 8); }
  std::string_view String(uint64_t keep = std::numeric_limits<uint64_t>::max()) {
    const uint64_t len = Count();
    Need(len);
    std::string_view s(reinterpret_cast<const char*>(d_.data() + pos_), std::min(len, keep));
    pos_ += len;
    return s;
  }
  void Skip(uint64_t n) {
    Need(n);
    pos_ += n;
  }
  void Need(uint64_t n) const {
    if (n > remaining()) {
      throw GgufError{pos_, "needs " + std::to_string(n) + " bytes at offset " + std::to_string(pos_) + " but only " +
                                std::to_string(remaining()) + " remain"};
    }
  }

 private:
  ByteView d_;
  uint32_t version_;
  uint64_t pos_ = 0;
};

class GgufAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "gguf",
        .summary =
            "GGUF v1-v3: counts, lengths, `n_dims`, tensor offsets and sizes with overflow-safe arithmetic; chat "
            "templates through the template checker",
        .detection_rank = 60,
        .extensions = {".gguf"},
        .family = FormatFamily::kOwn,
        .polyglot_probe = false,
        .carries_weights = true,
        .libraries = {"gguf", "llama.cpp"},
        .facts = {fact::kGgufTemplateInjection, fact::kGgufTensorBounds, fact::kGgufUnknownType,
                  fact::kGgufBadAlignment},
    };
    return d;
  }
  SniffResult Sniff(ByteView d) const override {
    // Four bytes of magic are enough: a GGUF file cut before its version is a broken GGUF file, not unknown.
    return d.size() >= 4 && d[0] == 'G' && d[1] == 'G' && d[2] == 'U' && d[3] == 'F' ? SniffResult::kStrong
                                                                                     : SniffResult::kNo;
  }

  void Analyze(ByteView d, AnalysisContext& ctx) const override {
    if (d.size() < 8) {
      ctx.Emit(fact::kParseError, 0, "gguf", "gguf: truncated before the version");
      return;
    }
    const uint32_t version = static_cast<uint32_t>(d[4] | (d[5] << 8) | (d[6] << 16) | (uint32_t{d[7]} << 24));
    if (version < 1 || version > 3) {
      ctx.Emit(fact::kParseError, 4, "gguf", "unsupported GGUF version " + std::to_string(version));
      return;
    }
    Reader r(d, version);
    r.Skip(8);
    try {
      const uint64_t tensor_count = r.Count();
      const uint64_t kv_count = r.Count();
      // Each KV needs at least a length, a type and one byte; each tensor info more than that.
      if (kv_count > r.remaining() / 9 || tensor_count > r.remaining() / 24) {
        throw GgufError{8, "declares " + std::to_string(kv_count) + " metadata entries and " +
                               std::to_string(tensor_count) +
                               " tensors, more than the file can hold (allocation-size attack)"};
      }
      uint64_t alignment = kDefaultAlignment;
      for (uint64_t i = 0; i < kv_count; ++i) {
        const uint64_t key_at = r.pos();
        const std::string key(r.String(256));
        const auto type = static_cast<uint32_t>(r.Uint(4));
        if (key == "general.alignment" && type == kU32) {
          const uint64_t at = r.pos();
          alignment = r.Uint(4);
          if (alignment == 0 || (alignment & (alignment - 1)) != 0) {
            ctx.Emit(fact::kGgufBadAlignment, at, key,
                     "general.alignment " + std::to_string(alignment) + " is not a power of two");
            alignment = kDefaultAlignment;
          }
          continue;
        }
        if (type == kString && (key == "tokenizer.chat_template" || key.rfind("tokenizer.chat_template.", 0) == 0)) {
          const uint64_t at = r.pos();
          const std::string_view tmpl = r.String();
          for (const auto& issue : gguf::CheckTemplate(tmpl)) {
            ctx.Emit(fact::kGgufTemplateInjection, at, key, issue);
          }
          continue;
        }
        (void)key_at;
        SkipValue(r, type, 0);
      }
      // Tensor infos.
      struct Tensor {
        std::string name;
        uint64_t offset, size;
      };
      std::vector<Tensor> tensors;
      for (uint64_t i = 0; i < tensor_count; ++i) {
        const uint64_t at = r.pos();
        std::string name(r.String(256));
        const auto n_dims = static_cast<uint32_t>(r.Uint(4));
        if (n_dims > kMaxDims)
          throw GgufError{at, "tensor '" + name + "' has " + std::to_string(n_dims) + " dimensions (max 4)"};
        uint64_t elements = 1;
        bool overflow = false;
        for (uint32_t k = 0; k < n_dims; ++k) {
          const uint64_t dim = r.Count();
          if (dim != 0 && elements > std::numeric_limits<uint64_t>::max() / dim)
            overflow = true;
          else
            elements *= dim;
        }
        const auto type = static_cast<uint32_t>(r.Uint(4));
        const uint64_t offset = r.Uint(8);
        const TypeTraits* tt = FindType(type);
        if (overflow || elements > (uint64_t{1} << 50)) {
          ctx.Emit(fact::kGgufTensorBounds, at, name, "tensor dimensions overflow 64-bit element counts");
          continue;
        }
        if (tt == nullptr) {
          ctx.Emit(fact::kGgufUnknownType, at, name, "unknown ggml type " + std::to_string(type));
          continue;
        }
        if (elements % tt->block != 0) {
          ctx.Emit(fact::kGgufTensorBounds, at, name, "element count is not a multiple of the type's block size");
          continue;
        }
        if (offset % alignment != 0) {
          ctx.Emit(fact::kGgufTensorBounds, at, name,
                   "offset " + std::to_string(offset) + " is not aligned to " + std::to_string(alignment));
        }
        tensors.push_back({std::move(name), offset, elements / tt->block * tt->bytes});
      }
      // Data section starts at the next alignment boundary.
      uint64_t data_start = r.pos();
      if (data_start % alignment != 0) data_start += alignment - data_start % alignment;
      const uint64_t data_size = data_start <= d.size() ? d.size() - data_start : 0;
      for (const auto& t : tensors) {
        if (t.offset > data_size || t.size > data_size - t.offset) {
          ctx.Emit(fact::kGgufTensorBounds, data_start, t.name,
                   "tensor data [" + std::to_string(t.offset) + ", +" + std::to_string(t.size) +
                       ") runs past the end of the file");
        }
      }
    } catch (const GgufError& e) {
      ctx.Emit(fact::kParseError, e.offset, "gguf", "gguf: " + e.message);
    }
  }

 private:
  static void SkipValue(Reader& r, uint32_t type, uint32_t depth) {
    if (type == kString) {
      r.String(0);
      return;
    }
    if (type == kArray) {
      if (depth >= kMaxArrayNesting) throw GgufError{r.pos(), "arrays nested too deeply"};
      const auto item_type = static_cast<uint32_t>(r.Uint(4));
      const uint64_t count = r.Count();
      const uint64_t item = ScalarSize(item_type);
      if (item != 0) {
        if (count > r.remaining() / item)
          throw GgufError{r.pos(), "array of " + std::to_string(count) + " items exceeds the file"};
        r.Skip(count * item);
        return;
      }
      if (item_type != kString && item_type != kArray)
        throw GgufError{r.pos(), "unknown array item type " + std::to_string(item_type)};
      if (count > r.remaining() / 8)
        throw GgufError{r.pos(), "array of " + std::to_string(count) + " items exceeds the file"};
      for (uint64_t i = 0; i < count; ++i) SkipValue(r, item_type, depth + 1);
      return;
    }
    const uint64_t size = ScalarSize(type);
    if (size == 0) throw GgufError{r.pos(), "unknown metadata value type " + std::to_string(type)};
    r.Skip(size);
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(gguf, GgufAnalyzer)

}  // namespace modelguard::formats
