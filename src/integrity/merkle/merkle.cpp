#include "modelguard/integrity/merkle.h"

#include <algorithm>
#include <bit>
#include <string>

#include "modelguard/core/hash.h"

namespace modelguard::integrity::merkle {
namespace {

constexpr uint8_t kLeafPrefix = 0x00;
constexpr uint8_t kNodePrefix = 0x01;

Hash Sha256(std::initializer_list<std::span<const uint8_t>> parts) {
  DigestStream stream;
  for (const auto& p : parts) stream.Update(std::string_view(reinterpret_cast<const char*>(p.data()), p.size()));
  const std::string digest = stream.Finish();
  Hash out{};
  std::copy(digest.begin(), digest.end(), out.begin());
  return out;
}

// Largest power of two strictly smaller than n (n >= 2): the split point k of RFC 9162.
uint64_t Split(uint64_t n) { return std::bit_floor(n - 1); }

void Path(uint64_t m, std::span<const Hash> d, std::vector<Hash>& out) {
  if (d.size() <= 1) return;
  const uint64_t k = Split(d.size());
  if (m < k) {
    Path(m, d.first(k), out);
    out.push_back(Root(d.subspan(k)));
  } else {
    Path(m - k, d.subspan(k), out);
    out.push_back(Root(d.first(k)));
  }
}

void Subproof(uint64_t m, std::span<const Hash> d, bool whole, std::vector<Hash>& out) {
  const uint64_t n = d.size();
  if (m == n) {
    if (!whole) out.push_back(Root(d));
    return;
  }
  const uint64_t k = Split(n);
  if (m <= k) {
    Subproof(m, d.first(k), whole, out);
    out.push_back(Root(d.subspan(k)));
  } else {
    Subproof(m - k, d.subspan(k), false, out);
    out.push_back(Root(d.first(k)));
  }
}

bool Is32(std::span<const uint8_t> h) { return h.size() == 32; }

Hash ToHash(std::span<const uint8_t> h) {
  Hash out{};
  std::copy(h.begin(), h.end(), out.begin());
  return out;
}

bool Equal(const Hash& a, std::span<const uint8_t> b) { return Is32(b) && std::equal(a.begin(), a.end(), b.begin()); }

// RFC 9162 2.1.3.2 step 4.b.2 (and 2.1.4.2 step 6.b.3): right-shift both until LSB(fn) is set or fn is 0.
void SkipToRightChild(uint64_t& fn, uint64_t& sn) {
  while (!(fn & 1) && fn != 0) {
    fn >>= 1;
    sn >>= 1;
  }
}

Status Fail(std::string why) { return MakeError(ErrorCode::kInvalidArgument, std::move(why)); }

}  // namespace

Hash LeafHash(std::span<const uint8_t> data) {
  const uint8_t prefix = kLeafPrefix;
  return Sha256({{&prefix, 1}, data});
}

Hash NodeHash(const Hash& left, const Hash& right) {
  const uint8_t prefix = kNodePrefix;
  return Sha256({{&prefix, 1}, left, right});
}

Hash Root(std::span<const Hash> leaves) {
  if (leaves.empty()) return Sha256({});
  // Iterative MTH: fold complete subtrees on a stack, as an append-only log does.
  std::vector<std::pair<Hash, uint64_t>> stack;  // (hash, leaf count)
  for (const Hash& leaf : leaves) {
    Hash h = leaf;
    uint64_t size = 1;
    while (!stack.empty() && stack.back().second == size) {
      h = NodeHash(stack.back().first, h);
      size *= 2;
      stack.pop_back();
    }
    stack.emplace_back(h, size);
  }
  Hash h = stack.back().first;
  for (size_t i = stack.size() - 1; i-- > 0;) h = NodeHash(stack[i].first, h);
  return h;
}

Result<std::vector<Hash>> InclusionProof(std::span<const Hash> leaves, uint64_t index) {
  if (index >= leaves.size()) return MakeError(ErrorCode::kInvalidArgument, "leaf index is outside the tree");
  std::vector<Hash> out;
  Path(index, leaves, out);
  return out;
}

Result<std::vector<Hash>> ConsistencyProof(std::span<const Hash> leaves, uint64_t old_size) {
  if (old_size > leaves.size()) return MakeError(ErrorCode::kInvalidArgument, "old size exceeds the tree");
  std::vector<Hash> out;
  if (old_size == 0 || old_size == leaves.size()) return out;
  Subproof(old_size, leaves, true, out);
  return out;
}

Status VerifyInclusion(uint64_t index, uint64_t tree_size, std::span<const uint8_t> leaf_hash,
                       const std::vector<std::vector<uint8_t>>& proof, std::span<const uint8_t> root) {
  if (index >= tree_size)
    return Fail("leaf index " + std::to_string(index) + " is not below tree size " + std::to_string(tree_size));
  if (!Is32(leaf_hash) || !Is32(root)) return Fail("leaf hash and root must be 32-byte SHA-256 values");
  uint64_t fn = index, sn = tree_size - 1;
  Hash r = ToHash(leaf_hash);
  for (const auto& p : proof) {
    if (!Is32(p)) return Fail("proof element is not 32 bytes");
    if (sn == 0) return Fail("proof is longer than the tree is deep");
    const Hash ph = ToHash(p);
    if ((fn & 1) || fn == sn) {
      r = NodeHash(ph, r);
      if (!(fn & 1)) SkipToRightChild(fn, sn);
    } else {
      r = NodeHash(r, ph);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Fail("proof is shorter than the path to the root");
  if (!Equal(r, root)) return Fail("computed root does not match");
  return Ok{};
}

Status VerifyConsistency(uint64_t old_size, uint64_t new_size, std::span<const uint8_t> old_root,
                         std::span<const uint8_t> new_root, const std::vector<std::vector<uint8_t>>& proof) {
  if (new_size < old_size) return Fail("new tree is smaller than the old one");
  // Conventions of transparency-dev/merkle (whose probes the tests run): a proof from the empty tree
  // proves nothing and is refused; equal sizes prove equal roots with an empty proof.
  if (old_size == 0) return Fail("a consistency proof from the empty tree proves nothing");
  if (old_size == new_size) {
    if (!proof.empty()) return Fail("equal sizes need an empty proof");
    if (!std::equal(old_root.begin(), old_root.end(), new_root.begin(), new_root.end()))
      return Fail("equal sizes need equal roots");
    return Ok{};
  }
  if (proof.empty()) return Fail("consistency proof is empty");
  if (!Is32(old_root) || !Is32(new_root)) return Fail("roots must be 32-byte SHA-256 values");
  for (const auto& p : proof) {
    if (!Is32(p)) return Fail("proof element is not 32 bytes");
  }
  std::vector<Hash> path;
  if (std::has_single_bit(old_size)) path.push_back(ToHash(old_root));
  for (const auto& p : proof) path.push_back(ToHash(p));
  uint64_t fn = old_size - 1, sn = new_size - 1;
  while (fn & 1) {
    fn >>= 1;
    sn >>= 1;
  }
  Hash fr = path[0], sr = path[0];
  for (size_t i = 1; i < path.size(); ++i) {
    if (sn == 0) return Fail("proof is longer than needed");
    const Hash& c = path[i];
    if ((fn & 1) || fn == sn) {
      fr = NodeHash(c, fr);
      sr = NodeHash(c, sr);
      if (!(fn & 1)) SkipToRightChild(fn, sn);
    } else {
      sr = NodeHash(sr, c);
    }
    fn >>= 1;
    sn >>= 1;
  }
  if (sn != 0) return Fail("proof is shorter than needed");
  if (!Equal(fr, old_root)) return Fail("proof does not reproduce the old root");
  if (!Equal(sr, new_root)) return Fail("proof does not reproduce the new root");
  return Ok{};
}

}  // namespace modelguard::integrity::merkle
