// DP-SGD training and its per-sample gradients. The layer-wise method needs, per layer, the layer's input
// and the gradient of the summed loss with respect to the layer's output (one backward pass): for a Linear
// layer sample i's weight gradient is the outer product delta_i h_i^T, whose squared norm is
// |delta_i|^2 |h_i|^2 without forming it (Goodfellow 2015, "Efficient per-example gradient computations");
// the clipped sum is then one matrix product with the clip factors folded into delta. A Conv2d layer's
// per-sample gradient (out x in x k x k) is small enough to form: it is the correlation of sample i's padded
// input with its output gradient, computed for the whole batch as the weight gradient of one grouped
// convolution (one group per sample). Ghost clipping (per-sample norms from the Gram matrices of patches and output
// gradients) costs positions^2 per sample and is slower for these layers than forming the gradients.
//
// Every contraction runs as a convolution, Linear ones as 1x1 convolutions: libtorch's fp32 matrix products
// go through whatever BLAS it links, and Debian's links the reference BLAS (about 2 GFLOP/s on one core),
// while its convolutions run in oneDNN, 10 to 20 times faster. On a libtorch with an optimised BLAS the
// two are about equal, so the convolution form costs nothing there.
#include "modelguard/assess/dpsgd.h"

#include <chrono>
#include <cmath>
#include <map>
#include <optional>

#include <ATen/CPUGeneratorImpl.h>

#include "modelguard/core/cancel.h"
#include "modelguard/core/random.h"
#include "src/assess/torch_error.h"

