// TorchScript models: loading with metadata, building fresh MLP/CNN classifiers in TorchScript (so what
// modelguard trains can be loaded by torch.jit.load anywhere), and (adversarial) training.
#include "modelguard/assess/model.h"
#include "modelguard/core/cancel.h"
#include "src/assess/torch_error.h"

#include <cmath>

#include "modelguard/assess/attacks.h"

namespace modelguard::assess {
namespace {

constexpr const char* kMetadataFile = "modelguard.json";
constexpr int64_t kInferenceBatch = 1024;

// nn.Linear's default initialisation: U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for weights and biases.
void AddLinear(torch::jit::Module& module, const std::string& name, int64_t in, int64_t out) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in));
  module.register_parameter(name + "_w", torch::empty({out, in}).uniform_(-bound, bound), false);
  module.register_parameter(name + "_b", torch::empty({out}).uniform_(-bound, bound), false);
}

void AddConv(torch::jit::Module& module, const std::string& name, int64_t in, int64_t out, int64_t kernel) {
  const double bound = 1.0 / std::sqrt(static_cast<double>(in * kernel * kernel));
  module.register_parameter(name + "_w", torch::empty({out, in, kernel, kernel}).uniform_(-bound, bound), false);
  module.register_parameter(name + "_b", torch::empty({out}).uniform_(-bound, bound), false);
}

}  // namespace

nlohmann::json ModelInfoJson(const ModelInfo& info) {
  return {{"architecture", info.architecture},
          {"input_shape", info.input_shape},
          {"classes", info.classes},
          {"training", info.training}};
}

torch::Tensor FeaturesTensor(const Dataset& data) {
  std::vector<int64_t> shape{static_cast<int64_t>(data.size())};
  shape.insert(shape.end(), data.sample_shape.begin(), data.sample_shape.end());
  return torch::from_blob(const_cast<float*>(data.features.data()), shape, torch::kFloat32).clone();
}

torch::Tensor LabelsTensor(const Dataset& data) {
  return torch::from_blob(const_cast<int64_t*>(data.labels.data()), {static_cast<int64_t>(data.size())}, torch::kInt64)
      .clone();
}

Result<LocalModel> LocalModel::Load(const std::string& path) {
  try {
    torch::jit::ExtraFilesMap extra{{kMetadataFile, ""}};
    torch::jit::Module module = torch::jit::load(path, torch::kCPU, extra);
    module.eval();
    ModelInfo info;
    if (!extra[kMetadataFile].empty()) {
      auto json = nlohmann::json::parse(extra[kMetadataFile], nullptr, false);
      if (json.is_object()) {
        info.architecture = json.value("architecture", "unknown");
        if (json.contains("input_shape") && json["input_shape"].is_array()) {
          for (const auto& dim : json["input_shape"]) {
            if (dim.is_number_integer() && dim.get<int64_t>() > 0) info.input_shape.push_back(dim.get<int64_t>());
          }
        }
        if (json.contains("classes") && json["classes"].is_number_integer())
          info.classes = json["classes"].get<int64_t>();
        if (json.contains("training")) info.training = json["training"];
      }
    }
    return LocalModel(std::move(module), std::move(info));
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kParse, path + ": not a loadable TorchScript model: " + TorchErrorSummary(e));
  }
}

torch::Tensor LocalModel::Logits(const torch::Tensor& x) { return module_.forward({x}).toTensor(); }

torch::Tensor LocalModel::Probabilities(const torch::Tensor& x) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> parts;
  for (int64_t start = 0; start < x.size(0); start += kInferenceBatch) {
    // Double precision: float32 probabilities saturate at 1, and membership attacks read exactly that margin.
    parts.push_back(
        torch::softmax(Logits(x.slice(0, start, std::min(start + kInferenceBatch, x.size(0)))).to(torch::kFloat64), 1));
  }
  return parts.empty() ? torch::empty({0, info_.classes}, torch::kFloat64) : torch::cat(parts);
}

torch::Tensor LocalModel::Predict(const torch::Tensor& x) { return Probabilities(x).argmax(1); }

