// One gateway audit line -> the route, key and signals the stream monitor follows (stream.h).
//
// A scanner of its own, not a JSON library: a monitor reads every event the gateway writes, and building a
// document tree for a 400-byte line to keep eight of its members cost five times the rest of the monitor.
// It validates the whole line as RFC 8259 JSON (UTF-8 in strings, escapes and surrogate pairs, number
// grammar, nesting) and gives what a JSON library would: a member given twice counts once, the last
// (nlohmann::json's behaviour, which fuzz/fuzz_monitor_stream.cpp and the tests compare it with).
#include <array>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <vector>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "modelguard/core/io.h"
#include "modelguard/core/utf8.h"
#include "modelguard/monitor/stream.h"

namespace modelguard::monitor {
namespace {

constexpr int kMaxSignalDepth = 4;  // signals.guard.scores.<name> is a value at depth 4

struct Number {
  double value = 0;
  bool integer = false;  // no fraction, no exponent
  bool fits_int64 = false;
  int64_t as_int64 = 0;
};

// Bytes a string holds as they are with nothing to check: printable ASCII but the quote and the backslash.
constexpr auto kPlain = [] {
  std::array<bool, 256> plain{};
  for (int c = 0x20; c < 0x80; ++c) plain[static_cast<size_t>(c)] = c != '"' && c != '\\';
  return plain;
}();

// `a` and `b` hold the same `n` bytes; loads stay within both.
[[gnu::always_inline]] inline bool SameBytes(const char* a, const char* b, size_t n) {
  if (n >= 8) {
    uint64_t x, y, diff = 0;
    size_t i = 0;
    for (; i + 8 < n; i += 8) {
      std::memcpy(&x, a + i, 8);
      std::memcpy(&y, b + i, 8);
      diff |= x ^ y;
    }
    std::memcpy(&x, a + n - 8, 8);  // the last eight, overlapping the words before
    std::memcpy(&y, b + n - 8, 8);
    return (diff | (x ^ y)) == 0;
  }
  if (n >= 4) {
    uint32_t x[2], y[2];
    std::memcpy(&x[0], a, 4);
    std::memcpy(&x[1], a + n - 4, 4);
    std::memcpy(&y[0], b, 4);
    std::memcpy(&y[1], b + n - 4, 4);
    return ((x[0] ^ y[0]) | (x[1] ^ y[1])) == 0;
  }
  for (size_t i = 0; i < n; ++i)
    if (a[i] != b[i]) return false;
  return true;
}

// `to` = `from`, written only when it differs: a line's signal names and categories are nearly always the
// ones the buffers already hold from the line before, and comparing in place costs less than copying through
// a library call.
[[gnu::always_inline]] inline void Keep(std::string& to, std::string_view from) {
  if (to.size() != from.size() || !SameBytes(to.data(), from.data(), from.size())) to.assign(from);
}

// A member's `"name":` token as a line wrote it (at most kPaddedToken bytes), zero-padded so that it can be
// compared with a line by whole 16-byte loads.
constexpr size_t kPaddedToken = 64;
struct PaddedToken {
  alignas(16) char bytes[kPaddedToken] = {};
  size_t size = 0;  // 0: none yet
  void Assign(const char* text, size_t length) {
    std::memset(bytes, 0, sizeof bytes);
    std::memcpy(bytes, text, length);
    size = length;
  }
  std::string_view View() const { return {bytes, size}; }
};

class Scanner {
 public:
  explicit Scanner(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }
  void SkipSpace() {
    // The gateway writes no whitespace between tokens: one compare decides that, the loop is for others.
    if (p_<end_&& static_cast<unsigned char>(*p_)> ' ') return;
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\t' || *p_ == '\n' || *p_ == '\r')) ++p_;
  }
  bool Consume(char c) {
    SkipSpace();
    if (p_ < end_ && *p_ == c) {
      ++p_;
      return true;
    }
    return false;
  }
  char Peek() {
    SkipSpace();
    return p_ < end_ ? *p_ : '\0';
  }

  // A string at the cursor (its opening quote included); unescaped into `out` when given. Inlined for the
  // strings of plain ASCII that make up nearly every line; the rest continue out of line.
  [[gnu::always_inline]] bool String(std::string* out) {
    if (Peek() != '"') return false;
    ++p_;
    const char* run = p_;
    escaped_ = false;
    SkipPlain();
    if (p_ < end_ && *p_ == '"') {
      if (out) out->assign(run, p_);
      ++p_;
      return true;
    }
    if (out) out->clear();
    return StringRest(out, run);
  }