namespace modelguard::assess {
namespace {

// One step of a BuildModel architecture's forward pass, mirroring its TorchScript source exactly.
struct Op {
  enum Kind { kFlatten, kLinear, kConv, kRelu, kMaxPool } kind;
  std::string layer;  // kLinear, kConv: the parameters are <layer>_w and <layer>_b
};

std::vector<Op> Program(const std::string& architecture) {
  using K = Op::Kind;
  if (architecture == "mlp")
    return {{K::kFlatten, ""},   {K::kLinear, "fc1"}, {K::kRelu, ""},
            {K::kLinear, "fc2"}, {K::kRelu, ""},      {K::kLinear, "out"}};
  if (architecture == "cnn")
    return {{K::kConv, "conv1"}, {K::kRelu, ""},    {K::kMaxPool, ""},   {K::kConv, "conv2"}, {K::kRelu, ""},
            {K::kMaxPool, ""},   {K::kFlatten, ""}, {K::kLinear, "fc1"}, {K::kRelu, ""},      {K::kLinear, "out"}};
  return {};
}

struct Layered {
  std::vector<Op> program;
  std::map<std::string, size_t> index;  // parameter name -> position in Parameters()
};

// The model's program when its parameters are exactly the ones the program reads, with fitting shapes.
std::optional<Layered> LayeredModel(LocalModel& model) {
  Layered out;
  out.program = Program(model.info().architecture);
  if (out.program.empty()) return std::nullopt;
  size_t position = 0;
  std::map<std::string, torch::Tensor> parameters;
  for (const auto& named : model.module().named_parameters(/*recurse=*/true)) {
    out.index[named.name] = position++;
    parameters[named.name] = named.value;
  }
  size_t used = 0;
  for (const Op& op : out.program) {
    if (op.kind != Op::kLinear && op.kind != Op::kConv) continue;
    const auto w = parameters.find(op.layer + "_w"), b = parameters.find(op.layer + "_b");
    if (w == parameters.end() || b == parameters.end()) return std::nullopt;
    if (w->second.dim() != (op.kind == Op::kLinear ? 2 : 4) || b->second.dim() != 1 ||
        b->second.size(0) != w->second.size(0))
      return std::nullopt;
    used += 2;
  }
  if (used != parameters.size()) return std::nullopt;
  return out;
}

// a (m x k) times b^T (n x k) -> m x n, as a 1x1 convolution (see the top of the file).
torch::Tensor TimesTransposed(const torch::Tensor& a, const torch::Tensor& b) {
  return torch::conv2d(a.reshape({a.size(0), a.size(1), 1, 1}), b.reshape({b.size(0), b.size(1), 1, 1}))
      .view({a.size(0), b.size(0)});
}

// Per-sample weight gradients of a stride-1 convolution with padding 1, B x out x (in k k): with the batch
// folded into the channels (1 x (B in) x H x W) and one group per sample, the weight gradient of that grouped
// convolution is every sample's own gradient, (B out) x in x k x k. oneDNN's weight-gradient kernel computes
// it 2.5 times faster than the equivalent forward correlation (input per channel, delta as a 14 x 14 kernel).
torch::Tensor ConvPerSample(const torch::Tensor& input, const torch::Tensor& delta, const torch::Tensor& weight) {
  const int64_t batch = input.size(0), in = input.size(1), out = delta.size(1);
  const int64_t k0 = weight.size(2), k1 = weight.size(3);
  const torch::Tensor shape = torch::empty({batch * out, in, k0, k1}, input.options());  // read for its shape only
  const auto grads = at::convolution_backward(delta.reshape({1, batch * out, delta.size(2), delta.size(3)}),
                                              input.reshape({1, batch * in, input.size(2), input.size(3)}), shape,
                                              c10::nullopt, {1, 1}, {1, 1}, {1, 1},
                                              /*transposed=*/false, {0, 0}, batch, {false, true, false});
  return std::get<1>(grads).view({batch, out, in * k0 * k1});
}

struct Trace {
  torch::Tensor logits;
  std::vector<torch::Tensor> inputs, outputs;  // per Linear/Conv op, in program order
};

Trace Forward(const Layered& layered, const std::vector<torch::Tensor>& parameters, const torch::Tensor& x) {
  Trace trace;
  torch::Tensor h = x;
  for (const Op& op : layered.program) {
    switch (op.kind) {
      case Op::kFlatten:
        h = torch::flatten(h, 1);
        break;
      case Op::kRelu:
        h = torch::relu(h);
        break;
      case Op::kMaxPool:
        h = torch::max_pool2d(h, {2, 2});
        break;
      case Op::kLinear:
      case Op::kConv: {
        const torch::Tensor& w = parameters[layered.index.at(op.layer + "_w")];
        const torch::Tensor& b = parameters[layered.index.at(op.layer + "_b")];
        trace.inputs.push_back(h);
        h = op.kind == Op::kLinear ? TimesTransposed(h, w) + b : torch::conv2d(h, w, b, {1, 1}, {1, 1});
        trace.outputs.push_back(h);
        break;
      }
    }
  }
  trace.logits = h;
  return trace;
}

ClippedGradientSum LayerWise(const Layered& layered, std::vector<torch::Tensor>& parameters, const torch::Tensor& x,
                             const torch::Tensor& y, double max_norm) {
  const int64_t batch = x.size(0);
  const Trace trace = Forward(layered, parameters, x);
  // The summed loss: each sample's output gradient is then that sample's own loss gradient.
  const torch::Tensor loss = torch::nn::functional::cross_entropy(
      trace.logits, y, torch::nn::functional::CrossEntropyFuncOptions().reduction(torch::kSum));
  const std::vector<torch::Tensor> deltas = torch::autograd::grad({loss}, trace.outputs);
  torch::NoGradGuard no_grad;
  const double loss_sum = loss.item<double>();
  torch::Tensor squared = torch::zeros({batch}, torch::kFloat64);
  std::vector<torch::Tensor> conv_gradients(deltas.size());  // per-sample, Conv layers only
  size_t layer = 0;
  for (const Op& op : layered.program) {
    if (op.kind != Op::kLinear && op.kind != Op::kConv) continue;
    const torch::Tensor& delta = deltas[layer];
    const torch::Tensor& input = trace.inputs[layer];
    if (op.kind == Op::kLinear) {
      const torch::Tensor delta_sq = delta.pow(2).sum(1).to(torch::kFloat64);
      squared += delta_sq * input.pow(2).sum(1).to(torch::kFloat64) + delta_sq;
    } else {
      const torch::Tensor& w = parameters[layered.index.at(op.layer + "_w")];
      const torch::Tensor per_sample = ConvPerSample(input, delta, w);  // B x O x Ckk
      squared +=
          per_sample.pow(2).sum({1, 2}).to(torch::kFloat64) + delta.sum({2, 3}).pow(2).sum(1).to(torch::kFloat64);
      conv_gradients[layer] = per_sample;
    }
    ++layer;
  }
  ClippedGradientSum out;
  out.method = "layer-wise";
  out.loss = loss_sum;
  out.norms = squared.sqrt();
  const torch::Tensor factor = (max_norm / (out.norms + 1e-12)).clamp_max(1.0).to(torch::kFloat32);
  out.sum.resize(parameters.size());
  layer = 0;
  for (const Op& op : layered.program) {
    if (op.kind != Op::kLinear && op.kind != Op::kConv) continue;
    const torch::Tensor& delta = deltas[layer];
    const size_t w_index = layered.index.at(op.layer + "_w"), b_index = layered.index.at(op.layer + "_b");
    if (op.kind == Op::kLinear) {
      const torch::Tensor scaled = delta * factor.unsqueeze(1);
      out.sum[w_index] = TimesTransposed(scaled.t(), trace.inputs[layer].t());
      out.sum[b_index] = scaled.sum(0);
    } else {
      out.sum[w_index] = (conv_gradients[layer] * factor.view({batch, 1, 1})).sum(0).view(parameters[w_index].sizes());
      out.sum[b_index] = (delta.sum({2, 3}) * factor.unsqueeze(1)).sum(0);
    }
    ++layer;
  }
  return out;
}

ClippedGradientSum Loop(LocalModel& model, std::vector<torch::Tensor>& parameters, const torch::Tensor& x,
                        const torch::Tensor& y, double max_norm) {
  ClippedGradientSum out;
  out.method = "loop";
  out.norms = torch::zeros({x.size(0)}, torch::kFloat64);
  for (const auto& p : parameters) out.sum.push_back(torch::zeros_like(p));
  for (int64_t i = 0; i < x.size(0); ++i) {
    const torch::Tensor loss =
        torch::nn::functional::cross_entropy(model.Logits(x.slice(0, i, i + 1)), y.slice(0, i, i + 1));
    const std::vector<torch::Tensor> grads = torch::autograd::grad({loss}, parameters);
    torch::NoGradGuard no_grad;
    out.loss += loss.item<double>();
    double squared = 0;
    for (const auto& g : grads) squared += g.pow(2).sum().item<double>();
    const double norm = std::sqrt(squared);
    out.norms[i].fill_(norm);
    const double factor = std::min(1.0, max_norm / (norm + 1e-12));
    for (size_t p = 0; p < grads.size(); ++p) out.sum[p] += grads[p] * factor;
  }
  return out;
}

// Checks once that the program computes what the module computes (a model saved by an older or edited
// modelguard could carry the same parameter names with another forward); the loop is used otherwise.
bool ProgramMatches(LocalModel& model, const Layered& layered, std::vector<torch::Tensor>& parameters,
                    const torch::Tensor& probe) {
  torch::NoGradGuard no_grad;
  const torch::Tensor ours = Forward(layered, parameters, probe).logits;
  const torch::Tensor theirs = model.Logits(probe);
  return ours.sizes() == theirs.sizes() && torch::allclose(ours, theirs, 1e-4, 1e-5);
}

Result<ClippedGradientSum> Compute(LocalModel& model, const std::optional<Layered>& layered,
                                   std::vector<torch::Tensor>& parameters, const torch::Tensor& x,
                                   const torch::Tensor& y, double max_norm) {
  try {
    if (layered) return LayerWise(*layered, parameters, x, y, max_norm);
    return Loop(model, parameters, x, y, max_norm);
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, "per-sample gradients failed: " + TorchErrorSummary(e));
  }
}

Result<std::optional<Layered>> Choose(LocalModel& model, std::vector<torch::Tensor>& parameters,
                                      const torch::Tensor& probe, PerSampleMethod method) {
  if (method == PerSampleMethod::kLoop) return std::optional<Layered>();
  std::optional<Layered> layered = LayeredModel(model);
  bool matches = false;
  try {
    matches = layered && ProgramMatches(model, *layered, parameters, probe);
  } catch (const std::exception&) {
    matches = false;  // shapes the program cannot take: the loop handles this model
  }
  if (!matches) {
    if (method == PerSampleMethod::kLayerWise)
      return MakeError(ErrorCode::kInvalidArgument,
                       "layer-wise per-sample gradients need a model built by modelguard (mlp or cnn)");
    return std::optional<Layered>();
  }
  return layered;
}

Status CheckInputs(const torch::Tensor& x, const torch::Tensor& y) {
  if (x.dim() < 2 || x.size(0) == 0 || y.dim() != 1 || y.size(0) != x.size(0))
    return MakeError(ErrorCode::kInvalidArgument, "DP-SGD needs samples and one label each");
  return Ok{};
}

}  // namespace

