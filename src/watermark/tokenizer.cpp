// Byte-level BPE tokenizers (tokenizer.h): loading tokenizer.json and tiktoken ranks files, the split
// patterns, and the merges. Written from the formats' descriptions; the split patterns are the ones GPT-2's
// encoder.py, tiktoken (tiktoken_ext/openai_public.py) and the models' tokenizer.json files publish.
#include "modelguard/watermark/tokenizer.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <algorithm>
#include <array>
#include <functional>
#include <nlohmann/json.hpp>
#include <queue>
#include <unordered_map>

#include "modelguard/core/bytes.h"
#include "modelguard/core/io.h"
#include "modelguard/core/json_fields.h"
#include "modelguard/core/utf8.h"

namespace modelguard::watermark {

namespace {

// ---------------------------------------------------------------- UTF-8 and character classes

// Strict UTF-8 decoding (RFC 3629): the code points of `text` and the byte offset of each, or the offset
// of the first byte that is not part of a well-formed sequence.
struct Decoded {
  std::vector<char32_t> code_points;
  std::vector<size_t> offsets;  // one more than code_points: the end
};

Result<Decoded> DecodeUtf8(std::string_view text) {
  Decoded out;
  out.code_points.reserve(text.size());
  out.offsets.reserve(text.size() + 1);
  size_t at = 0;
  const auto fail = [&at] {
    return MakeError(ErrorCode::kParse, "the text is not valid UTF-8 (at byte " + std::to_string(at) + ")");
  };
  while (at < text.size()) {
    const auto b0 = static_cast<uint8_t>(text[at]);
    size_t length = 0;
    char32_t cp = 0, min = 0;
    if (b0 < 0x80) {
      length = 1, cp = b0;
    } else if (b0 >= 0xC2 && b0 <= 0xDF) {
      length = 2, cp = b0 & 0x1F, min = 0x80;
    } else if (b0 >= 0xE0 && b0 <= 0xEF) {
      length = 3, cp = b0 & 0x0F, min = 0x800;
    } else if (b0 >= 0xF0 && b0 <= 0xF4) {
      length = 4, cp = b0 & 0x07, min = 0x10000;
    } else {
      return fail();
    }
    if (text.size() - at < length) return fail();
    for (size_t i = 1; i < length; ++i) {
      const auto b = static_cast<uint8_t>(text[at + i]);
      if ((b & 0xC0) != 0x80) return fail();
      cp = (cp << 6) | (b & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return fail();
    out.code_points.push_back(cp);
    out.offsets.push_back(at);
    at += length;
  }
  out.offsets.push_back(at);
  return out;
}

enum class Class : uint8_t {
  kLetter,   // \p{L}
  kNumber,   // \p{N}
  kSpace,    // \s but not \r or \n
  kNewline,  // \r or \n
  kOther,    // [^\s\p{L}\p{N}]
};

Class Classify(char32_t cp) {
  if (cp == '\r' || cp == '\n') return Class::kNewline;
  if (cp < 0x80) {
    if ((cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z')) return Class::kLetter;
    if (cp >= '0' && cp <= '9') return Class::kNumber;
    if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D)) return Class::kSpace;
    return Class::kOther;
  }
  const auto c = static_cast<UChar32>(cp);
  const uint32_t mask = U_GET_GC_MASK(c);
  if (mask & U_GC_L_MASK) return Class::kLetter;
  if (mask & U_GC_N_MASK) return Class::kNumber;
  if (u_isUWhiteSpace(c)) return Class::kSpace;  // the White_Space property (\s in Rust regex, Oniguruma)
  return Class::kOther;
}

bool IsSpace(Class c) { return c == Class::kSpace || c == Class::kNewline; }

// ---------------------------------------------------------------- the split patterns
//
// Each function returns the end of the pattern's match at `p` (a regex's leftmost-first alternation: the
// first alternative that matches there wins). Every code point starts some alternative's match, so the
// matches tile the text, as the regexes' successive matches do.

class Splitter {
 public:
  Splitter(const std::vector<char32_t>& cps, const std::vector<Class>& classes)
      : cps_(cps), cls_(classes), n_(cps.size()) {}

  size_t Gpt2(size_t p) const {
    // 's|'t|'re|'ve|'m|'ll|'d (case-sensitive)
    if (cps_[p] == '\'') {
      static constexpr std::array<std::u32string_view, 7> kSuffixes = {U"s", U"t", U"re", U"ve", U"m", U"ll", U"d"};
      for (const auto suffix : kSuffixes)
        if (Follows(p + 1, suffix, false)) return p + 1 + suffix.size();
    }
    // ' ?\p{L}+', ' ?\p{N}+', ' ?[^\s\p{L}\p{N}]+'
    for (const Class c : {Class::kLetter, Class::kNumber, Class::kOther}) {
      const size_t q = p + (cps_[p] == ' ' ? 1 : 0);
      if (q < n_ && cls_[q] == c) return RunEnd(q, c);
    }
    return Whitespace(p);
  }

  // cl100k_base (max_digits 3) and Qwen 2 (max_digits 1).
  size_t Cl100k(size_t p, size_t max_digits) const {
    // (?i:'s|'t|'re|'ve|'m|'ll|'d)
    if (cps_[p] == '\'') {
      static constexpr std::array<std::u32string_view, 7> kSuffixes = {U"s", U"t", U"re", U"ve", U"m", U"ll", U"d"};
      for (const auto suffix : kSuffixes)
        if (Follows(p + 1, suffix, true)) return p + 1 + suffix.size();
    }
    // [^\r\n\p{L}\p{N}]?\p{L}+
    if ((cls_[p] == Class::kSpace || cls_[p] == Class::kOther) && p + 1 < n_ && cls_[p + 1] == Class::kLetter)
      return RunEnd(p + 1, Class::kLetter);
    if (cls_[p] == Class::kLetter) return RunEnd(p, Class::kLetter);
    // \p{N}{1,3}
    if (cls_[p] == Class::kNumber) return std::min(RunEnd(p, Class::kNumber), p + max_digits);
    // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
    const size_t q = p + (cps_[p] == ' ' ? 1 : 0);
    if (q < n_ && cls_[q] == Class::kOther) return RunEnd(RunEnd(q, Class::kOther), Class::kNewline);
    // \s*[\r\n]+ : the white space up to its last line break. (A match that backtracks \s* to the last
    // \r or \n of the run, which [\r\n]+ then takes alone.)
    if (IsSpace(cls_[p])) {
      const size_t end = SpaceEnd(p);
      for (size_t i = end; i > p; --i)
        if (cls_[i - 1] == Class::kNewline) return i;
    }
    return Whitespace(p);
  }

 private:
  // \s+(?!\S)|\s+ at p (a white space character): the whole run when it ends the text, else the run but its
  // last character (which then starts the next match, ' ?\p{L}+' and the like), else one character.
  size_t Whitespace(size_t p) const {
    const size_t end = SpaceEnd(p);
    if (end == n_) return end;
    if (end - p >= 2) return end - 1;
    return end;
  }
  size_t RunEnd(size_t p, Class c) const {
    while (p < n_ && cls_[p] == c) ++p;
    return p;
  }
  size_t SpaceEnd(size_t p) const {
    while (p < n_ && IsSpace(cls_[p])) ++p;
    return p;
  }
  // Whether the code points at p spell `lower` (ASCII lower case). Case-insensitively, by Unicode's simple
  // case folding as the Rust regex crate and Oniguruma apply (?i): a letter or its upper case, and for 's'
  // also U+017F LATIN SMALL LETTER LONG S, which folds to 's'.
  bool Follows(size_t p, std::u32string_view lower, bool ignore_case) const {
    if (n_ - p < lower.size()) return false;
    for (size_t i = 0; i < lower.size(); ++i) {
      const char32_t c = cps_[p + i], want = lower[i];
      if (c == want) continue;
      if (!ignore_case) return false;
      if (c == want - 32) continue;  // ASCII upper case
      if (want == 's' && c == 0x017F) continue;
      return false;
    }
    return true;
  }

  const std::vector<char32_t>& cps_;
  const std::vector<Class>& cls_;
  size_t n_;
};

// The pre-tokens of a decoded text, as code point ranges.
std::vector<std::pair<size_t, size_t>> SplitCodePoints(SplitPattern pattern, const std::vector<char32_t>& cps) {
  std::vector<Class> classes(cps.size());
  for (size_t i = 0; i < cps.size(); ++i) classes[i] = Classify(cps[i]);
  Splitter splitter(cps, classes);
  std::vector<std::pair<size_t, size_t>> pieces;
  for (size_t p = 0; p < cps.size();) {
    size_t end = 0;
    switch (pattern) {
      case SplitPattern::kGpt2:
        end = splitter.Gpt2(p);
        break;
      case SplitPattern::kCl100k:
        end = splitter.Cl100k(p, 3);
        break;
      case SplitPattern::kQwen2:
        end = splitter.Cl100k(p, 1);
        break;
    }
    if (end <= p) end = p + 1;  // cannot happen (every class starts a match); never loop
    pieces.emplace_back(p, end);
    p = end;
  }
  return pieces;
}

// ---------------------------------------------------------------- the byte-level alphabet
//
// Hugging Face's ByteLevel (GPT-2's bytes_to_unicode): bytes '!'..'~', 0xA1..0xAC and 0xAE..0xFF stand for
// themselves as code points; the other 68 bytes, in increasing order, for U+0100, U+0101, ...

std::array<char32_t, 256> ByteToChar() {
  std::array<char32_t, 256> table{};
  char32_t next = 256;
  for (uint32_t b = 0; b < 256; ++b) {
    const bool printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
    table[b] = printable ? b : next++;
  }
  return table;
}

// A vocabulary string of the byte-level alphabet to the bytes it stands for; nullopt when a character is
// outside the alphabet (such a token can never come out of byte-level BPE).
std::optional<std::string> ByteLevelDecode(std::string_view token,
                                           const std::unordered_map<char32_t, uint8_t>& char_to_byte) {
  auto decoded = DecodeUtf8(token);
  if (!decoded) return std::nullopt;
  std::string bytes;
  bytes.reserve(decoded->code_points.size());
  for (const char32_t cp : decoded->code_points) {
    const auto it = char_to_byte.find(cp);
    if (it == char_to_byte.end()) return std::nullopt;
    bytes.push_back(static_cast<char>(it->second));
  }
  return bytes;
}

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

}  // namespace

// ---------------------------------------------------------------- the tokenizer

struct Tokenizer::Impl {
  bool tiktoken = false;
  SplitPattern pattern = SplitPattern::kGpt2;
  bool nfc = false;           // a tokenizer.json's NFC normalizer
  bool whole_pieces = false;  // a piece found in the vocabulary is taken whole (tiktoken; ignore_merges)
  size_t vocab_size = 0;
  std::array<uint32_t, 256> byte_token{};  // the token of each single byte
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> token_of_bytes;
  // (left id << 32 | right id) -> (priority, merged id): the merges (a tokenizer.json's list index, or the
  // merged token's rank for tiktoken, whose pairs come from splitting each token into two tokens).
  std::unordered_map<uint64_t, std::pair<uint32_t, uint32_t>> merges;

  void Bpe(std::string_view piece, std::vector<uint32_t>& out) const;
};

// The merges of one pre-token: repeatedly the adjacent pair of lowest priority, the leftmost on ties, as
// tiktoken's byte_pair_merge and Hugging Face's Word::merge_all pick it. A heap of candidate pairs and a
// linked list of parts make it O(n log n) in the piece's length; stale heap entries are skipped.
void Tokenizer::Impl::Bpe(std::string_view piece, std::vector<uint32_t>& out) const {
  if (whole_pieces && piece.size() <= kMaxTokenizerTokenBytes) {
    if (const auto it = token_of_bytes.find(piece); it != token_of_bytes.end()) {
      out.push_back(it->second);
      return;
    }
  }
  const size_t n = piece.size();
  if (n == 1) {
    out.push_back(byte_token[static_cast<uint8_t>(piece[0])]);
    return;
  }
  struct Part {
    uint32_t id;
    uint32_t prev, next;  // n: none
  };
  std::vector<Part> parts(n);
  for (size_t i = 0; i < n; ++i)
    parts[i] = {byte_token[static_cast<uint8_t>(piece[i])], static_cast<uint32_t>(i == 0 ? n : i - 1),
                static_cast<uint32_t>(i + 1)};
  std::vector<bool> alive(n, true);
  struct Candidate {
    uint32_t priority, left, left_id, right_id, merged;
    bool operator>(const Candidate& other) const {
      return priority != other.priority ? priority > other.priority : left > other.left;
    }
  };
  std::priority_queue<Candidate, std::vector<Candidate>, std::greater<>> heap;
  const auto consider = [&](uint32_t left) {
    if (left >= n) return;
    const uint32_t right = parts[left].next;
    if (right >= n) return;
    const auto it = merges.find(uint64_t{parts[left].id} << 32 | parts[right].id);
    if (it == merges.end()) return;
    heap.push({it->second.first, left, parts[left].id, parts[right].id, it->second.second});
  };
  for (uint32_t i = 0; i + 1 < n; ++i) consider(i);
  while (!heap.empty()) {
    const Candidate c = heap.top();
    heap.pop();
    if (!alive[c.left] || parts[c.left].id != c.left_id) continue;
    const uint32_t right = parts[c.left].next;
    if (right >= n || parts[right].id != c.right_id) continue;
    parts[c.left].id = c.merged;
    parts[c.left].next = parts[right].next;
    if (parts[right].next < n) parts[parts[right].next].prev = c.left;
    alive[right] = false;
    consider(parts[c.left].prev);
    consider(c.left);
  }
  for (uint32_t i = 0; i < n; i = parts[i].next) out.push_back(parts[i].id);
}

namespace {

Error Bad(std::string message) { return MakeError(ErrorCode::kParse, std::move(message)); }
Error Unsupported(std::string message) { return MakeError(ErrorCode::kUnsupported, std::move(message)); }

std::string Quote(std::string_view text) {
  std::string out = "\"";
  out += EscapeControlCharacters(text.substr(0, 80));
  if (text.size() > 80) out += "...";
  return out + "\"";
}

// The split patterns as tokenizer.json files spell them in a Split pre-tokenizer's Regex.
constexpr std::string_view kCl100kRegex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
constexpr std::string_view kQwen2Regex =
    R"((?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+)";
// tiktoken's own spelling of cl100k_base (possessive quantifiers, which change nothing here).
constexpr std::string_view kCl100kTiktokenRegex =
    R"('(?i:[sdmt]|ll|ve|re)|[^\r\n\p{L}\p{N}]?+\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]++[\r\n]*|\s*[\r\n]|\s+(?!\S)|\s+)";
constexpr std::string_view kGpt2Regex = R"('s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+)";

using Json = nlohmann::json;

// A member of an object that, when present, must have one of the given values ("absent" allowed).
Status ExpectAbsentOr(const Json& object, const char* key, const std::function<bool(const Json&)>& fine,
                      const std::string& where) {
  const auto it = object.find(key);
  if (it == object.end() || fine(*it)) return Ok{};
  return Unsupported(where + "." + key + " = " + Quote(it->dump(-1, ' ', false, Json::error_handler_t::replace)) +
                     " is not supported");
}

bool IsNullOrEmpty(const Json& v) { return v.is_null() || (v.is_string() && v.get_ref<const std::string&>().empty()); }
bool IsNullOrFalse(const Json& v) { return v.is_null() || (v.is_boolean() && !v.get<bool>()); }

// The ByteLevel pre-tokenizer's options: add_prefix_space must be false; use_regex as asked.
Status CheckByteLevel(const Json& step, bool want_regex, const std::string& where) {
  const auto prefix = step.find("add_prefix_space");
  if (prefix != step.end() && !IsNullOrFalse(*prefix))
    return Unsupported(where + ": ByteLevel with add_prefix_space is not supported");
  const auto regex = step.find("use_regex");
  bool use_regex = true;  // the default of older files, which lack the member
  if (regex != step.end()) {
    if (!regex->is_boolean()) return Bad(where + ".use_regex: expected a boolean");
    use_regex = regex->get<bool>();
  }
  if (use_regex != want_regex)
    return Unsupported(where + (want_regex ? ": ByteLevel without use_regex (no split pattern) is not supported"
                                           : ": ByteLevel with use_regex after a Split is not supported"));
  return Ok{};
}

Result<SplitPattern> PreTokenizer(const Json& doc) {
  const auto it = doc.find("pre_tokenizer");
  if (it == doc.end() || it->is_null()) return Unsupported("pre_tokenizer: none (not a byte-level BPE tokenizer)");
  const Json& pre = *it;
  if (!pre.is_object() || !pre.contains("type") || !pre["type"].is_string())
    return Bad("pre_tokenizer: expected an object with a string \"type\"");
  const std::string type = pre["type"].get<std::string>();
  if (type == "ByteLevel") {
    MG_TRY(CheckByteLevel(pre, true, "pre_tokenizer"));
    return SplitPattern::kGpt2;
  }
  if (type != "Sequence") return Unsupported("pre_tokenizer: type " + Quote(type) + " is not supported");
  const auto steps = pre.find("pretokenizers");
  if (steps == pre.end() || !steps->is_array()) return Bad("pre_tokenizer.pretokenizers: expected an array");
  for (size_t i = 0; i < steps->size(); ++i) {
    const Json& s = (*steps)[i];
    if (!s.is_object() || !s.contains("type") || !s["type"].is_string())
      return Bad("pre_tokenizer.pretokenizers[" + std::to_string(i) + "]: expected an object with a string \"type\"");
  }
  // [ByteLevel with use_regex], or [Split(regex, Isolated), ByteLevel without use_regex].
  if (steps->size() == 1 && (*steps)[0]["type"] == "ByteLevel") {
    MG_TRY(CheckByteLevel((*steps)[0], true, "pre_tokenizer.pretokenizers[0]"));
    return SplitPattern::kGpt2;
  }
  if (steps->size() != 2 || (*steps)[0]["type"] != "Split" || (*steps)[1]["type"] != "ByteLevel")
    return Unsupported("pre_tokenizer: a Sequence other than [Split, ByteLevel] or [ByteLevel] is not supported");
  const Json& split = (*steps)[0];
  MG_TRY(CheckByteLevel((*steps)[1], false, "pre_tokenizer.pretokenizers[1]"));
  const auto behavior = split.find("behavior");
  if (behavior == split.end() || !behavior->is_string() || behavior->get<std::string>() != "Isolated")
    return Unsupported("pre_tokenizer.pretokenizers[0]: a Split whose behavior is not \"Isolated\" is not supported");
  MG_TRY(ExpectAbsentOr(split, "invert", IsNullOrFalse, "pre_tokenizer.pretokenizers[0]"));
  const auto pattern = split.find("pattern");
  if (pattern == split.end() || !pattern->is_object() || !pattern->contains("Regex") ||
      !(*pattern)["Regex"].is_string())
    return Unsupported("pre_tokenizer.pretokenizers[0].pattern: only a {\"Regex\": ...} pattern is supported");
  const std::string& regex = (*pattern)["Regex"].get_ref<const std::string&>();
  if (regex == kCl100kRegex || regex == kCl100kTiktokenRegex) return SplitPattern::kCl100k;
  if (regex == kQwen2Regex) return SplitPattern::kQwen2;
  if (regex == kGpt2Regex) return SplitPattern::kGpt2;
  return Unsupported("pre_tokenizer.pretokenizers[0].pattern.Regex " + Quote(regex) +
                     " is not one of the supported split patterns (GPT-2, cl100k/Llama 3, Qwen 2)");
}

// A first pass over a tokenizer.json that builds nothing: counts its values and nesting, so that a small
// hostile file cannot make a large document (64 MiB of "[[],[],..." is 20 million values).
constexpr uint64_t kMaxJsonValues = uint64_t{1} << 23;  // Llama 3's tokenizer.json holds about 10^6
constexpr uint64_t kMaxJsonDepth = 32;

Result<std::shared_ptr<Tokenizer::Impl>> LoadTokenizerJson(std::string_view contents) {
  auto parsed = ParseJsonWithinLimits(contents, {kMaxJsonValues, kMaxJsonDepth});
  if (!parsed) {
    if (parsed.error().code == ErrorCode::kLimit)
      return MakeError(ErrorCode::kLimit, "tokenizer.json: " + parsed.error().message);
    return Bad("tokenizer.json: " + parsed.error().message);
  }
  const Json doc = std::move(*parsed);
  if (!doc.is_object()) return Bad("tokenizer.json: expected a JSON object");
  auto impl = std::make_shared<Tokenizer::Impl>();

  // normalizer: none, or NFC (Qwen 2).
  if (const auto it = doc.find("normalizer"); it != doc.end() && !it->is_null()) {
    if (!it->is_object() || !it->contains("type") || (*it)["type"] != "NFC")
      return Unsupported("normalizer " + Quote(it->dump(-1, ' ', false, Json::error_handler_t::replace)) +
                         " is not supported (only none or NFC)");
    impl->nfc = true;
  }
  MG_ASSIGN_OR_RETURN(impl->pattern, PreTokenizer(doc));

  const auto model_it = doc.find("model");
  if (model_it == doc.end() || !model_it->is_object()) return Bad("model: expected an object");
  const Json& model = *model_it;
  if (const auto type = model.find("type"); type != model.end() && *type != "BPE")
    return Unsupported("model.type " + Quote(type->is_string() ? type->get<std::string>() : type->dump()) +
                       " is not supported (only BPE)");
  MG_TRY(ExpectAbsentOr(
      model, "dropout", [](const Json& v) { return v.is_null(); }, "model"));
  MG_TRY(ExpectAbsentOr(model, "byte_fallback", IsNullOrFalse, "model"));
  MG_TRY(ExpectAbsentOr(model, "continuing_subword_prefix", IsNullOrEmpty, "model"));
  MG_TRY(ExpectAbsentOr(model, "end_of_word_suffix", IsNullOrEmpty, "model"));
  if (const auto it = model.find("ignore_merges"); it != model.end() && !it->is_null()) {
    if (!it->is_boolean()) return Bad("model.ignore_merges: expected a boolean");
    impl->whole_pieces = it->get<bool>();
  }

  // The vocabulary: byte-level strings to ids.
  const auto vocab_it = model.find("vocab");
  if (vocab_it == model.end() || !vocab_it->is_object()) return Bad("model.vocab: expected an object");
  if (vocab_it->size() > kMaxTokenizerEntries)
    return MakeError(ErrorCode::kLimit, "model.vocab: more than " + std::to_string(kMaxTokenizerEntries) + " tokens");
  const auto byte_to_char = ByteToChar();
  std::unordered_map<char32_t, uint8_t> char_to_byte;
  for (uint32_t b = 0; b < 256; ++b) char_to_byte[byte_to_char[b]] = static_cast<uint8_t>(b);
  std::unordered_map<std::string, uint32_t, StringHash, std::equal_to<>> id_of;  // vocab strings
  id_of.reserve(vocab_it->size());
  uint64_t highest = 0;
  bool any = false;
  for (const auto& [token, value] : vocab_it->items()) {
    if (!value.is_number_unsigned() || value.get<uint64_t>() > kMaxTokenizerId)
      return Bad("model.vocab[" + Quote(token) + "]: expected an id from 0 to " + std::to_string(kMaxTokenizerId));
    if (token.size() > 4 * kMaxTokenizerTokenBytes)
      return MakeError(ErrorCode::kLimit,
                       "model.vocab: a token longer than " + std::to_string(kMaxTokenizerTokenBytes) + " bytes");
    const auto id = static_cast<uint32_t>(value.get<uint64_t>());
    highest = std::max<uint64_t>(highest, id);
    any = true;
    id_of.emplace(token, id);
    if (auto bytes = ByteLevelDecode(token, char_to_byte)) {
      if (bytes->empty()) continue;
      if (bytes->size() > kMaxTokenizerTokenBytes)
        return MakeError(ErrorCode::kLimit,
                         "model.vocab: a token longer than " + std::to_string(kMaxTokenizerTokenBytes) + " bytes");
      impl->token_of_bytes.emplace(std::move(*bytes), id);
    }
  }
  if (!any) return Bad("model.vocab: empty");
  for (uint32_t b = 0; b < 256; ++b) {
    std::string one(1, static_cast<char>(b));
    const auto it = impl->token_of_bytes.find(one);
    if (it == impl->token_of_bytes.end())
      return Unsupported("model.vocab: no token for byte " + std::to_string(b) +
                         " (not a byte-level vocabulary: every byte must have a token)");
    impl->byte_token[b] = it->second;
  }

  // The merges: "a b" strings or [a, b] pairs; their order is their priority.
  const auto merges_it = model.find("merges");
  if (merges_it == model.end() || !merges_it->is_array()) return Bad("model.merges: expected an array");
  if (merges_it->size() > kMaxTokenizerEntries)
    return MakeError(ErrorCode::kLimit, "model.merges: more than " + std::to_string(kMaxTokenizerEntries) + " merges");
  impl->merges.reserve(merges_it->size());
  for (size_t i = 0; i < merges_it->size(); ++i) {
    const Json& merge = (*merges_it)[i];
    const std::string where = "model.merges[" + std::to_string(i) + "]";
    std::string left, right;
    if (merge.is_string()) {
      const std::string& text = merge.get_ref<const std::string&>();
      const size_t space = text.find(' ');
      if (space == std::string::npos || text.find(' ', space + 1) != std::string::npos)
        return Bad(where + ": " + Quote(text) + " is not two tokens separated by one space");
      left = text.substr(0, space), right = text.substr(space + 1);
    } else if (merge.is_array() && merge.size() == 2 && merge[0].is_string() && merge[1].is_string()) {
      left = merge[0].get<std::string>(), right = merge[1].get<std::string>();
    } else {
      return Bad(where + ": expected \"a b\" or [\"a\", \"b\"]");
    }
    const auto a = id_of.find(left), b = id_of.find(right), ab = id_of.find(left + right);
    if (a == id_of.end()) return Bad(where + ": " + Quote(left) + " is not in the vocabulary");
    if (b == id_of.end()) return Bad(where + ": " + Quote(right) + " is not in the vocabulary");
    if (ab == id_of.end())
      return Bad(where + ": the merged token " + Quote(left + right) + " is not in the vocabulary");
    // The first occurrence of a pair counts, as in Hugging Face's loader (a later duplicate never applies).
    impl->merges.try_emplace(uint64_t{a->second} << 32 | b->second, static_cast<uint32_t>(i), ab->second);
  }

  // added_tokens: ids counted in the vocabulary's size; the input is not matched against them.
  if (const auto it = doc.find("added_tokens"); it != doc.end() && !it->is_null()) {
    if (!it->is_array()) return Bad("added_tokens: expected an array");
    if (it->size() > kMaxTokenizerEntries)
      return MakeError(ErrorCode::kLimit, "added_tokens: more than " + std::to_string(kMaxTokenizerEntries));
    for (size_t i = 0; i < it->size(); ++i) {
      const Json& added = (*it)[i];
      if (!added.is_object() || !added.contains("id") || !added["id"].is_number_unsigned() ||
          added["id"].get<uint64_t>() > kMaxTokenizerId)
        return Bad("added_tokens[" + std::to_string(i) + "]: expected an object with an id from 0 to " +
                   std::to_string(kMaxTokenizerId));
      highest = std::max<uint64_t>(highest, added["id"].get<uint64_t>());
    }
  }
  impl->vocab_size = static_cast<size_t>(highest + 1);
  return impl;
}

// A ranks file: "<base64> <rank>" lines.
Result<std::shared_ptr<Tokenizer::Impl>> LoadTiktoken(std::string_view contents, std::optional<SplitPattern> pattern) {
  auto impl = std::make_shared<Tokenizer::Impl>();
  impl->tiktoken = true;
  impl->whole_pieces = true;
  std::vector<std::pair<uint32_t, std::string_view>> by_rank;  // views into token_of_bytes' keys
  uint64_t highest = 0, line_number = 0;
  size_t at = 0;
  while (at < contents.size()) {
    size_t end = contents.find('\n', at);
    if (end == std::string_view::npos) end = contents.size();
    std::string_view line = contents.substr(at, end - at);
    at = end + 1;
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty()) continue;
    const std::string where = "line " + std::to_string(line_number);
    const size_t space = line.find(' ');
    if (space == std::string_view::npos || line.find(' ', space + 1) != std::string_view::npos)
      return Bad(where + ": expected \"<base64 token> <rank>\"");
    auto bytes = Base64Decode(line.substr(0, space));
    if (!bytes) return Bad(where + ": the token is not valid base64");
    if (bytes->empty()) return Bad(where + ": an empty token");
    if (bytes->size() > kMaxTokenizerTokenBytes)
      return MakeError(ErrorCode::kLimit,
                       where + ": a token longer than " + std::to_string(kMaxTokenizerTokenBytes) + " bytes");
    const std::string_view digits = line.substr(space + 1);
    uint64_t rank = 0;
    if (digits.empty() || digits.size() > 9 || (digits.size() > 1 && digits[0] == '0'))
      return Bad(where + ": the rank is not a whole number");
    for (const char c : digits) {
      if (c < '0' || c > '9') return Bad(where + ": the rank is not a whole number");
      rank = rank * 10 + static_cast<uint64_t>(c - '0');
    }
    if (rank > kMaxTokenizerId) return Bad(where + ": rank above " + std::to_string(kMaxTokenizerId));
    if (impl->token_of_bytes.size() >= kMaxTokenizerEntries)
      return MakeError(ErrorCode::kLimit, "more than " + std::to_string(kMaxTokenizerEntries) + " ranks");
    const auto [it, inserted] = impl->token_of_bytes.emplace(std::move(*bytes), static_cast<uint32_t>(rank));
    if (!inserted) return Bad(where + ": the token appeared before");
    by_rank.emplace_back(static_cast<uint32_t>(rank), it->first);
    highest = std::max(highest, rank);
  }
  if (by_rank.empty()) return Bad("no ranks: the file is empty");
  std::sort(by_rank.begin(), by_rank.end());
  for (size_t i = 1; i < by_rank.size(); ++i)
    if (by_rank[i].first == by_rank[i - 1].first)
      return Bad("rank " + std::to_string(by_rank[i].first) + " is given to two tokens");
  for (uint32_t b = 0; b < 256; ++b) {
    const auto it = impl->token_of_bytes.find(std::string(1, static_cast<char>(b)));
    if (it == impl->token_of_bytes.end())
      return Unsupported("no rank for byte " + std::to_string(b) + " (every byte must have one)");
    impl->byte_token[b] = it->second;
  }
  // The merges: a token of two tokens' bytes merges them, at its own rank. A part of a token is itself a
  // token only when both halves are; each split point is looked up once.
  for (const auto& [rank, bytes] : by_rank) {
    for (size_t k = 1; k < bytes.size(); ++k) {
      const auto left = impl->token_of_bytes.find(bytes.substr(0, k));
      if (left == impl->token_of_bytes.end()) continue;
      const auto right = impl->token_of_bytes.find(bytes.substr(k));
      if (right == impl->token_of_bytes.end()) continue;
      impl->merges.try_emplace(uint64_t{left->second} << 32 | right->second, rank, rank);
    }
  }
  // Known encodings, by their number of ranks; their special tokens count in the vocabulary's size.
  std::optional<SplitPattern> known;
  uint64_t special_end = 0;
  if (by_rank.size() == 50256 && highest == 50255) known = SplitPattern::kGpt2, special_end = 50257;  // r50k/gpt2
  if (by_rank.size() == 50280 && highest == 50280) known = SplitPattern::kGpt2, special_end = 50281;  // p50k
  if (by_rank.size() == 100256 && highest == 100255) known = SplitPattern::kCl100k, special_end = 100277;
  if (pattern) {
    impl->pattern = *pattern;
  } else if (known) {
    impl->pattern = *known;
  } else {
    return MakeError(ErrorCode::kInvalidArgument,
                     "a ranks file of " + std::to_string(by_rank.size()) +
                         " tokens is not a known tiktoken encoding (r50k_base, p50k_base, cl100k_base): name its "
                         "split pattern (gpt2, cl100k or qwen2)");
  }
  impl->vocab_size = static_cast<size_t>(std::max(highest + 1, special_end));
  return impl;
}

}  // namespace

const char* ToString(SplitPattern pattern) {
  switch (pattern) {
    case SplitPattern::kGpt2:
      return "gpt2";
    case SplitPattern::kCl100k:
      return "cl100k";
    case SplitPattern::kQwen2:
      return "qwen2";
  }
  return "?";
}

Result<SplitPattern> ParseSplitPattern(std::string_view name) {
  if (name == "gpt2" || name == "r50k" || name == "p50k") return SplitPattern::kGpt2;
  if (name == "cl100k" || name == "llama3") return SplitPattern::kCl100k;
  if (name == "qwen2") return SplitPattern::kQwen2;
  return MakeError(ErrorCode::kInvalidArgument,
                   "unknown split pattern " + Quote(name) + " (gpt2, r50k, p50k, cl100k, llama3 or qwen2)");
}

namespace {

Result<std::shared_ptr<const Tokenizer::Impl>> LoadAny(std::string_view contents, std::optional<SplitPattern> pattern) {
  if (contents.size() > kMaxTokenizerFileBytes)
    return MakeError(ErrorCode::kLimit,
                     "a tokenizer file larger than " + std::to_string(kMaxTokenizerFileBytes >> 20) + " MiB");
  const size_t first = contents.find_first_not_of(" \t\r\n");
  if (first == std::string_view::npos) return Bad("the tokenizer file is empty");
  if (contents[first] == '{') {
    MG_ASSIGN_OR_RETURN(auto impl, LoadTokenizerJson(contents));
    if (pattern && *pattern != impl->pattern)
      return MakeError(ErrorCode::kInvalidArgument, std::string("the tokenizer.json splits as ") +
                                                        ToString(impl->pattern) + ", not " + ToString(*pattern));
    return std::shared_ptr<const Tokenizer::Impl>(std::move(impl));
  }
  MG_ASSIGN_OR_RETURN(auto impl, LoadTiktoken(contents, pattern));
  return std::shared_ptr<const Tokenizer::Impl>(std::move(impl));
}

}  // namespace

Result<Tokenizer> Tokenizer::FromBytes(std::string_view file_contents) {
  MG_ASSIGN_OR_RETURN(auto impl, LoadAny(file_contents, std::nullopt));
  return Tokenizer(std::move(impl));
}

Result<Tokenizer> Tokenizer::FromBytes(std::string_view file_contents, SplitPattern pattern) {
  MG_ASSIGN_OR_RETURN(auto impl, LoadAny(file_contents, pattern));
  return Tokenizer(std::move(impl));
}

Result<Tokenizer> Tokenizer::Load(const std::filesystem::path& path) {
  MG_ASSIGN_OR_RETURN(const std::string contents, ReadFile(path.string(), kMaxTokenizerFileBytes));
  return FromBytes(contents);
}

Result<Tokenizer> Tokenizer::Load(const std::filesystem::path& path, SplitPattern pattern) {
  MG_ASSIGN_OR_RETURN(const std::string contents, ReadFile(path.string(), kMaxTokenizerFileBytes));
  return FromBytes(contents, pattern);
}

size_t Tokenizer::vocab_size() const { return impl_->vocab_size; }
SplitPattern Tokenizer::split_pattern() const { return impl_->pattern; }
bool Tokenizer::is_tiktoken() const { return impl_->tiktoken; }

Result<std::vector<std::pair<size_t, size_t>>> Tokenizer::Split(SplitPattern pattern, std::string_view utf8) {
  MG_ASSIGN_OR_RETURN(const Decoded decoded, DecodeUtf8(utf8));
  auto pieces = SplitCodePoints(pattern, decoded.code_points);
  for (auto& [begin, end] : pieces) begin = decoded.offsets[begin], end = decoded.offsets[end];
  return pieces;
}

Result<std::vector<uint32_t>> Tokenizer::Encode(std::string_view utf8) const {
  MG_ASSIGN_OR_RETURN(Decoded decoded, DecodeUtf8(utf8));
  std::string normalized;
  if (impl_->nfc) {
    if (utf8.size() > static_cast<size_t>(INT32_MAX / 4))
      return MakeError(ErrorCode::kLimit, "a text too long to normalize");
    UErrorCode status = U_ZERO_ERROR;
    const icu::Normalizer2* nfc = icu::Normalizer2::getNFCInstance(status);
    if (U_FAILURE(status)) return MakeError(ErrorCode::kUnsupported, "ICU has no NFC normalizer");
    const icu::UnicodeString source =
        icu::UnicodeString::fromUTF8(icu::StringPiece(utf8.data(), static_cast<int32_t>(utf8.size())));
    const icu::UnicodeString result = nfc->normalize(source, status);
    if (U_FAILURE(status)) return MakeError(ErrorCode::kParse, "the text could not be NFC-normalized");
    result.toUTF8String(normalized);
    utf8 = normalized;
    MG_ASSIGN_OR_RETURN(decoded, DecodeUtf8(utf8));
  }
  std::vector<uint32_t> ids;
  ids.reserve(utf8.size() / 3 + 1);
  for (const auto& [begin, end] : SplitCodePoints(impl_->pattern, decoded.code_points)) {
    const size_t from = decoded.offsets[begin], to = decoded.offsets[end];
    impl_->Bpe(utf8.substr(from, to - from), ids);
  }
  return ids;
}

}  // namespace modelguard::watermark
