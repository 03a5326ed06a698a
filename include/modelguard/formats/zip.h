#pragma once
// Members of a ZIP archive (NumPy's .npz) read with the scanner's hardened reader, for tools that need the
// bytes rather than facts about them. The scanner's budgets apply (member size, total unpacked, ratio);
// an archive the reader cannot locate members in, an encrypted member or a budget exceeded is an error
// naming the member, never a member silently left out.
#include <string>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/formats/format.h"

namespace modelguard::formats {

struct ZipMember {
  std::string name;
  std::vector<uint8_t> bytes;
};

Result<std::vector<ZipMember>> ReadZipMembers(ByteView archive, const Limits& limits = {});

}  // namespace modelguard::formats
