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

// Structural sniffing: protobuf has no magic, so the first fields must look like the message.
bool LooksLikeSavedModel(ByteView d) {
  pb::Reader r(d);
  pb::Field f;
  bool meta = false;
  while (r.Next(f)) {
    if (f.number == 2 && f.type == pb::kLen)
      meta = true;
    else if (!(f.number == 1 && f.type == pb::kVarint))
      return false;
  }
  return r.error().empty() && meta;
}

bool LooksLikeGraphDef(ByteView d) {
  if (d.empty() || d[0] != 0x0a) return false;  // node (field 1, length-delimited) first
  pb::Reader r(d);
  pb::Field f;
  if (!r.Next(f) || f.number != 1) return false;
  pb::Reader node(f.bytes);
  pb::Field nf;
  bool has_op = false;
  while (node.Next(nf)) has_op |= nf.number == 2 && nf.type == pb::kLen && !nf.bytes.empty();
  if (!node.error().empty() || !has_op) return false;
  while (r.Next(f)) {
    if (f.number > 4) return false;
  }
  return r.error().empty();
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