  // The rest of a string whose plain start `run` ends at the cursor, before a byte that needs a look.
  [[gnu::noinline]] bool StringRest(std::string* out, const char* run) {
    bool high = false;  // the run has bytes above ASCII: checked as UTF-8 when it ends
    for (;;) {
      // Plain ASCII, the bulk of every line (hashes, paths, names): eight bytes at a time while none of them
      // needs a look, then byte by byte up to the one that does.
      SkipPlain();
      if (p_ >= end_) return false;
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        if (high && !IsValidUtf8(std::string_view(run, static_cast<size_t>(p_ - run)))) return false;
        if (out) out->append(run, p_);
        ++p_;
        return true;
      }
      if (c < 0x20) return false;
      if (c != '\\') {
        high |= c >= 0x80;
        ++p_;
        continue;
      }
      if (high && !IsValidUtf8(std::string_view(run, static_cast<size_t>(p_ - run)))) return false;
      high = false;
      escaped_ = true;
      if (out) out->append(run, p_);
      if (++p_ >= end_) return false;
      const char escape = *p_++;
      char simple = 0;
      switch (escape) {
        case '"':
          simple = '"';
          break;
        case '\\':
          simple = '\\';
          break;
        case '/':
          simple = '/';
          break;
        case 'b':
          simple = '\b';
          break;
        case 'f':
          simple = '\f';
          break;
        case 'n':
          simple = '\n';
          break;
        case 'r':
          simple = '\r';
          break;
        case 't':
          simple = '\t';
          break;
        case 'u':
          break;
        default:
          return false;
      }
      if (simple) {
        if (out) out->push_back(simple);
      } else {
        uint32_t code = 0;
        if (!Hex4(code)) return false;
        if (code >= 0xDC00 && code <= 0xDFFF) return false;  // a low surrogate alone
        if (code >= 0xD800 && code <= 0xDBFF) {
          uint32_t low = 0;
          if (end_ - p_ < 2 || p_[0] != '\\' || p_[1] != 'u') return false;
          p_ += 2;
          if (!Hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
          code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
        }
        if (out) AppendUtf8(*out, code);
      }
      run = p_;
    }
  }

  // A string at the cursor as a view: of the line itself when it holds no escape (member names, hashes,
  // routes: nearly always), else of its unescaped text in `scratch`.
  bool StringView(std::string_view& view, std::string& scratch) {
    if (Peek() != '"') return false;
    const char* start = p_;
    if (!String(nullptr)) return false;
    if (!escaped_) {
      view = std::string_view(start + 1, static_cast<size_t>(p_ - start - 2));
      return true;
    }
    p_ = start;
    if (!String(&scratch)) return false;
    view = scratch;
    return true;
  }

  const char* position() const { return p_; }
  bool At(char c) const { return p_ < end_ && *p_ == c; }  // the byte at the cursor, whitespace not skipped
  bool escaped() const { return escaped_; }                // the last string read held an escape

  // The exact bytes `token` at the cursor (after any whitespace), then moves past them. The tokens compared
  // are ones the scanner read and validated on an earlier line, so equal bytes read the same way again. An
  // empty token is no token (a place no line has filled yet): it matches nothing.
  bool Token(const PaddedToken& token) {
    if (token.size == 0) return false;
    SkipSpace();
#if defined(__SSE2__)
    // With the whole padded length readable: four compares of sixteen bytes and one mask of the token's
    // length, where a loop over the bytes would branch on each token's length.
    if (static_cast<size_t>(end_ - p_) >= kPaddedToken) {
      uint64_t equal = 0;
      for (size_t chunk = 0; chunk < kPaddedToken / 16; ++chunk) {
        const __m128i line = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_ + 16 * chunk));
        const __m128i want = _mm_load_si128(reinterpret_cast<const __m128i*>(token.bytes + 16 * chunk));
        equal |= static_cast<uint64_t>(static_cast<uint32_t>(_mm_movemask_epi8(_mm_cmpeq_epi8(line, want))))
                 << (16 * chunk);
      }
      const uint64_t needed = token.size == 64 ? ~uint64_t{0} : (uint64_t{1} << token.size) - 1;
      if ((equal & needed) != needed) return false;
      p_ += token.size;
      return true;
    }
#endif
    if (static_cast<size_t>(end_ - p_) < token.size || !SameBytes(p_, token.bytes, token.size)) return false;
    p_ += token.size;
    return true;
  }

  // A string of exactly `length` plain bytes (kPlain) at the cursor, its quote next: what String() would read
  // there, found by checking a guessed length rather than by scanning for the quote. The guess is the length
  // the same member had on the line before: when it holds, the cursor moves by a length known in advance, and
  // the next token's reads need not wait for this one's bytes to be examined (finding the quote by a compare
  // of sixteen bytes would make them wait: 2-4% slower on gateway lines, measured). npos: no guess.
  bool PlainString(size_t length, std::string_view& view) {
    if (length == std::string_view::npos || static_cast<size_t>(end_ - p_) < length + 2 || p_[length + 1] != '"')
      return false;
#if defined(__SSE2__)
    // Shorter than sixteen bytes, with sixteen to read: one compare, the bytes past the string masked off.
    if (length < 16 && end_ - p_ >= 17) {
      if ((PlainFlags(p_ + 1) & ((1u << length) - 1)) != 0) return false;
    } else if (!AllPlain(p_ + 1, length)) {
      return false;
    }
#else
    if (!AllPlain(p_ + 1, length)) return false;
#endif
    return TakePlain(length, view);
  }

  // `true` or `false` at the cursor (after any whitespace) into `value`.
  bool Boolean(bool& value) {
    SkipSpace();
    const auto left = static_cast<size_t>(end_ - p_);
    if (left >= 4 && std::memcmp(p_, "true", 4) == 0) {
      value = true;
      p_ += 4;
      return true;
    }
    if (left >= 5 && std::memcmp(p_, "false", 5) == 0) {
      value = false;
      p_ += 5;
      return true;
    }
    return false;
  }

