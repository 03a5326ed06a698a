// The payload as written: the baseline every other converter is compared with.
#include "src/redteam/converters/converters.h"

namespace modelguard::redteam::converters {
namespace {
std::string Identity(std::string_view text) { return std::string(text); }
}  // namespace

const ConverterDescriptor& None() {
  static const ConverterDescriptor kDescriptor{"none", "the payload as written (baseline)", "", Identity, Identity};
  return kDescriptor;
}

}  // namespace modelguard::redteam::converters
