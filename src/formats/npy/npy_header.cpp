// The shared .npy header reader (see modelguard/formats/npy.h) and numpy's dtype sizes per its
// array-protocol type strings (numpy reference, "Data type objects").
#include <cctype>
#include <cstring>
#include <limits>
#include <string_view>

#include "modelguard/formats/npy.h"

namespace modelguard::formats::npy {
namespace {

constexpr uint8_t kMagic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
constexpr uint64_t kMaxDimension = uint64_t{1} << 50;  // far beyond any real array; keeps products checkable

// The value text after 'key': (or "key":) in the dict literal, leading spaces skipped.
std::optional<std::string_view> FieldText(std::string_view header, std::string_view key) {
  for (char quote : {'\'', '"'}) {
    const std::string needle = std::string(1, quote) + std::string(key) + std::string(1, quote);
    const size_t at = header.find(needle);
    if (at == std::string_view::npos) continue;
    const size_t colon = header.find(':', at + needle.size());
    if (colon == std::string_view::npos) return std::nullopt;
    std::string_view rest = header.substr(colon + 1);
    while (!rest.empty() && rest.front() == ' ') rest.remove_prefix(1);
    return rest;
  }
  return std::nullopt;
}

Error Fail(uint64_t* error_offset, uint64_t offset, std::string message) {
  if (error_offset != nullptr) *error_offset = offset;
  return MakeError(ErrorCode::kParse, std::move(message));
}

}  // namespace

Result<Header> ParseHeader(ByteView data, uint64_t* error_offset) {
  if (data.size() < sizeof kMagic || std::memcmp(data.data(), kMagic, sizeof kMagic) != 0) {
    return Fail(error_offset, 0, "not an NPY file (bad magic)");
  }
  if (data.size() < 10) return Fail(error_offset, 0, "truncated before the header length");
  Header h;
  h.major = data[6];
  uint64_t length = 0;
  if (h.major == 1) {
    length = data[8] | (data[9] << 8);
    h.header_offset = 10;
  } else if (h.major == 2 || h.major == 3) {
    if (data.size() < 12) return Fail(error_offset, 0, "truncated before the header length");
    length = data[8] | (data[9] << 8) | (uint64_t{data[10]} << 16) | (uint64_t{data[11]} << 24);
    h.header_offset = 12;
  } else {
    return Fail(error_offset, 6, "unknown format version " + std::to_string(h.major));
  }
  if (length > kMaxHeaderLength || length > data.size() - h.header_offset) {
    return Fail(error_offset, 8, "header length " + std::to_string(length) + " exceeds the file");
  }
  h.data_offset = h.header_offset + length;
  const std::string_view header(reinterpret_cast<const char*>(data.data() + h.header_offset), length);
  const uint64_t at = h.header_offset;
  const auto descr = FieldText(header, "descr");
  const auto shape = FieldText(header, "shape");
  if (!descr || !shape || header.find('{') == std::string_view::npos) {
    return Fail(error_offset, at, "header is not a dict with 'descr' and 'shape'");
  }

  if (!descr->empty() && (descr->front() == '\'' || descr->front() == '"')) {
    const size_t end = descr->find(descr->front(), 1);
    if (end == std::string_view::npos) return Fail(error_offset, at, "unterminated 'descr'");
    h.descr = std::string(descr->substr(1, end - 1));
    h.item_size = ItemSize(h.descr, &h.is_object);
  } else {
    // A structured dtype (a list of fields): an object field makes the whole array pickled.
    h.structured = true;
    const std::string_view list = descr->substr(0, descr->find(']'));
    for (std::string_view object : {"'O", "'|O", "\"O", "\"|O"}) {
      h.is_object |= list.find(object) != std::string_view::npos;
    }
  }

  if (const auto fortran = FieldText(header, "fortran_order")) h.fortran_order = fortran->starts_with("True");

  // The shape literal: "(3, 4)", "()", "(5,)"; Python 2 wrote longs as "3L". A bad shape does not fail the
  // header: an object array's pickle is loaded whatever the shape says, so it must still be analysed.
  const auto shape_error = [&](std::string message) {
    h.shape.clear();
    h.element_count = 0;
    h.shape_error = std::move(message);
    return h;
  };
  std::string_view s = *shape;
  if (s.empty() || s.front() != '(') return shape_error("'shape' is not a tuple");
  const size_t close = s.find(')');
  if (close == std::string_view::npos) return shape_error("unterminated 'shape'");
  s = s.substr(1, close - 1);
  size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == ' ' || c == ',') {
      ++i;
      continue;
    }
    if (!std::isdigit(static_cast<unsigned char>(c))) return shape_error("bad 'shape' entry");
    uint64_t dim = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
      if (dim > kMaxDimension) return shape_error("dimension too large");
      dim = dim * 10 + static_cast<uint64_t>(s[i++] - '0');
    }
    if (i < s.size() && s[i] == 'L') ++i;
    if (dim != 0 && h.element_count > std::numeric_limits<uint64_t>::max() / dim) return shape_error("shape overflows");
    h.element_count *= dim;
    h.shape.push_back(dim);
  }
  if (h.item_size && *h.item_size != 0 && h.element_count > std::numeric_limits<uint64_t>::max() / *h.item_size) {
    return shape_error("array size overflows");
  }
  return h;
}

std::optional<uint64_t> ItemSize(std::string_view dtype, bool* is_object) {
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

}  // namespace modelguard::formats::npy
