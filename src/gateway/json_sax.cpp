#include "src/gateway/json_sax.h"

#include <locale.h>
#include <clocale>
#include <cmath>
#include <cstdlib>

namespace modelguard::gateway {
namespace {

class Reader {
 public:
  Reader(std::string_view text, JsonEvents& events) : text_(text), events_(events) {}

  bool Run() {
    // A UTF-8 byte-order mark may open the text, nowhere else (as nlohmann's lexer allows).
    if (!text_.empty() && Byte(0) == 0xEF) {
      if (text_.size() < 3 || Byte(1) != 0xBB || Byte(2) != 0xBF) return false;
      pos_ = 3;
    }
    for (;;) {
      const Step step = Value();
      if (step == Step::kFailed) return false;
      if (step == Step::kOpened) continue;  // the container's first value follows
      // After a value: close containers, or find the separator before the next value.
      for (;;) {
        SkipSpace();
        if (open_.empty()) return pos_ == text_.size();
        if (pos_ == text_.size()) return false;
        const char c = text_[pos_++];
        if (open_.back() == '{') {
          if (c == '}') {
            open_.pop_back();
            if (!events_.EndObject()) return false;
            continue;
          }
          if (c != ',' || !KeyAndColon()) return false;
        } else {
          if (c == ']') {
            open_.pop_back();
            if (!events_.EndArray()) return false;
            continue;
          }
          if (c != ',') return false;
        }
        break;  // a value follows
      }
    }
  }

 private:
  unsigned char Byte(size_t at) const { return static_cast<unsigned char>(text_[at]); }

  void SkipSpace() {
    while (pos_ < text_.size()) {
      const char c = text_[pos_];
      if (c != ' ' && c != '\t' && c != '\n' && c != '\r') return;
      ++pos_;
    }
  }

  enum class Step { kFailed, kComplete, kOpened };
  static Step Done(bool ok) { return ok ? Step::kComplete : Step::kFailed; }

  // One value. A non-empty container is only opened here: its values are read by Run's loop, so nesting
  // never deepens the call stack.
  Step Value() {
    SkipSpace();
    if (pos_ == text_.size()) return Step::kFailed;
    switch (text_[pos_]) {
      case '{':
      case '[': {
        const char open = text_[pos_++];
        const bool object = open == '{';
        if (!(object ? events_.StartObject() : events_.StartArray())) return Step::kFailed;
        SkipSpace();
        if (pos_ < text_.size() && text_[pos_] == (object ? '}' : ']')) {
          ++pos_;
          return Done(object ? events_.EndObject() : events_.EndArray());
        }
        open_.push_back(open);
        return !object || KeyAndColon() ? Step::kOpened : Step::kFailed;
      }
      case '"': {
        ++pos_;
        std::string_view value;
        return Done(ReadString(value) && events_.String(value));
      }
      case 't':
        return Done(Literal("true") && events_.Boolean(true));
      case 'f':
        return Done(Literal("false") && events_.Boolean(false));
      case 'n':
        return Done(Literal("null") && events_.Null());
      default:
        return Done(Number());
    }
  }

  bool KeyAndColon() {
    SkipSpace();
    if (pos_ == text_.size() || text_[pos_] != '"') return false;
    ++pos_;
    std::string_view name;
    if (!ReadString(name) || !events_.Key(name)) return false;
    SkipSpace();
    if (pos_ == text_.size() || text_[pos_] != ':') return false;
    ++pos_;
    return true;
  }

  bool Literal(std::string_view word) {
    if (text_.substr(pos_, word.size()) != word) return false;
    pos_ += word.size();
    return true;
  }

  // -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)? ; whole numbers in 64 bits are exact, anything else must
  // be a finite double (nlohmann refuses "number overflow" such as 1e400).
  bool Number() {
    const size_t start = pos_;
    const bool negative = text_[pos_] == '-';
    if (negative) ++pos_;
    auto digits = [&] {
      const size_t from = pos_;
      while (pos_ < text_.size() && text_[pos_] >= '0' && text_[pos_] <= '9') ++pos_;
      return pos_ - from;
    };
    if (pos_ == text_.size()) return false;
    if (text_[pos_] == '0') {
      ++pos_;
    } else if (digits() == 0) {
      return false;
    }
    bool whole = true;
    if (pos_ < text_.size() && text_[pos_] == '.') {
      ++pos_;
      if (digits() == 0) return false;
      whole = false;
    }
    if (pos_ < text_.size() && (text_[pos_] == 'e' || text_[pos_] == 'E')) {
      ++pos_;
      if (pos_ < text_.size() && (text_[pos_] == '+' || text_[pos_] == '-')) ++pos_;
      if (digits() == 0) return false;
      whole = false;
    }
    const std::string_view token = text_.substr(start, pos_ - start);
    if (whole) {
      uint64_t magnitude = 0;
      bool fits = true;
      for (size_t i = negative ? 1 : 0; i < token.size() && fits; ++i) {
        const auto digit = static_cast<uint64_t>(token[i] - '0');
        if (magnitude > (UINT64_MAX - digit) / 10)
          fits = false;
        else
          magnitude = magnitude * 10 + digit;
      }
      if (fits && !negative) {
        return magnitude <= static_cast<uint64_t>(INT64_MAX) ? events_.Integer(static_cast<int64_t>(magnitude))
                                                             : events_.Unsigned(magnitude);
      }
      if (fits && magnitude <= static_cast<uint64_t>(INT64_MAX) + 1) {
        return events_.Integer(magnitude == static_cast<uint64_t>(INT64_MAX) + 1 ? INT64_MIN
                                                                                 : -static_cast<int64_t>(magnitude));
      }
    }
    // Rare on the request path: only here is a C-locale strtod needed, for the finiteness check.
    static const locale_t c_locale = newlocale(LC_ALL_MASK, "C", nullptr);
    number_.assign(token);
    const double value = strtod_l(number_.c_str(), nullptr, c_locale);
    return std::isfinite(value) && events_.Float();
  }

