#include "modelguard/core/json_text.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstring>

namespace modelguard {
namespace {

enum ByteClass : uint8_t { kPlain, kEscape, kNonAscii };

// What each byte needs: most bytes of a record are plain and are copied in runs.
constexpr std::array<uint8_t, 256> kByteClass = [] {
  std::array<uint8_t, 256> table{};
  for (int b = 0; b < 0x20; ++b) table[b] = kEscape;
  table['"'] = kEscape;
  table['\\'] = kEscape;
  for (int b = 0x80; b < 0x100; ++b) table[b] = kNonAscii;
  return table;
}();

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// The length (2 to 4) of the well-formed UTF-8 sequence starting at text[i], a byte >= 0x80; or 0, with
// `bad` set to the length of the maximal ill-formed prefix there (at least 1), which becomes one U+FFFD.
// Overlong forms, surrogates and code points above U+10FFFF are ill-formed (the ranges of the second byte).
size_t Utf8Sequence(std::string_view text, size_t i, size_t& bad) {
  const auto lead = static_cast<uint8_t>(text[i]);
  size_t continuations = 0;
  uint8_t low = 0x80, high = 0xBF;  // what the second byte may be
  if (lead >= 0xC2 && lead <= 0xDF) {
    continuations = 1;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    continuations = 2;
    if (lead == 0xE0) low = 0xA0;   // overlong below U+0800
    if (lead == 0xED) high = 0x9F;  // surrogates
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    continuations = 3;
    if (lead == 0xF0) low = 0x90;   // overlong below U+10000
    if (lead == 0xF4) high = 0x8F;  // above U+10FFFF
  } else {
    bad = 1;  // a continuation byte without a lead, C0/C1 (always overlong) or F5-FF
    return 0;
  }
  for (size_t k = 1; k <= continuations; ++k) {
    if (i + k >= text.size()) {
      bad = k;  // cut off by the end of the text
      return 0;
    }
    const auto byte = static_cast<uint8_t>(text[i + k]);
    if (byte < low || byte > high) {
      bad = k;  // this byte is not part of the sequence; it is read again on its own
      return 0;
    }
    low = 0x80;
    high = 0xBF;
  }
  return continuations + 1;
}

}  // namespace

void AppendJsonString(std::string& out, std::string_view text) {
  out.reserve(out.size() + text.size() + 2);
  out += '"';
  AppendJsonStringContent(out, text);
  out += '"';
}

void AppendJsonStringContent(std::string& out, std::string_view text) {
  size_t run = 0;  // start of the bytes not yet copied
  size_t i = 0;
  while (i < text.size()) {
    // Eight plain bytes at a time (no control, quote, backslash or non-ASCII byte among them): most of a
    // record's text is plain, and a byte at a time costs several times more.
    while (i + 8 <= text.size()) {
      uint64_t word;
      std::memcpy(&word, text.data() + i, sizeof word);
      constexpr uint64_t kOnes = 0x0101010101010101, kHighs = 0x8080808080808080;
      const auto has_zero_byte = [&](uint64_t x) { return (x - kOnes) & ~x & kHighs; };
      const uint64_t special = (word & kHighs) | ((word - 0x20 * kOnes) & ~word & kHighs) |
                               has_zero_byte(word ^ ('"' * kOnes)) | has_zero_byte(word ^ ('\\' * kOnes));
      if (special != 0) break;
      i += 8;
    }
    if (i == text.size()) break;
    const auto byte = static_cast<uint8_t>(text[i]);
    const uint8_t kind = kByteClass[byte];
    if (kind == kPlain) {
      ++i;
      continue;
    }
    if (kind == kNonAscii) {
      size_t bad = 0;
      if (const size_t length = Utf8Sequence(text, i, bad); length != 0) {
        i += length;  // well-formed: copied with its run
        continue;
      }
      out.append(text.data() + run, i - run);
      out += kReplacement;
      i += bad;
      run = i;
      continue;
    }
    out.append(text.data() + run, i - run);
    switch (byte) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      default: {
        const char escape[6] = {'\\', 'u', '0', '0', kHexDigits[byte >> 4], kHexDigits[byte & 15]};
        out.append(escape, sizeof escape);
      }
    }
    ++i;
    run = i;
  }
  out.append(text.data() + run, text.size() - run);
}

void AppendJsonNumber(std::string& out, int64_t value) {
  char buffer[24];
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

void AppendJsonNumber(std::string& out, uint64_t value) {
  char buffer[24];
  out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, value).ptr);
}

void AppendJsonNumber(std::string& out, double value) {
  if (!std::isfinite(value)) {
    out += "null";
    return;
  }
  if (std::signbit(value)) {
    out += '-';
    value = -value;
  }
  if (value == 0) {
    out += "0.0";
    return;
  }
  // The shortest round-trip digits, as d.ddde±x; then laid out as described in the header.
  char scientific[40];
  const char* const end =
      std::to_chars(scientific, scientific + sizeof scientific, value, std::chars_format::scientific).ptr;
  char digits[24];
  int count = 0;
  const char* p = scientific;
  for (; p != end && *p != 'e'; ++p) {
    if (*p != '.') digits[count++] = *p;
  }
  int exponent = 0;
  if (p != end) {
    const char* e = p + 1;
    const bool negative = e != end && *e == '-';
    if (e != end && (*e == '-' || *e == '+')) ++e;
    std::from_chars(e, end, exponent);
    if (negative) exponent = -exponent;
  }
  const int point = exponent + 1;  // digits before the decimal point
  const std::string_view all(digits, static_cast<size_t>(count));
  if (count <= point && point <= 15) {
    out += all;
    out.append(static_cast<size_t>(point - count), '0');
    out += ".0";
  } else if (0 < point && point <= 15) {
    out += all.substr(0, static_cast<size_t>(point));
    out += '.';
    out += all.substr(static_cast<size_t>(point));
  } else if (-4 < point && point <= 0) {
    out += "0.";
    out.append(static_cast<size_t>(-point), '0');
    out += all;
  } else {
    out += all[0];
    if (count > 1) {
      out += '.';
      out += all.substr(1);
    }
    int shown = point - 1;
    out += 'e';
    out += shown < 0 ? '-' : '+';
    if (shown < 0) shown = -shown;
    if (shown < 10) out += '0';
    char buffer[8];
    out.append(buffer, std::to_chars(buffer, buffer + sizeof buffer, shown).ptr);
  }
}

std::string JsonNumberText(double value) {
  std::string text;
  AppendJsonNumber(text, value);
  return text;
}

}  // namespace modelguard
