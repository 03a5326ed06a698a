#pragma once
#include <string_view>

namespace modelguard::formats {

// True when a member or reference name written by an archive or model leaves the directory it is
// extracted or resolved in: absolute (POSIX, UNC-style or drive-letter) or with a ".." component, with
// either separator (Windows extractors honour backslashes).
inline bool EscapesDirectory(std::string_view name) {
  if (name.empty()) return false;
  if (name[0] == '/' || name[0] == '\\' || (name.size() > 1 && name[1] == ':')) return true;
  size_t start = 0;
  while (start <= name.size()) {
    size_t end = name.find_first_of("/\\", start);
    if (end == std::string_view::npos) end = name.size();
    if (end - start == 2 && name.substr(start, 2) == "..") return true;
    start = end + 1;
  }
  return false;
}

}  // namespace modelguard::formats
