// Confident learning (Northcutt, Jiang, Chuang 2021). The steps, as the paper's section 3 gives them:
//   1. out-of-sample probabilities p(i, j) (a model must never have seen the sample it scores, or it simply
//      repeats the given, possibly wrong, label back);
//   2. per-class thresholds t_j = the mean p(i, j) over samples labelled j: the model's average
//      self-confidence for class j, so classes the model is less sure of get lower bars;
//   3. the confident joint C[given][true]: each sample counts once, under its given label and the class it
//      most confidently belongs to among those whose threshold it reaches (samples reaching none count
//      nowhere);
//   4. calibration: each row scaled to the number of samples with that given label, so C estimates the
//      joint distribution of (given, true) labels over the dataset;
//   5. prune by noise rate: for each off-diagonal cell (k, j), the C[k][j] samples labelled k with the
//      largest margin p(j) - p(k) are issues; the ones the model nevertheless predicts as k are kept.
#include "src/assess/poisoning/labels/labels.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>
#include <random>

#include "modelguard/formats/npy.h"
#include "src/assess/torch_error.h"

namespace modelguard::assess::poisoning {
namespace {

// Rounds a row of non-negative reals to integers with the same (rounded) total: floors, then the units left
// go to the largest fractional parts (lowest index first among equal parts). Counts of samples must stay
// whole and the row total must stay the class's sample count.
std::vector<int64_t> RoundPreservingTotal(const std::vector<double>& row) {
  std::vector<int64_t> out(row.size());
  double total = 0;
  int64_t floor_total = 0;
  for (size_t j = 0; j < row.size(); ++j) {
    total += row[j];
    out[j] = static_cast<int64_t>(std::floor(row[j]));
    floor_total += out[j];
  }
  int64_t left = std::llround(total) - floor_total;
  std::vector<size_t> order(row.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return row[a] - std::floor(row[a]) > row[b] - std::floor(row[b]); });
  for (size_t r = 0; left > 0 && r < order.size(); ++r, --left) ++out[order[r]];
  return out;
}

std::string ArchitectureOf(const AuditInput& input, const LabelsOptions& options) {
  if (!options.architecture.empty()) return options.architecture;
  if (input.model != nullptr) {
    const std::string& name = input.model->info().architecture;
    // A cnn needs image-shaped samples; the audited copy of its data may come flat (e.g. a CSV export).
    const bool images = input.data != nullptr && input.data->sample_shape.size() == 3;
    if (name == "mlp" || (name == "cnn" && images)) return name;
  }
  return "mlp";
}

int64_t HiddenOf(const AuditInput& input, const LabelsOptions& options) {
  if (options.hidden > 0) return options.hidden;
  if (input.model != nullptr) {
    const auto& training = input.model->info().training;
    if (training.is_object() && training.contains("hidden") && training["hidden"].is_number_integer()) {
      const auto hidden = training["hidden"].get<int64_t>();
      if (hidden >= 1 && hidden <= 4096) return hidden;
    }
  }
  return 128;
}

}  // namespace

std::vector<int64_t> StratifiedFolds(const std::vector<int64_t>& labels, int64_t classes, int folds, uint64_t seed) {
  std::vector<int64_t> out(labels.size(), 0);
  std::vector<std::vector<size_t>> members(static_cast<size_t>(std::max<int64_t>(classes, 0)));
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] >= 0 && labels[i] < classes) members[static_cast<size_t>(labels[i])].push_back(i);
  }
  std::mt19937_64 random(seed);
  int64_t next = 0;  // carried across classes so small classes do not all start in fold 0
  for (auto& indices : members) {
    std::shuffle(indices.begin(), indices.end(), random);
    for (size_t i : indices) out[i] = next++ % folds;
  }
  return out;
}