  bool ParseNumber(Number& number) {
    SkipSpace();
    const char* start = p_;
    const bool negative = p_ < end_ && *p_ == '-';
    if (negative) ++p_;
    if (p_ >= end_) return false;
#if defined(__SSE2__)
    if (ShortNumber(negative, number)) return true;
#endif
    // The digits are gathered while the grammar is checked: up to 19 of them fit a uint64_t.
    uint64_t mantissa = 0;
    int digits = 0, fraction_digits = 0;
    auto gather = [&] {
      if (digits < 19) mantissa = mantissa * 10 + static_cast<uint64_t>(*p_ - '0');
      ++digits;  // leading zeros of a fraction count too: only ever sends a number to from_chars
      ++p_;
    };
    if (*p_ == '0') {
      ++p_;
    } else if (*p_ >= '1' && *p_ <= '9') {
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') gather();
    } else {
      return false;
    }
    number.integer = true;
    if (p_ < end_ && *p_ == '.') {
      number.integer = false;
      ++p_;
      if (p_ >= end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') {
        gather();
        ++fraction_digits;
      }
    }
    bool exponent = false;
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      number.integer = false;
      exponent = true;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ >= end_ || *p_ < '0' || *p_ > '9') return false;
      while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    }
    number.fits_int64 = false;
    if (number.integer && digits <= 18) {  // below 10^18: an int64_t either way
      number.as_int64 = negative ? -static_cast<int64_t>(mantissa) : static_cast<int64_t>(mantissa);
      number.fits_int64 = true;
    } else if (number.integer) {
      const auto parsed = std::from_chars(start, p_, number.as_int64);
      number.fits_int64 = parsed.ec == std::errc() && parsed.ptr == p_;
    }
    if (number.fits_int64) {
      number.value = static_cast<double>(number.as_int64);  // "-0" is the integer 0, as JSON libraries read it
      return true;
    }
    // Clinger's fast path: at most 15 significant digits and 22 decimals make the mantissa and the power of
    // ten exact doubles, and one IEEE division rounds their quotient correctly, as from_chars would.
    static constexpr double kPowers[] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
                                         1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
    if (!exponent && digits <= 15 && fraction_digits <= 22) {
      const double value = static_cast<double>(mantissa) / kPowers[fraction_digits];
      number.value = negative ? -value : value;
      return true;
    }
    const auto parsed = std::from_chars(start, p_, number.value);
    if (parsed.ec == std::errc::result_out_of_range) {
      // Too large is an error (as in JSON libraries); too small is a zero of the number's sign.
      if (DecimalExponent(start, p_) > 0) return false;
      number.value = *start == '-' ? -0.0 : 0.0;
    } else if (parsed.ec != std::errc() || parsed.ptr != p_) {
      return false;
    }
    return true;
  }

#if defined(__SSE2__)
  // The numbers a gateway writes (times, statuses, latencies, counts): at most 15 significant digits, a
  // fraction or none, no exponent, and not near the end of the line. Their digits are found by one compare
  // of sixteen bytes and converted eight at a time, where ParseNumber's loop takes a branch per digit. The
  // value is the one ParseNumber gives. False, the cursor where it was: anything else, for ParseNumber.
  bool ShortNumber(bool negative, Number& number) {
    if (end_ - p_ < 40) return false;  // both loads below stay within the line
    const size_t integer_digits = DigitRun(p_);
    if (integer_digits == 0 || integer_digits > 15 || (*p_ == '0' && integer_digits > 1)) return false;
    uint64_t mantissa = DigitsValue(p_, integer_digits);
    const char* after = p_ + integer_digits;
    size_t fraction_digits = 0;
    if (*after == '.') {
      fraction_digits = DigitRun(after + 1);
      if (fraction_digits == 0 || integer_digits + fraction_digits > 15) return false;
      mantissa = mantissa * kExactPowers[fraction_digits] + DigitsValue(after + 1, fraction_digits);
      after += 1 + fraction_digits;
    }
    if (*after == 'e' || *after == 'E') return false;
    p_ = after;
    number.integer = fraction_digits == 0;
    number.fits_int64 = number.integer;
    if (number.integer) {
      number.as_int64 = negative ? -static_cast<int64_t>(mantissa) : static_cast<int64_t>(mantissa);
      number.value = static_cast<double>(number.as_int64);  // "-0" is the integer 0
    } else {
      // Clinger's fast path, as in ParseNumber: an exact mantissa and power of ten, one rounding.
      const double value = static_cast<double>(mantissa) / static_cast<double>(kExactPowers[fraction_digits]);
      number.value = negative ? -value : value;
    }
    return true;
  }

  // How many of the sixteen bytes at `s` are decimal digits before the first that is not (16: all are).
  static size_t DigitRun(const char* s) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
    const __m128i digits =
        _mm_and_si128(_mm_cmpgt_epi8(bytes, _mm_set1_epi8('0' - 1)), _mm_cmplt_epi8(bytes, _mm_set1_epi8('9' + 1)));
    return static_cast<size_t>(std::countr_zero(~static_cast<unsigned>(_mm_movemask_epi8(digits))));
  }

  // The value of the `n` (1 to 15) decimal digits at `s`, which has at least eight bytes from `s + n - 8`.
  static uint64_t DigitsValue(const char* s, size_t n) {
    if (n <= 8) return EightDigits(s, n);
    return EightDigits(s, n - 8) * 100000000 + EightDigits(s + n - 8, 8);
  }

  // The value of the `n` (1 to 8) digits at `s` (eight bytes readable there), combined in pairs, then pairs
  // of pairs, then halves, within one 64-bit word. Words are read little-endian: the first digit, the most
  // significant, is the lowest byte, so the digits are moved up by the bytes missing from eight and those
  // low bytes are zeros, leading zeros of the number.
  static uint64_t EightDigits(const char* s, size_t n) {
    uint64_t word;
    std::memcpy(&word, s, sizeof word);
    if constexpr (std::endian::native != std::endian::little) word = __builtin_bswap64(word);
    word = (word & 0x0F0F0F0F0F0F0F0Full) << (8 * (8 - n));
    word = (word * 10 + (word >> 8)) & 0x00FF00FF00FF00FFull;    // each byte pair: 10 a + b, 0 to 99
    word = (word * 100 + (word >> 16)) & 0x0000FFFF0000FFFFull;  // each 16-bit pair: 0 to 9999
    return (word * 10000 + (word >> 32)) & 0xFFFFFFFFull;        // 0 to 99999999
  }

  static constexpr uint64_t kExactPowers[] = {1,
                                              10,
                                              100,
                                              1000,
                                              10000,
                                              100000,
                                              1000000,
                                              10000000,
                                              100000000,
                                              1000000000,
                                              10000000000,
                                              100000000000,
                                              1000000000000,
                                              10000000000000,
                                              100000000000000,
                                              1000000000000000};
