// Leetspeak: vowels and some consonants as digits, readable to a model, not to a keyword filter. Lossy.
#include "src/redteam/converters/converters.h"

namespace modelguard::redteam::converters {
namespace {
std::string Leet(std::string_view text) {
  std::string out(text);
  for (char& c : out) {
    switch (c) {
      case 'a':
      case 'A':
        c = '4';
        break;
      case 'e':
      case 'E':
        c = '3';
        break;
      case 'i':
      case 'I':
        c = '1';
        break;
      case 'o':
      case 'O':
        c = '0';
        break;
      case 's':
      case 'S':
        c = '5';
        break;
      case 't':
      case 'T':
        c = '7';
        break;
      default:
        break;
    }
  }
  return out;
}
}  // namespace

const ConverterDescriptor& Leetspeak() {
  static const ConverterDescriptor kDescriptor{"leetspeak", "letters replaced by look-alike digits (a=4, e=3, ...)", "",
                                               Leet, nullptr};
  return kDescriptor;
}

}  // namespace modelguard::redteam::converters
