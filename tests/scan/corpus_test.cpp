// End-to-end verdicts: the public picklescan corpus (labels from its maintainers) and the project's own
// fixtures (real library output plus one file per evasion technique). Malicious = a finding >= high.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "modelguard/formats/catalog.h"
#include "modelguard/scan/scanner.h"
#include "test_support.h"

namespace modelguard::scan {
namespace {

struct Case {
  std::string path;
  std::string expected;
  std::string required_rule;
};

std::vector<Case> ReadManifest(const std::string& file, bool has_rule_column) {
  std::vector<Case> cases;
  std::ifstream in(file);
  std::string line;
  bool header = !has_rule_column;
  while (std::getline(in, line)) {
    if (header) {
      header = false;
      continue;
    }
    std::istringstream row(line);
    Case c;
    std::getline(row, c.path, '\t');
    std::getline(row, c.expected, '\t');
    if (has_rule_column) std::getline(row, c.required_rule, '\t');
    if (!c.path.empty()) cases.push_back(c);
  }
  return cases;
}

void CheckCorpus(const std::string& root, const std::vector<Case>& cases) {
  auto policy = Policy::Default();
  ASSERT_TRUE(policy.ok());
  ScanOptions options;
  options.jobs = 1;
  Scanner scanner(*policy, options);
  int correct = 0;
  for (const Case& c : cases) {
    const FileReport r = scanner.ScanFile(root + "/" + c.path);
    const bool malicious = r.MaxSeverity() >= Severity::kHigh;
    const std::string verdict = malicious ? "malicious" : "benign";
    std::string rules;
    bool has_rule = c.required_rule.empty() || c.required_rule == "-";
    for (const auto& f : r.findings) {
      rules += f.rule_id + "(" + ToString(f.severity) + ") ";
      has_rule |= f.rule_id == c.required_rule;
    }
    EXPECT_EQ(verdict, c.expected) << c.path << ": " << rules;
    EXPECT_TRUE(has_rule) << c.path << " lacks " << c.required_rule << ": " << rules;
    correct += (verdict == c.expected && has_rule) ? 1 : 0;
  }
  std::cout << "[ corpus   ] " << correct << "/" << cases.size() << " correct in " << root << "\n";
}

TEST(Corpus, PicklescanSamplesAreAllClassifiedCorrectly) {
  const std::string root = testing::SharedDir() + "/model-samples/picklescan";
  auto cases = ReadManifest(root + "/labels.tsv", false);
  ASSERT_GT(cases.size(), 100u);
  CheckCorpus(root, cases);
}

TEST(Corpus, GeneratedFixturesAreAllClassifiedCorrectly) {
  auto cases = ReadManifest(testing::FixtureDir() + "/manifest.tsv", true);
  ASSERT_GT(cases.size(), 50u);
  CheckCorpus(testing::FixtureDir(), cases);
}

TEST(Corpus, EveryEmittedFactKindIsDeclared) {
  // Kinds are constants, but a format could declare one and forget to list it in its descriptor; then
  // the rule check would not see it. Every fixture and sample is analysed and its kinds looked up.
  std::set<std::string_view> declared;
  for (const auto& k : formats::FormatCatalog::Registered().FactKinds()) declared.insert(k.id());
  for (const auto& k : ScanFactKinds()) declared.insert(k.id());
  std::set<std::string> seen;
  size_t files = 0;
  for (const std::string& root : {testing::FixtureDir(), testing::SharedDir() + "/model-samples"}) {
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(root, ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      if (!it->is_regular_file() || it->file_size() > (64u << 20)) continue;
      ++files;
      for (const auto& f : testing::Analyze(testing::ReadFile(it->path().string()))) seen.emplace(f.kind.id());
    }
  }
  EXPECT_GT(files, 50u);
  EXPECT_GT(seen.size(), 30u);
  for (const auto& kind : seen) EXPECT_TRUE(declared.contains(kind)) << kind << " is emitted but not declared";
}

TEST(Scanner, WalksDirectoriesInParallelAndReportsSymlinks) {
  auto policy = Policy::Default();
  ScanOptions options;
  options.jobs = 4;
  Scanner scanner(*policy, options);
  auto report = scanner.Scan({testing::FixtureDir() + "/malicious"});
  ASSERT_TRUE(report.ok()) << report.error().message;
  EXPECT_GT(report->files.size(), 30u);
  size_t flagged = 0;
  for (const auto& f : report->files) flagged += f.MaxSeverity() >= Severity::kHigh;
  EXPECT_EQ(flagged, report->files.size());
}

TEST(Scanner, MissingPathIsAnError) {
  auto policy = Policy::Default();
  Scanner scanner(*policy, {});
  auto report = scanner.Scan({"/nonexistent/model.pt"});
  EXPECT_FALSE(report.ok());
}

TEST(Scanner, MemberSizeLimitIsAFindingNotAPass) {
  auto policy = Policy::Default();
  ScanOptions options;
  options.limits.max_member_size = 64;
  Scanner scanner(*policy, options);
  const FileReport r = scanner.ScanFile(testing::FixtureDir() + "/benign/pipeline_gzip.joblib");
  bool limited = false;
  for (const auto& f : r.findings) {
    limited |= f.rule_id == "archive.decompression-bomb" && f.severity >= Severity::kHigh;
  }
  EXPECT_TRUE(limited);
}

}  // namespace
}  // namespace modelguard::scan

namespace modelguard::scan {
namespace {

// Every enabled rule has a fixture that must raise it, so a rule cannot silently stop firing.
TEST(Corpus, EveryRuleHasAFixture) {
  // Rules without a file fixture, and where they are covered instead.
  const std::set<std::string> covered_elsewhere = {
      "scan.symlink",                   // tests/tools/cli_test.sh (a link leaving the tree)
      "scan.special-file",              // tests/scan/special_files_test.sh (FIFO, socket, device)
      "repo.custom-code",               // tests/tools/cli_test.sh (directory scan)
      "repo.declared-format-mismatch",  // tests/tools/cli_test.sh (directory scan)
      "scan.io-error",                  // needs an unreadable file; tests run as root
      "archive.encrypted-member",       // no Debian tool writes encrypted 7z/tar
      "hydra.attribute-walk",           // Hydra splits _target_ at the last dot: no dotted names reach the policy
      "scan.unsealed",                  // tests/seal/seal_cli_test.sh (needs a key: scan --seal-key-file)
      "scan.unseal-failed",             // tests/seal/seal_cli_test.sh (wrong key, altered file, size cap)
  };
  auto policy = Policy::Default();
  ASSERT_TRUE(policy.ok());
  std::set<std::string> required;
  std::ifstream in(testing::FixtureDir() + "/manifest.tsv");
  std::string line;
  while (std::getline(in, line)) {
    const auto last_tab = line.rfind('\t');
    if (last_tab != std::string::npos) required.insert(line.substr(last_tab + 1));
  }
  for (const auto& rule : policy->DescribeRules()) {
    const RuleConfig* config = policy->Rule(rule.id);
    if (!config->enabled || covered_elsewhere.contains(rule.id)) continue;
    EXPECT_TRUE(required.contains(rule.id)) << rule.id << " has no fixture that requires it";
  }
}

}  // namespace
}  // namespace modelguard::scan
