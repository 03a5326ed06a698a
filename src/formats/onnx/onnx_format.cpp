// ONNX ModelProto, read with the wire reader against the field numbers of the published onnx.proto
// (ModelProto: opset_import 8, graph 7, metadata_props 14, functions 25; GraphProto: node 1, initializer 5,
// sparse_initializer 15; NodeProto: attribute 5, op_type 4, domain 7; AttributeProto: t 5, g 6,
// tensors 10, graphs 11, sparse_tensor 22, sparse_tensors 23; TensorProto: dims 1, data_type 2, name 8,
// raw_data 9, external_data 13). External-data locations are what onnx.load opens next to the model:
// absolute paths and ".." read arbitrary files (CVE-2022-25882, CVE-2024-27318).
#include <sys/stat.h>

#include <algorithm>
#include <filesystem>
#include <limits>
#include <set>

#include "src/formats/common/path_safety.h"
#include "src/formats/config/json_guard.h"
#include "src/formats/protobuf/wire.h"
#include "src/formats/registry_entries.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kOnnxExternalDataTraversal{"onnx.external-data-traversal"};
inline constexpr FactKind kOnnxExternalDataMissing{"onnx.external-data-missing"};
inline constexpr FactKind kOnnxExternalDataBounds{"onnx.external-data-bounds"};
inline constexpr FactKind kOnnxCustomOperator{"onnx.custom-operator"};
inline constexpr FactKind kOnnxAbsurdDims{"onnx.absurd-dims"};
inline constexpr FactKind kOnnxTensorSizeMismatch{"onnx.tensor-size-mismatch"};
inline constexpr FactKind kOnnxMetadataCode{"onnx.metadata-code"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats {
namespace {

namespace pb = protobuf;
constexpr uint32_t kMaxGraphDepth = 64;
constexpr int64_t kMaxSaneDim = int64_t{1} << 40;

// Domains whose operators ship with ONNX Runtime; anything else needs a custom-op library (native code).
const std::set<std::string, std::less<>> kStandardDomains = {"",
                                                             "ai.onnx",
                                                             "ai.onnx.ml",
                                                             "ai.onnx.training",
                                                             "ai.onnx.preview.training",
                                                             "com.microsoft",
                                                             "com.microsoft.nchwc",
                                                             "com.microsoft.mlfeaturizers",
                                                             "com.ms.internal.nhwc",
                                                             "org.pytorch.aten"};

uint64_t ElementSize(uint64_t data_type) {
  switch (data_type) {
    case 1:
    case 6:
    case 12:
      return 4;  // FLOAT, INT32, UINT32
    case 2:
    case 3:
    case 9:
      return 1;  // UINT8, INT8, BOOL
    case 4:
    case 5:
    case 10:
    case 16:
      return 2;  // UINT16, INT16, FLOAT16, BFLOAT16
    case 7:
    case 11:
    case 13:
    case 14:
      return 8;  // INT64, DOUBLE, UINT64, COMPLEX64
    case 15:
      return 16;  // COMPLEX128
    default:
      return 0;  // STRING, float8 and sub-byte types: not size-checked
  }
}

class Walker {
 public:
  Walker(ByteView top, AnalysisContext& ctx) : top_(top), ctx_(ctx) {}

  void Model(ByteView m) {
    pb::Reader r(m, Offset(m));
    pb::Field f;
    bool graph = false;
    while (r.Next(f)) {
      if (f.type != pb::kLen) continue;
      graph |= f.number == 7;
      if (f.number == 7)
        Graph(f.bytes, 0);
      else if (f.number == 25)
        Function(f.bytes);
      else if (f.number == 14)
        Metadata(f.bytes);
    }
    Check(r);
    // onnx.load accepts a model without a graph, onnx.checker and every runtime refuse it: a file cut
    // before its graph (or stripped of it) is a broken ONNX model, not an empty one.
    if (!graph && !broken_) {
      broken_ = true;
      ctx_.Emit(fact::kParseError, r.position(), "onnx", "onnx: the model has no graph (field 7)");
    }
  }

 private:
  uint64_t Offset(ByteView sub) const { return static_cast<uint64_t>(sub.data() - top_.data()); }

  void Check(const pb::Reader& r) {
    if (!r.error().empty() && !broken_) {
      broken_ = true;
      ctx_.Emit(fact::kParseError, r.position(), "onnx", "onnx: malformed protobuf: " + r.error());
    }
  }

  void Graph(ByteView g, uint32_t depth) {
    if (depth > kMaxGraphDepth) {
      ctx_.Emit(fact::kLimit, Offset(g), "depth",
                "ONNX subgraphs nested deeper than " + std::to_string(kMaxGraphDepth));
      return;
    }
    pb::Reader r(g, Offset(g));
    pb::Field f;
    while (r.Next(f)) {
      if (f.type != pb::kLen) continue;
      if (f.number == 1)
        Node(f.bytes, depth);
      else if (f.number == 5)
        Tensor(f.bytes);
      else if (f.number == 15)
        SparseTensor(f.bytes);
    }
    Check(r);
  }

  void Function(ByteView fn) {
    pb::Reader r(fn, Offset(fn));
    pb::Field f;
    while (r.Next(f)) {
      if (f.type == pb::kLen && f.number == 7) Node(f.bytes, 1);
    }
    Check(r);
  }

  void Node(ByteView n, uint32_t depth) {
    pb::Reader r(n, Offset(n));
    pb::Field f;
    std::string_view op, domain;
    while (r.Next(f)) {
      if (f.type != pb::kLen) continue;
      if (f.number == 4)
        op = f.text();
      else if (f.number == 7)
        domain = f.text();
      else if (f.number == 5)
        Attribute(f.bytes, depth);
    }
    Check(r);
    if (!kStandardDomains.contains(domain)) {
      const std::string key = std::string(domain) + "::" + std::string(op);
      if (custom_ops_.insert(key).second) {
        ctx_.Emit(fact::kOnnxCustomOperator, Offset(n), std::string(domain),
                  "operator " + std::string(op) + " of domain '" + std::string(domain) +
                      "' needs a custom-op library (native code) to run",
                  std::string(op));
      }
    }
  }

  void Attribute(ByteView a, uint32_t depth) {
    pb::Reader r(a, Offset(a));
    pb::Field f;
    while (r.Next(f)) {
      if (f.type != pb::kLen) continue;
      if (f.number == 6 || f.number == 11)
        Graph(f.bytes, depth + 1);  // If/Loop/Scan bodies
      else if (f.number == 5 || f.number == 10)
        Tensor(f.bytes);
      else if (f.number == 22 || f.number == 23)
        SparseTensor(f.bytes);
    }
    Check(r);
  }

  void SparseTensor(ByteView s) {
    pb::Reader r(s, Offset(s));
    pb::Field f;
    while (r.Next(f)) {
      if (f.type == pb::kLen && (f.number == 1 || f.number == 2)) Tensor(f.bytes);
    }
    Check(r);
  }

  void Tensor(ByteView t) {
    pb::Reader r(t, Offset(t));
    pb::Field f;
    std::vector<int64_t> dims;
    uint64_t data_type = 0;
    std::optional<uint64_t> raw_size;
    std::string name;
    std::string location;
    std::optional<uint64_t> ext_offset, ext_length;
    while (r.Next(f)) {
      if (f.number == 1 && f.type == pb::kVarint) {
        dims.push_back(static_cast<int64_t>(f.value));
      } else if (f.number == 1 && f.type == pb::kLen) {  // packed dims
        const ByteView rest = f.bytes;
        size_t i = 0;
        while (i < rest.size()) {
          uint64_t v = 0;
          int shift = 0;
          while (i < rest.size() && shift < 70) {
            const uint8_t b = rest[i++];
            v |= static_cast<uint64_t>(b & 0x7F) << shift;
            shift += 7;
            if (!(b & 0x80)) break;
          }
          dims.push_back(static_cast<int64_t>(v));
        }
      } else if (f.number == 2 && f.type == pb::kVarint) {
        data_type = f.value;
      } else if (f.number == 8 && f.type == pb::kLen) {
        name = std::string(f.text().substr(0, 256));
      } else if (f.number == 9 && f.type == pb::kLen) {
        raw_size = f.bytes.size();
      } else if (f.number == 13 && f.type == pb::kLen) {
        auto [key, value] = Entry(f.bytes);
        if (key == "location")
          location = value;
        else if (key == "offset")
          ext_offset = ParseNumber(value);
        else if (key == "length")
          ext_length = ParseNumber(value);
      }
    }
    Check(r);
    const uint64_t at = Offset(t);
    uint64_t elements = 1;
    bool absurd = false;
    for (int64_t d : dims) {
      if (d < 0 || d > kMaxSaneDim)
        absurd = true;
      else if (d != 0 && elements > std::numeric_limits<uint64_t>::max() / static_cast<uint64_t>(d))
        absurd = true;
      else
        elements *= static_cast<uint64_t>(d);
    }
    if (absurd) {
      ctx_.Emit(fact::kOnnxAbsurdDims, at, name,
                "tensor '" + name +
                    "' declares dimensions no real tensor has (negative, over 2^40, "
                    "or overflowing); loaders that allocate from them run out of memory");
    } else if (raw_size && ElementSize(data_type) != 0 && elements * ElementSize(data_type) != *raw_size &&
               elements <= std::numeric_limits<uint64_t>::max() / 16) {
      ctx_.Emit(fact::kOnnxTensorSizeMismatch, at, name,
                "raw_data holds " + std::to_string(*raw_size) + " bytes; dims x type need " +
                    std::to_string(elements * ElementSize(data_type)));
    }
    if (!location.empty()) ExternalData(at, name, location, ext_offset, ext_length);
  }

  void ExternalData(uint64_t at, const std::string& tensor, const std::string& location, std::optional<uint64_t> offset,
                    std::optional<uint64_t> length) {
    if (EscapesDirectory(location)) {
      ctx_.Emit(fact::kOnnxExternalDataTraversal, at, location,
                "tensor '" + tensor + "' loads external data from '" + location +
                    "', outside the model's directory: onnx.load reads that file");
      return;
    }
    if (ctx_.source_path().empty() || !ctx_.location().empty()) return;  // no file system context
    const auto path = std::filesystem::path(ctx_.source_path()).parent_path() / location;
    struct stat st {};
    if (::lstat(path.c_str(), &st) != 0) {
      ctx_.Emit(fact::kOnnxExternalDataMissing, at, location,
                "external data file '" + location + "' of tensor '" + tensor + "' does not exist next to the model");
      return;
    }
    if (S_ISLNK(st.st_mode)) {
      ctx_.Emit(fact::kOnnxExternalDataTraversal, at, location,
                "external data '" + location + "' is a symbolic link; it can point anywhere");
      return;
    }
    const auto size = static_cast<uint64_t>(st.st_size);
    const uint64_t off = offset.value_or(0);
    if (off > size || (length && *length > size - off)) {
      ctx_.Emit(fact::kOnnxExternalDataBounds, at, location,
                "offset/length of tensor '" + tensor + "' exceed the " + std::to_string(size) + "-byte external file");
    }
  }

  void Metadata(ByteView e) {
    auto [key, value] = Entry(e);
    if (auto code = config::LooksLikeCode(value)) {
      ctx_.Emit(fact::kOnnxMetadataCode, Offset(e), key, "metadata_props['" + key + "'] contains code: " + *code);
    }
  }

  static std::pair<std::string, std::string> Entry(ByteView e) {
    pb::Reader r(e);
    pb::Field f;
    std::string key, value;
    while (r.Next(f)) {
      if (f.type != pb::kLen) continue;
      if (f.number == 1)
        key = std::string(f.text().substr(0, 4096));
      else if (f.number == 2)
        value = std::string(f.text().substr(0, 4096));
    }
    return {key, value};
  }

  static std::optional<uint64_t> ParseNumber(const std::string& s) {
    if (s.empty() || s.size() > 19) return std::nullopt;
    uint64_t v = 0;
    for (char c : s) {
      if (c < '0' || c > '9') return std::nullopt;
      v = v * 10 + static_cast<uint64_t>(c - '0');
    }
    return v;
  }

  ByteView top_;
  AnalysisContext& ctx_;
  std::set<std::string> custom_ops_;
  bool broken_ = false;
};

class OnnxAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "onnx",
        .summary =
            "ONNX protobuf: external-data locations (absolute, `..`, links, missing, out of bounds), custom-operator "
            "domains, `If`/`Loop`/`Scan` subgraphs, impossible dims, metadata code",
        .detection_rank = 100,
        .extensions = {".onnx"},
        .family = FormatFamily::kOwn,
        .polyglot_probe = false,
        .carries_weights = true,
        .libraries = {"onnx", "transformers.js"},
        .facts = {fact::kOnnxExternalDataTraversal, fact::kOnnxExternalDataMissing, fact::kOnnxExternalDataBounds,
                  fact::kOnnxCustomOperator, fact::kOnnxAbsurdDims, fact::kOnnxTensorSizeMismatch,
                  fact::kOnnxMetadataCode},
    };
    return d;
  }
  SniffResult Sniff(ByteView d) const override {
    // onnx.save writes ir_version (field 1) first; a model has a graph (field 7). The graph's tag is
    // enough: a truncated model is still an ONNX file (Analyze reports the truncation).
    if (d.size() < 4 || d[0] != 0x08) return SniffResult::kNo;
    pb::Reader r(d);
    pb::Field f;
    if (!r.Next(f) || f.number != 1 || f.value < 1 || f.value > 64) return SniffResult::kNo;
    const uint64_t ir_version = f.value;
    uint32_t number = 0;
    pb::WireType type = pb::kVarint;
    size_t header_fields = 0;  // ModelProto fields that precede the graph, each of the right type
    bool cut = false;
    while (r.PeekTag(number, type)) {
      if (number == 7 && type == pb::kLen) return SniffResult::kStrong;
      if (!IsModelHeaderField(number, type)) return SniffResult::kNo;
      if (!r.Next(f)) {
        cut = true;  // the field runs past the end of the file
        break;
      }
      if (IsTextField(number) && !LooksLikeText(f.bytes)) return SniffResult::kNo;
      ++header_fields;
    }
    // Cut before its graph: ir_version of a real release (3 and up; SavedModel's field 1, its schema version,
    // is 1) followed by fields of a model header (producer, domain, opsets, ...) up to the end of the data.
    // Weak: protobuf has no magic.
    if (ir_version >= 3 && (header_fields > 0 || cut) && (r.error().empty() || cut)) return SniffResult::kWeak;
    return SniffResult::kNo;
  }

 private:
  // ModelProto fields besides graph (onnx/onnx.proto): producer_name 2, producer_version 3, domain 4,
  // model_version 5, doc_string 6, opset_import 8, metadata_props 14, training_info 20, functions 25,
  // configuration 26.
  static bool IsModelHeaderField(uint32_t number, pb::WireType type) {
    switch (number) {
      case 5:
        return type == pb::kVarint;
      case 2:
      case 3:
      case 4:
      case 6:
      case 8:
      case 14:
      case 20:
      case 25:
      case 26:
        return type == pb::kLen;
      default:
        return false;
    }
  }
  static bool IsTextField(uint32_t number) { return number >= 2 && number <= 4; }
  static bool LooksLikeText(ByteView b) {
    return std::none_of(b.begin(), b.end(), [](uint8_t c) { return c < 0x20 && c != '\t' && c != '\n' && c != '\r'; });
  }

 public:
  void Analyze(ByteView d, AnalysisContext& ctx) const override { Walker(d, ctx).Model(d); }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(onnx, OnnxAnalyzer)

}  // namespace modelguard::formats