double LocalModel::Accuracy(const torch::Tensor& x, const torch::Tensor& y) {
  if (x.size(0) == 0) return 0;
  return Predict(x).eq(y).to(torch::kFloat64).mean().item<double>();
}

std::vector<torch::Tensor> LocalModel::Parameters() {
  std::vector<torch::Tensor> out;
  for (const auto& p : module_.parameters()) out.push_back(p);
  return out;
}

Status LocalModel::Save(const std::string& path) {
  try {
    torch::jit::ExtraFilesMap extra{{kMetadataFile, ModelInfoJson(info_).dump()}};
    module_.save(path, extra);
    return Ok{};
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kIo, "cannot write " + path + ": " + TorchErrorSummary(e));
  }
}

Result<LocalModel> BuildModel(const ArchitectureOptions& architecture, const std::vector<int64_t>& input_shape,
                              int64_t classes, uint64_t seed) {
  if (classes < 2) return MakeError(ErrorCode::kInvalidArgument, "a classifier needs at least two classes");
  if (input_shape.empty()) return MakeError(ErrorCode::kInvalidArgument, "the input shape is unknown");
  if (architecture.hidden < 1 || architecture.hidden > 4096)
    return MakeError(ErrorCode::kInvalidArgument, "hidden width must lie in 1..4096");
  torch::manual_seed(seed);
  int64_t features = 1;
  for (int64_t dim : input_shape) features *= dim;
  torch::jit::Module module("ModelguardClassifier");
  try {
    if (architecture.name == "mlp") {
      AddLinear(module, "fc1", features, architecture.hidden);
      AddLinear(module, "fc2", architecture.hidden, architecture.hidden);
      AddLinear(module, "out", architecture.hidden, classes);
      module.define(R"(
def forward(self, x):
    h = torch.flatten(x, 1)
    h = torch.relu(torch.matmul(h, self.fc1_w.t()) + self.fc1_b)
    h = torch.relu(torch.matmul(h, self.fc2_w.t()) + self.fc2_b)
    return torch.matmul(h, self.out_w.t()) + self.out_b
)");
    } else if (architecture.name == "cnn") {
      if (input_shape.size() != 3 || input_shape[1] < 4 || input_shape[2] < 4) {
        return MakeError(ErrorCode::kInvalidArgument,
                         "the cnn architecture needs images (channels, rows, columns of at least 4)");
      }
      const int64_t channels = std::max<int64_t>(8, architecture.hidden / 4);
      AddConv(module, "conv1", input_shape[0], channels, 3);
      AddConv(module, "conv2", channels, 2 * channels, 3);
      const int64_t flat = 2 * channels * (input_shape[1] / 4) * (input_shape[2] / 4);
      AddLinear(module, "fc1", flat, architecture.hidden);
      AddLinear(module, "out", architecture.hidden, classes);
      module.define(R"(
def forward(self, x):
    h = torch.relu(torch.conv2d(x, self.conv1_w, self.conv1_b, [1, 1], [1, 1]))
    h = torch.max_pool2d(h, [2, 2])
    h = torch.relu(torch.conv2d(h, self.conv2_w, self.conv2_b, [1, 1], [1, 1]))
    h = torch.max_pool2d(h, [2, 2])
    h = torch.flatten(h, 1)
    h = torch.relu(torch.matmul(h, self.fc1_w.t()) + self.fc1_b)
    return torch.matmul(h, self.out_w.t()) + self.out_b
)");
    } else {
      return MakeError(ErrorCode::kInvalidArgument, "unknown architecture '" + architecture.name + "' (mlp, cnn)");
    }
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, std::string("cannot build the model: ") + TorchErrorSummary(e));
  }
  ModelInfo info;
  info.architecture = architecture.name;
  info.input_shape = input_shape;
  info.classes = classes;
  info.training = {{"hidden", architecture.hidden}};
  return LocalModel(std::move(module), std::move(info));
}