Result<ConfidentLearning> FindLabelIssues(const torch::Tensor& probabilities, const std::vector<int64_t>& labels,
                                          int64_t classes) {
  const auto n = static_cast<int64_t>(labels.size());
  if (classes < 2) return MakeError(ErrorCode::kInvalidArgument, "confident learning needs at least two classes");
  if (probabilities.dim() != 2 || probabilities.size(0) != n || probabilities.size(1) != classes) {
    return MakeError(ErrorCode::kInvalidArgument,
                     "expected " + std::to_string(n) + " x " + std::to_string(classes) + " probabilities");
  }
  for (int64_t label : labels) {
    if (label < 0 || label >= classes) return MakeError(ErrorCode::kInvalidArgument, "a label is out of range");
  }
  const torch::Tensor p_tensor = probabilities.to(torch::kFloat64).contiguous();
  const double* p = p_tensor.data_ptr<double>();
  const auto k = static_cast<size_t>(classes);
  auto at = [&](int64_t i, size_t j) { return p[static_cast<size_t>(i) * k + j]; };

  ConfidentLearning out;
  std::vector<double> sums(k, 0);
  std::vector<int64_t> counts(k, 0);
  for (int64_t i = 0; i < n; ++i) {
    const auto s = static_cast<size_t>(labels[static_cast<size_t>(i)]);
    sums[s] += at(i, s);
    ++counts[s];
  }
  out.thresholds.resize(k);
  // A class nobody is labelled with has no self-confidence to measure: no sample is confidently in it.
  for (size_t j = 0; j < k; ++j)
    out.thresholds[j] = counts[j] > 0 ? sums[j] / static_cast<double>(counts[j]) : HUGE_VAL;

  // Step 3. The small slack keeps a sample whose probability equals the mean (e.g. a class of identical
  // samples) on the confident side despite rounding in the mean.
  constexpr double kSlack = 1e-6;
  out.raw_joint.assign(k, std::vector<int64_t>(k, 0));
  for (int64_t i = 0; i < n; ++i) {
    int64_t best = -1;
    for (size_t j = 0; j < k; ++j) {
      if (at(i, j) >= out.thresholds[j] - kSlack && (best < 0 || at(i, j) > at(i, static_cast<size_t>(best))))
        best = static_cast<int64_t>(j);
    }
    if (best >= 0) ++out.raw_joint[static_cast<size_t>(labels[static_cast<size_t>(i)])][static_cast<size_t>(best)];
  }
  // Every class keeps at least one confidently correct sample: a row without any would calibrate to "every
  // sample of this class is mislabelled".
  for (size_t j = 0; j < k; ++j) out.raw_joint[j][j] = std::max<int64_t>(out.raw_joint[j][j], 1);

  // Step 4: rows to the given label counts (so the whole matrix sums to N).
  out.joint.resize(k);
  for (size_t s = 0; s < k; ++s) {
    const double row_total =
        static_cast<double>(std::accumulate(out.raw_joint[s].begin(), out.raw_joint[s].end(), int64_t{0}));
    std::vector<double> row(k);
    for (size_t j = 0; j < k; ++j)
      row[j] = static_cast<double>(out.raw_joint[s][j]) / std::max(row_total, 1e-6) * static_cast<double>(counts[s]);
    out.joint[s] = RoundPreservingTotal(row);
  }

  // Step 5.
  out.issues.assign(static_cast<size_t>(n), false);
  std::vector<std::vector<int64_t>> members(k);
  for (int64_t i = 0; i < n; ++i) members[static_cast<size_t>(labels[static_cast<size_t>(i)])].push_back(i);
  for (size_t s = 0; s < k; ++s) {
    for (size_t j = 0; j < k; ++j) {
      const int64_t prune = j == s ? 0 : out.joint[s][j];
      if (prune <= 0) continue;
      std::vector<int64_t> order = members[s];
      std::stable_sort(order.begin(), order.end(),
                       [&](int64_t a, int64_t b) { return at(a, j) - at(a, s) > at(b, j) - at(b, s); });
      for (size_t r = 0; r < order.size() && static_cast<int64_t>(r) < prune; ++r)
        out.issues[static_cast<size_t>(order[r])] = true;
    }
  }
  for (int64_t i = 0; i < n; ++i) {
    size_t argmax = 0;
    for (size_t j = 1; j < k; ++j)
      if (at(i, j) > at(i, argmax)) argmax = j;
    if (argmax == static_cast<size_t>(labels[static_cast<size_t>(i)])) out.issues[static_cast<size_t>(i)] = false;
  }
  return out;
}

