#pragma once
// Proof hashes as the byte vectors merkle's verifiers take. Byte encodings (hex, base64) are core's:
// modelguard/core/bytes.h.
#include <cstdint>
#include <vector>

#include "modelguard/integrity/merkle.h"

namespace modelguard::integrity {

inline std::vector<std::vector<uint8_t>> ToByteVectors(const std::vector<merkle::Hash>& hashes) {
  std::vector<std::vector<uint8_t>> out;
  for (const auto& h : hashes) out.emplace_back(h.begin(), h.end());
  return out;
}

}  // namespace modelguard::integrity