  // After the opening quote. `out` is the decoded text: a view of the input itself unless an escape made
  // the text differ from its bytes (then a view of string_, valid until the next string).
  bool ReadString(std::string_view& out) {
    const size_t begin = pos_;
    bool decoding = false;
    for (;;) {
      size_t run = pos_;
      while (run < text_.size()) {
        const unsigned char b = Byte(run);
        if (b == '"' || b == '\\' || b < 0x20 || b >= 0x80) break;
        ++run;
      }
      if (decoding) string_.append(text_.data() + pos_, run - pos_);
      pos_ = run;
      if (pos_ == text_.size()) return false;
      const unsigned char b = Byte(pos_);
      if (b == '"') {
        out = decoding ? std::string_view(string_) : text_.substr(begin, pos_ - begin);
        ++pos_;
        return true;
      }
      if (b < 0x20) return false;
      if (b == '\\') {
        if (!decoding) string_.assign(text_.data() + begin, pos_ - begin), decoding = true;
        if (!Escape()) return false;
        continue;
      }
      const size_t from = pos_;
      if (!Utf8Sequence()) return false;
      if (decoding) string_.append(text_.data() + from, pos_ - from);
    }
  }

  // RFC 3629's table of well-formed sequences: no overlong forms, no surrogates, nothing above U+10FFFF.
  bool Utf8Sequence() {
    const unsigned char lead = Byte(pos_);
    size_t length = 0;
    unsigned char low = 0x80, high = 0xBF;  // bounds of the second byte
    if (lead >= 0xC2 && lead <= 0xDF)
      length = 2;
    else if (lead == 0xE0)
      length = 3, low = 0xA0;
    else if ((lead >= 0xE1 && lead <= 0xEC) || lead == 0xEE || lead == 0xEF)
      length = 3;
    else if (lead == 0xED)
      length = 3, high = 0x9F;
    else if (lead == 0xF0)
      length = 4, low = 0x90;
    else if (lead >= 0xF1 && lead <= 0xF3)
      length = 4;
    else if (lead == 0xF4)
      length = 4, high = 0x8F;
    else
      return false;
    if (text_.size() - pos_ < length) return false;
    if (Byte(pos_ + 1) < low || Byte(pos_ + 1) > high) return false;
    for (size_t i = 2; i < length; ++i) {
      if (Byte(pos_ + i) < 0x80 || Byte(pos_ + i) > 0xBF) return false;
    }
    pos_ += length;
    return true;
  }

  bool Hex4(uint32_t& out) {
    if (text_.size() - pos_ < 4) return false;
    out = 0;
    for (int i = 0; i < 4; ++i) {
      const char c = text_[pos_++];
      uint32_t v;
      if (c >= '0' && c <= '9')
        v = static_cast<uint32_t>(c - '0');
      else if (c >= 'a' && c <= 'f')
        v = static_cast<uint32_t>(c - 'a' + 10);
      else if (c >= 'A' && c <= 'F')
        v = static_cast<uint32_t>(c - 'A' + 10);
      else
        return false;
      out = out << 4 | v;
    }
    return true;
  }

  bool Escape() {
    ++pos_;  // the backslash
    if (pos_ == text_.size()) return false;
    const char c = text_[pos_++];
    switch (c) {
      case '"':
        string_ += '"';
        return true;
      case '\\':
        string_ += '\\';
        return true;
      case '/':
        string_ += '/';
        return true;
      case 'b':
        string_ += '\b';
        return true;
      case 'f':
        string_ += '\f';
        return true;
      case 'n':
        string_ += '\n';
        return true;
      case 'r':
        string_ += '\r';
        return true;
      case 't':
        string_ += '\t';
        return true;
      case 'u':
        break;
      default:
        return false;
    }
    uint32_t code = 0;
    if (!Hex4(code)) return false;
    if (code >= 0xDC00 && code <= 0xDFFF) return false;  // a low surrogate with no high one before it
    if (code >= 0xD800 && code <= 0xDBFF) {
      uint32_t low = 0;
      if (text_.substr(pos_, 2) != "\\u") return false;
      pos_ += 2;
      if (!Hex4(low) || low < 0xDC00 || low > 0xDFFF) return false;
      code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00);
    }
    if (code < 0x80) {
      string_ += static_cast<char>(code);
    } else if (code < 0x800) {
      string_ += static_cast<char>(0xC0 | code >> 6);
      string_ += static_cast<char>(0x80 | (code & 0x3F));
    } else if (code < 0x10000) {
      string_ += static_cast<char>(0xE0 | code >> 12);
      string_ += static_cast<char>(0x80 | (code >> 6 & 0x3F));
      string_ += static_cast<char>(0x80 | (code & 0x3F));
    } else {
      string_ += static_cast<char>(0xF0 | code >> 18);
      string_ += static_cast<char>(0x80 | (code >> 12 & 0x3F));
      string_ += static_cast<char>(0x80 | (code >> 6 & 0x3F));
      string_ += static_cast<char>(0x80 | (code & 0x3F));
    }
    return true;
  }

  std::string_view text_;
  JsonEvents& events_;
  size_t pos_ = 0;
  std::string open_;    // '{' or '[' per open container
  std::string string_;  // the last string or key that held escapes, decoded
  std::string number_;
};

}  // namespace

bool ReadJson(std::string_view text, JsonEvents& events) { return Reader(text, events).Run(); }

}  // namespace modelguard::gateway
