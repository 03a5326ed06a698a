#include "src/gateway/signals.h"

#include <algorithm>
#include <bitset>
#include <cmath>

namespace modelguard::gateway {
namespace {

// The phrase list ships inside the binary (cmake: modelguard_embed), so the gateway works from any directory.
constexpr std::string_view kRefusalPhrases =
#include "refusal_phrases.inc"
    ;

const nlohmann::json* Member(const nlohmann::json& object, const char* name) {
  if (!object.is_object()) return nullptr;
  auto it = object.find(name);
  return it == object.end() ? nullptr : &*it;
}

const std::string* StringMember(const nlohmann::json& object, const char* name) {
  const nlohmann::json* value = Member(object, name);
  return value && value->is_string() ? &value->get_ref<const std::string&>() : nullptr;
}

std::optional<int64_t> IntegerMember(const nlohmann::json* object, const char* name) {
  if (!object) return std::nullopt;
  const nlohmann::json* value = Member(*object, name);
  if (!value || !value->is_number_integer()) return std::nullopt;
  return value->get<int64_t>();
}

bool IsIndex(std::string_view name) {
  return !name.empty() && name.size() <= 9 &&
         std::all_of(name.begin(), name.end(), [](char c) { return c >= '0' && c <= '9'; });
}

std::optional<double> Number(const nlohmann::json& value) {
  if (!value.is_number()) return std::nullopt;
  return value.get<double>();
}

// One row's features as configured: a list row by index, an object row by name.
std::vector<std::pair<std::string, std::optional<double>>> RowFeatures(const nlohmann::json& row,
                                                                       const SignalSettings& settings) {
  std::vector<std::pair<std::string, std::optional<double>>> out;
  if (settings.all_features) {
    if (row.is_array()) {
      for (size_t i = 0; i < row.size() && out.size() < settings.max_features; ++i)
        out.emplace_back(std::to_string(i), Number(row[i]));
    } else if (row.is_object()) {
      // A client names the members: a name is recorded only as far as a category is.
      for (auto it = row.begin(); it != row.end() && out.size() < settings.max_features; ++it)
        out.emplace_back(it.key().substr(0, kMaxCategoryBytes), Number(it.value()));
    }
    return out;
  }
  for (const auto& name : settings.features) {
    if (out.size() >= settings.max_features) break;
    std::optional<double> value;
    if (row.is_array() && IsIndex(name)) {
      const size_t index = std::stoul(name);
      if (index < row.size()) value = Number(row[index]);
    } else if (const nlohmann::json* member = Member(row, name.c_str())) {
      value = Number(*member);
    }
    out.emplace_back(name, value);
  }
  return out;
}

}  // namespace

const SettingsSchema& SignalSettingsSchema() {
  static const SettingsSchema schema = {
      {"enabled", SettingType::kBool, "record the scalar signals (tokens, refusal, answer length, classes...)", true},
      {"features",
       SettingType::kStringList,
       "classifier input features to record: names (object rows), indices (list rows), or `all`",
       nlohmann::json::array(),
       {},
       0,
       1024},
      {"max_features",
       SettingType::kInteger,
       "most features recorded per row (with `all`, the first ones)",
       64,
       {},
       1,
       1024},
      {"input_field", SettingType::kString, "the classifier request's field with one row or a list of rows", "inputs"},
      {"output_field", SettingType::kString, "the classifier answer's field with one row or a list of rows of scores",
       "probabilities"},
  };
  return schema;
}

Result<SignalSettings> ReadSignalSettings(const nlohmann::json& value, const std::string& path) {
  nlohmann::json given = value;
  // YAML and JSON write indices as numbers: a list of names and indices is read as its text.
  if (given.is_object()) {
    if (auto features = given.find("features"); features != given.end() && features->is_array()) {
      for (auto& item : *features) {
        if (item.is_number_unsigned() || (item.is_number_integer() && item.get<int64_t>() >= 0))
          item = std::to_string(item.get<uint64_t>());
      }
    }
  }
  MG_ASSIGN_OR_RETURN(const Settings settings, Settings::Read(SignalSettingsSchema(), given, path));
  SignalSettings out;
  out.enabled = settings.Bool("enabled");
  out.max_features = static_cast<size_t>(settings.Integer("max_features"));
  out.input_field = settings.String("input_field");
  out.output_field = settings.String("output_field");
  for (auto& name : settings.Strings("features")) {
    if (name == "all") {
      out.all_features = true;
    } else if (name.empty() || name.size() > kMaxCategoryBytes) {
      return settings.Invalid("features",
                              "a feature name of 1 to " + std::to_string(kMaxCategoryBytes) + " bytes is expected");
    } else {
      out.features.push_back(std::move(name));
    }
  }
  if (out.all_features && !out.features.empty())
    return settings.Invalid("features", "`all` records every feature: list no names with it");
  if (out.features.size() > out.max_features)
    return settings.Invalid("features", "more features than max_features (" + std::to_string(out.max_features) + ")");
  return out;
}

namespace {

// Folds into `out` (replaced), so a caller can keep one buffer. No rule makes the text longer, so the output
// is written into a buffer of the input's size and cut to length at the end.
void FoldInto(std::string& out, std::string_view text) {
  out.resize(text.size());
  char* const begin = out.data();
  char* w = begin;
  const size_t n = text.size();
  const auto byte = [&](size_t i) -> unsigned { return i < n ? static_cast<unsigned char>(text[i]) : 0u; };
  for (size_t i = 0; i < n; ++i) {
    const unsigned c = static_cast<unsigned char>(text[i]);
    if (c < 0x80) {  // ASCII, nearly every byte of most answers
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        if (w == begin || w[-1] != ' ') *w++ = ' ';
      } else {
        *w++ = static_cast<char>(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
      }
    } else if (c == 0xC2 && byte(i + 1) == 0xA0) {  // no-break space
      ++i;
      if (w == begin || w[-1] != ' ') *w++ = ' ';
    } else if (c == 0xC3 && byte(i + 1) >= 0x80 && byte(i + 1) <= 0x9E && byte(i + 1) != 0x97) {
      *w++ = '\xC3';  // À..Þ (not ×) -> à..þ
      *w++ = static_cast<char>(byte(++i) + 0x20);
    } else if (c == 0xD0 && byte(i + 1) >= 0x80 && byte(i + 1) <= 0xAF) {
      const unsigned next = byte(++i);  // Cyrillic capitals: Ѐ..Џ -> ѐ..џ, А..П -> а..п, Р..Я -> р..я
      *w++ = next >= 0x90 && next < 0xA0 ? '\xD0' : '\xD1';
      *w++ = static_cast<char>(next < 0x90 ? next + 0x10 : next < 0xA0 ? next + 0x20 : next - 0x20);
    } else if (c == 0xE2 && byte(i + 1) == 0x80 && (byte(i + 2) == 0x98 || byte(i + 2) == 0x99)) {
      *w++ = '\'';  // ‘ ’
      i += 2;
    } else if (c == 0xCA && byte(i + 1) == 0xBC) {
      *w++ = '\'';  // ʼ
      ++i;
    } else if (c == 0xEF && byte(i + 1) == 0xBC && byte(i + 2) == 0x8C) {
      *w++ = ',';  // ，
      i += 2;
    } else {
      *w++ = static_cast<char>(c);
    }
  }
  out.resize(static_cast<size_t>(w - begin));
}

// The phrases by their first two bytes: one pass over the text looks up each position in a bitmap and
// compares only the few phrases that start there, instead of searching the text once per phrase.
struct PhraseIndex {
  std::vector<uint16_t> keys;               // sorted
  std::vector<const std::string*> phrases;  // parallel to keys
  std::bitset<65536> starts;
};

uint16_t PairKey(const char* at) {
  return static_cast<uint16_t>((static_cast<unsigned char>(at[0]) << 8) | static_cast<unsigned char>(at[1]));
}

const PhraseIndex& Index() {
  static const PhraseIndex index = [] {
    std::vector<std::pair<uint16_t, const std::string*>> entries;
    for (const auto& phrase : RefusalPhrases()) {
      if (phrase.size() >= 2) entries.emplace_back(PairKey(phrase.data()), &phrase);
    }
    std::sort(entries.begin(), entries.end());
    PhraseIndex built;
    for (const auto& [key, phrase] : entries) {
      built.keys.push_back(key);
      built.phrases.push_back(phrase);
      built.starts.set(key);
    }
    return built;
  }();
  return index;
}

}  // namespace

std::string FoldForRefusal(std::string_view text) {
  std::string out;
  FoldInto(out, text);
  return out;
}

const std::vector<std::string>& RefusalPhrases() {
  static const std::vector<std::string> phrases = [] {
    std::vector<std::string> list;
    std::string_view text = kRefusalPhrases;
    while (!text.empty()) {
      const size_t end = text.find('\n');
      std::string_view line = text.substr(0, end);
      text = end == std::string_view::npos ? std::string_view() : text.substr(end + 1);
      while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.remove_suffix(1);
      if (line.empty() || line.front() == '#') continue;
      list.push_back(FoldForRefusal(line));
    }
    return list;
  }();
  return phrases;
}

bool LooksLikeRefusal(std::string_view text) {
  thread_local std::string folded;  // the window folded; kept per thread so a request allocates nothing
  FoldInto(folded, text.substr(0, kRefusalWindow));
  const PhraseIndex& index = Index();
  // Phrases start at a word: a position is looked up only after a byte that ends no word, or where a CJK
  // character starts (those scripts put no space between words).
  bool in_word = false;
  for (size_t i = 0; i + 1 < folded.size(); ++i) {
    const unsigned c = static_cast<unsigned char>(folded[i]);
    const bool starts = !in_word || c >= 0xE0;
    in_word = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '\'' || c >= 0x80;
    if (!starts) continue;
    const uint16_t key = PairKey(folded.data() + i);
    if (!index.starts[key]) continue;
    const auto [first, last] = std::equal_range(index.keys.begin(), index.keys.end(), key);
    for (auto k = first; k != last; ++k) {
      const std::string& phrase = *index.phrases[static_cast<size_t>(k - index.keys.begin())];
      if (folded.compare(i, phrase.size(), phrase) == 0) return true;
    }
  }
  return false;
}

void AnswerText::Add(std::string_view piece) {
  bytes_ += piece.size();
  for (const char c : piece) chars_ += (static_cast<unsigned char>(c) & 0xC0) != 0x80;
  if (head_.size() < kRefusalWindow) head_.append(piece.substr(0, kRefusalWindow - head_.size()));
}

void ObserveStreamEvent(const nlohmann::json& event, AnswerSignals& signals) {
  if (!event.is_object()) return;
  if (const nlohmann::json* choices = Member(event, "choices"); choices && choices->is_array()) {
    for (const auto& choice : *choices) {
      if (!choice.is_object()) continue;
      if (const nlohmann::json* delta = Member(choice, "delta"); delta && delta->is_object()) {
        if (const std::string* content = StringMember(*delta, "content")) signals.text.Add(*content);
        if (const std::string* refusal = StringMember(*delta, "refusal"); refusal && !refusal->empty())
          signals.refusal_field = true;
        // A call's first delta carries its id; the deltas after it add to its arguments.
        if (const nlohmann::json* calls = Member(*delta, "tool_calls"); calls && calls->is_array()) {
          for (const auto& call : *calls) {
            if (const std::string* id = StringMember(call, "id"); id && !id->empty()) ++signals.tool_calls;
          }
        }
        if (const nlohmann::json* call = Member(*delta, "function_call"); call && StringMember(*call, "name"))
          ++signals.tool_calls;
      }
      if (const std::string* text = StringMember(choice, "text")) signals.text.Add(*text);
      if (const std::string* reason = StringMember(choice, "finish_reason"); reason && signals.finish_reason.empty())
        signals.finish_reason = reason->substr(0, kMaxCategoryBytes);
    }
  }
  // Responses API streams: text deltas, and usage in the final event's response.
  if (const std::string* delta = StringMember(event, "delta")) signals.text.Add(*delta);
  const nlohmann::json* usage = Member(event, "usage");
  if (!usage || !usage->is_object()) {
    const nlohmann::json* response = Member(event, "response");
    usage = response ? Member(*response, "usage") : nullptr;
  }
  if (usage && usage->is_object()) {
    if (auto n = IntegerMember(usage, "prompt_tokens")) signals.prompt_tokens = n;
    if (auto n = IntegerMember(usage, "input_tokens")) signals.prompt_tokens = n;
    if (auto n = IntegerMember(usage, "completion_tokens")) signals.completion_tokens = n;
    if (auto n = IntegerMember(usage, "output_tokens")) signals.completion_tokens = n;
  }
}

namespace {

// A classifier's answer read as events, without a document: a 64 MB answer on a `json` route costs a pass,
// not a tree. It reads what ReadClassifierAnswer documents, with the document's rules: the last of duplicate
// keys counts, a row's class is the index of its highest number (other items count as positions), the
// first item of the scores decides between one row and a list of rows.
class ClassifierAnswerEvents final : public nlohmann::json::json_sax_t {
 public:
  explicit ClassifierAnswerEvents(const std::string& field) : field_(field) {}

