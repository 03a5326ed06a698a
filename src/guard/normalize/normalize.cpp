#include "src/guard/normalize/normalize.h"

#include <unicode/normalizer2.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

#include <algorithm>
#include <array>
#include <mutex>

#include "modelguard/core/bytes.h"
#include "modelguard/core/utf8.h"

namespace modelguard::guard {
namespace {

bool IsHiddenZeroWidth(uint32_t c) {
  return (c >= 0x200B && c <= 0x200D) || (c >= 0x2060 && c <= 0x2064) || c == 0xFEFF || c == 0x180E || c == 0x00AD;
}
bool IsBidiControl(uint32_t c) {
  return (c >= 0x202A && c <= 0x202E) || (c >= 0x2066 && c <= 0x2069) || c == 0x200E || c == 0x200F;
}
bool IsTag(uint32_t c) { return c >= 0xE0000 && c <= 0xE007F; }

// The single ASCII character Unicode's confusables data (UTS #39, through ICU's spoof checker) says `c`
// looks like, or 0.
char AsciiLookAlike(UChar32 c, USpoofChecker* spoof) {
  if (!spoof || c < 0x80) return 0;
  std::string utf8;
  AppendUtf8(utf8, static_cast<uint32_t>(c));
  std::array<char, 16> skeleton{};
  UErrorCode status = U_ZERO_ERROR;
  const int32_t written = uspoof_getSkeletonUTF8(spoof, 0, utf8.data(), static_cast<int32_t>(utf8.size()),
                                                 skeleton.data(), static_cast<int32_t>(skeleton.size()), &status);
  if (U_FAILURE(status) || written != 1) return 0;
  const auto ascii = static_cast<unsigned char>(skeleton[0]);
  return ascii > 0x20 && ascii < 0x7F ? static_cast<char>(std::tolower(ascii)) : 0;
}

// Folds one non-ASCII code point with ICU: NFKD (compatibility forms such as fullwidth and mathematical
// letters become plain ones), combining marks dropped (accents used to dodge word lists), case folded;
// punctuation that looks like ASCII punctuation becomes it (U+2019 -> '). Whitespace becomes ' '.
// Letters that merely look like Latin ones are left to the word-level step (see FoldWithMap).
std::string FoldCodePointWithIcu(uint32_t c, const icu::Normalizer2* nfkd, USpoofChecker* spoof) {
  const auto code = static_cast<UChar32>(c);
  if (u_isUWhiteSpace(code)) return " ";
  UErrorCode status = U_ZERO_ERROR;
  icu::UnicodeString decomposed = nfkd ? nfkd->normalize(icu::UnicodeString(code), status) : icu::UnicodeString(code);
  if (U_FAILURE(status)) decomposed = icu::UnicodeString(code);
  std::string out;
  for (int32_t i = 0; i < decomposed.length();) {
    UChar32 d = decomposed.char32At(i);
    i += U16_LENGTH(d);
    const int8_t category = u_charType(d);
    if (category == U_NON_SPACING_MARK || category == U_ENCLOSING_MARK) continue;
    if (u_isUWhiteSpace(d)) {
      out.push_back(' ');
      continue;
    }
    d = u_foldCase(d, U_FOLD_CASE_DEFAULT);
    if (d >= 0x80 && !u_isalnum(d)) {
      if (const char ascii = AsciiLookAlike(d, spoof); ascii && !std::isalnum(static_cast<unsigned char>(ascii))) {
        out.push_back(ascii);
        continue;
      }
    }
    AppendUtf8(out, static_cast<uint32_t>(d));
  }
  return out;
}

// The Basic Multilingual Plane folded once, on first use (ICU is only consulted here and for the rare
// supplementary-plane characters), so the per-request cost is a table lookup.
class FoldTable {
 public:
  static const FoldTable& Get() {
    static const FoldTable table;
    return table;
  }
  std::string_view Lookup(uint32_t c) const {
    return std::string_view(data_).substr(offsets_[c], offsets_[c + 1] - offsets_[c]);
  }
  // The Latin letter a non-Latin letter looks like (Cyrillic "о" -> 'o'), or 0.
  char LookAlike(uint32_t c) const { return c < 0x10000 ? look_alike_[c] : 0; }
  bool IsWordCharacter(uint32_t c) const { return c < 0x10000 && word_[c]; }
  std::string FoldSupplementary(uint32_t c) const {
    std::lock_guard lock(mutex_);  // USpoofChecker is not documented as safe for concurrent use
    return FoldCodePointWithIcu(c, nfkd_, spoof_);
  }
  ~FoldTable() {
    if (spoof_) uspoof_close(spoof_);
  }

