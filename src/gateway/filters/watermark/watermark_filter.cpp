#include "src/gateway/filters/watermark/watermark_filter.h"

#include <cmath>
#include <cstdio>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <vector>

#include "modelguard/core/json_fields.h"
#include "modelguard/watermark/tokenizer.h"
#include "modelguard/watermark/watermark.h"

namespace modelguard::gateway {
namespace {

constexpr const char* kName = "watermark";
constexpr const char* kHeader = "X-Modelguard-Watermark";
// An answer is the upstream's JSON: counted before it is built, so a hostile upstream cannot make the
// document huge or deep (chat answers nest about six levels).
constexpr JsonLimits kAnswerLimits{.max_values = uint64_t{1} << 20, .max_depth = 32};

// The text of an answer's first choice: chat (message.content as a string or as parts with "text") or
// completions (text). Only the first choice: with n > 1 each choice is its own text with its own score,
// and the first stands for the answer.
void AppendChoiceText(const nlohmann::json& choice, const char* message_member, std::string& out) {
  if (!choice.is_object()) return;
  if (const auto text = choice.find("text"); text != choice.end() && text->is_string()) {
    out += text->get_ref<const std::string&>();
    return;
  }
  const auto message = choice.find(message_member);
  if (message == choice.end() || !message->is_object()) return;
  const auto content = message->find("content");
  if (content == message->end()) return;
  if (content->is_string()) {
    out += content->get_ref<const std::string&>();
  } else if (content->is_array()) {
    for (const auto& part : *content) {
      if (!part.is_object()) continue;
      const auto text = part.find("text");
      if (text != part.end() && text->is_string()) out += text->get_ref<const std::string&>();
    }
  }
}

void AppendFirstChoiceText(const nlohmann::json& answer, const char* message_member, std::string& out) {
  if (!answer.is_object()) return;
  const auto choices = answer.find("choices");
  if (choices == answer.end() || !choices->is_array()) return;
  for (const auto& choice : *choices) {
    if (!choice.is_object()) continue;
    const auto index = choice.find("index");
    // Streams number their choices; a whole answer lists them in order.
    if (index != choice.end() && !(index->is_number_integer() && index->get<int64_t>() == 0)) continue;
    AppendChoiceText(choice, message_member, out);
    return;
  }
}

// A streamed answer's text so far, bounded.
struct StreamText {
  std::string text;
  bool complete = true;
};

class WatermarkFilter final : public Filter {
 public:
  WatermarkFilter(std::shared_ptr<const watermark::Tokenizer> tokenizer, watermark::Scheme scheme, double z_threshold,
                  bool ignore_repeated_bigrams, size_t max_answer_bytes, bool header, size_t cache_bytes)
      : tokenizer_(std::move(tokenizer)),
        scheme_(scheme),
        z_threshold_(z_threshold),
        ignore_repeated_bigrams_(ignore_repeated_bigrams),
        max_answer_bytes_(max_answer_bytes),
        header_(header),
        cache_bytes_(cache_bytes) {}
  const char* name() const override { return kName; }
  bool reads_document() const override { return false; }

  std::optional<Answer> OnRequest(RequestContext& request) override {
    if (request.stream) request.filter_state[kName] = std::make_shared<StreamText>();
    return std::nullopt;
  }

  std::optional<Answer> OnStreamEvent(RequestContext& request, StreamEvent& event) override {
    auto state = request.filter_state.find(kName);
    if (state == request.filter_state.end() || event.data.empty() || event.data == "[DONE]") return std::nullopt;
    auto& stream = *std::static_pointer_cast<StreamText>(state->second);
    if (!stream.complete) return std::nullopt;
    if (auto json = ParseJsonWithinLimits(event.data, kAnswerLimits))
      AppendFirstChoiceText(*json, "delta", stream.text);
    Bound(stream.text, stream.complete);
    return std::nullopt;
  }