  bool null() override { return Item(std::nullopt, std::nullopt, false); }
  bool boolean(bool) override { return Item(std::nullopt, std::nullopt, false); }
  bool number_integer(number_integer_t v) override { return Item(static_cast<double>(v), v, false); }
  bool number_unsigned(number_unsigned_t v) override {
    return Item(static_cast<double>(v), static_cast<int64_t>(v), false);  // as the document's get<int64_t>()
  }
  bool number_float(number_float_t v, const string_t&) override { return Item(v, std::nullopt, false); }
  bool string(string_t&) override { return Item(std::nullopt, std::nullopt, false); }
  bool binary(binary_t&) override { return Item(std::nullopt, std::nullopt, false); }
  bool start_object(std::size_t) override {
    if (depth_ == 0) root_object_ = true;
    Item(std::nullopt, std::nullopt, false);
    ++depth_;
    return true;
  }
  bool key(string_t& name) override {
    if (depth_ == 1)
      member_ = name == field_ ? kScores : name == "labels" ? kLabels : name == "label" ? kLabel : kOther;
    return true;
  }
  bool end_object() override {
    --depth_;
    return true;
  }
  bool start_array(std::size_t) override {
    Item(std::nullopt, std::nullopt, true);
    ++depth_;
    return true;
  }
  bool end_array() override {
    --depth_;
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) override { return false; }

