// The shared .npy header reader on its own: every header the npy analyzer, the pickle machine's joblib
// arrays and the dataset loader read goes through it.
#include "modelguard/formats/npy.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  uint64_t error_offset = 0;
  const auto header = modelguard::formats::npy::ParseHeader({data, size}, &error_offset);
  if (header.ok()) {
    // The reader promises these; a violation is a bug worth a crash report.
    if (header->data_offset > size || header->header_offset > header->data_offset) __builtin_trap();
    if (header->item_size && header->shape_error.empty() && *header->item_size != 0 &&
        header->element_count > UINT64_MAX / *header->item_size)
      __builtin_trap();
  } else if (error_offset > size) {
    __builtin_trap();
  }
  return 0;
}
