// The probe families shipped in policies/redteam/, built into the binary (src/redteam/CMakeLists.txt embeds
// every file there), so `redteam llm` needs no data directory and cannot pick up a different copy.
#include "modelguard/redteam/redteam.h"

namespace modelguard::redteam {
namespace {

// An embedded file may grow past the 64 KiB string literal the standard asks compilers to support; GCC and
// clang both take longer ones (clang warns under -Wpedantic).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverlength-strings"
constexpr EmbeddedFile kFiles[] = {
#include "redteam_families.inc"
};
#pragma GCC diagnostic pop

}  // namespace

std::span<const EmbeddedFile> BuiltinFamilyFiles() { return kFiles; }

}  // namespace modelguard::redteam