  bool Result(ClassifierSignals& out) const {
    if (!root_object_) return false;
    if (scores_is_array_ && scores_items_ > 0) {
      out.batch = !single_;
      out.rows = single_ ? 1 : rows_total_;
      for (const Row& row : rows_) {
        out.predicted_class.push_back(row.best);
        out.top_probability.push_back(row.numbers ? std::optional<double>(row.top) : std::nullopt);
        out.margin.push_back(row.numbers >= 2 ? std::optional<double>(row.top - row.second) : std::nullopt);
      }
      return true;
    }
    if (labels_seen_ || label_seen_) {
      const bool list = labels_seen_ ? labels_is_array_ : false;
      out.batch = list;
      out.rows = list ? labels_total_ : 1;
      if (list) {
        out.predicted_class = labels_;
      } else {
        out.predicted_class = {labels_seen_ ? labels_scalar_ : label_};
      }
      out.top_probability.assign(out.predicted_class.size(), std::nullopt);
      out.margin.assign(out.predicted_class.size(), std::nullopt);
      return true;
    }
    return false;
  }

 private:
  enum Member { kOther, kScores, kLabels, kLabel };
  struct Row {
    int64_t best = -1;
    double top = -INFINITY, second = -INFINITY;
    size_t numbers = 0;
  };
  static void Add(Row& row, size_t index, std::optional<double> number) {
    if (!number) return;
    ++row.numbers;
    if (*number > row.top) {
      row.second = row.top;
      row.top = *number;
      row.best = static_cast<int64_t>(index);
    } else if (*number > row.second) {
      row.second = *number;
    }
  }
  // A value (a scalar, or an object or list as it opens) at the current depth.
  bool Item(std::optional<double> number, std::optional<int64_t> integer, bool list) {
    if (!root_object_ || depth_ == 0) return true;
    if (member_ == kScores) {
      if (depth_ == 1) {  // the member itself: a later duplicate replaces an earlier one
        scores_is_array_ = list;
        scores_items_ = rows_total_ = 0;
        rows_.clear();
        single_ = false;
      } else if (depth_ == 2 && scores_is_array_) {
        if (scores_items_++ == 0) single_ = number.has_value();
        if (single_) {
          if (rows_.empty()) rows_.emplace_back();
          Add(rows_[0], scores_items_ - 1, number);
        } else {
          ++rows_total_;
          if (rows_.size() < kMaxSignalRows) rows_.emplace_back();
          row_is_array_ = list && rows_total_ <= kMaxSignalRows;
          row_items_ = 0;
        }
      } else if (depth_ == 3 && scores_is_array_ && !single_ && row_is_array_) {
        Add(rows_.back(), row_items_++, number);
      }
    } else if (member_ == kLabels) {
      if (depth_ == 1) {
        labels_seen_ = true;
        labels_is_array_ = list;
        labels_scalar_ = integer.value_or(-1);
        labels_.clear();
        labels_total_ = 0;
      } else if (depth_ == 2 && labels_is_array_) {
        if (labels_total_++ < kMaxSignalRows) labels_.push_back(integer.value_or(-1));
      }
    } else if (member_ == kLabel && depth_ == 1) {
      label_seen_ = true;
      label_ = integer.value_or(-1);
    }
    return true;
  }

