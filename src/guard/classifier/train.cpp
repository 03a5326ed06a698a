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
  std::vector<std::string> categories;  // empty: benign (or, in a corpus without categories, see `label`)
  std::string role;
  std::string source;
  std::string folded_attack;  // an injection inserted into a benign document: only its windows are attacks
  bool Has(const std::string& category) const {
    return std::find(categories.begin(), categories.end(), category) != categories.end();
  }
};

// The categories the classifier has heads for; rows of other categories (adversarial suffixes, scored by
// their own detector) are neither positives nor negatives of any head.
const std::vector<std::string> kHeadCategories = {"injection", "jailbreak", "prompt_extraction", "harmful_request"};
constexpr size_t kMinHeadPositives = 10;  // fewer training texts than this: no head for that category and group
// Threshold floors: a calibration set that scores low everywhere would otherwise put the flag threshold where
// any text unlike all of it (a run of one letter, a language it lacks) crosses it.
constexpr double kMinFlagThreshold = 0.7;

// One head to train: its category and group, and which rows it learns from.
struct HeadPlan {
  std::string category;
  std::string group;  // "user", "document" or "any"
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
  bool any_categories = false;
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
    MG_ASSIGN_OR_RETURN_CONTEXT(const auto category_fields, fields.ElementsOr("categories"), at);
    std::vector<std::string> categories;
    for (const auto& field : category_fields) {
      MG_ASSIGN_OR_RETURN_CONTEXT(std::string category, field.String(), at);
      categories.push_back(std::move(category));
    }
    any_categories = any_categories || fields.json().contains("categories");
    CorpusRow parsed{Fold(text),
                     label_field.json().get<int64_t>() != 0 ? 1 : 0,
                     std::move(categories),
                     std::move(role),
                     std::move(source),
                     ""};
    if (!attack.empty()) parsed.folded_attack = Fold(attack);
    ++counts[split][parsed.label ? "attack" : "not_attack"];
    if (split == "train")
      train.push_back(std::move(parsed));
    else if (split == "calibration")
      calibration.push_back(std::move(parsed));
  }
  if (train.empty()) return MakeError(ErrorCode::kInvalidArgument, "the corpus has no rows with split \"train\"");
  // A corpus without categories (older corpora, tests) trains one "injection" head for every text from
  // `label`; with categories, one head per category and text group that has enough examples.
  if (!any_categories) {
    for (auto* rows : {&train, &calibration}) {
      for (auto& row : *rows) {
        if (row.label) row.categories = {"injection"};
      }
    }
  }
  const auto group_of = [](const CorpusRow& row) { return std::string(ToString(GroupOf(row.role))); };
  std::vector<HeadPlan> plans;
  if (!any_categories) {
    plans.push_back({"injection", "any"});
  } else {
    for (const char* group : {"user", "document"}) {
      for (const auto& category : kHeadCategories) {
        size_t positives = 0;
        for (const auto& row : train) positives += group_of(row) == group && row.Has(category) ? 1 : 0;
        if (positives >= kMinHeadPositives) plans.push_back({category, group});
      }
    }
  }
  if (plans.empty()) return MakeError(ErrorCode::kInvalidArgument, "the training split needs both labels");
  const auto in_group = [&](const CorpusRow& row, const std::string& group) {
    return group == "any" || group_of(row) == group;
  };
  // Rows whose only categories have no head (adversarial suffixes) teach nothing here.
  const auto usable = [](const CorpusRow& row) {
    return row.categories.empty() || std::any_of(row.categories.begin(), row.categories.end(), [](const auto& c) {
             return std::find(kHeadCategories.begin(), kHeadCategories.end(), c) != kHeadCategories.end();
           });
  };

  // Every text is scored over windows, so it is trained on windows too; each text weighs 1 in total. The
  // windows of a group are cut and their features computed once, for all of the group's heads.
  struct Window {
    size_t row;
    std::string folded;
    bool in_attack;   // the window holds (part of) the row's inserted attack, or the row has none
    bool clean_twin;  // a window of the row's document with the inserted attack taken out
  };
  TrainingOptions options;
  options.features = features;
  options.epochs = request.epochs;
  options.l2 = request.l2;
  std::vector<ModelHead> heads;
  nlohmann::json head_facts = nlohmann::json::array();
  std::map<std::string, std::vector<Window>> windows_by_group;
  std::map<std::string, std::vector<SparseFeatures>> features_by_group;
  for (const auto& plan : plans) {
    auto& windows = windows_by_group[plan.group];
    if (windows.empty()) {
      for (size_t r = 0; r < train.size(); ++r) {
        const auto& row = train[r];
        if (!in_group(row, plan.group) || !usable(row)) continue;
        auto cut = Windows(row.folded, features);
        std::vector<std::pair<size_t, size_t>> chosen;
        if (cut.size() <= kMaxTrainingWindows) {
          chosen = cut;
        } else {
          for (size_t k = 0; k < kMaxTrainingWindows; ++k)
            chosen.push_back(cut[k * (cut.size() - 1) / (kMaxTrainingWindows - 1)]);
        }
        // In a document with an inserted injection, the windows without it are benign text.
        size_t attack_begin = std::string::npos, attack_end = 0;
        if (!row.folded_attack.empty() && (attack_begin = row.folded.find(row.folded_attack)) != std::string::npos)
          attack_end = attack_begin + row.folded_attack.size();
        for (const auto& [begin, end] : chosen) {
          const bool in_attack = attack_begin == std::string::npos || (begin < attack_end && attack_begin < end);
          windows.push_back(Window{r, row.folded.substr(begin, end - begin), in_attack, false});
        }
        // The same document without the injection, weighted like the injected one: the surrounding text
        // (addresses, table cells, code) then cancels out and only the injection's own features are learnt.
        if (attack_begin != std::string::npos) {
          std::string clean = row.folded;
          clean.erase(attack_begin, attack_end - attack_begin);
          const auto clean_cut = Windows(clean, features);
          const size_t used = std::min(clean_cut.size(), kMaxTrainingWindows);
          for (size_t k = 0; k < used; ++k) {
            const auto& [begin, end] =
                clean_cut[used == clean_cut.size() ? k : k * (clean_cut.size() - 1) / (kMaxTrainingWindows - 1)];
            windows.push_back(Window{r, clean.substr(begin, end - begin), false, true});
          }
        }
      }
      auto& computed = features_by_group[plan.group];
      computed.reserve(windows.size());
      for (const auto& window : windows) computed.push_back(ExtractFeatures(window.folded, features));
    }
    // Labels and weights for this head. The two classes weigh the same in total; within a class, sources
    // weigh by the square root of their size, not their size: one large, easy source (thousands of
    // grade-school maths questions) would otherwise define "benign" as "maths", and every imperative or
    // role request would look like an attack.
    std::map<std::pair<int, std::string>, size_t> per_source;
    std::map<size_t, size_t> windows_of_row, twins_of_row;
    for (const auto& window : windows) {
      const auto& row = train[window.row];
      ++(window.clean_twin ? twins_of_row : windows_of_row)[window.row];
      if (!window.clean_twin && windows_of_row[window.row] == 1)
        ++per_source[{row.Has(plan.category) ? 1 : 0, row.source}];
    }
    std::map<std::pair<int, std::string>, double> source_weight;
    double class_texts[2] = {0, 0};
    for (const int label : {0, 1}) {
      double raw_total = 0;
      size_t texts = 0;
      for (const auto& [key, count] : per_source) {
        if (key.first != label) continue;
        raw_total += std::sqrt(static_cast<double>(count));
        texts += count;
      }
      class_texts[label] = static_cast<double>(texts);
      for (const auto& [key, count] : per_source) {
        if (key.first == label)
          source_weight[key] = std::sqrt(static_cast<double>(count)) / raw_total * static_cast<double>(texts) /
                               static_cast<double>(count);
      }
    }
    if (class_texts[1] == 0 || class_texts[0] == 0)
      return MakeError(ErrorCode::kInvalidArgument, "the training split needs both labels");
    const double positive_weight = std::sqrt(class_texts[0] / class_texts[1]);
    std::vector<int> labels;
    std::vector<double> weights;
    labels.reserve(windows.size());
    weights.reserve(windows.size());
    for (const auto& window : windows) {
      const auto& row = train[window.row];
      const bool positive_row = row.Has(plan.category);
      const double balance = source_weight[{positive_row ? 1 : 0, row.source}];
      const int label = positive_row && window.in_attack && !window.clean_twin ? 1 : 0;
      // A positive row's windows and clean twin weigh like its class (so the twin cancels the carrier text).
      const double class_weight = positive_row ? positive_weight : 1.0;
      const double count =
          static_cast<double>(window.clean_twin ? twins_of_row[window.row] : windows_of_row[window.row]);
      labels.push_back(label);
      weights.push_back(balance * class_weight / count);
    }
    const TrainedModel trained = TrainLogisticOnFeatures(features_by_group[plan.group], labels, weights, options);
    heads.push_back(ModelHead{plan.category, plan.group, trained.bias, trained.weights});
    head_facts.push_back({{"category", plan.category},
                          {"group", plan.group},
                          {"positive_texts", class_texts[1]},
                          {"negative_texts", class_texts[0]},
                          {"windows", windows.size()}});
  }

  nlohmann::json metadata = {
      {"schema", "modelguard.guard-model/v2"},
      {"name", "prompt-security-classifier"},
      {"features",
       {{"word_ngrams", {1, 2}},
        {"char_ngrams", {3, 5}},
        {"dimension_log2", features.dimension_log2},
        {"window_tokens", features.window_tokens},
        {"stride_tokens", features.stride_tokens}}},
      {"training",
       {{"algorithm", "logistic regression per category and text group, AdaGrad"},
        {"l2", options.l2},
        {"epochs", options.epochs},
        {"seed", options.seed},
        {"texts", counts},
        {"heads", head_facts}}},
  };
  // Thresholds per head from the calibration split's benign texts of its group, scored like at run time:
  // flag where 1% and block where 0.1% of them would be (every source weighing the same).
  nlohmann::json described = nlohmann::json::array();
  for (const auto& head : heads) described.push_back({{"category", head.category}, {"group", head.group}});
  metadata["heads"] = described;
  const std::string provisional = InjectionModel::Serialize(features, heads, metadata);
  MG_ASSIGN_OR_RETURN(auto model, InjectionModel::Load(provisional));
  // head -> source -> benign scores; head -> attack scores
  std::vector<std::map<std::string, std::vector<double>>> benign_by_source(heads.size());
  std::vector<std::vector<double>> attack_scores(heads.size());
  for (const auto& row : calibration) {
    if (!usable(row)) continue;
    for (const auto& [head, score] : model->ScoreHeads(row.folded, GroupOf(row.role))) {
      if (row.categories.empty())
        benign_by_source[head][row.source].push_back(score.score);
      else if (row.Has(heads[head].category))
        attack_scores[head].push_back(score.score);
    }
  }
  for (size_t h = 0; h < heads.size(); ++h) {
    // Floors keep a too-clean calibration set from producing thresholds that flag everything borderline.
    const double flag = std::max(kMinFlagThreshold, BalancedQuantile(benign_by_source[h], 0.99));
    const double block = std::max({0.85, flag, BalancedQuantile(benign_by_source[h], 0.999)});
    const auto& scores = attack_scores[h];
    auto recall = [&](double threshold) {
      return scores.empty() ? 0.0
                            : static_cast<double>(std::count_if(scores.begin(), scores.end(),
                                                                [&](double s) { return s >= threshold; })) /
                                  static_cast<double>(scores.size());
    };
    size_t benign_texts = 0;
    for (const auto& [source, list] : benign_by_source[h]) benign_texts += list.size();
    const nlohmann::json pair = {{"flag", flag}, {"block", block}};
    nlohmann::json per_role = nlohmann::json::object();
    const bool document = heads[h].group == "document";
    const bool user = heads[h].group != "document";
    if (user) {
      per_role["user"] = pair;
      per_role["assistant"] = pair;
      per_role["system"] = {{"flag", block}, {"block", 1.01}};  // operators' own text: never blocked
    }
    if (document || heads[h].group == "any") {
      per_role["document"] = pair;
      per_role["tool"] = pair;
    }
    metadata["heads"][h]["thresholds"] = per_role;
    metadata["heads"][h]["calibration"] = {{"benign_texts", benign_texts},
                                           {"attack_texts", scores.size()},
                                           {"recall_at_flag", recall(flag)},
                                           {"recall_at_block", recall(block)}};
  }
  // The per-role thresholds of the first head, where one-head readers look for them.
  nlohmann::json thresholds = metadata["heads"][0]["thresholds"];
  for (size_t h = 1; h < heads.size(); ++h) {
    if (heads[h].category != heads[0].category) continue;
    for (const auto& [role, pair] : metadata["heads"][h]["thresholds"].items()) thresholds[role] = pair;
  }
  metadata["thresholds"] = thresholds;
  const std::string bytes = InjectionModel::Serialize(features, heads, metadata);
  // Atomically: a failed write (a full disk, a killed process) leaves the model that was there, which
  // gateways and the CLI load at start; a truncated model would take the guard down with it.
  if (auto written = WriteFileAtomic(request.output_path, bytes); !written)
    return MakeError(ErrorCode::kIo, "cannot write the model: " + written.error().message);
  return metadata;
}

}  // namespace modelguard::guard
