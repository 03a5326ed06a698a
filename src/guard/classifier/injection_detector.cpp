// The classifier as a detector: the model scores the folded text and every decoded view; the best window
// anywhere is the detection.
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
  explicit InjectionDetector(std::shared_ptr<const InjectionModel> model) : model_(std::move(model)) {}

  void Examine(const DetectorInput& input, DetectorOutput& out) const override {
    const NormalizedText& normalized = input.normalized;
    double best = 0;
    Detection hit;
    auto score = [&](std::string_view folded, const std::string& view, auto span) {
      const auto scored = model_->Score(folded);
      if (scored.score > best) {
        best = scored.score;
        const auto [begin, end] = span(scored.begin, scored.end);
        hit = Detection{
            "injection_model", "model.injection", "injection", "", Verdict::kAllow, scored.score, begin, end, view};
      }
    };
    score(normalized.folded, "text", [&](size_t begin, size_t end) { return normalized.SourceRange(begin, end); });
    for (const auto& view : normalized.decoded) {
      score(view.text, view.kind, [&](size_t, size_t) {
        return std::pair<size_t, size_t>{view.source_begin, view.source_end};
      });
    }
    out.score = best;
    if (best < input.thresholds.flag) return;
    const bool enough_words = CountWords(normalized.folded) >= kMinWordsForModelBlock;
    hit.action = best >= input.thresholds.block && enough_words ? Verdict::kBlock : Verdict::kFlag;
    out.detections.push_back(std::move(hit));
  }

 private:
  std::shared_ptr<const InjectionModel> model_;
};

}  // namespace

DetectorEntry InjectionDetectorEntry() {
  DetectorInfo info;
  info.name = "injection_model";
  info.folder = "classifier";
  info.summary =
      "the prompt-injection/jailbreak classifier over sliding windows of the folded text and every decoded view; "
      "flags at the role's flag threshold, blocks at its block threshold (texts of 20 words or more)";
  info.categories = {"injection"};
  info.labels = {"model.injection"};
  info.option = "injection";
  return DetectorEntry{std::move(info), [](const GuardOptions& o) { return o.injection; },
                       [](const DetectorContext& context) -> Result<std::unique_ptr<const Detector>> {
                         return std::unique_ptr<const Detector>(std::make_unique<InjectionDetector>(context.model));
                       }};
}

}  // namespace modelguard::guard
