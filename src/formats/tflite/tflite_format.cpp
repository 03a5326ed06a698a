// TFLite models are FlatBuffers with file identifier "TFL3" (tensorflow/lite/schema/schema.fbs):
// Model{version 0, operator_codes 1: [OperatorCode{deprecated_builtin_code 0, custom_code 1, version 2,
// builtin_code 3}], description 3}. An operator whose code is CUSTOM (32) runs a kernel the application
// registers by name: native code that the model file alone does not describe.
#include <cstring>
#include <optional>
#include <set>
#include <string>

#include "src/formats/registry_entries.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kTfliteCustomOp{"tflite.custom-op"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats {
namespace {

constexpr int32_t kBuiltinCustom = 32;
constexpr uint32_t kMaxOperatorCodes = 1 << 16;

// Bounds-checked FlatBuffer table access (flatbuffers.dev "internals": uoffset_t/soffset_t/voffset_t).
class FlatBuffer {
 public:
  explicit FlatBuffer(ByteView d) : d_(d) {}

  std::optional<uint32_t> U32(uint64_t at) const {
    if (at > d_.size() || 4 > d_.size() - at) return std::nullopt;
    uint32_t v;
    std::memcpy(&v, d_.data() + at, 4);
    return v;
  }
  std::optional<uint16_t> U16(uint64_t at) const {
    if (at > d_.size() || 2 > d_.size() - at) return std::nullopt;
    uint16_t v;
    std::memcpy(&v, d_.data() + at, 2);
    return v;
  }
  // Position of field `index` inside the table at `table`, or nullopt when absent or out of bounds.
  std::optional<uint64_t> Field(uint64_t table, uint16_t index) const {
    auto soff = U32(table);
    if (!soff) return std::nullopt;
    const int64_t vtable = static_cast<int64_t>(table) - static_cast<int32_t>(*soff);
    if (vtable < 0) return std::nullopt;
    auto vsize = U16(static_cast<uint64_t>(vtable));
    if (!vsize || 4u + 2u * index + 2u > *vsize) return std::nullopt;
    auto off = U16(static_cast<uint64_t>(vtable) + 4 + 2u * index);
    if (!off || *off == 0) return std::nullopt;
    return table + *off;
  }
  // Follows a uoffset stored at `at`.
  std::optional<uint64_t> Deref(uint64_t at) const {
    auto off = U32(at);
    if (!off) return std::nullopt;
    const uint64_t target = at + *off;
    return target < d_.size() ? std::optional<uint64_t>(target) : std::nullopt;
  }
  std::optional<std::string> String(uint64_t at) const {
    auto s = Deref(at);
    if (!s) return std::nullopt;
    auto len = U32(*s);
    if (!len || *len > d_.size() - *s - 4) return std::nullopt;
    return std::string(reinterpret_cast<const char*>(d_.data() + *s + 4), std::min<uint32_t>(*len, 256));
  }
  std::optional<int64_t> Int(uint64_t table, uint16_t index, int bytes) const {
    auto at = Field(table, index);
    if (!at) return std::nullopt;
    if (bytes == 1) return *at < d_.size() ? std::optional<int64_t>(static_cast<int8_t>(d_[*at])) : std::nullopt;
    auto v = U32(*at);
    return v ? std::optional<int64_t>(static_cast<int32_t>(*v)) : std::nullopt;
  }

 private:
  ByteView d_;
};

class TfliteAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "tflite",
        .summary = "TensorFlow Lite FlatBuffer: operator codes, `CUSTOM` operators",
        .detection_rank = 70,
        .extensions = {".tflite"},
        .family = FormatFamily::kOwn,
        .polyglot_probe = false,
        .carries_weights = true,
        .libraries = {"tflite"},
        .facts = {fact::kTfliteCustomOp},
    };
    return d;
  }
  SniffResult Sniff(ByteView d) const override {
    return d.size() >= 8 && std::memcmp(d.data() + 4, "TFL3", 4) == 0 ? SniffResult::kStrong : SniffResult::kNo;
  }

  void Analyze(ByteView d, AnalysisContext& ctx) const override {
    FlatBuffer fb(d);
    auto model = fb.Deref(0);
    auto codes_field = model ? fb.Field(*model, 1) : std::nullopt;
    auto codes = codes_field ? fb.Deref(*codes_field) : std::nullopt;
    auto count = codes ? fb.U32(*codes) : std::nullopt;
    if (!model || (codes_field && (!codes || !count))) {
      ctx.Emit(fact::kParseError, 0, "tflite", "tflite: root table or operator_codes vector is out of bounds");
      return;
    }
    if (!count) return;  // a model without operators
    if (*count > kMaxOperatorCodes || uint64_t{*count} * 4 > d.size() - *codes - 4) {
      ctx.Emit(fact::kParseError, *codes, "tflite",
               "tflite: operator_codes declares " + std::to_string(*count) + " entries");
      return;
    }
    std::set<std::string> seen;
    for (uint32_t i = 0; i < *count; ++i) {
      auto code = fb.Deref(*codes + 4 + 4ull * i);
      if (!code) {
        ctx.Emit(fact::kParseError, *codes, "tflite",
                 "tflite: operator code " + std::to_string(i) + " is out of bounds");
        return;
      }
      const int64_t deprecated = fb.Int(*code, 0, 1).value_or(0);
      const int64_t builtin = fb.Int(*code, 3, 4).value_or(0);
      if (std::max(deprecated, builtin) != kBuiltinCustom) continue;
      auto custom_field = fb.Field(*code, 1);
      const std::string name = custom_field ? fb.String(*custom_field).value_or("<unreadable>") : "<unnamed>";
      if (seen.insert(name).second) {
        ctx.Emit(fact::kTfliteCustomOp, *code, name,
                 "custom operator '" + name + "' runs a kernel registered by the application");
      }
    }
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(tflite, TfliteAnalyzer)

}  // namespace modelguard::formats
