// The shipped probe families: the binary carries policies/redteam/ as it is, every family loads and
// validates, and the loader refuses malformed files with a message naming the problem.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "modelguard/redteam/redteam.h"

namespace modelguard::redteam {
namespace {

const std::string kPolicyDir = std::string(MODELGUARD_SOURCE_DIR) + "/policies/redteam";
std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(RedteamFamilies, TheBinaryCarriesEveryPolicyFileAsItIs) {
  std::vector<std::string> names;
  for (const auto& entry : std::filesystem::directory_iterator(kPolicyDir)) {
    if (entry.path().extension() == ".json") names.push_back(entry.path().filename().string());
  }
  std::sort(names.begin(), names.end());
  std::vector<std::string> built;
  for (const EmbeddedFile& file : BuiltinFamilyFiles()) {
    built.push_back(std::string(file.name));
    EXPECT_EQ(std::string(file.text), Slurp(kPolicyDir + "/" + std::string(file.name))) << file.name;
  }
  EXPECT_EQ(built, names);
}

TEST(RedteamFamilies, EveryShippedFamilyLoadsWithItsProbes) {
  auto families = BuiltinFamilies();
  ASSERT_TRUE(families) << families.error().message;
  std::set<std::string> names;
  for (const Family& f : *families) {
    names.insert(f.name);
    EXPECT_FALSE(f.description.empty()) << f.name;
    EXPECT_GE(f.probes.size(), 2u) << f.name;
    for (const ProbeSpec& p : f.probes) {
      EXPECT_FALSE(p.description.empty()) << f.name << "/" << p.id;
      EXPECT_NE(FindDetector(p.detector), nullptr);
    }
  }
  for (const char* required :
       {"injection", "indirect", "extraction", "jailbreak", "encoding", "multilingual", "tools", "output"}) {
    EXPECT_TRUE(names.count(required)) << required;
  }
  // The same files read from disk (as --probes would) give the same families.
  auto from_disk = LoadFamilies(kPolicyDir);
  ASSERT_TRUE(from_disk) << from_disk.error().message;
  ASSERT_EQ(from_disk->size(), families->size());
  for (size_t i = 0; i < families->size(); ++i) EXPECT_EQ((*from_disk)[i].probes.size(), (*families)[i].probes.size());
}

TEST(RedteamFamilies, MultilingualCoversAtLeastTenLanguages) {
  auto families = BuiltinFamilies();
  ASSERT_TRUE(families);
  size_t overrides = 0;
  for (const Family& f : *families) {
    if (f.name != "multilingual") continue;
    for (const ProbeSpec& p : f.probes) overrides += p.id.rfind("override-", 0) == 0;
  }
  EXPECT_GE(overrides, 10u);
}

TEST(RedteamFamilies, EncodingUsesEveryConverter) {
  auto families = BuiltinFamilies();
  ASSERT_TRUE(families);
  for (const Family& f : *families) {
    if (f.name != "encoding") continue;
    EXPECT_EQ(f.probes[0].converters.size(), Converters().size());
  }
}

std::string Probe(const std::string& probe_json, const std::string& extra = "") {
  return R"({"schema": "modelguard.redteam-family/v1", "family": "mine", "description": "d", )" + extra +
         R"("probes": [)" + probe_json + "]}";
}

TEST(RedteamFamilies, MalformedFilesAreRefusedWithTheReason) {
  const std::string ok_probe =
      R"({"id": "p", "turns": [{"role": "user", "content": "say {{marker}}"}], "detector": {"kind": "goal_string", "goal": "{{marker}}"}})";
  ASSERT_TRUE(ParseFamily(Probe(ok_probe), "t.json")) << ParseFamily(Probe(ok_probe), "t.json").error().message;
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"{", "not valid JSON"},
      {R"({"schema": "other/v1", "family": "x", "description": "d", "probes": []})",
       "expected modelguard.redteam-family/v1"},
      {Probe(ok_probe, R"("surprise": 1, )"), "unknown key 'surprise'"},
      {Probe(R"({"id": "Bad Id", "turns": [{"role": "user", "content": "x"}], "detector": {"kind": "refusal"}})"),
       "must be 1-64"},
      {Probe(R"({"id": "p", "turns": [{"role": "user", "content": "{{nope}}"}], "detector": {"kind": "refusal"}})"),
       "unknown placeholder {{nope}}"},
      {Probe(R"({"id": "p", "turns": [{"role": "user", "content": "x"}], "detector": {"kind": "magic"}})"),
       "unknown detector 'magic'"},
      {Probe(R"({"id": "p", "turns": [{"role": "user", "content": "x"}], "detector": {"kind": "goal_string"}})"),
       "goal_string needs"},
      {Probe(
           R"({"id": "p", "turns": [{"role": "user", "content": "x"}], "detector": {"kind": "tool_call", "forbidden_arguments": "("}})"),
       "forbidden_arguments"},
      {Probe(
           R"({"id": "p", "turns": [{"role": "user", "content": "{{payload}}"}], "payload": "x", "converters": ["zip"], "detector": {"kind": "refusal"}})"),
       "unknown converter"},
      {Probe(
           R"({"id": "p", "turns": [{"role": "user", "content": "x"}], "converters": ["base64"], "detector": {"kind": "refusal"}})"),
       "can only use \"none\""},
      {Probe(
           R"({"id": "p", "turns": [{"role": "user", "content": "x"}], "payload": "y", "detector": {"kind": "refusal"}})"),
       "exactly when a turn says {{payload}}"},
      {Probe(R"({"id": "p", "turns": [{"role": "user", "content": "{{goal}}"}], "detector": {"kind": "refusal"}})"),
       "no \"goals\""},
      {Probe(
           R"({"id": "p", "turns": [{"role": "user", "content": "x"}, {"role": "assistant", "content": "y"}], "detector": {"kind": "refusal"}})"),
       "last turn"},
      {Probe(R"({"id": "p", "turns": [{"role": "robot", "content": "x"}], "detector": {"kind": "refusal"}})"),
       "not system, user"},
      {Probe(ok_probe + "," + ok_probe), "duplicate probe id 'p'"},
  };
  for (const auto& [text, message] : cases) {
    auto family = ParseFamily(text, "t.json");
    ASSERT_FALSE(family) << text;
    EXPECT_NE(family.error().message.find(message), std::string::npos)
        << family.error().message << "\nwant: " << message;
  }
}

TEST(RedteamFamilies, UserProbesLoadFromAFileOrADirectory) {
  const std::string dir = ::testing::TempDir() + "/redteam_probes";
  std::filesystem::create_directories(dir);
  std::ofstream(dir + "/mine.json") << Probe(
      R"({"id": "p", "description": "mine", "turns": [{"role": "user", "content": "x"}], "detector": {"kind": "refusal"}})");
  auto from_dir = LoadFamilies(dir);
  ASSERT_TRUE(from_dir) << from_dir.error().message;
  ASSERT_EQ(from_dir->size(), 1u);
  EXPECT_EQ((*from_dir)[0].name, "mine");
  auto from_file = LoadFamilies(dir + "/mine.json");
  ASSERT_TRUE(from_file);
  EXPECT_EQ((*from_file)[0].source, dir + "/mine.json");
  EXPECT_FALSE(LoadFamilies(dir + "/missing.json"));
}

}  // namespace
}  // namespace modelguard::redteam