Result<ClippedGradientSum> ClippedGradients(LocalModel& model, const torch::Tensor& x, const torch::Tensor& y,
                                            double max_norm, PerSampleMethod method) {
  MG_TRY(CheckInputs(x, y));
  if (!(max_norm > 0) || !std::isfinite(max_norm))
    return MakeError(ErrorCode::kInvalidArgument, "the clipping norm must be positive");
  std::vector<torch::Tensor> parameters = model.Parameters();
  for (auto& p : parameters) p.set_requires_grad(true);
  auto layered = Choose(model, parameters, x.slice(0, 0, std::min<int64_t>(x.size(0), 8)), method);
  Result<ClippedGradientSum> out =
      layered.ok() ? Compute(model, *layered, parameters, x, y, max_norm) : Result<ClippedGradientSum>(layered.error());
  for (auto& p : parameters) p.set_requires_grad(false);
  return out;
}

namespace {

Result<DpSgdSummary> Steps(LocalModel& model, std::vector<torch::Tensor>& parameters, const torch::Tensor& x,
                           const torch::Tensor& y, const DpSgdOptions& options) {
  const int64_t n = x.size(0);
  MG_ASSIGN_OR_RETURN(const std::optional<Layered> layered,
                      Choose(model, parameters, x.slice(0, 0, std::min<int64_t>(n, 8)), options.per_sample));
  DpSgdSummary summary;
  summary.per_sample = layered ? "layer-wise" : "loop";
  // Secret batches and noise: one generator seeded from the CSPRNG. Floating-point Gaussian noise is
  // acceptable here (unlike Laplace noise on released statistics, Mironov 2012): no noisy gradient is ever
  // released, only the model after many steps, and that attack needs the noised values themselves.
  MG_ASSIGN_OR_RETURN(const uint64_t seed, SecureRandomU64());
  const auto started = std::chrono::steady_clock::now();
  try {
    torch::Generator random = at::detail::createCPUGenerator(seed);
    torch::optim::SGD optimizer(parameters, torch::optim::SGDOptions(options.learning_rate).momentum(options.momentum));
    const double expected_batch = options.sample_rate * static_cast<double>(n);
    const double noise_std = options.noise_multiplier * options.max_grad_norm;
    double loss_sum = 0;
    int64_t loss_count = 0, batch_total = 0;
    for (int64_t step = 0; step < options.steps; ++step) {
      MG_TRY(cancel::Check("dp-sgd"));
      if (options.may_step && !options.may_step(step)) break;
      const torch::Tensor chosen =
          torch::nonzero(torch::rand({n}, random, torch::kFloat64) < options.sample_rate).view({-1});
      const int64_t batch = chosen.size(0);
      batch_total += batch;
      std::vector<torch::Tensor> sums;
      if (batch > 0) {
        const torch::Tensor bx = x.index_select(0, chosen), by = y.index_select(0, chosen);
        MG_ASSIGN_OR_RETURN(ClippedGradientSum clipped,
                            Compute(model, layered, parameters, bx, by, options.max_grad_norm));
        sums = std::move(clipped.sum);
        loss_sum += clipped.loss;
        loss_count += batch;
      } else {
        // An empty batch is still a step: its noise is what the accountant counted.
        for (const auto& p : parameters) sums.push_back(torch::zeros_like(p));
      }
      optimizer.zero_grad();
      for (size_t p = 0; p < parameters.size(); ++p) {
        const torch::Tensor noise = torch::normal(0.0, noise_std, parameters[p].sizes(), random);
        parameters[p].mutable_grad() = (sums[p] + noise.to(sums[p].dtype())) / expected_batch;
      }
      optimizer.step();
      summary.steps = step + 1;
      const bool last = step + 1 == options.steps;
      if (options.progress && (last || (options.progress_every > 0 && (step + 1) % options.progress_every == 0))) {
        options.progress(step + 1, loss_count > 0 ? loss_sum / static_cast<double>(loss_count) : 0.0);
        loss_sum = 0;
        loss_count = 0;
      }
    }
    summary.mean_batch = summary.steps > 0 ? static_cast<double>(batch_total) / static_cast<double>(summary.steps) : 0;
    // Includes the caller's progress callbacks (held-out evaluation per epoch when not quiet).
    summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, "DP-SGD failed: " + TorchErrorSummary(e));
  }
  return summary;
}

}  // namespace

