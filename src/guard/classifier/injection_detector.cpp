// The classifier as a detector: the model scores the folded text and every decoded view; the best window
// anywhere is the detection.
#include <map>

#include "src/guard/classifier/classifier.h"
#include "src/guard/detector.h"

namespace modelguard::guard {
namespace {

// A short text is too little evidence for the classifier alone to refuse it: one loaded word ("ignore", an
// e-mail address) dominates a dozen words, and the attacks it learnt from are long (jailbreaks run to
// hundreds of words). Short texts are flagged; blocking short attacks is the signatures' job.
constexpr size_t kMinWordsForModelBlock = 20;

size_t CountWords(std::string_view folded) {
  size_t words = 0;
  bool in_word = false;
  for (char c : folded) {
    const bool word_char = c != ' ';
    words += word_char && !in_word ? 1 : 0;
    in_word = word_char;
  }
  return words;
}

class InjectionDetector final : public Detector {
 public:
  static Result<std::unique_ptr<const Detector>> Create(const DetectorContext& context) {
    auto detector = std::unique_ptr<InjectionDetector>(new InjectionDetector(context.model));
    const auto& heads = context.model->heads();
    const auto& described =
        context.model->metadata().contains("heads") ? context.model->metadata()["heads"] : nlohmann::json::array();
    for (size_t h = 0; h < heads.size(); ++h) {
      std::map<Role, Thresholds> per_role;
      for (Role role : {Role::kUser, Role::kSystem, Role::kAssistant, Role::kTool, Role::kDocument}) {
        // v1 models keep their thresholds at the top of the metadata; v2 models per head.
        const nlohmann::json* source = nullptr;
        if (h < described.size() && described[h].is_object() && described[h].contains("thresholds"))
          source = &described[h]["thresholds"];
        else if (context.model->metadata().contains("thresholds"))
          source = &context.model->metadata()["thresholds"];
        Thresholds t;
        if (source && source->is_object() && source->contains(ToString(role))) {
          const auto& pair = (*source)[ToString(role)];
          if (!pair.is_object() || !pair.value("flag", nlohmann::json()).is_number() ||
              !pair.value("block", nlohmann::json()).is_number()) {
            return MakeError(ErrorCode::kParse, "guard model: heads[" + std::to_string(h) + "].thresholds." +
                                                    ToString(role) + ": needs numbers \"flag\" and \"block\"");
          }
          t = Thresholds{pair["flag"].get<double>(), pair["block"].get<double>()};
        }
        if (auto forced = context.options.thresholds.find(role); forced != context.options.thresholds.end())
          t = forced->second;  // the caller's thresholds apply to every head
        per_role[role] = t;
      }
      detector->thresholds_.push_back(std::move(per_role));
    }
    return std::unique_ptr<const Detector>(std::move(detector));
  }

  void Examine(const DetectorInput& input, DetectorOutput& out) const override {
    const NormalizedText& normalized = input.normalized;
    const TextGroup group =
        input.role == Role::kDocument || input.role == Role::kTool ? TextGroup::kDocument : TextGroup::kUser;
    // head -> best score anywhere (text or a decoded view) and where
    std::map<size_t, std::pair<double, Detection>> best;
    auto score = [&](std::string_view folded, const std::string& view, auto span) {
      for (const auto& [head, scored] : model_->ScoreHeads(folded, group)) {
        auto& [top, hit] = best.try_emplace(head, -1.0, Detection{}).first->second;
        if (scored.score <= top) continue;
        top = scored.score;
        const auto [begin, end] = span(scored.begin, scored.end);
        const std::string& category = model_->heads()[head].category;
        hit = Detection{
            "injection_model", "model." + category, category, "", Verdict::kAllow, scored.score, begin, end, view};
      }
    };
    score(normalized.folded, "text", [&](size_t begin, size_t end) { return normalized.SourceRange(begin, end); });
    for (const auto& view : normalized.decoded) {
      score(view.text, view.kind, [&](size_t, size_t) {
        return std::pair<size_t, size_t>{view.source_begin, view.source_end};
      });
    }
    const bool enough_words = CountWords(normalized.folded) >= kMinWordsForModelBlock;
    for (auto& [head, entry] : best) {
      auto& [top, hit] = entry;
      const std::string& category = model_->heads()[head].category;
      out.scores[category] = std::max(out.scores[category], top);
      // The likelihood of an attack on the model itself; a harmful request alone is another question.
      if (category != "harmful_request") out.score = std::max(out.score, top);
      const Thresholds& t = thresholds_[head].at(input.role);
      if (top < t.flag) continue;
      hit.action = top >= t.block && enough_words ? Verdict::kBlock : Verdict::kFlag;
      out.detections.push_back(std::move(hit));
    }
  }

 private:
  explicit InjectionDetector(std::shared_ptr<const InjectionModel> model) : model_(std::move(model)) {}
  std::shared_ptr<const InjectionModel> model_;
  std::vector<std::map<Role, Thresholds>> thresholds_;  // per head
};

}  // namespace

DetectorEntry InjectionDetectorEntry() {
  DetectorInfo info;
  info.name = "injection_model";
  info.folder = "classifier";
  info.summary =
      "the classifier, one head per category (injection, jailbreak, prompt_extraction, harmful_request) and per "
      "text group (user text, documents and tool output), over sliding windows of the folded text and every "
      "decoded view; flags at a head's flag threshold for the role, blocks at its block threshold (texts of 20 "
      "words or more)";
  info.categories = {"injection", "jailbreak", "prompt_extraction", "harmful_request"};
  info.labels = {"model.injection", "model.jailbreak", "model.prompt_extraction", "model.harmful_request"};
  info.option = "injection";
  return DetectorEntry{std::move(info), [](const GuardOptions& o) { return o.injection; },
                       [](const DetectorContext& context) { return InjectionDetector::Create(context); }};
}

}  // namespace modelguard::guard
