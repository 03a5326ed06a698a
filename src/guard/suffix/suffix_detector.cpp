// Adversarial suffixes (GCG-style, Zou et al. 2023, and random-search strings, Andriushchenko et al. 2024):
// the optimiser appends a run of tokens chosen for their effect on the target model, not for meaning, so the
// run is far less probable under a model of natural text than anything a person writes. Scoring text by
// language-model perplexity and flagging improbable stretches is the filter studied by Alon & Kamfonas 2023
// ("Detecting Language Model Attacks with Perplexity") and by Jain et al. 2023 ("Baseline Defenses for
// Adversarial Attacks Against Aligned Language Models"), who note its weakness: whole-text perplexity also
// rises on code, non-English text and other benign-but-unusual inputs, and an averaged score dilutes a short
// suffix behind a long prompt. Here the model is a small character model (suffix_model.h), the score is the
// mean cost of fixed 24-byte windows, so a suffix is judged on its own bytes, and text that is improbable
// for a good reason is excluded before scoring (Gate below): code lines and fenced blocks, tables, JSON,
// markup and LaTeX, lines in other languages, inline code and maths, URLs, e-mail addresses, paths,
// base64/hex blobs, hashes and identifiers, and every token with non-ASCII bytes (non-Latin scripts; the
// normalisation's decoders handle encodings). Names and foreign words are improbable as well, but made of
// letters: a window also needs two anomalies (a costly symbol or a case hump).
// scripts/guard/suffix_reference.py mirrors this file for tuning; keep the two in step.
#include <algorithm>
#include <cmath>

#include "modelguard/core/bytes.h"
#include "src/guard/detector.h"
#include "src/guard/suffix/suffix_model.h"

