// RFC 9162 Merkle proofs: our prover and verifier agree with each other on every small tree, and the
// verifier gives the expected verdict on every probe of transparency-dev/merkle's test data
// (../shared/interop/merkle, mostly mutations that must be rejected).
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "modelguard/core/bytes.h"
#include "modelguard/integrity/merkle.h"
#include "test_support.h"

namespace modelguard::integrity::merkle {
namespace {

std::vector<uint8_t> Base64(const nlohmann::json& j) {
  if (!j.is_string()) return {};
  const std::string bytes = Base64DecodeLenient(j.get<std::string>());
  return std::vector<uint8_t>(bytes.begin(), bytes.end());
}

std::vector<std::vector<uint8_t>> Proof(const nlohmann::json& j) {
  std::vector<std::vector<uint8_t>> out;
  if (j.is_array()) {
    for (const auto& p : j) out.push_back(Base64(p));
  }
  return out;
}

std::vector<std::vector<uint8_t>> AsBytes(const std::vector<Hash>& hashes) {
  std::vector<std::vector<uint8_t>> out;
  for (const auto& h : hashes) out.emplace_back(h.begin(), h.end());
  return out;
}

TEST(Merkle, KnownHashes) {
  // RFC 6962: the empty tree hashes to SHA-256(""), a one-leaf tree to its leaf hash.
  const Hash empty = Root({});
  EXPECT_EQ(empty[0], 0xe3);
  EXPECT_EQ(empty[31], 0x55);
  const std::vector<uint8_t> leaf = {};
  const Hash h = LeafHash(leaf);  // SHA-256(0x00) = 6e340b9c...
  EXPECT_EQ(h[0], 0x6e);
  EXPECT_EQ(h[1], 0x34);
  const std::vector<Hash> one = {h};
  EXPECT_EQ(Root(one), h);
}

TEST(Merkle, ProverAndVerifierAgreeOnEveryTreeUpTo64) {
  std::vector<Hash> leaves;
  for (uint8_t i = 0; i < 64; ++i) {
    const std::vector<uint8_t> data = {i, static_cast<uint8_t>(i * 3)};
    leaves.push_back(LeafHash(data));
  }
  for (uint64_t n = 1; n <= leaves.size(); ++n) {
    const std::span<const Hash> tree(leaves.data(), n);
    const Hash root = Root(tree);
    for (uint64_t i = 0; i < n; ++i) {
      auto proof = InclusionProof(tree, i);
      ASSERT_TRUE(proof.ok());
      EXPECT_TRUE(VerifyInclusion(i, n, leaves[i], AsBytes(*proof), root).ok()) << i << "/" << n;
      // The same proof for a different leaf, or against another tree's root, fails.
      EXPECT_FALSE(VerifyInclusion(i, n, leaves[(i + 1) % 64], AsBytes(*proof), root).ok());
      EXPECT_FALSE(VerifyInclusion(i, n, leaves[i], AsBytes(*proof), NodeHash(root, root)).ok());
    }
    for (uint64_t m = 1; m <= n; ++m) {
      const Hash old_root = Root(tree.first(m));
      auto proof = ConsistencyProof(tree, m);
      ASSERT_TRUE(proof.ok());
      EXPECT_TRUE(VerifyConsistency(m, n, old_root, root, AsBytes(*proof)).ok()) << m << "->" << n;
      if (m < n) {
        EXPECT_FALSE(VerifyConsistency(m, n, root, root, AsBytes(*proof)).ok());
      }
    }
  }
}

void RunProbes(const std::string& dir, bool inclusion) {
  ASSERT_TRUE(std::filesystem::exists(dir)) << dir;
  int probes = 0, right = 0;
  for (const auto& entry : std::filesystem::recursive_directory_iterator(dir)) {
    if (!entry.is_regular_file() || entry.path().extension() != ".json") continue;
    std::ifstream in(entry.path());
    const auto j = nlohmann::json::parse(in);
    const bool want_error = j.value("wantErr", false);
    Status verdict = inclusion ? VerifyInclusion(j.value("leafIdx", uint64_t{0}), j.value("treeSize", uint64_t{0}),
                                                 Base64(j["leafHash"]), Proof(j["proof"]), Base64(j["root"]))
                               : VerifyConsistency(j.value("size1", uint64_t{0}), j.value("size2", uint64_t{0}),
                                                   Base64(j["root1"]), Base64(j["root2"]), Proof(j["proof"]));
    ++probes;
    if (verdict.ok() != want_error) ++right;
    EXPECT_EQ(verdict.ok(), !want_error) << entry.path() << ": " << j.value("desc", "");
  }
  EXPECT_GT(probes, 50);
  std::cout << "[ merkle   ] " << right << "/" << probes << " probes in " << dir << "\n";
}

TEST(Merkle, InclusionProbes) { RunProbes(testing::SharedDir() + "/interop/merkle/testdata/inclusion", true); }
TEST(Merkle, ConsistencyProbes) { RunProbes(testing::SharedDir() + "/interop/merkle/testdata/consistency", false); }

}  // namespace
}  // namespace modelguard::integrity::merkle