  void OnResponse(RequestContext& request, ResponseContext& response) override {
    if (response.status >= 300) return;
    std::string text;
    bool complete = true;
    if (response.streamed) {
      auto state = request.filter_state.find(kName);
      if (state == request.filter_state.end()) return;
      auto& stream = *std::static_pointer_cast<StreamText>(state->second);
      text = std::move(stream.text);
      complete = stream.complete;
    } else {
      if (auto json = ParseJsonWithinLimits(response.body, kAnswerLimits))
        AppendFirstChoiceText(*json, "message", text);
      Bound(text, complete);
    }
    if (text.empty()) return;
    auto tokens = tokenizer_->Encode(text);
    if (!tokens) {
      // Cut inside a character by the bound, or not UTF-8 at all: the score says nothing rather than lie.
      request.verdicts[kName] = FilterVerdict::Flag("untokenizable_answer");
      return;
    }
    std::vector<uint64_t> ids(tokens->begin(), tokens->end());
    watermark::DetectOptions options;
    options.z_threshold = z_threshold_;
    options.window = 0;
    options.ignore_repeated_bigrams = ignore_repeated_bigrams_;
    std::unique_ptr<watermark::GreenLists> lists = TakeLists();
    auto detection = watermark::Detect(*lists, ids, options);
    GiveBack(std::move(lists));
    if (!detection) {
      // A token id past the configured vocabulary: the settings do not fit this tokenizer.
      request.verdicts[kName] = FilterVerdict::Flag("unscorable_answer");
      return;
    }
    if (detection->scored == 0) return;
    WatermarkScore score;
    score.scored = detection->scored;
    score.green = detection->green;
    score.z = detection->z;
    score.p_value = detection->p_value;
    score.detected = detection->z >= z_threshold_;
    score.complete = complete;
    request.watermark = score;
    if (header_ && !response.streamed) {
      char value[160];
      std::snprintf(value, sizeof value, "z=%.4f; p=%.3g; green=%llu; scored=%llu; detected=%s%s", score.z,
                    score.p_value, static_cast<unsigned long long>(score.green),
                    static_cast<unsigned long long>(score.scored), score.detected ? "true" : "false",
                    complete ? "" : "; partial=true");
      response.headers[kHeader] = value;
    }
  }

 private:
  void Bound(std::string& text, bool& complete) const {
    if (text.size() <= max_answer_bytes_) return;
    // Cut at a character boundary: the tokenizer refuses a broken one.
    size_t cut = max_answer_bytes_;
    while (cut > 0 && (static_cast<unsigned char>(text[cut]) & 0xC0) == 0x80) --cut;
    text.resize(cut);
    complete = false;
  }

  // Green lists cache their splits (one split costs a permutation of the vocabulary), and are not
  // thread-safe: a pool, one list per concurrent scorer, kept between answers.
  std::unique_ptr<watermark::GreenLists> TakeLists() {
    std::lock_guard lock(pool_mutex_);
    if (pool_.empty()) return std::make_unique<watermark::GreenLists>(scheme_, cache_bytes_);
    auto lists = std::move(pool_.back());
    pool_.pop_back();
    return lists;
  }
  void GiveBack(std::unique_ptr<watermark::GreenLists> lists) {
    std::lock_guard lock(pool_mutex_);
    pool_.push_back(std::move(lists));
  }

