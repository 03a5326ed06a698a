// numpy dtype strings ("<f4", "|O", "U10", "M8[ns]"): element sizes per numpy's array-protocol type
// strings (numpy reference, "Data type objects"). Needed to skip joblib's inline array bytes exactly.
#include <cctype>
#include <cstring>
#include <string_view>

#include "modelguard/formats/pickle.h"

namespace modelguard::formats::pickle {

std::optional<uint64_t> NumpyItemSize(std::string_view dtype, bool* is_object) {
  *is_object = false;
  if (!dtype.empty() && std::strchr("<>|=", dtype.front()) != nullptr) dtype.remove_prefix(1);
  if (dtype.empty()) return std::nullopt;
  const char kind = dtype.front();
  std::string_view rest = dtype.substr(1);
  // Datetime units ("M8[ns]") do not change the size.
  if (auto bracket = rest.find('['); bracket != std::string_view::npos) {
    if (kind != 'M' && kind != 'm') return std::nullopt;
    rest = rest.substr(0, bracket);
  }
  uint64_t count = 0;
  bool has_count = false;
  for (char c : rest) {
    if (!std::isdigit(static_cast<unsigned char>(c))) return std::nullopt;
    if (count > (uint64_t{1} << 40)) return std::nullopt;
    count = count * 10 + static_cast<uint64_t>(c - '0');
    has_count = true;
  }
  switch (kind) {
    case 'O':
      *is_object = true;
      return uint64_t{8};
    case '?':
    case 'b':
    case 'B':
      return has_count ? count : 1;
    case 'i':
    case 'u':
    case 'f':
    case 'c':
    case 'M':
    case 'm':
      if (!has_count) return std::nullopt;
      return count;
    case 'S':
    case 'a':
    case 'V':
      return has_count ? count : 0;
    case 'U':
      return has_count ? count * 4 : 0;
    case 'e':
      return 2;
    case 'd':
      return 8;
    case 'g':
      return 16;
    case 'l':
    case 'q':
      return 8;
    case 'h':
      return 2;
    case 'H':
      return 2;
    case 'I':
      return 4;
    case 'L':
    case 'Q':
      return 8;
    default:
      return std::nullopt;
  }
}

}  // namespace modelguard::formats::pickle