Status TrainModel(LocalModel& model, const torch::Tensor& x, const torch::Tensor& y, const TrainOptions& options) {
  if (x.size(0) == 0 || x.size(0) != y.size(0))
    return MakeError(ErrorCode::kInvalidArgument, "training needs as many labels as samples, and at least one");
  if (options.epochs < 1 || options.batch_size < 1)
    return MakeError(ErrorCode::kInvalidArgument, "epochs and batch size must be positive");
  if (options.soft_targets && options.soft_targets->size(0) != x.size(0))
    return MakeError(ErrorCode::kInvalidArgument, "one soft target per sample");
  try {
    torch::manual_seed(options.seed);
    auto parameters = model.Parameters();
    for (auto& p : parameters) p.set_requires_grad(true);
    torch::optim::Adam optimizer(parameters,
                                 torch::optim::AdamOptions(options.learning_rate).weight_decay(options.weight_decay));
    const int64_t n = x.size(0);
    PgdOptions pgd;
    pgd.norm = options.adversarial.l2 ? Norm::kL2 : Norm::kLinf;
    pgd.epsilon = options.adversarial.epsilon;
    pgd.steps = options.adversarial.steps;
    pgd.step_size = options.adversarial.step_size;
    pgd.seed = options.seed;
    for (int epoch = 0; epoch < options.epochs; ++epoch) {
      const torch::Tensor order = torch::randperm(n, torch::kInt64);
      double total = 0;
      for (int64_t start = 0; start < n; start += options.batch_size) {
        MG_TRY(cancel::Check("training"));
        const torch::Tensor index = order.slice(0, start, std::min(start + options.batch_size, n));
        torch::Tensor batch = x.index_select(0, index);
        const torch::Tensor labels = y.index_select(0, index);
        if (options.adversarial.epsilon > 0) {
          pgd.seed = options.seed * 1000003u + static_cast<uint64_t>(epoch * n + start);
          batch = Pgd(model, batch, labels, pgd);
        }
        optimizer.zero_grad();
        const torch::Tensor logits = model.Logits(batch);
        torch::Tensor loss =
            options.soft_targets
                ? -(options.soft_targets->index_select(0, index).to(torch::kFloat32) * torch::log_softmax(logits, 1))
                       .sum(1)
                       .mean()
                : torch::nn::functional::cross_entropy(logits, labels);
        loss.backward();
        optimizer.step();
        total += loss.item<double>() * static_cast<double>(index.size(0));
      }
      if (options.progress) options.progress(epoch + 1, total / static_cast<double>(n));
    }
    for (auto& p : parameters) p.set_requires_grad(false);
    nlohmann::json& training = model.info().training;
    training["epochs"] = options.epochs;
    training["batch_size"] = options.batch_size;
    training["learning_rate"] = options.learning_rate;
    training["weight_decay"] = options.weight_decay;
    training["samples"] = n;
    training["seed"] = options.seed;
    if (options.adversarial.epsilon > 0) {
      training["adversarial"] = {{"method", "pgd"},
                                 {"norm", options.adversarial.l2 ? "l2" : "linf"},
                                 {"epsilon", options.adversarial.epsilon},
                                 {"steps", options.adversarial.steps}};
    }
    return Ok{};
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, std::string("training failed: ") + TorchErrorSummary(e));
  }
}

Result<torch::Tensor> LocalTarget::Query(const torch::Tensor& x) {
  // Black-box attacks loop on queries: a refused query after SIGINT/SIGTERM winds them down.
  MG_TRY(cancel::Check("query"));
  const torch::Tensor probabilities = model_.Probabilities(x).contiguous();
  queries_ += x.size(0);
  if (policy_.mode == defenses::OutputMode::kProbabilities) return probabilities;
  torch::Tensor out = torch::empty_like(probabilities);
  const int64_t classes = probabilities.size(1);
  const double* in = probabilities.data_ptr<double>();
  double* target = out.data_ptr<double>();
  for (int64_t row = 0; row < probabilities.size(0); ++row) {
    const auto hardened =
        defenses::HardenScores(std::span<const double>(in + row * classes, static_cast<size_t>(classes)), policy_);
    std::copy(hardened.begin(), hardened.end(), target + row * classes);
  }
  return out;
}

}  // namespace modelguard::assess
