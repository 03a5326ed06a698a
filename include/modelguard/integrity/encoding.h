#pragma once
// Byte encodings used in bundles, proofs and checkpoints.
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/integrity/merkle.h"

namespace modelguard::integrity {

std::string Base64Encode(std::string_view bytes);
// Standard alphabet with padding; whitespace and anything else outside it is an error.
std::optional<std::string> Base64Decode(std::string_view text);
std::string Hex(std::string_view bytes);
inline std::string Base64Encode(const merkle::Hash& h) {
  return Base64Encode(std::string_view(reinterpret_cast<const char*>(h.data()), h.size()));
}
inline std::vector<std::vector<uint8_t>> ToByteVectors(const std::vector<merkle::Hash>& hashes) {
  std::vector<std::vector<uint8_t>> out;
  for (const auto& h : hashes) out.emplace_back(h.begin(), h.end());
  return out;
}

}  // namespace modelguard::integrity
