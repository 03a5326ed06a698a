// TensorFlow SavedModel (saved_model.pb: SavedModel{meta_graphs 2: MetaGraphDef{graph_def 2}}) and frozen
// GraphDefs (GraphDef{node 1: NodeDef{name 1, op 2, attr 5}, library 2: FunctionDefLibrary{function 1:
// FunctionDef{node_def 3}}}), field numbers from tensorflow/core/framework/*.proto. Each distinct op type
// becomes a "tensorflow.op" fact; the policy decides which ops touch files, processes or Python.
#include <set>

#include "src/formats/protobuf/wire.h"
#include "src/formats/registry_entries.h"

namespace modelguard::formats::fact {
inline constexpr FactKind kTensorflowOp{"tensorflow.op"};
}  // namespace modelguard::formats::fact

namespace modelguard::formats {
namespace {

namespace pb = protobuf;
constexpr uint32_t kMaxDepth = 32;

class GraphWalker {
 public:
  GraphWalker(ByteView top, AnalysisContext& ctx) : top_(top), ctx_(ctx) {}

  void SavedModel(ByteView m) {
    ForEach(m, 2, [&](ByteView meta) { ForEach(meta, 2, [&](ByteView g) { GraphDef(g); }); });
  }

  void GraphDef(ByteView g) {
    ForEach(g, 1, [&](ByteView n) { NodeDef(n); });
    ForEach(g, 2, [&](ByteView lib) {
      ForEach(lib, 1, [&](ByteView fn) { ForEach(fn, 3, [&](ByteView n) { NodeDef(n); }); });
    });
  }

 private:
  template <typename F>
  void ForEach(ByteView msg, uint32_t field, F&& fn) {
    if (++depth_ > kMaxDepth) {
      --depth_;
      return;
    }
    pb::Reader r(msg, static_cast<uint64_t>(msg.data() - top_.data()));
    pb::Field f;
    while (r.Next(f)) {
      if (f.number == field && f.type == pb::kLen) fn(f.bytes);
    }
    if (!r.error().empty() && !broken_) {
      broken_ = true;
      ctx_.Emit(fact::kParseError, r.position(), "tensorflow", "tensorflow graph: malformed protobuf: " + r.error());
    }
    --depth_;
  }

  void NodeDef(ByteView n) {
    pb::Reader r(n);
    pb::Field f;
    std::string name, op;
    while (r.Next(f)) {
      if (f.type != pb::kLen) continue;
      if (f.number == 1)
        name = std::string(f.text().substr(0, 256));
      else if (f.number == 2)
        op = std::string(f.text().substr(0, 256));
    }
    if (!op.empty() && ops_.insert(op).second) {
      ctx_.Emit(fact::kTensorflowOp, static_cast<uint64_t>(n.data() - top_.data()), op,
                "graph uses op " + op + " (node '" + name + "')");
    }
  }