 private:
  FoldTable() {
    UErrorCode status = U_ZERO_ERROR;
    nfkd_ = icu::Normalizer2::getNFKDInstance(status);
    if (U_FAILURE(status)) nfkd_ = nullptr;
    status = U_ZERO_ERROR;
    spoof_ = uspoof_open(&status);
    if (U_FAILURE(status)) spoof_ = nullptr;
    offsets_.resize(0x10001);
    look_alike_.assign(0x10000, 0);
    word_.assign(0x10000, false);
    for (uint32_t c = 0; c < 0x10000; ++c) {
      offsets_[c] = static_cast<uint32_t>(data_.size());
      if (c < 0x80) {
        const char ascii = static_cast<char>(c);
        word_[c] = std::isalnum(static_cast<unsigned char>(ascii)) != 0;
        if (ascii >= 'A' && ascii <= 'Z') {
          data_.push_back(static_cast<char>(ascii - 'A' + 'a'));
        } else if (ascii == '\n' || ascii == '\t' || ascii == '\r' || ascii == '\f' || ascii == '\v') {
          data_.push_back(' ');
        } else if (c < 0x20 || c == 0x7F) {
          // control characters fold to nothing
        } else {
          data_.push_back(ascii);
        }
        continue;
      }
      if (c >= 0xD800 && c <= 0xDFFF) {
        data_ += "\xEF\xBF\xBD";
        continue;
      }
      const std::string folded = FoldCodePointWithIcu(c, nfkd_, spoof_);
      data_ += folded;
      word_[c] = u_isalnum(static_cast<UChar32>(c)) != 0;
      // A letter folding to one non-ASCII letter that looks like one ASCII letter or digit.
      if (word_[c] && !folded.empty() && static_cast<unsigned char>(folded[0]) >= 0x80) {
        size_t i = 0;
        bool invalid = false;
        const auto* bytes = reinterpret_cast<const uint8_t*>(folded.data());
        auto offset = static_cast<int32_t>(i);
        UChar32 d;
        U8_NEXT(bytes, offset, static_cast<int32_t>(folded.size()), d);
        invalid = d < 0;
        if (!invalid && static_cast<size_t>(offset) == folded.size()) {
          const char ascii = AsciiLookAlike(d, spoof_);
          if (ascii && std::isalnum(static_cast<unsigned char>(ascii))) look_alike_[c] = ascii;
        }
      }
    }
    offsets_[0x10000] = static_cast<uint32_t>(data_.size());
  }
  const icu::Normalizer2* nfkd_ = nullptr;
  USpoofChecker* spoof_ = nullptr;
  std::vector<uint32_t> offsets_;
  std::vector<char> look_alike_;
  std::vector<bool> word_;
  std::string data_;
  mutable std::mutex mutex_;
};

// Decodes one UTF-8 code point at `i`; invalid sequences give U+FFFD and advance one byte.
uint32_t NextCodePoint(std::string_view s, size_t& i, bool& invalid) {
  const auto* bytes = reinterpret_cast<const uint8_t*>(s.data());
  const auto length = static_cast<int32_t>(std::min<size_t>(s.size(), INT32_MAX));
  auto offset = static_cast<int32_t>(i);
  UChar32 c;
  U8_NEXT(bytes, offset, length, c);
  i = static_cast<size_t>(offset);
  invalid = c < 0;
  return c < 0 ? 0xFFFD : static_cast<uint32_t>(c);
}

void AppendFolded(std::string& out, std::vector<uint32_t>* source, std::string_view piece, size_t from) {
  for (char ch : piece) {
    if (ch == ' ' && (out.empty() || out.back() == ' ')) continue;  // whitespace runs collapse
    out.push_back(ch);
    if (source) source->push_back(static_cast<uint32_t>(from));
  }
}

struct FoldResult {
  std::string folded;
  std::vector<uint32_t> source;
  HiddenCharacters hidden;
  std::string tag_text;  // ASCII carried by tag characters
};

// Homoglyphs are a word-level question: "pаypal" with a Cyrillic "а" is a disguised Latin word, while
// "рос" in a Russian sentence is Russian. A word's look-alike letters become Latin when the word also
// has Latin letters or digits, or when every non-ASCII letter in it has a Latin look-alike.
struct PendingWord {
  struct Letter {
    uint32_t code_point;
    size_t from;
  };
  std::vector<Letter> letters;
  void Flush(const FoldTable& table, std::string& out, std::vector<uint32_t>* source) {
    bool ascii = false, all_look_alike = true;
    for (const auto& l : letters) {
      if (l.code_point < 0x80)
        ascii = true;
      else if (!table.LookAlike(l.code_point))
        all_look_alike = false;
    }
    const bool latin = ascii || all_look_alike;
    for (const auto& l : letters) {
      const char look_alike = latin ? table.LookAlike(l.code_point) : 0;
      if (look_alike)
        AppendFolded(out, source, std::string_view(&look_alike, 1), l.from);
      else
        AppendFolded(out, source, table.Lookup(l.code_point), l.from);
    }
    letters.clear();
  }
};

FoldResult FoldWithMap(std::string_view input, bool with_map) {
  const FoldTable& table = FoldTable::Get();
  FoldResult result;
  result.folded.reserve(input.size());
  if (with_map) result.source.reserve(input.size() + 1);
  std::vector<uint32_t>* source = with_map ? &result.source : nullptr;
  bool seen_hidden = false;
  auto note_hidden = [&](size_t at) {
    if (!seen_hidden) result.hidden.first_offset = at;
    seen_hidden = true;
  };
  PendingWord word;
  for (size_t i = 0; i < input.size();) {
    const size_t at = i;
    const auto byte = static_cast<unsigned char>(input[i]);
    if (byte < 0x80 && word.letters.empty()) {  // the common case: ASCII outside any pending word
      ++i;
      if (table.IsWordCharacter(byte))
        word.letters.push_back({byte, at});
      else
        AppendFolded(result.folded, source, table.Lookup(byte), at);
      continue;
    }
    bool invalid = false;
    const uint32_t c = byte < 0x80 ? (++i, byte) : NextCodePoint(input, i, invalid);
    if (table.IsWordCharacter(c) && !invalid) {
      word.letters.push_back({c, at});
      continue;
    }
    const bool hidden = invalid || IsTag(c) || IsHiddenZeroWidth(c) || IsBidiControl(c);
    if (!hidden) word.Flush(table, result.folded, source);  // invisible characters do not end a word
    if (invalid) {
      ++result.hidden.invalid_utf8;
      note_hidden(at);
      word.Flush(table, result.folded, source);
      AppendFolded(result.folded, source, "\xEF\xBF\xBD", at);
    } else if (IsTag(c)) {
      ++result.hidden.tags;
      note_hidden(at);
      if (c >= 0xE0020 && c <= 0xE007E) result.tag_text.push_back(static_cast<char>(c - 0xE0000));
    } else if (IsHiddenZeroWidth(c)) {
      ++result.hidden.zero_width;
      note_hidden(at);
    } else if (IsBidiControl(c)) {
      ++result.hidden.bidi;
      note_hidden(at);
    } else if (c < 0x10000) {
      AppendFolded(result.folded, source, table.Lookup(c), at);
    } else {
      AppendFolded(result.folded, source, table.FoldSupplementary(c), at);
    }
  }
  word.Flush(table, result.folded, source);
  if (with_map) result.source.push_back(static_cast<uint32_t>(input.size()));
  return result;
}

bool IsBase64Char(unsigned char c) { return std::isalnum(c) || c == '+' || c == '/' || c == '-' || c == '_'; }
bool IsHexChar(unsigned char c) { return std::isxdigit(c) != 0; }

// Decoded bytes count as hidden text only when they read as text: valid UTF-8, few control characters.
bool LooksLikeText(std::string_view s) {
  if (s.size() < 6) return false;
  size_t printable = 0;
  size_t letters = 0;
  for (size_t i = 0; i < s.size();) {
    bool invalid = false;
    const uint32_t c = NextCodePoint(s, i, invalid);
    if (invalid) return false;
    if (c >= 0x20 || c == '\n' || c == '\t' || c == '\r') ++printable;
    if (c < 0x80 ? std::isalpha(static_cast<int>(c)) != 0 : c >= 0xC0) ++letters;
  }
  // Measured in code points: at least 95% printable and half of them letters.
  size_t characters = 0;
  for (size_t i = 0; i < s.size();) {
    bool invalid = false;
    NextCodePoint(s, i, invalid);
    ++characters;
  }
  return printable * 100 >= characters * 95 && letters * 2 >= characters;
}

// Common English words: a rot13'd sentence has many of them only after rotating back.
int CountCommonWords(std::string_view folded) {
  static constexpr std::array<std::string_view, 24> kWords = {
      "the",    "and",      "you",          "to",     "of",     "is",   "are", "your", "all", "for", "with", "that",
      "ignore", "previous", "instructions", "system", "prompt", "tell", "me",  "what", "how", "a",   "in",   "it"};
  int count = 0;
  for (size_t i = 0; i < folded.size();) {
    size_t j = i;
    while (j < folded.size() && folded[j] >= 'a' && folded[j] <= 'z') ++j;
    if (j > i && j - i <= 12) {
      const std::string_view word = folded.substr(i, j - i);
      for (auto common : kWords) count += word == common ? 1 : 0;
    }
    i = j + 1;
  }
  return count;
}

char Rot13(char c) {
  if (c >= 'a' && c <= 'z') return static_cast<char>('a' + (c - 'a' + 13) % 26);
  if (c >= 'A' && c <= 'Z') return static_cast<char>('A' + (c - 'A' + 13) % 26);
  return c;
}

char LeetToLetter(char c) {
  switch (c) {
    case '0':
      return 'o';
    case '1':
      return 'i';
    case '3':
      return 'e';
    case '4':
      return 'a';
    case '5':
      return 's';
    case '7':
      return 't';
    case '8':
      return 'b';
    case '@':
      return 'a';
    case '$':
      return 's';
    case '!':
      return 'i';
    case '|':
      return 'l';
    default:
      return c;
  }
}

void AddView(NormalizedText& out, std::string kind, std::string text, size_t begin, size_t end) {
  if (out.decoded.size() >= kMaxViews || text.empty()) return;
  out.decoded.push_back(TextView{std::move(kind), std::move(text), begin, end});
}

void DecodeSegments(std::string_view input, size_t base, size_t depth, NormalizedText& out);

void AddDecoded(NormalizedText& out, const char* kind, std::string decoded, size_t begin, size_t end, size_t depth) {
  if (!LooksLikeText(decoded)) return;
  AddView(out, kind, Fold(decoded), begin, end);
  if (depth + 1 < kMaxDecodeDepth) DecodeSegments(decoded, begin, depth + 1, out);
}

// Finds base64, hex, \xNN and %XX runs in `input` (the caller's bytes: folding would destroy base64's case).
void DecodeSegments(std::string_view input, size_t base, size_t depth, NormalizedText& out) {
  size_t percent_escapes = 0;
  for (size_t i = 0; i < input.size() && out.decoded.size() < kMaxViews;) {
    const auto c = static_cast<unsigned char>(input[i]);
    if (c == '%' && i + 2 < input.size() && IsHexChar(static_cast<unsigned char>(input[i + 1])) &&
        IsHexChar(static_cast<unsigned char>(input[i + 2]))) {
      ++percent_escapes;
    }
    if (c == '\\' && i + 3 < input.size() && input[i + 1] == 'x') {  // \x69\x67... escapes
      size_t j = i;
      std::string decoded;
      while (j + 3 < input.size() && input[j] == '\\' && input[j + 1] == 'x' &&
             IsHexChar(static_cast<unsigned char>(input[j + 2])) &&
             IsHexChar(static_cast<unsigned char>(input[j + 3]))) {
        decoded.push_back(static_cast<char>(HexDigitValue(input[j + 2]) * 16 + HexDigitValue(input[j + 3])));
        j += 4;
      }
      if (decoded.size() >= kMinEncodedSegment / 2) AddDecoded(out, "hex", decoded, base + i, base + j, depth);
      i = std::max(j, i + 1);
      continue;
    }
    if (!IsBase64Char(c)) {
      ++i;
      continue;
    }
    size_t j = i;
    bool all_hex = true;
    bool has_upper = false, has_lower = false, has_digit = false;
    while (j < input.size() && IsBase64Char(static_cast<unsigned char>(input[j]))) {
      const auto d = static_cast<unsigned char>(input[j]);
      all_hex = all_hex && IsHexChar(d);
      has_upper = has_upper || std::isupper(d);
      has_lower = has_lower || std::islower(d);
      has_digit = has_digit || std::isdigit(d);
      ++j;
    }
    const size_t length = j - i;
    if (length >= kMinEncodedSegment) {
      const std::string_view run = input.substr(i, length);
      if (all_hex && length % 2 == 0) {
        AddDecoded(out, "hex", HexDecode(run).value_or(""), base + i, base + j, depth);
      } else if ((has_upper || has_digit) && has_lower) {  // a plain long word is not base64
        AddDecoded(out, "base64", Base64DecodeLenient(run), base + i, base + j, depth);
      }
    }
    i = j;
    while (i < input.size() && input[i] == '=') ++i;
  }
  if (percent_escapes >= 3 && out.decoded.size() < kMaxViews) {
    std::string decoded;
    for (size_t i = 0; i < input.size(); ++i) {
      if (input[i] == '%' && i + 2 < input.size() && IsHexChar(static_cast<unsigned char>(input[i + 1])) &&
          IsHexChar(static_cast<unsigned char>(input[i + 2]))) {
        decoded.push_back(static_cast<char>(HexDigitValue(input[i + 1]) * 16 + HexDigitValue(input[i + 2])));
        i += 2;
      } else {
        decoded.push_back(input[i] == '+' ? ' ' : input[i]);
      }
    }
    AddView(out, "url", Fold(decoded), base, base + input.size());
  }
}

}  // namespace

std::pair<size_t, size_t> NormalizedText::SourceRange(size_t begin, size_t end) const {
  if (source.empty()) return {0, 0};
  begin = std::min(begin, source.size() - 1);
  end = std::min(std::max(end, begin), source.size() - 1);
  size_t source_end = source[end];
  // The end maps to the input byte after the last folded byte's character.
  if (end > begin) {
    const size_t last = source[end - 1];
    size_t next = end;
    while (next < source.size() - 1 && source[next] == last) ++next;
    source_end = std::max<size_t>(source[next], last + 1);
  }
  return {source[begin], source_end};
}

std::string Fold(std::string_view input) { return FoldWithMap(input, false).folded; }

NormalizedText Normalize(std::string_view input) {
  FoldResult folded = FoldWithMap(input, true);
  NormalizedText out;
  out.folded = std::move(folded.folded);
  out.source = std::move(folded.source);
  out.hidden = folded.hidden;
  if (!folded.tag_text.empty()) AddView(out, "tags", Fold(folded.tag_text), 0, input.size());
  DecodeSegments(input, 0, 0, out);
  // rot13 and leetspeak are judged on the folded text: both keep one byte per byte.
  std::string rotated = out.folded;
  for (char& c : rotated) c = Rot13(c);
  const int plain_words = CountCommonWords(out.folded);
  const int rotated_words = CountCommonWords(rotated);
  if (rotated_words >= 3 && rotated_words > 2 * plain_words) AddView(out, "rot13", std::move(rotated), 0, input.size());
  // Leetspeak: a digit or symbol standing between two letters ("1gn0r3", "p@ssw0rd") in at least two
  // words makes a text leetspeak; "5th", "20kg" or "b4" alone do not. In a leetspeak text every word with a
  // letter is mapped ("4ll" too), trailing punctuation excepted ("hello!" is not "helloi").
  auto is_letter_like = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || LeetToLetter(c) != c; };
  size_t leet_words = 0;
  std::vector<std::pair<size_t, size_t>> words;
  for (size_t i = 0; i < out.folded.size();) {
    size_t j = i;
    while (j < out.folded.size() && out.folded[j] != ' ') ++j;
    words.emplace_back(i, j);
    for (size_t k = i + 1; k + 1 < j; ++k) {
      const char before = out.folded[k - 1], c = out.folded[k], after = out.folded[k + 1];
      if (LeetToLetter(c) != c && is_letter_like(before) && is_letter_like(after) &&
          (std::isalpha(static_cast<unsigned char>(before)) || std::isalpha(static_cast<unsigned char>(after)))) {
        ++leet_words;
        break;
      }
    }
    i = j + 1;
  }
  const bool changed = leet_words >= 2;
  std::string leet;
  if (changed) {
    leet = out.folded;
    for (const auto& [i, j] : words) {
      bool letter = false;
      for (size_t k = i; k < j; ++k) letter = letter || std::isalpha(static_cast<unsigned char>(leet[k]));
      if (!letter) continue;
      for (size_t k = i; k < j; ++k) {
        if (k + 1 < j || std::isdigit(static_cast<unsigned char>(leet[k]))) leet[k] = LeetToLetter(leet[k]);
      }
    }
  }
  if (changed) AddView(out, "leet", std::move(leet), 0, input.size());
  return out;
}

}  // namespace modelguard::guard