Result<DpSgdSummary> TrainDpSgd(LocalModel& model, const torch::Tensor& x, const torch::Tensor& y,
                                const DpSgdOptions& options) {
  MG_TRY(CheckInputs(x, y));
  if (!(options.sample_rate > 0 && options.sample_rate <= 1))
    return MakeError(ErrorCode::kInvalidArgument, "the sample rate must lie in (0, 1]");
  if (!(options.noise_multiplier >= 0) || !std::isfinite(options.noise_multiplier))
    return MakeError(ErrorCode::kInvalidArgument, "the noise multiplier must be finite and not negative");
  if (!(options.max_grad_norm > 0) || !std::isfinite(options.max_grad_norm))
    return MakeError(ErrorCode::kInvalidArgument, "the clipping norm must be positive");
  if (options.steps < 1) return MakeError(ErrorCode::kInvalidArgument, "DP-SGD needs at least one step");
  if (!(options.learning_rate > 0) || !(options.momentum >= 0 && options.momentum < 1))
    return MakeError(ErrorCode::kInvalidArgument, "the learning rate must be positive and the momentum in [0, 1)");
  std::vector<torch::Tensor> parameters = model.Parameters();
  for (auto& p : parameters) p.set_requires_grad(true);
  Result<DpSgdSummary> out = Steps(model, parameters, x, y, options);
  for (auto& p : parameters) p.set_requires_grad(false);
  return out;
}

}  // namespace modelguard::assess
