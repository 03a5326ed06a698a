// The probe families shipped in policies/redteam/, built into the binary (src/redteam/CMakeLists.txt embeds
// every file there), so `redteam llm` needs no data directory and cannot pick up a different copy.
#include "modelguard/redteam/redteam.h"

namespace modelguard::redteam {
namespace {

constexpr EmbeddedFile kFiles[] = {
#include "redteam_families.inc"
};

}  // namespace

std::span<const EmbeddedFile> BuiltinFamilyFiles() { return kFiles; }

}  // namespace modelguard::redteam
