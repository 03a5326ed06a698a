// Activations for the data audit: the model's forward graph, cut at the value the audit wants (the input of
// the last Linear layer, or a named submodule's output), run in batches. Cutting the TorchScript graph works
// for any scripted or traced classifier, with or without submodules; forward hooks would need Python.
#include <torch/csrc/jit/api/function_impl.h>
#include <torch/csrc/jit/passes/dead_code_elimination.h>
#include <torch/csrc/jit/passes/inliner.h>

#include "modelguard/assess/poisoning.h"
#include "src/assess/torch_error.h"

namespace modelguard::assess::poisoning {
namespace {

using torch::jit::Graph;
using torch::jit::Node;
using torch::jit::Value;

constexpr int64_t kBatch = 256;

// The attribute path a value is read from ("fc1.weight", "out_w"), or "" when it is not a module attribute.
std::string AttributePath(const Value* value, const Value* self) {
  const Node* node = value->node();
  if (node->kind() != c10::prim::GetAttr) return "";
  const std::string name = node->s(c10::attr::name);
  if (node->input(0) == self) return name;
  const std::string parent = AttributePath(node->input(0), self);
  return parent.empty() ? "" : parent + "." + name;
}

// Parameters reach a matmul directly or through a transpose (x @ w.t()).
std::string WeightPath(const Value* value, const Value* self) {
  const Node* node = value->node();
  const auto kind = node->kind();
  if (kind == c10::aten::t || kind == c10::aten::transpose || kind == c10::aten::permute)
    return WeightPath(node->input(0), self);
  return AttributePath(value, self);
}

struct LinearUse {
  Value* input = nullptr;   // the activations entering the layer
  Value* output = nullptr;  // the layer's output
  std::string weight;       // the weight's attribute path
};

// A Linear layer in any of the forms TorchScript produces: linear(x, w, b), addmm(b, x, w.t()), x @ w.t().
std::optional<LinearUse> AsLinear(Node* node, const Value* self) {
  const auto kind = node->kind();
  LinearUse use;
  use.output = node->output(0);
  if (kind == c10::aten::linear) {
    use.input = node->input(0);
    use.weight = WeightPath(node->input(1), self);
  } else if (kind == c10::aten::addmm) {
    use.input = node->input(1);
    use.weight = WeightPath(node->input(2), self);
  } else if (kind == c10::aten::matmul || kind == c10::aten::mm) {
    use.input = node->input(0);
    use.weight = WeightPath(node->input(1), self);
  } else {
    return std::nullopt;
  }
  if (use.weight.empty()) return std::nullopt;  // a product of two activations (attention), not a layer
  return use;
}

bool IsLayerOp(const Node* node) {
  const auto kind = node->kind();
  return kind == c10::aten::linear || kind == c10::aten::addmm || kind == c10::aten::matmul || kind == c10::aten::mm ||
         kind == c10::aten::conv1d || kind == c10::aten::conv2d || kind == c10::aten::conv3d ||
         kind == c10::aten::_convolution;
}

// `layer` names a submodule ("features.3": its forward's output) or, in a module without submodules such as
// the ones BuildModel makes, a layer by its weight ("fc1" for fc1_w: that layer's output before the
// nonlinearity).
Result<Value*> FindLayer(Graph& graph, const std::string& layer) {
  const Value* self = graph.inputs()[0];
  for (Node* node : graph.nodes()) {
    if (node->kind() == c10::prim::CallMethod && node->s(c10::attr::name) == "forward" &&
        AttributePath(node->input(0), self) == layer && node->outputs().size() == 1)
      return node->output(0);
  }
  torch::jit::Inline(graph);
  Value* found = nullptr;
  for (Node* node : graph.nodes()) {
    if (!IsLayerOp(node) || node->inputs().size() < 2) continue;
    const std::string weight = WeightPath(node->input(node->kind() == c10::aten::addmm ? 2 : 1), self);
    if (weight == layer || weight == layer + "_w" || weight == layer + ".weight") found = node->output(0);
  }
  if (found == nullptr)
    return MakeError(ErrorCode::kInvalidArgument,
                     "the model has no submodule or layer named '" + layer + "' in its forward()");
  return found;
}

Result<Value*> FindPenultimate(Graph& graph) {
  torch::jit::Inline(graph);
  const Value* self = graph.inputs()[0];
  std::optional<LinearUse> last;
  for (Node* node : graph.nodes()) {
    if (auto use = AsLinear(node, self)) last = use;
  }
  if (!last)
    return MakeError(ErrorCode::kUnsupported,
                     "the model's forward() has no Linear layer at the top level: name a layer with --layer");
  return last->input;
}

}  // namespace

Result<torch::Tensor> Activations(LocalModel& model, const torch::Tensor& x, const std::string& layer) {
  try {
    std::shared_ptr<Graph> graph = model.module().get_method("forward").graph()->copy();
    if (graph->inputs().size() != 2 || graph->outputs().size() != 1)
      return MakeError(ErrorCode::kUnsupported, "the model's forward() must take one input and return one value");
    MG_ASSIGN_OR_RETURN(Value * cut, layer.empty() ? FindPenultimate(*graph) : FindLayer(*graph, layer));
    graph->eraseOutput(0);
    graph->registerOutput(cut);
    torch::jit::Inline(*graph);
    torch::jit::EliminateDeadCode(graph);
    torch::jit::GraphFunction function("modelguard_activations", graph, nullptr);
    torch::NoGradGuard no_grad;
    std::vector<torch::Tensor> parts;
    for (int64_t start = 0; start < x.size(0); start += kBatch) {
      torch::jit::Stack stack{model.module()._ivalue(), x.slice(0, start, std::min(start + kBatch, x.size(0)))};
      function.run(stack);
      if (stack.size() != 1 || !stack.back().isTensor())
        return MakeError(ErrorCode::kUnsupported, "the chosen layer's output is not a tensor");
      torch::Tensor out = stack.back().toTensor();
      if (out.dim() == 0 || out.size(0) != std::min(kBatch, x.size(0) - start))
        return MakeError(ErrorCode::kUnsupported, "the chosen layer's output has no batch dimension");
      parts.push_back(out.reshape({out.size(0), -1}).to(torch::kFloat32).contiguous());
    }
    if (parts.empty()) return torch::empty({0, 0}, torch::kFloat32);
    return torch::cat(parts);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, "cannot compute activations: " + TorchErrorSummary(e));
  }
}

}  // namespace modelguard::assess::poisoning