Result<torch::Tensor> CrossValidatedProbabilities(const AuditInput& input, const LabelsOptions& options) {
  const Dataset& data = *input.data;
  const auto n = static_cast<int64_t>(data.size());
  if (options.folds < 2 || options.folds > 50)
    return MakeError(ErrorCode::kInvalidArgument, "cross-validation needs 2..50 folds");
  if (n < 2 * options.folds)
    return MakeError(ErrorCode::kInvalidArgument, "too few samples (" + std::to_string(n) + ") for " +
                                                      std::to_string(options.folds) + "-fold cross-validation");
  const std::vector<int64_t> folds = StratifiedFolds(data.labels, data.classes, options.folds, input.seed);
  ArchitectureOptions architecture;
  architecture.name = ArchitectureOf(input, options);
  architecture.hidden = HiddenOf(input, options);
  try {
    const torch::Tensor x = FeaturesTensor(data), y = LabelsTensor(data);
    const torch::Tensor fold_of = torch::tensor(folds, torch::kInt64);
    torch::Tensor out = torch::zeros({n, data.classes}, torch::kFloat64);
    for (int fold = 0; fold < options.folds; ++fold) {
      if (input.progress) {
        input.progress("labels: fold " + std::to_string(fold + 1) + " of " + std::to_string(options.folds));
      }
      const torch::Tensor held = fold_of.eq(fold).nonzero().squeeze(1);
      const torch::Tensor train = fold_of.ne(fold).nonzero().squeeze(1);
      const uint64_t seed = input.seed * 1000003u + static_cast<uint64_t>(fold) + 1;
      MG_ASSIGN_OR_RETURN(LocalModel model, BuildModel(architecture, data.sample_shape, data.classes, seed));
      TrainOptions train_options;
      train_options.epochs = options.epochs;
      train_options.seed = seed;
      MG_TRY(TrainModel(model, x.index_select(0, train), y.index_select(0, train), train_options));
      out.index_copy_(0, held, model.Probabilities(x.index_select(0, held)));
    }
    return out;
  } catch (const std::exception& e) {
    return MakeError(ErrorCode::kInvalidArgument, "cross-validation failed: " + TorchErrorSummary(e));
  }
}