  const std::string& field_;
  size_t depth_ = 0;
  bool root_object_ = false;
  Member member_ = kOther;
  bool scores_is_array_ = false, single_ = false, row_is_array_ = false;
  size_t scores_items_ = 0, rows_total_ = 0, row_items_ = 0;
  std::vector<Row> rows_;
  bool labels_seen_ = false, labels_is_array_ = false, label_seen_ = false;
  int64_t labels_scalar_ = -1, label_ = -1;
  size_t labels_total_ = 0;
  std::vector<int64_t> labels_;
};

}  // namespace

bool ReadClassifierAnswer(std::string_view body, const SignalSettings& settings, ClassifierSignals& out) {
  ClassifierAnswerEvents events(settings.output_field);
  if (!nlohmann::json::sax_parse(body.begin(), body.end(), &events)) return false;
  return events.Result(out);
}

void ReadClassifierFeatures(const nlohmann::json& document, std::string_view body, const SignalSettings& settings,
                            ClassifierSignals& out) {
  if (settings.features.empty() && !settings.all_features) return;
  nlohmann::json parsed;
  const nlohmann::json* request = &document;
  if (!document.is_object()) {
    parsed = nlohmann::json::parse(body, nullptr, false);
    request = &parsed;
  }
  const nlohmann::json* inputs = Member(*request, settings.input_field.c_str());
  if (!inputs) return;
  // One row: an object, or a list whose first item is no row itself. A list of rows otherwise.
  const bool single =
      inputs->is_object() ||
      (inputs->is_array() && (inputs->empty() || (!(*inputs)[0].is_array() && !(*inputs)[0].is_object())));
  if (single) {
    out.features.push_back(RowFeatures(*inputs, settings));
    return;
  }
  if (!inputs->is_array()) return;
  out.features_batch = true;
  for (size_t r = 0; r < inputs->size() && r < kMaxSignalRows; ++r)
    out.features.push_back(RowFeatures((*inputs)[r], settings));
}

}  // namespace modelguard::gateway
