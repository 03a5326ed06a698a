#include <gtest/gtest.h>

#include <fstream>

#include "modelguard/formats/catalog.h"
#include "modelguard/scan/policy.h"
#include "modelguard/scan/scanner.h"
#include "src/formats/zip/zip_reader.h"

namespace modelguard::scan {
namespace {

const Policy& Default() {
  static const Policy policy = Policy::Default().value();
  return policy;
}

// The tensorflow analyzer declares its kind in its own source; the test declares the same id.
constexpr formats::FactKind kTensorflowOp{"tensorflow.op"};

ImportVerdict Verdict(std::string_view module, std::string_view name) {
  return Default().ClassifyImport(module, name).verdict;
}

TEST(Policy, AllowsRealModelImports) {
  EXPECT_EQ(Verdict("torch._utils", "_rebuild_tensor_v2"), ImportVerdict::kAllowed);
  EXPECT_EQ(Verdict("torch", "FloatStorage"), ImportVerdict::kAllowed);
  EXPECT_EQ(Verdict("collections", "OrderedDict"), ImportVerdict::kAllowed);
  EXPECT_EQ(Verdict("numpy.core.multiarray", "_reconstruct"), ImportVerdict::kAllowed);
  EXPECT_EQ(Verdict("sklearn.linear_model._logistic", "LogisticRegression"), ImportVerdict::kAllowed);
  EXPECT_EQ(Verdict("joblib.numpy_pickle", "NumpyArrayWrapper"), ImportVerdict::kAllowed);
}

TEST(Policy, DangerousWhateverTheSpelling) {
  EXPECT_EQ(Verdict("os", "system"), ImportVerdict::kDangerous);
  EXPECT_EQ(Verdict("posix", "system"), ImportVerdict::kDangerous);
  EXPECT_EQ(Verdict("builtins", "eval"), ImportVerdict::kDangerous);
  EXPECT_EQ(Verdict("__builtin__", "eval"), ImportVerdict::kDangerous);
  EXPECT_EQ(Verdict("asyncio.unix_events", "_UnixSubprocessTransport"), ImportVerdict::kDangerous);
  EXPECT_EQ(Verdict("pkgutil", "resolve_name"), ImportVerdict::kDangerous);
  EXPECT_EQ(Verdict("torch.serialization", "os.system"), ImportVerdict::kDangerous);
  EXPECT_EQ(Verdict("collections", "OrderedDict.__init__.__globals__"), ImportVerdict::kDangerous);
  EXPECT_EQ(Verdict("mylib.helpers", "run_shell_command"), ImportVerdict::kDangerous);
  EXPECT_EQ(Verdict("joblib", "load"), ImportVerdict::kDangerous);
}

TEST(Policy, UnknownAndAttributeWalks) {
  EXPECT_EQ(Verdict("__main__", "MyModel"), ImportVerdict::kUnknown);
  EXPECT_EQ(Verdict("torch.nn.modules.linear", "Linear.weight"), ImportVerdict::kAttributeWalk);
  EXPECT_EQ(Verdict("ostrich", "Bird"), ImportVerdict::kUnknown);  // prefix match stops at dots
}

TEST(Policy, UserOverridesMergeOverDefaults) {
  auto policy = Policy::Parse(R"({"imports": {"allow": ["__main__.MyModel"]},
                                  "rules": {"pickle.unknown-import": {"severity": "high"},
                                            "zip.crc-mismatch": {"enabled": false}}})",
                              &Default());
  ASSERT_TRUE(policy.ok()) << policy.error().message;
  EXPECT_EQ(policy->ClassifyImport("__main__", "MyModel").verdict, ImportVerdict::kAllowed);
  EXPECT_EQ(policy->ClassifyImport("os", "system").verdict, ImportVerdict::kDangerous);
  EXPECT_EQ(policy->Rule("pickle.unknown-import")->severity, Severity::kHigh);
  EXPECT_FALSE(policy->Rule("zip.crc-mismatch")->enabled);

  std::vector<formats::Fact> facts = {{formats::fact::kPickleImport, "", 5, "__main__", "Other", "GLOBAL imports"},
                                      {formats::fact::kZipCrcMismatch, "m", 1, "", "", "crc"}};
  auto findings = policy->Evaluate(facts, "f.pt");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule_id, "pickle.unknown-import");
  EXPECT_EQ(findings[0].severity, Severity::kHigh);
  EXPECT_EQ(findings[0].location, "f.pt");
}

TEST(Policy, OpsCanBeAddedAndAllowed) {
  const std::vector<formats::Fact> facts = {{kTensorflowOp, "", 1, "ReadFile", "", "graph uses op ReadFile"},
                                            {kTensorflowOp, "", 2, "MyOp", "", "graph uses op MyOp"},
                                            {kTensorflowOp, "", 3, "MatMul", "", "graph uses op MatMul"}};
  auto shipped = Default().Evaluate(facts, "g.pb");
  ASSERT_EQ(shipped.size(), 1u);
  EXPECT_EQ(shipped[0].rule_id, "tensorflow.dangerous-op");
  EXPECT_EQ(shipped[0].evidence, "ReadFile");
  auto custom = Policy::Parse(R"({"ops": {"tensorflow": {"ReadFile": null, "MyOp": "calls home"}}})", &Default());
  ASSERT_TRUE(custom.ok());
  auto findings = custom->Evaluate(facts, "g.pb");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].evidence, "MyOp");
}

