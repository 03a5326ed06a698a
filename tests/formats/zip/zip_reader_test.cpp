// The ZIP reader against archives written by Python's zipfile and by torch.save, then damaged the way
// published bypasses damage them.
#include <gtest/gtest.h>

#include <random>

#include "src/formats/zip/zip_reader.h"
#include "test_support.h"

namespace modelguard::formats::zip {
namespace {

using modelguard::testing::Analyze;
using modelguard::testing::FixtureDir;
using modelguard::testing::HasFact;
using modelguard::testing::ReadFile;

Archive ParseBytes(const std::vector<uint8_t>& data, std::vector<Fact>& facts) {
  static const Limits limits;
  AnalysisContext ctx(limits, facts);
  return Parse({data.data(), data.size()}, ctx);
}

TEST(ZipReader, ReadsTorchSaveArchive) {
  auto data = ReadFile(FixtureDir() + "/benign/torch_state_dict.pt");
  ASSERT_FALSE(data.empty());
  std::vector<Fact> facts;
  Archive a = ParseBytes(data, facts);
  EXPECT_TRUE(a.has_central_directory);
  bool saw_pickle = false;
  for (const auto& e : a.entries) saw_pickle |= e.name.size() > 9 && e.name.substr(e.name.size() - 9) == "/data.pkl";
  EXPECT_TRUE(saw_pickle);
  EXPECT_TRUE(facts.empty()) << facts[0].kind << ": " << facts[0].detail;
}

TEST(ZipReader, ReportsCrcMismatchAndStillReads) {
  auto facts = Analyze(ReadFile(FixtureDir() + "/malicious/zip_crc_mismatch.pt"));
  EXPECT_TRUE(HasFact(facts, "zip.crc-mismatch"));
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "posix", "system"));
}

TEST(ZipReader, ReportsLocalCentralDisagreement) {
  auto facts = Analyze(ReadFile(FixtureDir() + "/malicious/zip_flag_mismatch.pt"));
  EXPECT_TRUE(HasFact(facts, "zip.header-mismatch"));
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "posix", "system"));
}

TEST(ZipReader, FindsMembersTheCentralDirectoryHides) {
  auto facts = Analyze(ReadFile(FixtureDir() + "/malicious/zip_hidden_entry.zip"));
  EXPECT_TRUE(HasFact(facts, "zip.hidden-entry", "evil.pkl"));
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "posix", "system"));
}

TEST(ZipReader, RecoversMembersWithoutCentralDirectory) {
  auto facts = Analyze(ReadFile(FixtureDir() + "/malicious/zip_no_central_directory.zip"));
  EXPECT_TRUE(HasFact(facts, "zip.missing-central-directory"));
  EXPECT_TRUE(HasFact(facts, fact::kPickleImport, "posix", "system"));
}

TEST(ZipReader, ReportsAnEndRecordThatLiesAboutTheDirectory) {
  for (const char* name :
       {"zip_directory_size_lie.zip", "zip_directory_count_lie.zip", "zip_member_into_directory.zip"}) {
    auto facts = Analyze(ReadFile(FixtureDir() + "/malicious/" + name));
    EXPECT_TRUE(HasFact(facts, fact::kZipInconsistentDirectory)) << name;
  }
  // The same archives untouched are consistent.
  for (const char* name : {"zip_trailing_data.zip", "zip_prefixed.zip", "zip_patched_flag.zip"}) {
    auto facts = Analyze(ReadFile(FixtureDir() + "/benign/" + name));
    EXPECT_FALSE(HasFact(facts, fact::kZipInconsistentDirectory)) << name;
  }
  auto facts = Analyze(ReadFile(FixtureDir() + "/malicious/zip64_member.pt"));
  EXPECT_FALSE(HasFact(facts, fact::kZipInconsistentDirectory));
}

TEST(ZipReader, PicklescanFlagVariantsAreReadLikePyTorch) {
  for (const char* name : {"malicious1_0x1.zip", "malicious1_0x20.zip", "malicious1_0x40.zip"}) {
    auto facts = Analyze(ReadFile(testing::SharedDir() + "/model-samples/picklescan/data/" + name));
    bool dangerous = false;
    for (const auto& f : facts) dangerous |= f.kind == fact::kPickleImport && f.subject == "builtins";
    EXPECT_TRUE(dangerous) << name;
  }
}

// Every truncation and many byte flips of real archives: never a crash, never an out-of-bounds read
// (the sanitizer build checks), and a damaged archive never comes back without facts.
TEST(ZipReader, SurvivesTruncationAndCorruption) {
  for (const char* name : {"/benign/torch_state_dict.pt", "/benign/arrays.npz", "/malicious/in_zip_deflated.zip"}) {
    const auto original = ReadFile(FixtureDir() + name);
    ASSERT_FALSE(original.empty()) << name;
    for (size_t cut = 0; cut < original.size(); cut += std::max<size_t>(1, original.size() / 97)) {
      std::vector<uint8_t> truncated(original.begin(), original.begin() + static_cast<std::ptrdiff_t>(cut));
      (void)Analyze(truncated);
    }
    std::mt19937 rng(1234);
    for (int round = 0; round < 300; ++round) {
      auto mutated = original;
      for (int k = 0; k < 4; ++k) mutated[rng() % mutated.size()] = static_cast<uint8_t>(rng());
      (void)Analyze(mutated);
    }
  }
}

}  // namespace
}  // namespace modelguard::formats::zip