#endif

  bool Literal(std::string_view word) {
    SkipSpace();
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) return false;
    p_ += word.size();
    return true;
  }

  // Any value, validated and thrown away; nesting is followed with a stack of its own (no recursion).
  bool SkipValue() {
    thread_local std::vector<char> open;  // '{' or '[', reused from line to line
    open.clear();
    for (;;) {
      // A value is expected here.
      const char c = Peek();
      if (c == '{' || c == '[') {
        ++p_;
        if (Consume(c == '{' ? '}' : ']')) {
          // empty container: a complete value
        } else {
          open.push_back(c);
          if (c == '{' && (!String(nullptr) || !Consume(':'))) return false;
          continue;
        }
      } else if (c == '"') {
        if (!String(nullptr)) return false;
      } else if (c == 't') {
        if (!Literal("true")) return false;
      } else if (c == 'f') {
        if (!Literal("false")) return false;
      } else if (c == 'n') {
        if (!Literal("null")) return false;
      } else {
        Number ignored;
        if (!ParseNumber(ignored)) return false;
      }
      // After a complete value: close containers or move to the next item.
      for (;;) {
        if (open.empty()) return true;
        const char container = open.back();
        if (Consume(',')) {
          if (container == '{' && (!String(nullptr) || !Consume(':'))) return false;
          break;
        }
        if (!Consume(container == '{' ? '}' : ']')) return false;
        open.pop_back();
      }
    }
  }

 private:
  // Moves past plain bytes (kPlain), eight at a time by word arithmetic: in each byte of `flagged` the high
  // bit is set where the byte is a quote or a backslash (a zero byte after XOR), below 0x20, or above ASCII.
  // Mycroft's zero-byte test can also flag bytes above a real match, never below one, so the lowest flag
  // is the first byte that needs a look. Words are read little-endian; elsewhere a byte loop does it.
  [[gnu::always_inline]] void SkipPlain() {
#if defined(__SSE2__)
    // Sixteen bytes at a time where SSE2 is there (all of x86-64): a quote, a backslash, or a byte that is
    // negative or below 0x20 as a signed char (control characters and everything above ASCII).
    while (end_ - p_ >= 16) {
      const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p_));
      const __m128i flagged = _mm_or_si128(
          _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'))),
          _mm_cmplt_epi8(bytes, _mm_set1_epi8(0x20)));
      const auto mask = static_cast<unsigned>(_mm_movemask_epi8(flagged));
      if (mask != 0) {
        p_ += std::countr_zero(mask);
        return;
      }
      p_ += 16;
    }
#endif
    if constexpr (std::endian::native == std::endian::little) {
      constexpr uint64_t kOnes = 0x0101010101010101ull, kHighs = 0x8080808080808080ull;
      const auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHighs; };
      while (end_ - p_ >= 8) {
        uint64_t word;
        std::memcpy(&word, p_, sizeof word);
        const uint64_t flagged = has_zero(word ^ (kOnes * '"')) | has_zero(word ^ (kOnes * '\\')) |
                                 ((word - kOnes * 0x20) & ~word & kHighs) | (word & kHighs);
        if (flagged != 0) {
          p_ += std::countr_zero(flagged) / 8;
          return;
        }
        p_ += 8;
      }
    }
    while (p_ < end_ && kPlain[static_cast<unsigned char>(*p_)]) ++p_;
  }

  // The string of `length` plain bytes whose opening quote is at the cursor (bytes and closing quote checked).
  bool TakePlain(size_t length, std::string_view& view) {
    view = std::string_view(p_ + 1, length);
    p_ += length + 2;
    escaped_ = false;
    return true;
  }

#if defined(__SSE2__)
  // A bit per byte of the sixteen at `s`, set where the byte is not plain (kPlain).
  static unsigned PlainFlags(const char* s) {
    const __m128i bytes = _mm_loadu_si128(reinterpret_cast<const __m128i*>(s));
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
        _mm_or_si128(_mm_cmpeq_epi8(bytes, _mm_set1_epi8('"')), _mm_cmpeq_epi8(bytes, _mm_set1_epi8('\\'))),
        _mm_cmplt_epi8(bytes, _mm_set1_epi8(0x20)))));
  }
