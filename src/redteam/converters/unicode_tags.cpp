// Unicode tag characters (U+E0020..U+E007E mirror ASCII): invisible in most interfaces, yet tokenised by many
// models, so the instruction hides in plain sight. Bytes outside printable ASCII are kept as they are.
#include "src/redteam/converters/converters.h"

namespace modelguard::redteam::converters {
namespace {
constexpr uint32_t kTagBase = 0xE0000;

std::string Encode(std::string_view text) {
  std::string out;
  out.reserve(text.size() * 4);
  for (unsigned char c : text) {
    if (c < 0x20 || c > 0x7E) {
      out.push_back(static_cast<char>(c));
      continue;
    }
    const uint32_t cp = kTagBase + c;  // four UTF-8 bytes: F3 A0 80|81 xx
    out.push_back(static_cast<char>(0xF0 | (cp >> 18)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 12) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | ((cp >> 6) & 0x3F)));
    out.push_back(static_cast<char>(0x80 | (cp & 0x3F)));
  }
  return out;
}

std::string Decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(text[i + k]); };
    if (i + 4 <= text.size() && b(0) == 0xF3 && b(1) == 0xA0 && (b(2) == 0x80 || b(2) == 0x81)) {
      const uint32_t cp = ((b(0) & 0x07u) << 18) | ((b(1) & 0x3Fu) << 12) | ((b(2) & 0x3Fu) << 6) | (b(3) & 0x3Fu);
      out.push_back(static_cast<char>(cp - kTagBase));
      i += 4;
    } else {
      out.push_back(text[i++]);
    }
  }
  return out;
}
}  // namespace

const ConverterDescriptor& UnicodeTags() {
  static const ConverterDescriptor kDescriptor{
      "unicode_tags", "printable ASCII as invisible Unicode tag characters (U+E0000 block)", "", Encode, Decode};
  return kDescriptor;
}

}  // namespace modelguard::redteam::converters
