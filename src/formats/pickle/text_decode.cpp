#include "src/formats/pickle/text_decode.h"

#include <cstdint>
#include <cstring>

#include "modelguard/core/bytes.h"
#include "modelguard/core/utf8.h"

namespace modelguard::formats::pickle::text {
namespace {

bool ValidateUtf8(std::string_view s, bool allow_surrogates) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // Fast path: eight ASCII bytes at a time.
    if (end - p >= 8) {
      uint64_t word;
      std::memcpy(&word, p, 8);
      if ((word & 0x8080808080808080ULL) == 0) {
        p += 8;
        continue;
      }
    }
    const unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int extra;
    uint32_t cp;
    if (c >= 0xC2 && c <= 0xDF) {
      extra = 1;
      cp = c & 0x1F;
    } else if (c >= 0xE0 && c <= 0xEF) {
      extra = 2;
      cp = c & 0x0F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      extra = 3;
      cp = c & 0x07;
    } else
      return false;
    if (end - p <= extra) return false;
    for (int i = 1; i <= extra; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((extra == 2 && cp < 0x800) || (extra == 3 && (cp < 0x10000 || cp > 0x10FFFF))) return false;
    if (!allow_surrogates && cp >= 0xD800 && cp <= 0xDFFF) return false;
    p += extra + 1;
  }
  return true;
}

}  // namespace

bool IsAscii(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) >= 0x80) return false;
  }
  return true;
}

bool IsUtf8Strict(std::string_view s) { return ValidateUtf8(s, false); }
bool IsUtf8SurrogatePass(std::string_view s) { return ValidateUtf8(s, true); }

std::optional<std::string> DecodeEscapes(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] != '\\') {
      out += s[i];
      continue;
    }
    if (++i >= s.size()) return std::nullopt;  // "Trailing \ in string"
    const char c = s[i];
    switch (c) {
      case '\n':
        break;
      case '\\':
        out += '\\';
        break;
      case '\'':
        out += '\'';
        break;
      case '"':
        out += '"';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 't':
        out += '\t';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 'v':
        out += '\v';
        break;
      case 'a':
        out += '\a';
        break;
      case 'x': {
        const int hi = i + 1 < s.size() ? HexDigitValue(s[i + 1]) : -1;
        const int lo = i + 2 < s.size() ? HexDigitValue(s[i + 2]) : -1;
        if (hi < 0 || lo < 0) return std::nullopt;  // "invalid \x escape"
        out += static_cast<char>(hi * 16 + lo);
        i += 2;
        break;
      }
      default:
        if (c >= '0' && c <= '7') {
          int v = c - '0';
          for (int k = 0; k < 2 && i + 1 < s.size() && s[i + 1] >= '0' && s[i + 1] <= '7'; ++k)
            v = v * 8 + (s[++i] - '0');
          out += static_cast<char>(v & 0xFF);
        } else {
          out += '\\';  // unknown escapes are kept verbatim
          out += c;
        }
    }
  }
  return out;
}

std::optional<std::string> DecodeRawUnicodeEscape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    const auto c = static_cast<unsigned char>(s[i]);
    if (c == '\\' && i + 1 < s.size() && (s[i + 1] == 'u' || s[i + 1] == 'U')) {
      // An even run of backslashes escapes itself; count the backslashes before this one.
      size_t run = 0;
      for (size_t k = i; k > 0 && s[k - 1] == '\\'; --k) ++run;
      if (run % 2 == 0) {
        const size_t digits = s[i + 1] == 'u' ? 4 : 8;
        if (i + 2 + digits > s.size()) return std::nullopt;
        uint32_t cp = 0;
        for (size_t k = 0; k < digits; ++k) {
          const int h = HexDigitValue(s[i + 2 + k]);
          if (h < 0) return std::nullopt;
          cp = cp * 16 + static_cast<uint32_t>(h);
        }
        if (cp > 0x10FFFF) return std::nullopt;
        AppendUtf8(out, cp);
        i += 1 + digits;
        continue;
      }
    }
    AppendUtf8(out, c);  // Latin-1
  }
  return out;
}

}  // namespace modelguard::formats::pickle::text
