#pragma once
// Byte encodings every module shares: hex, base64 (standard and URL-safe alphabets, RFC 4648), a
// comparison whose time does not depend on where two secrets differ, and ASCII space trimming. One
// implementation each.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace modelguard {

// `text` without leading and trailing ASCII white space (space, \t, \n, \v, \f, \r), whatever the locale.
std::string_view TrimAsciiSpace(std::string_view text);

// Lower-case hex, two digits per byte.
std::string HexEncode(std::string_view bytes);
inline std::string HexEncode(std::span<const uint8_t> bytes) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()));
}
// Which digits a decoder accepts. Stored digests that we wrote ourselves (API key hashes, dataset manifests)
// are read back in their one canonical spelling, so a hand-edited upper-case copy is not silently taken.
enum class HexCase {
  kAny,        // 0-9, a-f, A-F
  kLowerOnly,  // 0-9, a-f
};
// Even length, digits of `hex_case`; anything else (including whitespace) is nullopt.
std::optional<std::string> HexDecode(std::string_view text, HexCase hex_case = HexCase::kAny);
// Exactly N bytes of hex (2N digits), e.g. a stored SHA-256; nullopt otherwise.
template <size_t N>
std::optional<std::array<uint8_t, N>> HexDecodeFixed(std::string_view text, HexCase hex_case = HexCase::kAny) {
  if (text.size() != 2 * N) return std::nullopt;
  auto bytes = HexDecode(text, hex_case);
  if (!bytes) return std::nullopt;
  std::array<uint8_t, N> out{};
  for (size_t i = 0; i < N; ++i) out[i] = static_cast<uint8_t>((*bytes)[i]);
  return out;
}
// The value of one hex digit, or -1.
int HexDigitValue(char c);

enum class Base64Alphabet {
  kStandard,  // A-Z a-z 0-9 + /
  kUrl,       // A-Z a-z 0-9 - _ (RFC 4648 §5)
};
enum class Base64Padding {
  kRequired,   // the text is a multiple of 4 characters, ending in up to two '='
  kForbidden,  // no '=' at all (JWS, RFC 7515 §2)
  kOptional,   // either form
};

std::string Base64Encode(std::string_view bytes, Base64Alphabet alphabet = Base64Alphabet::kStandard, bool pad = true);
inline std::string Base64Encode(std::span<const uint8_t> bytes, Base64Alphabet alphabet = Base64Alphabet::kStandard,
                                bool pad = true) {
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), bytes.size()), alphabet, pad);
}
// Strict: only the alphabet's characters, canonical trailing bits not required; whitespace is an error.
std::optional<std::string> Base64Decode(std::string_view text, Base64Alphabet alphabet = Base64Alphabet::kStandard,
                                        Base64Padding padding = Base64Padding::kRequired);
// For detectors looking at hostile text: both alphabets mixed, no padding needed; decoding stops at the first
// character outside them ('=' included). Never fails: what decodes is returned.
std::string Base64DecodeLenient(std::string_view text);

// True when a and b hold the same bytes. Time depends only on the lengths, never on the contents.
bool ConstantTimeEqual(std::string_view a, std::string_view b);
inline bool ConstantTimeEqual(std::span<const uint8_t> a, std::span<const uint8_t> b) {
  return ConstantTimeEqual(std::string_view(reinterpret_cast<const char*>(a.data()), a.size()),
                           std::string_view(reinterpret_cast<const char*>(b.data()), b.size()));
}

}  // namespace modelguard
