#pragma once
// Appending to logs that other programs follow line by line (monitor serve follows its labels file).
#include <string>
#include <string_view>

#include "modelguard/core/result.h"

namespace modelguard {

// Appends `bytes` to the regular file `path` (created with 0666 less the umask when missing) and flushes it to
// disk. One write where the system takes it whole; if a write fails part way (a full disk) and nothing else
// was appended meanwhile, the part written is cut off again, so a follower never sees half a line followed
// by someone else's. Directories, FIFOs and devices are refused: appending to them has no "after".
Status AppendToFile(const std::string& path, std::string_view bytes);

}  // namespace modelguard