namespace modelguard::guard {
namespace {

// Thresholds on a window's mean cost in bits per byte, chosen on the train split (docs/guard.md): natural
// prose peaks at 4.95 there, code that slips through the gates at 5.6; generated suffixes have a median
// near 7.3 (their wordiest family 5.9). A run whose peak reaches kFlagBits is flagged; kBlockBits, blocked.
constexpr double kFlagBits = 5.25;
constexpr double kBlockBits = 7.5;
// An upper-case letter straight after a lower-case one ("similarlyNow") costs this much more (the model
// itself folds case).
constexpr unsigned kCaseHumpCost = 3 * kSuffixScale;
constexpr size_t kMaxRuns = 8;
// Tokens at the edges of a run that cost less than this per byte are ordinary words around the suffix.
constexpr double kTrimBits = 4.0;
constexpr size_t kMaxInlineSpan = 80;
constexpr size_t kMaxLatexSpan = 200;
constexpr size_t kMaxLatexName = 32;
// A window must also hold this many anomalies, a punctuation or symbol byte costing kSpikeCost or more or a
// case hump: rare names and foreign words are improbable too, but made of letters.
constexpr size_t kMinAnomalies = 2;
constexpr unsigned kSpikeCost = 8 * kSuffixScale;

bool IsSpace(unsigned char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool IsLetter(unsigned char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
bool IsDigit(unsigned char c) { return c >= '0' && c <= '9'; }
bool IsWordChar(unsigned char c) { return IsLetter(c) || IsDigit(c) || c == '_' || c == '$'; }
bool IsPathChar(unsigned char c) {
  return IsLetter(c) || IsDigit(c) || c == '_' || c == '.' || c == '~' || c == '%' || c == '+' || c == '-';
}
bool IsBlobChar(unsigned char c) {
  return IsLetter(c) || IsDigit(c) || c == '+' || c == '/' || c == '=' || c == '_' || c == '-';
}
bool IsIdChar(unsigned char c) { return IsLetter(c) || IsDigit(c) || c == '.' || c == '_' || c == ':' || c == '-'; }

size_t Count(std::string_view s, std::string_view what) {  // non-overlapping
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string_view::npos; at = s.find(what, at + what.size())) ++n;
  return n;
}

bool Contains(std::string_view s, std::string_view what) { return s.find(what) != std::string_view::npos; }

// Lines that open like code. Case-sensitive: prose starts with "Create", "Select", "Update"; code keywords
// are lower case (SQL's upper).
bool CodeStart(std::string_view t) {
  static constexpr std::string_view kPrefixes[] = {"#include", "#define", "#!", "//", "/*"};
  static constexpr std::string_view kWords[] = {
      "def",     "class",     "import",   "from",   "return", "const",  "let",    "var",    "function", "public",
      "private", "protected", "static",   "elif",   "else",   "try",    "except", "async",  "await",    "package",
      "using",   "namespace", "template", "struct", "enum",   "fn",     "impl",   "pub",    "echo",     "sudo",
      "cd",      "ls",        "git",      "pip",    "npm",    "SELECT", "INSERT", "UPDATE", "DELETE",   "CREATE"};
  for (auto p : kPrefixes)
    if (t.starts_with(p)) return true;
  for (auto w : kWords) {
    if (!t.starts_with(w)) continue;
    if (t.size() == w.size()) return true;
    const char next = t[w.size()];
    if (next == ' ' || next == '\t' || next == '(' || next == ':') return true;
  }
  return false;
}

// A line where a quarter or more of the words carry non-ASCII letters is in another language than the
// model's (French, German, Turkish...): its unaccented words are improbable for a good reason too.
bool AccentedLine(std::string_view t) {
  size_t words = 0, accented = 0;
  for (size_t i = 0; i < t.size();) {
    while (i < t.size() && IsSpace(static_cast<unsigned char>(t[i]))) ++i;
    if (i == t.size()) break;
    bool non_ascii = false;
    for (; i < t.size() && !IsSpace(static_cast<unsigned char>(t[i])); ++i)
      non_ascii = non_ascii || static_cast<unsigned char>(t[i]) >= 0x80;
    ++words;
    accented += non_ascii;
  }
  return words > 0 && 4 * accented >= words;
}

bool LineGated(std::string_view line) {
  const std::string_view t = TrimAsciiSpace(line);
  if (line.starts_with("  ") || line.starts_with("\t")) return true;  // indented: code, or a nested list item
  if (Count(t, "\":") >= 2) return true;                              // JSON
  if (std::string_view(";{}),:").find(t.back()) != std::string_view::npos) {
    static constexpr std::string_view kMarkers[] = {
        "();", "){", ") {", "::",      "->",    "=>",    " = ",    " == ", "&&",
        "||",  "++", "+=",  "return ", "self.", "this.", "print(", "[i]",  "!= "};
    size_t markers = 0;
    for (auto m : kMarkers) markers += Count(t, m);
    if (markers >= 2) return true;
  }
  if (t.front() == '|' || Count(t, " | ") >= 2) return true;  // tables
  if ((t.front() == '{' || t.front() == '[' || t.front() == '"') && Contains(t, "\":")) return true;
  if (t.front() == '<' && Contains(t, ">")) return true;                                             // markup
  if (t.front() == '\\' && t.size() > 1 && IsLetter(static_cast<unsigned char>(t[1]))) return true;  // LaTeX
  if (AccentedLine(t)) return true;
  if (CodeStart(t)) return true;
  static constexpr std::string_view kHeaders[] = {
      "From:", "To:", "Cc:", "CC:", "Bcc:", "Subject:", "Date:", "Sent:", "Reply-To:"};  // e-mail headers
  for (auto h : kHeaders)
    if (t.starts_with(h)) return true;
  // Rules, separators and bare numbers: nothing a language model of prose can judge.
  return std::none_of(t.begin(), t.end(), [](char c) {
    const auto u = static_cast<unsigned char>(c);
    return IsLetter(u) || u >= 0x80;
  });
}

bool IsOption(std::string_view tok) {  // --flag, -x, --name=value
  size_t i = 0;
  if (i < tok.size() && tok[i] == '-')
    ++i;
  else
    return false;
  if (i < tok.size() && tok[i] == '-' && i + 1 < tok.size() && IsLetter(static_cast<unsigned char>(tok[i + 1]))) ++i;
  if (i >= tok.size() || !IsLetter(static_cast<unsigned char>(tok[i]))) return false;
  for (++i; i < tok.size(); ++i) {
    const auto c = static_cast<unsigned char>(tok[i]);
    if (c == '=') return true;
    if (!(IsLetter(c) || IsDigit(c) || c == '_' || c == '-')) return false;
  }
  return true;
}

bool IsPath(std::string_view tok) {
  if (tok.size() >= 2 && tok[1] == ':' && IsLetter(static_cast<unsigned char>(tok[0]))) tok.remove_prefix(2);
  if (tok.empty()) return false;
  size_t segments = 0;
  bool in_segment = false;
  for (char ch : tok) {
    const auto c = static_cast<unsigned char>(ch);
    if (c == '/' || c == '\\') {
      in_segment = false;
    } else if (IsPathChar(c)) {
      if (!in_segment) ++segments;
      in_segment = true;
    } else {
      return false;
    }
  }
  return segments >= 2;
}

bool IsRelativePath(std::string_view tok) {
  for (std::string_view p : {"../", "./", "~/", "/"}) {
    if (tok.starts_with(p)) return tok.size() > p.size() && IsPathChar(static_cast<unsigned char>(tok[p.size()]));
  }
  return false;
}

// x^2, _0^{57}, 47x), 3x+1=7: digits, operators and one- or two-letter variables.
bool IsMath(std::string_view tok) {
  if (tok.size() < 4) return false;  // "B2", "^{", "x^2": short enough for the model to judge
  constexpr std::string_view kOperators = "0123456789^_{}()+-*/=<>.,|\\";
  size_t letters = 0;
  bool numeric = false;
  bool command = false;  // inside a LaTeX command name (\int, \frac): not a variable
  char previous = 0;
  for (char ch : tok) {
    const auto c = static_cast<unsigned char>(ch);
    if (IsLetter(c)) {
      command = command || previous == '\\';
      if (!command && ++letters > 2) return false;
    } else if (kOperators.find(ch) != std::string_view::npos) {
      letters = 0;
      command = false;
      numeric = numeric || IsDigit(c) || c == '^' || c == '=';
    } else {
      return false;
    }
    previous = ch;
  }
  return numeric;
}

// ProxyFactoryBean, getElementById: a letter, lower-case letters, then two or more capitalised words, then
// digits. Glued suffix fragments rarely are this regular ("UkrainBrainziencyMAPibus").
bool IsCamelCaseName(std::string_view s) {
  size_t i = 1;
  if (s.empty() || !IsLetter(static_cast<unsigned char>(s[0]))) return false;
  auto lower = [&](size_t at) { return at < s.size() && s[at] >= 'a' && s[at] <= 'z'; };
  if (!lower(i)) return false;
  while (lower(i)) ++i;
  size_t words = 0;
  while (i < s.size() && s[i] >= 'A' && s[i] <= 'Z') {
    const size_t start = ++i;
    while (lower(i)) ++i;
    if (i == start) return false;
    ++words;
  }
  while (i < s.size() && IsDigit(static_cast<unsigned char>(s[i]))) ++i;
  return words >= 2 && i == s.size();
}

// An identifier chain (a.b, a::b), snake_case or a call (f(x)): code, not prose.
bool IsIdentifier(std::string_view tok) {
  const size_t paren = tok.find_first_of("([");
  const std::string_view head = tok.substr(0, paren);
  if (head.empty()) return false;
  size_t segments = 0;
  for (size_t i = 0; i < head.size();) {
    const size_t start = i;
    while (i < head.size() && head[i] != '.' && head[i] != ':') ++i;
    const std::string_view segment = head.substr(start, i - start);
    if (segment.empty()) return false;
    const auto first = static_cast<unsigned char>(segment[0]);
    if (!(IsLetter(first) || first == '_' || first == '$')) return false;
    if (!std::all_of(segment.begin(), segment.end(), [](char c) { return IsWordChar(static_cast<unsigned char>(c)); }))
      return false;
    ++segments;
    if (i == head.size()) break;
    while (i < head.size() && (head[i] == '.' || head[i] == ':')) ++i;
    if (i == head.size()) return false;  // a trailing separator leaves an empty segment
  }
  if (segments >= 2 || IsCamelCaseName(head)) return true;
  for (size_t i = 1; i + 1 < head.size(); ++i) {
    const auto before = static_cast<unsigned char>(head[i - 1]), after = static_cast<unsigned char>(head[i + 1]);
    if (head[i] == '_' && (IsLetter(before) || IsDigit(before)) && (IsLetter(after) || IsDigit(after))) return true;
  }
  if (Contains(head, "__")) return true;  // __dunder__
  if (paren == std::string_view::npos) return false;
  if (paren + 1 == tok.size()) return true;
  const auto next = static_cast<unsigned char>(tok[paren + 1]);
  return IsWordChar(next) || next == '"' || next == '\'' || next == ')';
}

bool IsStripChar(unsigned char c) {
  switch (c) {
    case '.':
    case ',':
    case ';':
    case ':':
    case '!':
    case '?':
    case '\'':
    case '"':
    case '(':
    case ')':
    case '[':
    case ']':
    case '{':
    case '}':
    case '<':
    case '>':
    case '*':
      return true;
    default:
      return false;
  }
}

bool IsEmoticon(std::string_view tok) {
  static constexpr std::string_view kEmoticons[] = {":)",  ":-)", ":(",  ":-(", ";)", ";-)", ":D",  ":-D", ":P", ":-P",
                                                    ":p",  ":-p", "<3",  "xD",  "XD", ":/",  ":-/", ":'(", "^^", "^_^",
                                                    "o_O", "O_o", "-_-", ":O",  ":o", ":3",  "=)",  "(:",  "):"};
  return std::find(std::begin(kEmoticons), std::end(kEmoticons), tok) != std::end(kEmoticons);
}

bool TokenGated(std::string_view tok) {
  // Most tokens are words: letters, the first perhaps upper case, then perhaps punctuation. Of the rules below
  // only a run of one repeated letter can gate such a token.
  size_t word = 0;
  while (word < tok.size() &&
         (word == 0 ? IsLetter(static_cast<unsigned char>(tok[0])) : tok[word] >= 'a' && tok[word] <= 'z'))
    ++word;
  if (word > 0) {
    size_t rest = word;
    while (rest < tok.size() && IsStripChar(static_cast<unsigned char>(tok[rest]))) ++rest;
    if (rest == tok.size()) {
      const std::string_view letters = tok.substr(0, word);
      return letters.size() >= 3 && letters.find_first_not_of(letters[0]) == std::string_view::npos;
    }
  }
  if (std::any_of(tok.begin(), tok.end(), [](char c) { return static_cast<unsigned char>(c) >= 0x80; })) return true;
  if (IsOption(tok) || IsEmoticon(tok)) return true;
  while (!tok.empty() && IsStripChar(static_cast<unsigned char>(tok.front()))) tok.remove_prefix(1);
  while (!tok.empty() && IsStripChar(static_cast<unsigned char>(tok.back()))) tok.remove_suffix(1);
  if (tok.empty()) return false;
  if (Contains(tok, "://")) return true;
  if (tok.size() >= 4 && (tok[0] | 0x20) == 'w' && (tok[1] | 0x20) == 'w' && (tok[2] | 0x20) == 'w' && tok[3] == '.')
    return true;
  const size_t at = tok.find('@');
  if (at != std::string_view::npos && at > 0 && at + 1 < tok.size()) return true;  // user@host, inner @handles
  if (IsPath(tok) || IsRelativePath(tok)) return true;
  auto all = [&](bool (*pred)(unsigned char)) {
    return std::all_of(tok.begin(), tok.end(), [&](char c) { return pred(static_cast<unsigned char>(c)); });
  };
  auto any = [&](bool (*pred)(unsigned char)) {
    return std::any_of(tok.begin(), tok.end(), [&](char c) { return pred(static_cast<unsigned char>(c)); });
  };
  // base64 and hex: a long run of their alphabet with a digit, '+' or '/' (glued words have none)
  if (tok.size() >= 16 && all(IsBlobChar) && tok.find_first_of("0123456789+/") != std::string_view::npos) return true;
  if (tok.size() >= 8 && all(IsIdChar) && any(IsDigit) && any(IsLetter)) return true;           // ids, versions
  if (tok.size() >= 3 && tok.find_first_not_of(tok[0]) == std::string_view::npos) return true;  // "-----"
  return IsMath(tok) || IsIdentifier(tok);
}

// Inline code `...` and maths $...$ (1 to kMaxInlineSpan bytes inside), and LaTeX \\begin{..}...\\end{..},
// \\[...\\], \\(...\\) (up to kMaxLatexSpan bytes): byte ranges of `line`, left to right, not overlapping.
std::vector<std::pair<size_t, size_t>> Spans(std::string_view line) {
  std::vector<std::pair<size_t, size_t>> out;
  static constexpr std::pair<std::string_view, std::string_view> kLatex[] = {
      {"\\begin{", "\\end{"}, {"\\[", "\\]"}, {"\\(", "\\)"}};
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (c == '`' || c == '$') {
      const size_t close = line.substr(0, i + kMaxInlineSpan + 2).find(c, i + 1);
      if (close != std::string_view::npos && close > i + 1) {
        out.emplace_back(i, close + 1);
        i = close;
      }
    } else if (c == '\\') {
      for (const auto& [opener, closer] : kLatex) {
        if (line.substr(i).starts_with(opener)) {
          // Every search is bounded, so a line of openers without closers stays linear.
          const size_t close = line.substr(0, i + kMaxLatexSpan + closer.size()).find(closer, i + opener.size());
          if (close != std::string_view::npos) {
            size_t end = close + closer.size();
            if (opener == kLatex[0].first) {  // \end{name}: up to its brace
              const size_t brace = line.substr(0, end + kMaxLatexName).find('}', end);
              if (brace != std::string_view::npos) end = brace + 1;
            }
            out.emplace_back(i, end);
            i = end - 1;
          }
          break;
        }
      }
    }
  }
  return out;
}

// Marks the bytes no window may include.
void Gate(std::string_view text, std::vector<uint8_t>& gated) {
  bool in_fence = false;
  for (size_t pos = 0; pos <= text.size();) {
    size_t eol = text.find('\n', pos);
    if (eol == std::string_view::npos) eol = text.size();
    const std::string_view line = text.substr(pos, eol - pos);
    const std::string_view t = TrimAsciiSpace(line);
    bool whole = false;
    if (t.starts_with("```")) {
      whole = true;
      in_fence = !in_fence;
    } else if (in_fence) {
      whole = true;
    } else if (!t.empty()) {
      whole = LineGated(line);
    }
    if (whole) {
      std::fill(gated.begin() + pos, gated.begin() + eol, 1);
    } else {
      for (size_t i = 0; i < line.size();) {
        while (i < line.size() && IsSpace(static_cast<unsigned char>(line[i]))) ++i;
        const size_t start = i;
        while (i < line.size() && !IsSpace(static_cast<unsigned char>(line[i]))) ++i;
        if (i > start && TokenGated(line.substr(start, i - start)))
          std::fill(gated.begin() + pos + start, gated.begin() + pos + i, 1);
      }
      for (const auto& [begin, end] : Spans(line)) std::fill(gated.begin() + pos + begin, gated.begin() + pos + end, 1);
    }
    pos = eol + 1;
  }
}

class SuffixDetector final : public Detector {
 public:
  explicit SuffixDetector(std::shared_ptr<const SuffixModel> model) : model_(std::move(model)) {}