  ByteView top_;
  AnalysisContext& ctx_;
  std::set<std::string> ops_;
  uint32_t depth_ = 0;
  bool broken_ = false;
};

// The fields of a message whose end may be cut off: every complete field, then (complete = false) the field
// the data ends inside, with its payload as far as the data goes (length-delimited fields; empty for the
// others or when the cut is inside its length). False once `visit` returns false or a tag is malformed.
template <typename Visit>
bool VisitPrefix(ByteView d, Visit&& visit) {
  pb::Reader r(d);
  pb::Field f;
  uint32_t number = 0;
  pb::WireType type = pb::kVarint;
  while (r.PeekTag(number, type)) {
    const uint64_t at = r.position();
    if (r.Next(f)) {
      if (!visit(f, true)) return false;
      continue;
    }
    if (type != pb::kVarint && type != pb::kFixed64 && type != pb::kLen && type != pb::kFixed32) return false;
    f.number = number;
    f.type = type;
    f.bytes = {};
    if (type == pb::kLen) {
      // Skip the tag and the length varints; what follows is the payload's surviving prefix.
      uint64_t pos = at;
      for (int varints = 0; varints < 2 && pos < d.size(); ++varints) {
        while (pos < d.size() && (d[pos] & 0x80)) ++pos;
        ++pos;
      }
      if (pos < d.size()) f.bytes = d.subspan(pos);
    }
    return visit(f, false);
  }
  return r.error().empty();
}

// Structural sniffing: protobuf has no magic, so the first fields must look like the message. A file cut
// short still is one when what survives does (Analyze then reports the truncation as a parse error).
bool LooksLikeSavedModel(ByteView d) {
  bool meta = false;
  const bool ok = VisitPrefix(d, [&](const pb::Field& f, bool complete) {
    if (f.number == 1 && f.type == pb::kVarint) return complete ? f.value == 1 : true;  // schema version 1
    if (f.number != 2 || f.type != pb::kLen) return false;
    if (complete) return meta = true;
    // Cut inside the MetaGraphDef: its first surviving tag must be one of its (length-delimited) fields
    // 1..7 (meta_info_def, graph_def, saver_def, collection_def, signature_def, asset_file_def,
    // object_graph_def).
    if (f.bytes.empty() || (f.bytes[0] & 7) != pb::kLen || (f.bytes[0] >> 3) < 1 || (f.bytes[0] >> 3) > 7) return false;
    return meta = true;
  });
  return ok && meta;
}

// A NodeDef (or the surviving start of one): name 1 and op 2 as text; true once its op's tag is seen.
bool LooksLikeNode(ByteView n, bool complete) {
  bool has_op = false;
  const bool ok = VisitPrefix(n, [&](const pb::Field& f, bool whole) {
    if ((f.number == 1 || f.number == 2) && f.type == pb::kLen) {
      for (uint8_t c : f.bytes) {
        if (c < 0x20 || c >= 0x7F) return false;
      }
      has_op |= f.number == 2 && (!whole || !f.bytes.empty());
    }
    return true;
  });
  if (complete) {
    pb::Reader r(n);
    pb::Field f;
    while (r.Next(f)) {
    }
    if (!r.error().empty()) return false;
  }
  return ok && has_op;
}

bool LooksLikeGraphDef(ByteView d) {
  if (d.empty() || d[0] != 0x0a) return false;  // node (field 1, length-delimited) first
  bool first = true;
  return VisitPrefix(d,
                     [&](const pb::Field& f, bool complete) {
                       if (first) {
                         first = false;
                         return f.number == 1 && LooksLikeNode(f.bytes, complete);
                       }
                       return f.number <= 4;
                     }) &&
         !first;
}

class TensorflowAnalyzer final : public FormatAnalyzer {
 public:
  const FormatDescriptor& descriptor() const override {
    static const FormatDescriptor d{
        .name = "tensorflow",
        .summary =
            "TensorFlow SavedModel or GraphDef: ops of nodes and function bodies against the policy's `ops.tensorflow` "
            "list",
        .detection_rank = 140,
        .extensions = {},
        .family = FormatFamily::kOwn,
        .polyglot_probe = false,
        .carries_weights = true,
        .libraries = {"transformers", "keras", "tf-keras"},
        .facts = {fact::kTensorflowOp},
    };
    return d;
  }
  SniffResult Sniff(ByteView d) const override {
    return LooksLikeSavedModel(d) || LooksLikeGraphDef(d) ? SniffResult::kWeak : SniffResult::kNo;
  }
  void Analyze(ByteView d, AnalysisContext& ctx) const override {
    GraphWalker w(d, ctx);
    if (LooksLikeSavedModel(d))
      w.SavedModel(d);
    else
      w.GraphDef(d);
  }
};

}  // namespace

MODELGUARD_REGISTER_FORMAT(tensorflow, TensorflowAnalyzer)

}  // namespace modelguard::formats
