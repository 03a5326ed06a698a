#include "modelguard/core/bytes.h"

namespace modelguard {

std::string_view TrimAsciiSpace(std::string_view text) {
  auto space = [](char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r'; };
  while (!text.empty() && space(text.front())) text.remove_prefix(1);
  while (!text.empty() && space(text.back())) text.remove_suffix(1);
  return text;
}
namespace {

constexpr char kHexDigits[] = "0123456789abcdef";
constexpr char kStandardAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kUrlAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

int Base64Value(char c, Base64Alphabet alphabet) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (alphabet == Base64Alphabet::kStandard) {
    if (c == '+') return 62;
    if (c == '/') return 63;
  } else {
    if (c == '-') return 62;
    if (c == '_') return 63;
  }
  return -1;
}

// Collects 6-bit base64 values and emits each byte as soon as 8 bits are there.
class SextetDecoder {
 public:
  explicit SextetDecoder(size_t expected_bytes) { out_.reserve(expected_bytes); }
  void Push(int value) {
    accumulator_ = (accumulator_ << 6) | static_cast<uint32_t>(value);
    bits_ += 6;
    if (bits_ >= 8) {
      bits_ -= 8;
      out_.push_back(static_cast<char>((accumulator_ >> bits_) & 0xff));
    }
  }
  std::string Take() { return std::move(out_); }

 private:
  std::string out_;
  uint32_t accumulator_ = 0;
  int bits_ = 0;
};

}  // namespace

std::string HexEncode(std::string_view bytes) {
  // Sized once and filled by index: push_back's capacity check per digit cost several times more, and
  // every audited gateway request hex-encodes four digests.
  std::string out(bytes.size() * 2, '\0');
  char* digit = out.data();
  for (const unsigned char b : bytes) {
    *digit++ = kHexDigits[b >> 4];
    *digit++ = kHexDigits[b & 15];
  }
  return out;
}

int HexDigitValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::optional<std::string> HexDecode(std::string_view text, HexCase hex_case) {
  if (text.size() % 2 != 0) return std::nullopt;
  auto digit = [hex_case](char c) {
    if (hex_case == HexCase::kLowerOnly && c >= 'A' && c <= 'F') return -1;
    return HexDigitValue(c);
  };
  std::string out;
  out.reserve(text.size() / 2);
  for (size_t i = 0; i < text.size(); i += 2) {
    const int high = digit(text[i]);
    const int low = digit(text[i + 1]);
    if (high < 0 || low < 0) return std::nullopt;
    out.push_back(static_cast<char>(high * 16 + low));
  }
  return out;
}

std::string Base64Encode(std::string_view bytes, Base64Alphabet alphabet, bool pad) {
  const char* digits = alphabet == Base64Alphabet::kStandard ? kStandardAlphabet : kUrlAlphabet;
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  uint32_t accumulator = 0;
  int bits = 0;
  for (const unsigned char b : bytes) {
    accumulator = (accumulator << 8) | b;
    bits += 8;
    while (bits >= 6) {
      bits -= 6;
      out.push_back(digits[(accumulator >> bits) & 63]);
    }
  }
  if (bits > 0) out.push_back(digits[(accumulator << (6 - bits)) & 63]);
  if (pad) {
    while (out.size() % 4 != 0) out.push_back('=');
  }
  return out;
}

std::optional<std::string> Base64Decode(std::string_view text, Base64Alphabet alphabet, Base64Padding padding) {
  size_t end = text.size();
  while (end > 0 && text[end - 1] == '=') --end;
  const size_t pad_count = text.size() - end;
  if (pad_count > 0) {
    if (padding == Base64Padding::kForbidden || pad_count > 2 || text.size() % 4 != 0) return std::nullopt;
  } else if (padding == Base64Padding::kRequired && text.size() % 4 != 0) {
    return std::nullopt;
  }
  if (end % 4 == 1) return std::nullopt;  // a lone trailing character cannot encode a byte
  SextetDecoder decoder(end / 4 * 3 + 2);
  for (size_t i = 0; i < end; ++i) {
    const int value = Base64Value(text[i], alphabet);
    if (value < 0) return std::nullopt;
    decoder.Push(value);
  }
  return decoder.Take();
}

std::string Base64DecodeLenient(std::string_view text) {
  SextetDecoder decoder(text.size() / 4 * 3 + 2);
  for (const char c : text) {
    int value = Base64Value(c, Base64Alphabet::kStandard);
    if (value < 0) value = Base64Value(c, Base64Alphabet::kUrl);
    if (value < 0) break;
    decoder.Push(value);
  }
  return decoder.Take();
}

bool ConstantTimeEqual(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  // volatile keeps the compiler from ending the loop at the first difference.
  volatile unsigned char difference = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    difference = difference | static_cast<unsigned char>(a[i] ^ b[i]);
  }
  return difference == 0;
}

}  // namespace modelguard
