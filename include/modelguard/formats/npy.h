#pragma once
// The one reader of numpy .npy headers (numpy/lib/format.py, versions 1.0-3.0), shared by the npy format
// analyzer, the pickle machine (joblib's inline arrays) and the assessment engine's dataset loader: magic
// "\x93NUMPY", major/minor version, header length (2 bytes in 1.0, 4 after), then a Python dict literal
// {'descr': ..., 'fortran_order': ..., 'shape': (...)}. numpy writes single quotes; the dict is read with
// ast.literal_eval, so double quotes load too and are accepted here the same way.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/core/result.h"
#include "modelguard/formats/format.h"

namespace modelguard::formats::npy {

inline constexpr uint64_t kMaxHeaderLength = 1 << 20;  // numpy itself refuses headers over 10 KB by default

struct Header {
  uint8_t major = 0;
  uint64_t header_offset = 0;         // first byte of the dict literal
  uint64_t data_offset = 0;           // first byte after the header: the array data (or the pickle of an object array)
  std::string descr;                  // a simple dtype string ("<f4", "|O"); empty for a structured dtype
  bool structured = false;            // 'descr' is a list of fields
  bool is_object = false;             // object dtype, or a structured dtype with an object field: the data is a pickle
  std::optional<uint64_t> item_size;  // bytes per element; nullopt for structured or unknown dtypes
  bool fortran_order = false;
  std::vector<uint64_t> shape;  // empty for a scalar
  uint64_t element_count = 1;   // product of shape; element_count * item_size does not overflow
  // Non-empty when 'shape' is unreadable or overflows (then shape is empty and element_count 0). Not a
  // failure of the whole header: numpy unpickles an object array's payload before it looks at the shape.
  std::string shape_error;
};

// Parses the header of an .npy file. On failure the error (kParse) says what broke and, if error_offset
// is given, *error_offset is where. A bad shape is reported in Header::shape_error (at header_offset).
Result<Header> ParseHeader(ByteView data, uint64_t* error_offset = nullptr);

// Size in bytes of one element of a numpy dtype string ("<f4", "|b1", "O8", "U10", "M8[ns]"); nullopt for
// strings numpy would reject. Sets *is_object for object dtypes.
std::optional<uint64_t> ItemSize(std::string_view dtype, bool* is_object);

}  // namespace modelguard::formats::npy
