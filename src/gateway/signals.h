#pragma once
// The audit event's `signals`: numbers and categories a monitor can follow over time (token counts, refusals,
// answer length, tool calls, guard scores, a classifier's predicted class and confidence), read from what
// the gateway already holds, never the prompt's or the answer's text (docs/gateway.md, "Audit").
#include <cstddef>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/gateway/gateway.h"

namespace modelguard::gateway {

// A route's `signals:` settings, checked by the settings reader (unknown keys refused). `path` names the
// object in errors ("routes[0].signals"). Feature indices may be written as numbers; they are kept as their
// decimal text, which is how they are matched and recorded.
Result<SignalSettings> ReadSignalSettings(const nlohmann::json& value, const std::string& path);
const SettingsSchema& SignalSettingsSchema();

// Refusals are looked for in the answer's first bytes: a refusal opens the answer, and a bound keeps the cost
// flat however long the answer is.
inline constexpr size_t kRefusalWindow = 2048;

// The phrases, folded (FoldForRefusal), from the embedded list (src/gateway/refusal_phrases.txt).
const std::vector<std::string>& RefusalPhrases();
// Lower case for ASCII, Latin-1 letters and Cyrillic; typographic apostrophes and full-width commas as
// their ASCII forms; runs of white space as one space. Other bytes are kept as they are.
std::string FoldForRefusal(std::string_view text);
// Whether `text` (its first kRefusalWindow bytes) holds one of the phrases, case-insensitively.
bool LooksLikeRefusal(std::string_view text);

// The answer's text as far as the signals need it: its length and its first kRefusalWindow bytes.
class AnswerText {
 public:
  void Add(std::string_view piece);         // a message's content, a streamed delta: in order
  int64_t chars() const { return chars_; }  // UTF-8 characters (bytes that start one)
  uint64_t bytes() const { return bytes_; }
  bool LooksLikeRefusal() const { return gateway::LooksLikeRefusal(head_); }

 private:
  std::string head_;
  int64_t chars_ = 0;
  uint64_t bytes_ = 0;
};

// What the answer of an LLM route said, besides its text.
struct AnswerSignals {
  bool seen = false;                                        // an answer from the upstream was read
  std::optional<int64_t> prompt_tokens, completion_tokens;  // the upstream's usage
  int64_t tool_calls = 0;
  std::string finish_reason;   // the first one given; capped at kMaxCategoryBytes
  bool refusal_field = false;  // a choice's message carried a non-empty `refusal` (OpenAI's own marker)
  AnswerText text;
};
inline constexpr size_t kMaxCategoryBytes = 64;

// One event of an OpenAI-style stream, already parsed by the relay: deltas of text and tool calls, the
// finish reason, usage.
void ObserveStreamEvent(const nlohmann::json& event, AnswerSignals& signals);

// A classifier's answer, per row of its request (at most kMaxSignalRows rows are recorded; `rows` counts all).
inline constexpr size_t kMaxSignalRows = 64;
struct ClassifierSignals {
  size_t rows = 0;
  bool batch = false;                                  // the answer held a list of rows: the event then records lists
  std::vector<int64_t> predicted_class;                // -1: none could be read
  std::vector<std::optional<double>> top_probability;  // from the probabilities, when the answer gives them
  std::vector<std::optional<double>> margin;           // top minus second; absent with fewer than two classes
  // Per row, the configured input features: name or index -> value (null: not a number).
  std::vector<std::vector<std::pair<std::string, std::optional<double>>>> features;
  bool features_batch = false;  // the request held a list of rows
};

// The answer of a classifier route: `output_field` (one row of probabilities or a list of rows), or else
// `labels` / `label`. False when the body holds neither.
bool ReadClassifierAnswer(std::string_view body, const SignalSettings& settings, ClassifierSignals& out);
// The configured features of the request's `input_field`: one row (a list of numbers, or an object of name
// -> number) or a list of rows. `document` is the request's parsed body when the core built one (null
// otherwise: `body` is then parsed here, only when features are configured).
void ReadClassifierFeatures(const nlohmann::json& document, std::string_view body, const SignalSettings& settings,
                            ClassifierSignals& out);

// What a proxied request gathered for its signals, kept in the request's Outcome.
struct Signals {
  bool enabled = false;  // the route records signals
  bool llm = false;      // an OpenAI-style route: token counts are recorded
  AnswerSignals answer;
  bool classifier = false;
  ClassifierSignals classes;
};

}  // namespace modelguard::gateway
