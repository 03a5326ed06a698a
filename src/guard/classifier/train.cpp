#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>

#include "modelguard/core/io.h"
#include "modelguard/core/json_fields.h"
#include "modelguard/guard/guard.h"
#include "modelguard/guard/train.h"
#include "src/guard/classifier/classifier.h"
#include "src/guard/normalize/normalize.h"

namespace modelguard::guard {
namespace {

constexpr size_t kMaxTrainingWindows = 8;  // per text: long jailbreaks must not outweigh short prompts

struct CorpusRow {
  std::string folded;
  int label = 0;
  std::string role;
  std::string source;
  std::string folded_attack;  // an injection inserted into a benign document: only its windows are attacks
};

// The score below which `fraction` of the scores lie, every source weighing the same whatever its size (a
// large easy source would otherwise set a threshold that the harder ones exceed far more often).
double BalancedQuantile(const std::map<std::string, std::vector<double>>& by_source, double fraction) {
  std::vector<std::pair<double, double>> weighted;  // score, weight
  for (const auto& [source, scores] : by_source) {
    for (const double score : scores) weighted.emplace_back(score, 1.0 / static_cast<double>(scores.size()));
  }
  if (weighted.empty()) return 1;
  std::sort(weighted.begin(), weighted.end());
  const double total = static_cast<double>(by_source.size());
  double below = 0;
  for (const auto& [score, weight] : weighted) {
    below += weight;
    if (below >= fraction * total) return score;
  }
  return weighted.back().first;
}

}  // namespace

Result<nlohmann::json> TrainInjectionModel(const TrainRequest& request) {
  std::ifstream in(request.corpus_path);
  if (!in) return MakeError(ErrorCode::kIo, "cannot open corpus " + request.corpus_path);
  FeatureConfig features{request.dimension_log2, request.window_tokens, request.stride_tokens};
  if (features.dimension_log2 < 8 || features.dimension_log2 > kMaxDimensionLog2 || features.stride_tokens == 0 ||
      features.stride_tokens > features.window_tokens) {
    return MakeError(ErrorCode::kInvalidArgument, "feature settings out of range");
  }
  std::vector<CorpusRow> train, calibration;
  std::map<std::string, std::map<std::string, int>> counts;  // split -> kind -> texts
  std::string line;
  size_t number = 0;
  while (std::getline(in, line)) {
    ++number;
    if (line.empty()) continue;
    const auto row = nlohmann::json::parse(line, nullptr, false);
    // Every field is read through JsonField: a wrong type names the line and the field
    // ("corpus.jsonl:12: role: expected string, got number"), where value() would throw.
    const std::string at = request.corpus_path + ":" + std::to_string(number) + ": ";
    if (row.is_discarded()) return MakeError(ErrorCode::kParse, at + "not valid JSON");
    MG_ASSIGN_OR_RETURN_CONTEXT(const JsonField fields, JsonField(row).Object(), at);
    MG_ASSIGN_OR_RETURN_CONTEXT(const JsonField text_field, fields.At("text"), at);
    MG_ASSIGN_OR_RETURN_CONTEXT(const std::string text, text_field.String(), at);
    MG_ASSIGN_OR_RETURN_CONTEXT(const JsonField label_field, fields.At("label"), at);
    if (!label_field.json().is_number_integer()) return WithContext(label_field.TypeError("integer"), at);
    MG_ASSIGN_OR_RETURN_CONTEXT(const std::string split, fields.StringOr("split", "train"), at);
    MG_ASSIGN_OR_RETURN_CONTEXT(std::string role, fields.StringOr("role", "user"), at);
    MG_ASSIGN_OR_RETURN_CONTEXT(std::string source, fields.StringOr("source", "unknown"), at);
    MG_ASSIGN_OR_RETURN_CONTEXT(const std::string attack, fields.StringOr("attack", ""), at);
    CorpusRow parsed{Fold(text), label_field.json().get<int64_t>() != 0 ? 1 : 0, std::move(role), std::move(source),
                     ""};
    if (!attack.empty()) parsed.folded_attack = Fold(attack);
    ++counts[split][parsed.label ? "attack" : "not_attack"];
    if (split == "train")
      train.push_back(std::move(parsed));
    else if (split == "calibration")
      calibration.push_back(std::move(parsed));
  }
  if (train.empty()) return MakeError(ErrorCode::kInvalidArgument, "the corpus has no rows with split \"train\"");

  // Every text is scored over windows, so it is trained on windows too; each text weighs 1 in total, and the
  // two classes weigh the same.
  size_t positives = 0;
  for (const auto& row : train) positives += static_cast<size_t>(row.label);
  const size_t negatives = train.size() - positives;
  if (positives == 0 || negatives == 0)
    return MakeError(ErrorCode::kInvalidArgument, "the training split needs both labels");
  const double positive_weight = static_cast<double>(negatives) / static_cast<double>(positives);
  // Within a class, sources weigh by the square root of their size, not their size: one large, easy source
  // (thousands of grade-school maths questions) would otherwise define "benign" as "maths", and every
  // imperative or role request would look like an attack. The class totals stay as above.
  std::map<std::pair<int, std::string>, size_t> per_source;
  for (const auto& row : train) ++per_source[{row.label, row.source}];
  std::map<std::pair<int, std::string>, double> source_weight;
  for (const int label : {0, 1}) {
    double raw_total = 0;
    size_t texts = 0;
    for (const auto& [key, count] : per_source) {
      if (key.first != label) continue;
      raw_total += std::sqrt(static_cast<double>(count));
      texts += count;
    }
    for (const auto& [key, count] : per_source) {
      if (key.first != label) continue;
      // Texts of this source share sqrt(count) / raw_total of the class, i.e. each weighs this much of 1.
      source_weight[key] = std::sqrt(static_cast<double>(count)) / raw_total * static_cast<double>(texts) /
                           static_cast<double>(count);
    }
  }
  std::vector<TrainingExample> examples;
  for (const auto& row : train) {
    const double balance = source_weight[{row.label, row.source}];
    auto windows = Windows(row.folded, features);
    std::vector<std::pair<size_t, size_t>> chosen;
    if (windows.size() <= kMaxTrainingWindows) {
      chosen = windows;
    } else {
      for (size_t k = 0; k < kMaxTrainingWindows; ++k)
        chosen.push_back(windows[k * (windows.size() - 1) / (kMaxTrainingWindows - 1)]);
    }
    // In a document with an inserted injection, the windows without it are benign text.
    size_t attack_begin = std::string::npos, attack_end = 0;
    if (!row.folded_attack.empty() && (attack_begin = row.folded.find(row.folded_attack)) != std::string::npos) {
      attack_end = attack_begin + row.folded_attack.size();
    }
    for (const auto& [begin, end] : chosen) {
      int label = row.label;
      if (attack_begin != std::string::npos) label = begin < attack_end && attack_begin < end ? 1 : 0;
      const double weight = balance * (label ? positive_weight : 1.0) / static_cast<double>(chosen.size());
      examples.push_back(TrainingExample{row.folded.substr(begin, end - begin), label, weight});
    }
    // The same document without the injection, weighted like the injected one: the surrounding text
    // (addresses, table cells, code) then cancels out and only the injection's own features are learnt.
    if (attack_begin != std::string::npos) {
      std::string clean = row.folded;
      clean.erase(attack_begin, attack_end - attack_begin);
      const auto clean_windows = Windows(clean, features);
      const size_t used = std::min(clean_windows.size(), kMaxTrainingWindows);
      for (size_t k = 0; k < used; ++k) {
        const auto& [begin, end] =
            clean_windows[used == clean_windows.size() ? k
                                                       : k * (clean_windows.size() - 1) / (kMaxTrainingWindows - 1)];
        examples.push_back(TrainingExample{clean.substr(begin, end - begin), 0,
                                           balance * positive_weight / static_cast<double>(used)});
      }
    }
  }
  TrainingOptions options;
  options.features = features;
  options.epochs = request.epochs;
  options.l2 = request.l2;
  const TrainedModel trained = TrainLogistic(examples, options);

  nlohmann::json metadata = {
      {"schema", "modelguard.guard-model/v1"},
      {"name", "prompt-injection-jailbreak"},
      {"features",
       {{"word_ngrams", {1, 2}},
        {"char_ngrams", {3, 5}},
        {"dimension_log2", features.dimension_log2},
        {"window_tokens", features.window_tokens},
        {"stride_tokens", features.stride_tokens}}},
      {"training",
       {{"algorithm", "logistic regression, AdaGrad"},
        {"l2", options.l2},
        {"epochs", options.epochs},
        {"seed", options.seed},
        {"texts", counts},
        {"windows", examples.size()}}},
  };
  // Thresholds from the calibration split's benign texts, per role group, scored like at run time.
  const std::string provisional = InjectionModel::Serialize(features, trained.bias, trained.weights, metadata);
  MG_ASSIGN_OR_RETURN(auto model, InjectionModel::Load(provisional));
  std::map<std::string, std::vector<double>> benign_scores, attack_scores;
  std::map<std::string, std::map<std::string, std::vector<double>>> benign_by_source;  // group -> source -> scores
  for (const auto& row : calibration) {
    const std::string group = row.role == "document" || row.role == "tool" ? "document" : "user";
    const double score = model->Score(row.folded).score;
    (row.label ? attack_scores : benign_scores)[group].push_back(score);
    if (!row.label) benign_by_source[group][row.source].push_back(score);
  }
  nlohmann::json thresholds = nlohmann::json::object();
  for (const char* group : {"user", "document"}) {
    // Floors keep a too-clean calibration set from producing thresholds that flag everything borderline.
    const double flag = std::max(0.5, BalancedQuantile(benign_by_source[group], 0.99));
    const double block = std::max({0.85, flag, BalancedQuantile(benign_by_source[group], 0.999)});
    auto recall = [&](double threshold) {
      const auto& scores = attack_scores[group];
      return scores.empty() ? 0.0
                            : static_cast<double>(std::count_if(scores.begin(), scores.end(),
                                                                [&](double s) { return s >= threshold; })) /
                                  static_cast<double>(scores.size());
    };
    thresholds[group] = {{"flag", flag},
                         {"block", block},
                         {"calibration_benign_texts", benign_scores[group].size()},
                         {"calibration_attack_texts", attack_scores[group].size()},
                         {"calibration_recall_at_flag", recall(flag)},
                         {"calibration_recall_at_block", recall(block)}};
  }
  thresholds["assistant"] = thresholds["user"];
  thresholds["tool"] = thresholds["document"];
  thresholds["system"] = {{"flag", thresholds["user"]["block"]},
                          {"block", 1.01}};  // operators' own text: never blocked
  metadata["thresholds"] = thresholds;
  const std::string bytes = InjectionModel::Serialize(features, trained.bias, trained.weights, metadata);
  // Atomically: a failed write (a full disk, a killed process) leaves the model that was there, which
  // gateways and the CLI load at start; a truncated model would take the guard down with it.
  if (auto written = WriteFileAtomic(request.output_path, bytes); !written)
    return MakeError(ErrorCode::kIo, "cannot write the model: " + written.error().message);
  return metadata;
}

}  // namespace modelguard::guard
