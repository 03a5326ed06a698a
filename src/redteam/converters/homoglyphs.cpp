// Homoglyphs: Latin letters swapped for Cyrillic look-alikes, so keyword filters miss words a reader sees.
#include <array>
#include <utility>

#include "src/redteam/converters/converters.h"

namespace modelguard::redteam::converters {
namespace {
// Latin letter, Cyrillic look-alike (UTF-8).
constexpr std::array<std::pair<char, std::string_view>, 19> kGlyphs{{
    {'a', "\xD0\xB0"}, {'c', "\xD1\x81"}, {'e', "\xD0\xB5"}, {'i', "\xD1\x96"}, {'o', "\xD0\xBE"},
    {'p', "\xD1\x80"}, {'s', "\xD1\x95"}, {'x', "\xD1\x85"}, {'y', "\xD1\x83"}, {'A', "\xD0\x90"},
    {'B', "\xD0\x92"}, {'C', "\xD0\xA1"}, {'E', "\xD0\x95"}, {'H', "\xD0\x9D"}, {'K', "\xD0\x9A"},
    {'M', "\xD0\x9C"}, {'O', "\xD0\x9E"}, {'P', "\xD0\xA0"}, {'T', "\xD0\xA2"},
}};

std::string Encode(std::string_view text) {
  std::string out;
  for (char c : text) {
    bool swapped = false;
    for (const auto& [latin, cyrillic] : kGlyphs) {
      if (c == latin) {
        out += cyrillic;
        swapped = true;
        break;
      }
    }
    if (!swapped) out.push_back(c);
  }
  return out;
}

std::string Decode(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    bool swapped = false;
    for (const auto& [latin, cyrillic] : kGlyphs) {
      if (text.substr(i, cyrillic.size()) == cyrillic) {
        out.push_back(latin);
        i += cyrillic.size();
        swapped = true;
        break;
      }
    }
    if (!swapped) out.push_back(text[i++]);
  }
  return out;
}
}  // namespace

const ConverterDescriptor& Homoglyphs() {
  static const ConverterDescriptor kDescriptor{"homoglyphs", "Latin letters replaced by Cyrillic look-alikes", "",
                                               Encode, Decode};
  return kDescriptor;
}

}  // namespace modelguard::redteam::converters