  void Examine(const DetectorInput& input, DetectorOutput& out) const override {
    const SuffixScore score = ScoreSuffix(*model_, input.text, kFlagBits, kMaxRuns);
    for (const SuffixRun& run : score.runs) {
      // Anchored so that the flag threshold is 0.5 and the block threshold 0.95.
      const double slope = std::log(19.0) / (kBlockBits - kFlagBits);
      const double confidence = 1.0 / (1.0 + std::exp(-slope * (run.peak_bits - kFlagBits)));
      out.detections.push_back(Detection{"adversarial_suffix", "suffix.high_perplexity", "adversarial_suffix", "",
                                         run.peak_bits >= kBlockBits ? Verdict::kBlock : Verdict::kFlag, confidence,
                                         run.begin, run.end, "text"});
    }
  }

 private:
  std::shared_ptr<const SuffixModel> model_;
};

}  // namespace

SuffixScore ScoreSuffix(const SuffixModel& model, std::string_view text, double threshold_bits, size_t max_runs) {
  SuffixScore score;
  const size_t n = text.size();
  if (n < kSuffixWindow) return score;
  std::vector<uint8_t> gated(n, 0);
  Gate(text, gated);
  // Prefix sums of cost (1/16 bit) and of gated bytes.
  std::vector<uint64_t> cost(n + 1, 0);
  std::vector<uint32_t> blocked(n + 1, 0);
  std::vector<uint32_t> anomalies(n + 1, 0);
  constexpr uint8_t kSpace = 26;
  size_t context = (kSpace * kSuffixAlphabet + kSpace) * kSuffixAlphabet + kSpace;
  constexpr size_t kContexts = kSuffixAlphabet * kSuffixAlphabet * kSuffixAlphabet;
  auto symbol_at = [&](size_t i) { return SuffixModel::Symbol(static_cast<unsigned char>(text[i])); };
  auto alnum = [](uint8_t symbol) { return symbol <= 25 || symbol == 27; };
  bool previous_lower = false;
  for (size_t i = 0; i < n; ++i) {
    const auto c = static_cast<unsigned char>(text[i]);
    const uint8_t symbol = SuffixModel::Symbol(c);
    const bool upper = c >= 'A' && c <= 'Z';
    const bool hump = upper && previous_lower;
    const unsigned byte_cost = model.Cost(context, symbol) + (hump ? kCaseHumpCost : 0);
    bool spike = symbol >= 28 && symbol <= 34 && byte_cost >= kSpikeCost;  // costly punctuation or symbol
    if (spike) {
      // At a word's edge ("brief.", "'their'") punctuation is prose; elsewhere ("](", "**", "! !") it is not.
      const bool space_before = i == 0 || symbol_at(i - 1) == kSpace;
      const bool space_after = i + 1 == n || symbol_at(i + 1) == kSpace;
      const bool alnum_before = i > 0 && alnum(symbol_at(i - 1));
      const bool alnum_after = i + 1 < n && alnum(symbol_at(i + 1));
      spike = !((space_before && alnum_after) || (alnum_before && space_after));
    }
    cost[i + 1] = cost[i] + byte_cost;
    blocked[i + 1] = blocked[i] + gated[i];
    anomalies[i + 1] = anomalies[i] + (hump || spike);
    context = (context * kSuffixAlphabet + symbol) % kContexts;
    previous_lower = c >= 'a' && c <= 'z';
  }
  const double per_window = static_cast<double>(kSuffixWindow * kSuffixScale);
  // Windows at or above the threshold, merged when they overlap or are at most a window apart.
  std::vector<SuffixRun> merged;
  for (size_t i = 0; i + kSuffixWindow <= n; ++i) {
    if (blocked[i + kSuffixWindow] != blocked[i] || anomalies[i + kSuffixWindow] - anomalies[i] < kMinAnomalies)
      continue;
    const double bits = static_cast<double>(cost[i + kSuffixWindow] - cost[i]) / per_window;
    score.peak_bits = std::max(score.peak_bits, bits);
    if (bits < threshold_bits) continue;
    if (!merged.empty() && i <= merged.back().end + kSuffixWindow) {
      merged.back().end = i + kSuffixWindow;
      merged.back().peak_bits = std::max(merged.back().peak_bits, bits);
    } else if (merged.size() < max_runs) {
      merged.push_back(SuffixRun{i, i + kSuffixWindow, bits});
    }
  }
  // A window above the threshold may begin or end in the ordinary words around the suffix: the span is cut
  // to the tokens that are themselves improbable.
  auto token_bits = [&](size_t begin, size_t end) {
    return static_cast<double>(cost[end] - cost[begin]) / static_cast<double>((end - begin) * kSuffixScale);
  };
  for (SuffixRun run : merged) {
    while (run.begin > 0 && !IsSpace(static_cast<unsigned char>(text[run.begin - 1])) && !gated[run.begin - 1])
      --run.begin;
    while (run.end < n && !IsSpace(static_cast<unsigned char>(text[run.end])) && !gated[run.end]) ++run.end;
    std::vector<std::pair<size_t, size_t>> tokens;
    for (size_t i = run.begin; i < run.end;) {
      while (i < run.end && IsSpace(static_cast<unsigned char>(text[i]))) ++i;
      const size_t start = i;
      while (i < run.end && !IsSpace(static_cast<unsigned char>(text[i]))) ++i;
      if (i > start) tokens.emplace_back(start, i);
    }
    size_t first = 0, last = tokens.size();
    while (last - first > 1 && token_bits(tokens[first].first, tokens[first].second) < kTrimBits) ++first;
    while (last - first > 1 && token_bits(tokens[last - 1].first, tokens[last - 1].second) < kTrimBits) --last;
    if (first < last) {
      run.begin = tokens[first].first;
      run.end = tokens[last - 1].second;
    }
    score.runs.push_back(run);
  }
  return score;
}

DetectorEntry SuffixDetectorEntry() {
  DetectorInfo info;
  info.name = "adversarial_suffix";
  info.folder = "suffix";
  info.summary =
      "runs of text a character language model of natural prose finds improbable (GCG-style adversarial "
      "suffixes, random-search strings), outside code, URLs, paths, encoded blobs, tables, JSON, maths and "
      "non-Latin scripts";
  info.categories = {"adversarial_suffix"};
  info.labels = {"suffix.high_perplexity"};
  // No switch of its own yet (GuardOptions has none): it runs with the injection classifier.
  info.option = "adversarial_suffix";
  return DetectorEntry{std::move(info), [](const GuardOptions& o) { return o.adversarial_suffix; },
                       [](const DetectorContext&) -> Result<std::unique_ptr<const Detector>> {
                         MG_ASSIGN_OR_RETURN(auto model, SuffixModel::Builtin());
                         return std::unique_ptr<const Detector>(std::make_unique<SuffixDetector>(std::move(model)));
                       }};
}

}  // namespace modelguard::guard