  const std::shared_ptr<const watermark::Tokenizer> tokenizer_;
  const watermark::Scheme scheme_;
  const double z_threshold_;
  const bool ignore_repeated_bigrams_;
  const size_t max_answer_bytes_;
  const bool header_;
  const size_t cache_bytes_;
  std::mutex pool_mutex_;
  std::vector<std::unique_ptr<watermark::GreenLists>> pool_;
};

Result<std::shared_ptr<Filter>> Create(const Settings& settings, const FilterEnvironment&) {
  std::optional<watermark::SplitPattern> pattern;
  if (settings.Has("split_pattern")) {
    auto parsed = watermark::ParseSplitPattern(settings.String("split_pattern"));
    if (!parsed) return settings.Invalid("split_pattern", parsed.error().message);
    pattern = *parsed;
  }
  auto tokenizer = pattern ? watermark::Tokenizer::Load(settings.String("tokenizer"), *pattern)
                           : watermark::Tokenizer::Load(settings.String("tokenizer"));
  if (!tokenizer) return settings.Invalid("tokenizer", tokenizer.error().message);
  watermark::Scheme scheme;
  scheme.vocab_size = settings.Has("vocab_size") ? static_cast<uint64_t>(settings.Integer("vocab_size"))
                                                 : static_cast<uint64_t>(tokenizer->vocab_size());
  if (scheme.vocab_size < tokenizer->vocab_size())
    return settings.Invalid("vocab_size", "smaller than the tokenizer's vocabulary (" +
                                              std::to_string(tokenizer->vocab_size()) + " tokens)");
  scheme.gamma = settings.Number("gamma");
  scheme.hash_key = static_cast<uint64_t>(settings.Integer("hash_key"));
  if (Status checked = watermark::Check(scheme); !checked) return settings.Invalid("", checked.error().message);
  return std::shared_ptr<Filter>(std::make_shared<WatermarkFilter>(
      std::make_shared<const watermark::Tokenizer>(std::move(*tokenizer)), scheme, settings.Number("z_threshold"),
      settings.Bool("ignore_repeated_bigrams"), static_cast<size_t>(settings.Integer("max_answer_bytes")),
      settings.Bool("header"), static_cast<size_t>(settings.Integer("cache_mib")) << 20));
}

}  // namespace

const FilterDescriptor& WatermarkFilterDescriptor() {
  static const FilterDescriptor descriptor{
      kName,
      "Scores answers for a green-list watermark (Kirchenbauer et al. 2023) with the model's tokenizer: the "
      "z-score goes to the audit event and, on whole answers, to the `X-Modelguard-Watermark` header.",
      {
          {.key = "tokenizer",
           .type = SettingType::kString,
           .doc = "the model's tokenizer: a Hugging Face `tokenizer.json` (byte-level BPE) or a `.tiktoken` file",
           .required = true},
          {.key = "split_pattern",
           .type = SettingType::kString,
           .doc = "a `.tiktoken` file's pre-tokenizer, when its size does not tell (a `tokenizer.json` names its own)",
           .allowed = {"gpt2", "r50k", "p50k", "cl100k", "llama3", "qwen2"}},
          {.key = "vocab_size",
           .type = SettingType::kInteger,
           .doc = "vocabulary size of the watermarking scheme (models pad theirs, e.g. OPT 50272); default: the "
                  "tokenizer's",
           .min = 1,
           .max = static_cast<double>(watermark::kMaxVocabulary)},
          {.key = "gamma",
           .type = SettingType::kNumber,
           .doc = "green share of the vocabulary, as the generator used it",
           .default_value = 0.25,
           .min = 0.001,
           .max = 0.999},
          {.key = "hash_key",
           .type = SettingType::kInteger,
           .doc = "the scheme's key (the reference implementation's default)",
           .default_value = static_cast<int64_t>(watermark::kReferenceHashKey),
           .min = 0},
          {.key = "z_threshold",
           .type = SettingType::kNumber,
           .doc = "z-score from which an answer counts as watermarked",
           .default_value = 4.0,
           .min = 0},
          {"ignore_repeated_bigrams", SettingType::kBool, "score each (previous, token) pair once", false},
          {.key = "max_answer_bytes",
           .type = SettingType::kInteger,
           .doc = "bytes of an answer's text scored; a longer answer's score covers its start (`complete`: false)",
           .default_value = 262144,
           .min = 1,
           .max = 16777216},
          {"header", SettingType::kBool, "add the `X-Modelguard-Watermark` header to whole answers", true},
          {.key = "cache_mib",
           .type = SettingType::kInteger,
           .doc = "memory per scoring thread for cached green lists",
           .default_value = 16,
           .min = 1,
           .max = 4096},
      },
      Create};
  return descriptor;
}

}  // namespace modelguard::gateway
