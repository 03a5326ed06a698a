// A sealed file's header as `unseal --info` and every unseal read it: only the canonical JSON this version
// writes is accepted, and what is accepted writes back to the same bytes.
#include <string_view>

#include "modelguard/seal/seal.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace modelguard::seal;
  const std::string_view json(reinterpret_cast<const char*>(data), size);
  const auto header = ParseHeaderJson(json);
  if (!header.ok()) return 0;
  if (HeaderJson(*header) != json) __builtin_trap();
  if (header->chunk_size < kMinChunkSize || header->chunk_size > kMaxChunkSize) __builtin_trap();
  if (header->Chunks() == 0 || header->Chunks() > header->plaintext_size / kMinChunkSize + 1) __builtin_trap();
  return 0;
}