Result<torch::Tensor> LoadProbabilities(const std::string& path, int64_t samples, int64_t classes) {
  MG_ASSIGN_OR_RETURN(std::string bytes, ReadMaybeGzip(path));
  const std::string where = path + ": ";
  uint64_t offset = 0;
  auto header = formats::npy::ParseHeader({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, &offset);
  if (!header) return WithContext(std::move(header).error(), where);
  if (header->descr != "<f4" && header->descr != "<f8")
    return MakeError(ErrorCode::kParse, where + "probabilities must be little-endian float32 or float64");
  if (header->fortran_order) return MakeError(ErrorCode::kParse, where + "Fortran-ordered arrays are not supported");
  const std::vector<uint64_t> expected{static_cast<uint64_t>(samples), static_cast<uint64_t>(classes)};
  if (header->shape != expected) {
    return MakeError(ErrorCode::kInvalidArgument, where + "expected shape (" + std::to_string(samples) + ", " +
                                                      std::to_string(classes) +
                                                      "): one row per sample, one column "
                                                      "per class");
  }
  const uint64_t item = header->descr == "<f4" ? 4 : 8;
  if (header->data_offset > bytes.size() || bytes.size() - header->data_offset != header->element_count * item)
    return MakeError(ErrorCode::kParse, where + "the data does not match the shape");
  std::vector<double> values(header->element_count);
  const char* data = bytes.data() + header->data_offset;
  for (uint64_t i = 0; i < header->element_count; ++i) {
    if (item == 4) {
      float v;
      std::memcpy(&v, data + i * 4, 4);
      values[i] = v;
    } else {
      std::memcpy(&values[i], data + i * 8, 8);
    }
  }
  for (int64_t row = 0; row < samples; ++row) {
    double total = 0;
    for (int64_t j = 0; j < classes; ++j) {
      const double v = values[static_cast<size_t>(row * classes + j)];
      if (!(v >= 0.0 && v <= 1.0)) {
        return MakeError(ErrorCode::kInvalidArgument,
                         where + "row " + std::to_string(row) + " holds " + std::to_string(v) + ", not a probability");
      }
      total += v;
    }
    if (std::abs(total - 1.0) > 1e-3) {
      return MakeError(ErrorCode::kInvalidArgument,
                       where + "row " + std::to_string(row) + " sums to " + std::to_string(total) + ", not 1");
    }
  }
  return torch::tensor(values, torch::kFloat64).reshape({samples, classes});
}

Result<MethodResult> RunLabels(const AuditInput& input, const LabelsOptions& options) {
  if (input.data == nullptr) return MakeError(ErrorCode::kInvalidArgument, "labels: no dataset");
  const Dataset& data = *input.data;
  if (data.size() == 0) return MakeError(ErrorCode::kInvalidArgument, "labels: the dataset is empty");
  if (data.classes < 2) return MakeError(ErrorCode::kInvalidArgument, "labels: needs at least two classes");
  for (int64_t label : data.labels) {
    // Checked before any training: FindLabelIssues would refuse them only after five models.
    if (label < 0 || label >= data.classes)
      return MakeError(ErrorCode::kInvalidArgument,
                       "labels: a label lies outside 0.." + std::to_string(data.classes - 1));
  }
  const auto n = static_cast<int64_t>(data.size());
  MethodResult result;
  result.method = "labels";
  torch::Tensor probabilities;
  if (!input.probabilities_path.empty()) {
    MG_ASSIGN_OR_RETURN_CONTEXT(probabilities, LoadProbabilities(input.probabilities_path, n, data.classes),
                                "labels: ");
    result.details["probabilities"] = {{"source", "file"}, {"path", input.probabilities_path}};
  } else {
    MG_ASSIGN_OR_RETURN_CONTEXT(probabilities, CrossValidatedProbabilities(input, options), "labels: ");
    result.details["probabilities"] = {{"source", "cross-validation"},
                                       {"folds", options.folds},
                                       {"architecture", ArchitectureOf(input, options)},
                                       {"hidden", HiddenOf(input, options)},
                                       {"epochs", options.epochs}};
  }
  MG_ASSIGN_OR_RETURN_CONTEXT(ConfidentLearning cl, FindLabelIssues(probabilities, data.labels, data.classes),
                              "labels: ");
  const torch::Tensor p = probabilities.to(torch::kFloat64).contiguous();
  const double* values = p.data_ptr<double>();
  const auto k = static_cast<size_t>(data.classes);
  result.scores.resize(data.size());
  result.flagged = cl.issues;
  int64_t agree = 0, issues = 0, off_diagonal = 0;
  std::vector<int64_t> issues_per_class(k, 0);
  for (size_t i = 0; i < data.size(); ++i) {
    const auto s = static_cast<size_t>(data.labels[i]);
    // 1 - self-confidence: how little the out-of-sample model believes the given label.
    result.scores[i] = 1.0 - values[i * k + s];
    size_t argmax = 0;
    for (size_t j = 1; j < k; ++j)
      if (values[i * k + j] > values[i * k + argmax]) argmax = j;
    agree += argmax == s;
    if (cl.issues[i]) {
      ++issues;
      ++issues_per_class[s];
    }
  }
  for (size_t s = 0; s < k; ++s)
    for (size_t j = 0; j < k; ++j)
      if (s != j) off_diagonal += cl.joint[s][j];
  result.details["out_of_sample_accuracy"] = static_cast<double>(agree) / static_cast<double>(n);
  result.details["thresholds"] = cl.thresholds;
  result.details["confident_joint"] = cl.joint;
  result.details["estimated_noise_rate"] = static_cast<double>(off_diagonal) / static_cast<double>(n);
  result.details["issues"] = issues;
  result.details["issues_per_given_label"] = issues_per_class;
  result.details["rule"] = "prune by noise rate; kept when the model's prediction equals the given label";
  return result;
}

const MethodDescriptor& LabelsMethod() {
  static const MethodDescriptor descriptor{
      "labels",
      "label issues by confident learning on k-fold out-of-sample probabilities",
      "Northcutt, Jiang, Chuang 2021, Confident Learning: Estimating Uncertainty in Dataset Labels (JAIR 70)",
      false,
      [](const AuditInput& input) { return RunLabels(input, LabelsOptions{}); },
      /*by_default=*/false,
  };
  return descriptor;
}

}  // namespace modelguard::assess::poisoning
