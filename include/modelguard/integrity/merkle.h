#pragma once
// RFC 9162 (Certificate Transparency 2.0, section 2.1) Merkle trees: the hashing, the audit proofs a log
// serves and their verification. leaf = SHA-256(0x00 || data), node = SHA-256(0x01 || left || right).
#include <array>
#include <cstdint>
#include <span>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::integrity::merkle {

using Hash = std::array<uint8_t, 32>;

Hash LeafHash(std::span<const uint8_t> data);
Hash NodeHash(const Hash& left, const Hash& right);
// MTH of the given leaf hashes; SHA-256 of the empty string for no leaves.
Hash Root(std::span<const Hash> leaf_hashes);

// PATH(m, D[n]) and PROOF(m, D[n]) of RFC 9162 2.1.3.1 / 2.1.4.1, for a log holding these leaves.
Result<std::vector<Hash>> InclusionProof(std::span<const Hash> leaf_hashes, uint64_t index);
Result<std::vector<Hash>> ConsistencyProof(std::span<const Hash> leaf_hashes, uint64_t old_size);

// Verification as RFC 9162 2.1.3.2 / 2.1.4.2 specify. Hashes arrive as bytes so that a wrong length is a
// verification failure, not a type error. Ok means proven; the error says which check failed.
Status VerifyInclusion(uint64_t index, uint64_t tree_size, std::span<const uint8_t> leaf_hash,
                       const std::vector<std::vector<uint8_t>>& proof, std::span<const uint8_t> root);
Status VerifyConsistency(uint64_t old_size, uint64_t new_size, std::span<const uint8_t> old_root,
                         std::span<const uint8_t> new_root, const std::vector<std::vector<uint8_t>>& proof);

}  // namespace modelguard::integrity::merkle