#endif

  // Every byte of [s, s + n) is plain (kPlain); loads stay within the range.
  static bool AllPlain(const char* s, size_t n) {
#if defined(__SSE2__)
    if (n >= 16) {
      unsigned any = 0;
      for (size_t i = 0; i + 16 < n; i += 16) any |= PlainFlags(s + i);
      return (any | PlainFlags(s + n - 16)) == 0;  // the last sixteen, overlapping
    }
#endif
    for (size_t i = 0; i < n; ++i)
      if (!kPlain[static_cast<unsigned char>(s[i])]) return false;
    return true;
  }

  bool Hex4(uint32_t& code) {
    if (end_ - p_ < 4) return false;
    code = 0;
    for (int i = 0; i < 4; ++i) {
      const char h = *p_++;
      code <<= 4;
      if (h >= '0' && h <= '9')
        code |= static_cast<uint32_t>(h - '0');
      else if (h >= 'a' && h <= 'f')
        code |= static_cast<uint32_t>(h - 'a' + 10);
      else if (h >= 'A' && h <= 'F')
        code |= static_cast<uint32_t>(h - 'A' + 10);
      else
        return false;
    }
    return true;
  }

  // The power of ten of the first significant digit of a valid JSON number (0 for zero), saturated.
  static int64_t DecimalExponent(const char* p, const char* end) {
    if (*p == '-') ++p;
    int64_t integer_digits = 0, leading_fraction_zeros = 0;
    bool nonzero_integer = *p != '0';
    while (p < end && *p >= '0' && *p <= '9') {
      ++integer_digits;
      ++p;
    }
    bool seen_significant = nonzero_integer;
    if (p < end && *p == '.') {
      ++p;
      while (p < end && *p >= '0' && *p <= '9') {
        if (!seen_significant) {
          if (*p == '0')
            ++leading_fraction_zeros;
          else
            seen_significant = true;
        }
        ++p;
      }
    }
    int64_t exponent = 0;
    if (p < end && (*p == 'e' || *p == 'E')) {
      ++p;
      const bool negative = *p == '-';
      if (*p == '+' || *p == '-') ++p;
      while (p < end && *p >= '0' && *p <= '9') {
        if (exponent < 1000000000) exponent = exponent * 10 + (*p - '0');
        ++p;
      }
      if (negative) exponent = -exponent;
    }
    if (!seen_significant) return 0;
    return nonzero_integer ? exponent + integer_digits - 1 : exponent - leading_fraction_zeros - 1;
  }

  const char* p_;
  const char* end_;
  bool escaped_ = false;  // the last string read held an escape
};

// The signals a caller keeps (ParseAuditEvent's `signals`): those named, and the prediction's two, which the
// monitor reads whatever it follows. Empty: all.
struct SignalFilter {
  const std::vector<std::string>* names = nullptr;
  bool Keeps(std::string_view name) const {
    if (!names || names->empty()) return true;
    for (const std::string& kept : *names)
      if (kept.size() == name.size() && SameBytes(kept.data(), name.data(), name.size())) return true;
    return name == "signals.predicted_class" || name == "signals.top_probability";
  }
};

// A member of an object as it was on the line before (see MemberShape, below, for why).
struct NameShape {
  PaddedToken token;                             // `"name":` as it was written, without escapes or whitespace
  size_t value_length = std::string_view::npos;  // its last string value's length, when it had no escapes
  // The member's dotted name as it was last built (empty: not since `token` was set), and whether the filter
  // keeps it (-1: not asked since): a member whose object has the same name as then has the same name too,
  // and is neither built nor looked up again.
  std::string name;
  int kept = -1;
};
constexpr size_t kShapeMembers = 32, kMaxShapeToken = kPaddedToken;

// Flattened signals with JSON's duplicate rule: a member named again replaces everything the first one gave,
// so each member's entries are recorded as a range that a later duplicate erases. Kept per thread and
// reused with their strings' buffers, so once they have grown a line costs no allocation.
struct Flattener {
  struct Member {
    std::string key;
    size_t begin = 0, end = 0;
  };
  std::vector<NameShape> shapes[kMaxSignalDepth + 1];        // per depth, by the member's place in its object
  std::vector<std::pair<std::string, SignalValue>> entries;  // the first `size` hold this line's
  size_t size = 0;
  std::vector<char> erased;  // not vector<bool>: a byte per entry is set and read without masking
  std::string name;          // the dotted name being built
  std::vector<Member> members[kMaxSignalDepth + 1];  // per depth: the members of the object being read
  std::string key;                                   // a member name with escapes, unescaped
  std::string category;                              // a string value with escapes, unescaped
  size_t members_read = 0;  // in the whole signals tree, duplicates and skipped values included
  bool over_limit = false;
  SignalFilter filter;                    // entries not kept are read and checked all the same, and left out
  std::vector<std::string> filter_names;  // the names the shapes' `kept` were answered for
  bool filter_all = true;                 // ... or every name
  // What the filter says of the members read outside `signals` (ParseInto), answered once per filter.
  bool keeps_latency = true, keeps_first_byte = true, keeps_tokens = true, keeps_status = true;
  // The dotted name of the member being read, and its shape's answer of the filter (nullptr: none).
  const std::string* current = &name;
  int* current_kept = nullptr;