TEST(Policy, RejectsMalformedPolicies) {
  EXPECT_FALSE(Policy::Parse("{", nullptr).ok());
  EXPECT_FALSE(Policy::Parse(R"({"rules": {"x": {"severity": "urgent"}}})", nullptr).ok());
  EXPECT_FALSE(Policy::Parse(R"({"schema": "other/v9"})", nullptr).ok());
  EXPECT_FALSE(Policy::Parse(R"({"imports": {"dangerous": [{"reason": "no match"}]}})", nullptr).ok());
}

// A field of the wrong type is an error naming its path from the document's root (before: "policy has an
// unexpected shape: [json.exception.type_error.302] type must be string, but is number", no field named).
TEST(Policy, AFieldOfTheWrongTypeIsNamedByItsPath) {
  const std::pair<const char*, const char*> cases[] = {
      {R"({"rules": {"pickle.global": {"severity": 3}}})", "rules.pickle.global.severity: expected string, got number"},
      {R"({"rules": {"x": {"enabled": "yes"}}})", "rules.x.enabled: expected boolean, got string"},
      {R"({"rules": {"x": {"references": ["a", 7]}}})", "rules.x.references[1]: expected string, got number"},
      {R"({"rules": {"x": []}})", "rules.x: expected object, got array"},
      {R"({"rules": []})", "rules: expected object, got array"},
      {R"({"imports": {"allow": ["a", {}]}})", "imports.allow[1]: expected string, got object"},
      {R"({"imports": {"dangerous": [{"match": 1}]}})", "imports.dangerous[0].match: expected string, got number"},
      {R"({"imports": {"dangerous": [{"match": "os", "reason": false}]}})",
       "imports.dangerous[0].reason: expected string, got boolean"},
      {R"({"imports": {"remove_dangerous": "os"}})", "imports.remove_dangerous: expected array, got string"},
      {R"({"ops": {"tensorflow": {"MyOp": 5}}})", "ops.tensorflow.MyOp: expected string, got number"},
      {R"({"ops": {"tensorflow": true}})", "ops.tensorflow: expected object, got boolean"},
      {R"({"inherit_default": "no"})", "inherit_default: expected boolean, got string"},
      {R"([1])", "the document: expected object, got array"},
  };
  for (const auto& [text, message] : cases) {
    auto policy = Policy::Parse(text, &Default());
    ASSERT_FALSE(policy.ok()) << text;
    EXPECT_NE(policy.error().message.find(message), std::string::npos) << text << " -> " << policy.error().message;
  }
  auto severity = Policy::Parse(R"({"rules": {"x": {"severity": "urgent"}}})", nullptr);
  ASSERT_FALSE(severity.ok());
  EXPECT_NE(severity.error().message.find("rules.x.severity: unknown severity 'urgent'"), std::string::npos);
}

TEST(Policy, EveryEmittedRuleIsDocumented) {
  // Rules documented in docs/rules.md are exactly the rules of the default policy.
  std::ifstream doc(std::string(MODELGUARD_SOURCE_DIR) + "/docs/rules.md");
  const std::string text((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(text.empty());
  for (const auto& rule : Default().DescribeRules()) {
    EXPECT_NE(text.find("`" + rule.id + "`"), std::string::npos) << rule.id << " is not documented";
  }
}

TEST(Policy, EveryDeclaredFactKindHasARule) {
  std::vector<formats::FactKind> kinds = formats::FormatCatalog::Registered().FactKinds();
  for (const auto& k : ScanFactKinds()) kinds.push_back(k);
  size_t checked = 0;
  for (const formats::FactKind& kind : kinds) {
    if (kind == formats::fact::kFormat) continue;  // names the format; never a finding
    const std::string id(kind.id());
    std::vector<std::string> rules;
    if (id.ends_with(".import")) {
      const std::string prefix = id.substr(0, id.size() - 7);
      rules = {prefix + ".dangerous-import", prefix + ".attribute-walk", prefix + ".unknown-import"};
    } else if (id.ends_with(".op")) {
      rules = {id.substr(0, id.size() - 3) + ".dangerous-op"};
    } else {
      rules = {id};
    }
    for (const auto& rule : rules) {
      EXPECT_NE(Default().Rule(rule), nullptr)
          << "fact kind " << id << " has no rule " << rule << " in policies/default.json";
      ++checked;
    }
  }
  EXPECT_GT(checked, 60u);
}

TEST(Policy, AFactWithoutARuleIsAVisibleHighFinding) {
  // A policy that stands alone and forgot a rule: the fact is not quietly a medium.
  auto bare =
      Policy::Parse(R"({"inherit_default": false, "rules": {"zip.crc-mismatch": {"severity": "low"}}})", &Default());
  ASSERT_TRUE(bare.ok()) << bare.error().message;
  const std::vector<formats::Fact> facts = {{formats::fact::kZipCrcMismatch, "", 1, "", "", "crc"},
                                            {formats::fact::kZipHiddenEntry, "", 2, "x", "", "hidden"}};
  const auto findings = bare->Evaluate(facts, "f.zip");
  ASSERT_EQ(findings.size(), 2u);
  EXPECT_EQ(findings[0].rule_id, "zip.hidden-entry");
  EXPECT_EQ(findings[0].severity, Severity::kHigh);
  EXPECT_NE(findings[0].message.find("no rule 'zip.hidden-entry'"), std::string::npos) << findings[0].message;
  EXPECT_EQ(findings[1].rule_id, "zip.crc-mismatch");
  EXPECT_EQ(findings[1].severity, Severity::kLow);
  EXPECT_EQ(findings[1].message, "crc");
}

}  // namespace
}  // namespace modelguard::scan
