#include <gtest/gtest.h>

#include <fstream>

#include "modelguard/scan/policy.h"

namespace modelguard::scan {
namespace {

const Policy& Default() {
  static const Policy policy = Policy::Default().value();
  return policy;
}

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

  std::vector<formats::Fact> facts = {{"pickle.import", "", 5, "__main__", "Other", "GLOBAL imports"},
                                      {"zip.crc-mismatch", "m", 1, "", "", "crc"}};
  auto findings = policy->Evaluate(facts, "f.pt");
  ASSERT_EQ(findings.size(), 1u);
  EXPECT_EQ(findings[0].rule_id, "pickle.unknown-import");
  EXPECT_EQ(findings[0].severity, Severity::kHigh);
  EXPECT_EQ(findings[0].location, "f.pt");
}

TEST(Policy, OpsCanBeAddedAndAllowed) {
  const std::vector<formats::Fact> facts = {{"tensorflow.op", "", 1, "ReadFile", "", "graph uses op ReadFile"},
                                            {"tensorflow.op", "", 2, "MyOp", "", "graph uses op MyOp"},
                                            {"tensorflow.op", "", 3, "MatMul", "", "graph uses op MatMul"}};
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

TEST(Policy, EveryEmittedRuleIsDocumented) {
  // Rules documented in docs/rules.md are exactly the rules of the default policy.
  std::ifstream doc(std::string(MODELGUARD_SOURCE_DIR) + "/docs/rules.md");
  const std::string text((std::istreambuf_iterator<char>(doc)), std::istreambuf_iterator<char>());
  ASSERT_FALSE(text.empty());
  for (const auto& rule : Default().DescribeRules()) {
    EXPECT_NE(text.find("`" + rule.id + "`"), std::string::npos) << rule.id << " is not documented";
  }
}

}  // namespace
}  // namespace modelguard::scan