  void Reset(SignalFilter line_filter) {
    size = 0;  // entries keep their strings' buffers for the next line
    erased.clear();
    members_read = 0;
    over_limit = false;
    filter = line_filter;
    // The filter of most calls is the one of the call before (monitor serve's): compared, not asked again.
    const bool all = !line_filter.names || line_filter.names->empty();
    if (all == filter_all && (all || *line_filter.names == filter_names)) return;
    filter_all = all;
    if (all)
      filter_names.clear();
    else
      filter_names = *line_filter.names;
    for (auto& depth : shapes)
      for (NameShape& shape : depth) shape.kept = -1;
    keeps_latency = filter.Keeps("latency_ms");
    keeps_first_byte = filter.Keeps("first_byte_ms");
    keeps_tokens = filter.Keeps("tokens");
    keeps_status = filter.Keeps("status_class");
  }
  void Erase(size_t begin, size_t end) {
    for (size_t i = begin; i < end; ++i) erased[i] = true;
  }
  void Add(bool numeric, double number, std::string_view text) {
    if (current_kept && *current_kept < 0) *current_kept = filter.Keeps(*current) ? 1 : 0;
    if (current_kept ? *current_kept == 0 : !filter.Keeps(*current)) return;
    if (size == entries.size()) entries.emplace_back();
    auto& [entry_name, value] = entries[size++];
    Keep(entry_name, *current);
    value.numeric = numeric;
    value.number = number;
    Keep(value.category, text);
    erased.push_back(false);
  }

  // The object at the scanner (its '{' next), named `name`, at `depth`.
  bool Object(Scanner& in, int depth) {
    if (!in.Consume('{')) return false;
    if (in.Consume('}')) return true;
    std::vector<Member>& seen = members[depth];
    size_t used = 0;
    const size_t base = name.size();
    std::vector<NameShape>& known = shapes[depth];
    do {
      std::string_view key_text;  // valid until the nested values read strings of their own
      NameShape* shape = used < known.size() ? &known[used] : nullptr;
      if (shape && in.Token(shape->token)) {
        key_text = shape->token.View().substr(1, shape->token.size - 3);  // between the quotes
      } else {
        in.SkipSpace();
        const char* start = in.position();
        if (!in.StringView(key_text, key)) return false;
        const bool plain = !in.escaped() && in.At(':');
        if (!in.Consume(':')) return false;
        shape = nullptr;
        const auto token_size = static_cast<size_t>(in.position() - start);
        if (plain && used < kShapeMembers && token_size <= kMaxShapeToken) {
          if (used >= known.size()) known.resize(used + 1);
          shape = &known[used];
          shape->token.Assign(start, token_size);
          shape->value_length = std::string_view::npos;
          shape->name.clear();
          shape->kept = -1;
        }
      }
      // Bounded work and memory: duplicates are looked for among at most kMaxAuditSignals members, and no
      // name grows past kMaxAuditNameBytes.
      if (++members_read > kMaxAuditSignals || base + 1 + key_text.size() > kMaxAuditNameBytes) {
        over_limit = true;
        return false;
      }
      const size_t begin = size;
      // The member's dotted name: its shape's, when the shape's was built under an object of this one's name
      // and the value is no object (whose members' names are built on `name`); else built.
      const size_t full_size = base + 1 + key_text.size();
      if (shape && shape->name.size() == full_size && SameBytes(shape->name.data(), name.data(), base) &&
          in.Peek() != '{') {
        current = &shape->name;
      } else {
        name.resize(base);
        name.push_back('.');
        name.append(key_text);
        if (shape && shape->name != name) {
          shape->name = name;
          shape->kept = -1;
        }
        current = &name;
      }
      current_kept = shape ? &shape->kept : nullptr;
      if (used == seen.size()) seen.emplace_back();
      Member& member = seen[used++];
      Keep(member.key, key_text);
      if (!Value(in, depth + 1, shape)) return false;
      for (size_t m = 0; m + 1 < used; ++m) {
        if (seen[m].key.size() != member.key.size() ||
            !SameBytes(seen[m].key.data(), member.key.data(), member.key.size()))
          continue;
        Erase(seen[m].begin, seen[m].end);
        seen[m].end = seen[m].begin;
      }
      member.begin = begin;
      member.end = size;
    } while (in.Consume(','));
    name.resize(base);
    return in.Consume('}');
  }

  // A member's value; `shape`, when given, is the member's on the line before (a string is tried at its length).
  bool Value(Scanner& in, int depth, NameShape* shape) {
    const char c = in.Peek();
    if (c == '{') {
      if (depth < kMaxSignalDepth) return Object(in, depth);
      return in.SkipValue();  // deeper objects are not signals of one event
    }
    if (c == '"') {
      std::string_view category_text;
      if (!in.PlainString(shape ? shape->value_length : std::string_view::npos, category_text)) {
        const char* start = in.position();
        if (!in.StringView(category_text, category)) return false;
        if (shape)
          shape->value_length = in.escaped() ? std::string_view::npos : static_cast<size_t>(in.position() - start) - 2;
      }
      if (category_text.size() > kMaxAuditNameBytes) {
        over_limit = true;
        return false;
      }
      Add(false, 0, category_text);
      return true;
    }
    if (c == 't' || c == 'f') {
      bool truth = false;
      if (!in.Boolean(truth)) return false;
      Add(true, truth ? 1.0 : 0.0, {});
      return true;
    }
    if (c == '-' || (c >= '0' && c <= '9')) {
      Number number;
      if (!in.ParseNumber(number)) return false;
      Add(true, number.value, {});
      return true;
    }
    return in.SkipValue();  // null, lists
  }
};

}  // namespace