namespace modelguard::redteam {
namespace {

// docs/redteam.md's catalogue is generated from the registries and the shipped families.
// MODELGUARD_UPDATE_DOCS=1 rewrites it.
TEST(RedteamDocs, CatalogueIsGeneratedFromTheRegistries) {
  const std::string path = std::string(MODELGUARD_SOURCE_DIR) + "/docs/redteam.md";
  const std::string begin_marker = "<!-- catalogue:begin";
  const std::string end_marker = "<!-- catalogue:end -->";
  std::string text = Slurp(path);
  const size_t begin = text.find(begin_marker);
  ASSERT_NE(begin, std::string::npos) << path << " has no generated catalogue";
  const size_t body = text.find('\n', begin) + 1;
  const size_t end = text.find(end_marker, body);
  ASSERT_NE(end, std::string::npos);
  auto families = BuiltinFamilies();
  ASSERT_TRUE(families);
  const std::string expected = CatalogMarkdown(*families);
  if (text.compare(body, end - body, expected) != 0 && std::getenv("MODELGUARD_UPDATE_DOCS") != nullptr) {
    text.replace(body, end - body, expected);
    std::ofstream(path, std::ios::trunc) << text;
    return;
  }
  EXPECT_EQ(text.substr(body, end - body), expected)
      << "docs/redteam.md's catalogue is stale; rerun this test with MODELGUARD_UPDATE_DOCS=1 to regenerate it";
}

}  // namespace
}  // namespace modelguard::redteam