namespace {

// The members of an audit event the monitor reads. Told apart by length first, then by a memcmp of a
// constant length (inlined as a few integer compares): every line names a dozen members.
enum class AuditMember { kOther, kTime, kStatus, kRoute, kKeyId, kRequestId, kLatency, kFirstByte, kTokens, kSignals };

// `key` (of the same length as `name`, 4 to 16 bytes) equals `name`: two overlapping loads a side, where a
// memcmp call of a length the compiler will not unroll cost more than the rest of the member's handling.
template <size_t N>
bool Is(std::string_view key, const char (&name)[N]) {
  static_assert(N - 1 >= 4 && N - 1 <= 16);
  constexpr size_t kLength = N - 1;
  if constexpr (kLength >= 8) {
    uint64_t a[2], b[2];
    std::memcpy(&a[0], key.data(), 8);
    std::memcpy(&a[1], key.data() + kLength - 8, 8);
    std::memcpy(&b[0], name, 8);
    std::memcpy(&b[1], name + kLength - 8, 8);
    return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
  } else {
    uint32_t a[2], b[2];
    std::memcpy(&a[0], key.data(), 4);
    std::memcpy(&a[1], key.data() + kLength - 4, 4);
    std::memcpy(&b[0], name, 4);
    std::memcpy(&b[1], name + kLength - 4, 4);
    return ((a[0] ^ b[0]) | (a[1] ^ b[1])) == 0;
  }
}

AuditMember MemberOf(std::string_view key) {
  switch (key.size()) {
    case 4:
      return Is(key, "time") ? AuditMember::kTime : AuditMember::kOther;
    case 5:
      return Is(key, "route") ? AuditMember::kRoute : AuditMember::kOther;
    case 6:
      if (Is(key, "status")) return AuditMember::kStatus;
      if (Is(key, "key_id")) return AuditMember::kKeyId;
      return Is(key, "tokens") ? AuditMember::kTokens : AuditMember::kOther;
    case 7:
      return Is(key, "signals") ? AuditMember::kSignals : AuditMember::kOther;
    case 10:
      if (Is(key, "request_id")) return AuditMember::kRequestId;
      return Is(key, "latency_ms") ? AuditMember::kLatency : AuditMember::kOther;
    case 13:
      return Is(key, "first_byte_ms") ? AuditMember::kFirstByte : AuditMember::kOther;
    default:
      return AuditMember::kOther;
  }
}

// What the previous lines looked like, member by member: the gateway writes every event with the same members
// in the same order, most of them with values of the same length (hashes, methods, paths, routes). A member's
// name is compared with the bytes it had there (`"name":`, read and validated then) instead of being scanned
// for its closing quote, and a string value is first tried at the length it had there. Either guess is
// checked in full and falls back to the scan when it fails, so the guesses change how fast a line is read,
// never what is read from it; what they buy is that the cursor moves by lengths known in advance, where a
// scan makes each token wait for the bytes of the one before.
struct MemberShape {
  PaddedToken token;  // `"name":` as it was written, without escapes or whitespace
  AuditMember member = AuditMember::kOther;
  size_t value_length = std::string_view::npos;  // its last string value's length, when it had no escapes
};

Status ParseInto(std::string_view line, MonitoredEvent& event, SignalFilter filter) {
  event.time_ms = 0;
  // The route, key and request id keep their text from the line before until this line's replaces it (it
  // is usually the same text: compared, not copied), and are emptied at the end when the line had none.
  bool route_seen = false, key_seen = false, request_seen = false;
  size_t used = 0;  // event.signals filled so far: their strings' buffers are reused, not freed and taken again
  auto next_signal = [&](std::string_view name) __attribute__((always_inline))->SignalValue& {
    if (used == event.signals.size()) event.signals.emplace_back();
    auto& [slot_name, value] = event.signals[used++];
    Keep(slot_name, name);
    return value;
  };
  if (line.size() > kMaxAuditLineBytes)
    return MakeError(ErrorCode::kLimit, "audit line of " + std::to_string(line.size()) + " bytes, more than " +
                                            std::to_string(kMaxAuditLineBytes));
  auto invalid = [] { return MakeError(ErrorCode::kParse, "not a JSON object"); };
  Scanner in(line);
  if (!in.Consume('{')) return invalid();
  // "Absent" is NaN (JSON has no NaN to confuse it with) and a status of -1, not std::optional: GCC 12 at -O3
  // reports optionals read under their own has_value() test as maybe uninitialised.
  constexpr double kAbsent = std::numeric_limits<double>::quiet_NaN();
  double latency = kAbsent, first_byte = kAbsent, tokens = kAbsent;
  int64_t status = -1;
  thread_local Flattener signals;
  signals.Reset(filter);
  std::pair<size_t, size_t> signals_range{0, 0};
  thread_local std::string member_name;
  thread_local std::vector<MemberShape> shapes;
  size_t index = 0;  // of the member being read
  if (!in.Consume('}')) {
    do {
      MemberShape* shape = index < shapes.size() ? &shapes[index] : nullptr;
      AuditMember member;
      if (shape && in.Token(shape->token)) {
        member = shape->member;
      } else {
        // A view of the line, or of `member_name` when the name has escapes.
        std::string_view key;
        in.SkipSpace();
        const char* start = in.position();
        if (!in.StringView(key, member_name)) return invalid();
        const bool plain = !in.escaped() && in.At(':');
        if (!in.Consume(':')) return invalid();
        member = MemberOf(key);
        shape = nullptr;
        const auto token_size = static_cast<size_t>(in.position() - start);
        if (plain && index < kShapeMembers && token_size <= kMaxShapeToken) {
          if (index >= shapes.size()) shapes.resize(index + 1);
          shape = &shapes[index];
          shape->token.Assign(start, token_size);
          shape->member = member;
          shape->value_length = std::string_view::npos;
        }
      }
      ++index;
      // Each member of interest takes the last value given (a wrong type clears it); the others are skipped.
      const char c = in.Peek();
      // A string value at the length the member's last one had, or scanned (and its length kept for next time).
      auto string_value = [&](std::string * out) __attribute__((always_inline)) {
        std::string_view text;
        if (in.PlainString(shape ? shape->value_length : std::string_view::npos, text)) {
          if (out) Keep(*out, text);
          return true;
        }
        const char* start = in.position();
        if (!in.String(out)) return false;
        if (shape)
          shape->value_length = in.escaped() ? std::string_view::npos : static_cast<size_t>(in.position() - start) - 2;
        return true;
      };
      auto number_member = [&](double& slot) __attribute__((always_inline)) {
        slot = kAbsent;
        if (c != '-' && (c < '0' || c > '9')) return in.SkipValue();
        Number number;
        if (!in.ParseNumber(number)) return false;
        slot = number.value;
        return true;
      };
      bool ok = true;
      if (member == AuditMember::kTime || member == AuditMember::kStatus) {
        if (member == AuditMember::kTime) {
          event.time_ms = 0;
        } else {
          status = -1;
        }
        if (c == '-' || (c >= '0' && c <= '9')) {
          Number number;
          ok = in.ParseNumber(number);
          if (ok && number.integer && number.fits_int64) {
            if (member == AuditMember::kTime) {
              event.time_ms = number.as_int64;
            } else {
              status = number.as_int64;
            }
          }
        } else {
          ok = in.SkipValue();
        }
      } else if (member == AuditMember::kRoute || member == AuditMember::kKeyId || member == AuditMember::kRequestId) {
        std::string& slot = member == AuditMember::kRoute   ? event.route
                            : member == AuditMember::kKeyId ? event.key_id
                                                            : event.request_id;
        (member == AuditMember::kRoute ? route_seen : member == AuditMember::kKeyId ? key_seen : request_seen) = true;
        if (c == '"') {
          ok = string_value(&slot);
        } else {
          slot.clear();
          ok = in.SkipValue();
        }
      } else if (member == AuditMember::kLatency) {
        ok = number_member(latency);
      } else if (member == AuditMember::kFirstByte) {
        ok = number_member(first_byte);
      } else if (member == AuditMember::kTokens) {
        ok = number_member(tokens);
      } else if (member == AuditMember::kSignals) {
        signals.Erase(signals_range.first, signals_range.second);
        const size_t begin = signals.size;
        signals.name.assign("signals");
        ok = c == '{' ? signals.Object(in, 1) : in.SkipValue();
        signals_range = {begin, signals.size};
      } else {
        ok = c == '"' ? string_value(nullptr) : in.SkipValue();
      }
      if (!ok && signals.over_limit)
        return MakeError(ErrorCode::kLimit, "the signals hold more than " + std::to_string(kMaxAuditSignals) +
                                                " members, or a name or category over " +
                                                std::to_string(kMaxAuditNameBytes) + " bytes");
      if (!ok) return invalid();
    } while (in.Consume(','));
    if (!in.Consume('}')) return invalid();
  }
  if (!in.AtEnd()) return invalid();
  if (!route_seen) event.route.clear();
  if (!key_seen) event.key_id.clear();
  if (!request_seen) event.request_id.clear();
  if (event.route.size() > kMaxAuditNameBytes || event.key_id.size() > kMaxAuditNameBytes ||
      event.request_id.size() > kMaxAuditNameBytes)
    return MakeError(ErrorCode::kLimit,
                     "a route, key or request id over " + std::to_string(kMaxAuditNameBytes) + " bytes");
  auto number_signal = [&](std::string_view name, double number) {
    SignalValue& value = next_signal(name);
    value.numeric = true;
    value.number = number;
    value.category.clear();
  };
  if (!std::isnan(latency) && signals.keeps_latency) number_signal("latency_ms", latency);
  if (!std::isnan(first_byte) && signals.keeps_first_byte) number_signal("first_byte_ms", first_byte);
  if (!std::isnan(tokens) && signals.keeps_tokens) number_signal("tokens", tokens);
  if (status >= 100 && status <= 599 && signals.keeps_status) {
    SignalValue& value = next_signal("status_class");
    value.numeric = false;
    value.number = 0;
    const char class_name[] = {static_cast<char>('0' + status / 100), 'x', 'x'};
    Keep(value.category, std::string_view(class_name, sizeof class_name));
  }
  for (size_t i = 0; i < signals.size; ++i) {
    if (signals.erased[i]) continue;
    const auto& [name, parsed] = signals.entries[i];
    SignalValue& value = next_signal(name);
    value.numeric = parsed.numeric;
    value.number = parsed.number;
    Keep(value.category, parsed.category);  // copied: the flattener keeps its buffers for the next line too
  }
  event.signals.resize(used);
  return Ok{};
}

}  // namespace

Status ParseAuditEvent(std::string_view line, MonitoredEvent& event) {
  Status parsed = ParseInto(line, event, SignalFilter{});
  if (!parsed) event.signals.clear();  // never the previous line's signals under a failed one
  return parsed;
}

Status ParseAuditEvent(std::string_view line, MonitoredEvent& event, const std::vector<std::string>& signals) {
  Status parsed = ParseInto(line, event, SignalFilter{&signals});
  if (!parsed) event.signals.clear();
  return parsed;
}

Result<MonitoredEvent> ParseAuditEvent(std::string_view line) {
  MonitoredEvent event;
  MG_TRY(ParseAuditEvent(line, event));
  return event;
}

}  // namespace modelguard::monitor
