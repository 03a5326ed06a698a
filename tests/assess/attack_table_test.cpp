// The attack table is the one list of attacks: help, defaults, dispatch and docs/assess.md read it.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <set>
#include <string>

#include "modelguard/assess/assess.h"
#include "modelguard/assess/attack_table.h"
#include "tools/modelguard/commands.h"

namespace modelguard::assess {
namespace {

const std::string kDocs = std::string(MODELGUARD_SOURCE_DIR) + "/docs/assess.md";
const std::string kBegin = "<!-- attack list: generated from src/assess/attack_table.cpp";
const std::string kEnd = "<!-- end of attack list -->";

TEST(AttackTable, EveryEntryIsComplete) {
  std::set<std::string> names;
  for (Risk risk : kRisks) EXPECT_FALSE(DefaultAttacks(risk).empty()) << ToString(risk);
  for (const Attack& attack : Attacks()) {
    SCOPED_TRACE(std::string(attack.name));
    EXPECT_TRUE(names.insert(std::string(ToString(attack.risk)) + "/" + std::string(attack.name)).second);
    EXPECT_FALSE(attack.summary.empty());
    EXPECT_EQ(FindAttack(attack.risk, attack.name), &attack);
    // Exactly the run function of its risk; a norm exactly when it is an evasion attack.
    EXPECT_EQ(attack.evade != nullptr, attack.risk == Risk::kEvasion);
    EXPECT_EQ(attack.extract != nullptr, attack.risk == Risk::kExtraction);
    EXPECT_EQ(attack.infer != nullptr, attack.risk == Risk::kMembership);
    EXPECT_EQ(attack.norm.has_value(), attack.risk == Risk::kEvasion);
    EXPECT_TRUE(!attack.needs_shadow_models || attack.risk == Risk::kMembership);
    // Gradients exist only for a local model; a white-box attack is skipped against an endpoint.
    EXPECT_TRUE(attack.access == Access::kBlackBox || attack.risk == Risk::kEvasion);
  }
  EXPECT_EQ(FindAttack(Risk::kEvasion, "jbda"), nullptr);  // names are per risk
  EXPECT_EQ(UnknownAttack(Risk::kMembership, "x").message, "unknown membership attack 'x' (yeom, shokri, lira)");
}

TEST(AttackTable, PlansDefaultToTheTablesDefaults) {
  EXPECT_EQ(EvasionPlan{}.attacks, DefaultAttacks(Risk::kEvasion));
  EXPECT_EQ(ExtractionPlan{}.methods, DefaultAttacks(Risk::kExtraction));
  EXPECT_EQ(MembershipPlan{}.attacks, DefaultAttacks(Risk::kMembership));
  // Square runs inside autoattack by default; alone it is for endpoints.
  const auto evasion = DefaultAttacks(Risk::kEvasion);
  EXPECT_EQ(std::count(evasion.begin(), evasion.end(), "square"), 0);
}

TEST(AttackTable, HelpListsEveryAttack) {
  CLI::App app("modelguard");
  const auto commands = cli::AddCommands(app, cli::AssessCommands());
  const std::string help = app.get_subcommand("assess")->help();
  for (const Attack& attack : Attacks()) {
    EXPECT_NE(help.find(" " + std::string(attack.name) + (attack.by_default ? "*" : "") + " ("), std::string::npos)
        << attack.name << " is not in modelguard assess --help:\n"
        << help;
  }
}

// docs/assess.md's attack list is generated from the table. MODELGUARD_UPDATE_DOCS=1 rewrites it.
TEST(AttackTable, DocsListIsGeneratedFromTheTable) {
  std::ifstream in(kDocs);
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  const size_t begin = text.find(kBegin);
  ASSERT_NE(begin, std::string::npos) << kDocs << " has no generated attack list";
  const size_t body = text.find('\n', begin) + 1;
  const size_t end = text.find(kEnd, body);
  ASSERT_NE(end, std::string::npos);
  const std::string expected = AttackListMarkdown();
  if (text.compare(body, end - body, expected) != 0 && std::getenv("MODELGUARD_UPDATE_DOCS") != nullptr) {
    text.replace(body, end - body, expected);
    std::ofstream(kDocs, std::ios::trunc) << text;
    return;
  }
  EXPECT_EQ(text.substr(body, end - body), expected)
      << "docs/assess.md's attack list is stale; rerun this test with MODELGUARD_UPDATE_DOCS=1 to regenerate it";
  for (const Attack& attack : Attacks()) {
    EXPECT_NE(text.find("`" + std::string(attack.name) + "`"), std::string::npos) << attack.name;
  }
}

// Verdict levels are the core Severity; the report writes them as before (high | medium | low).
TEST(AttackTable, VerdictLevelsAreSeveritiesWrittenAsBefore) {
  AssessmentReport report;
  EvasionResult evasion;
  evasion.clean_accuracy = 0.9;
  evasion.reference_epsilon = 0.1;
  evasion.curves.push_back({"pgd", "linf", {{0.0, 0.9}, {0.1, 0.1}}, {}});
  report.evasion = evasion;
  ExtractionResult extraction;
  extraction.curves.push_back({"knockoff", "probabilities", {{100, 0.75}}, {{100, 0.7}}, {}});
  report.extraction = extraction;
  MembershipResult membership;
  membership.attacks.push_back({"yeom", 0.5, 0, 0, 0, {}, {}});
  report.membership = membership;
  report.verdicts = JudgeRisks(report);
  ASSERT_EQ(report.verdicts.size(), 3u);
  EXPECT_EQ(report.verdicts[0].level, Severity::kHigh);
  EXPECT_EQ(report.verdicts[1].level, Severity::kMedium);
  EXPECT_EQ(report.verdicts[2].level, Severity::kLow);
  const auto json = ToJson(report);
  EXPECT_EQ(json["verdicts"][0]["risk"], "evasion");
  EXPECT_EQ(json["verdicts"][0]["level"], "high");
  EXPECT_EQ(json["verdicts"][1]["level"], "medium");
  EXPECT_EQ(json["verdicts"][2]["level"], "low");
  const std::string html = RenderHtml(report);
  EXPECT_NE(html.find("<tr class=\"high\"><td>evasion</td><td>high</td>"), std::string::npos);
  EXPECT_NE(html.find("<tr class=\"low\"><td>membership</td><td>low</td>"), std::string::npos);
}

}  // namespace
}  // namespace modelguard::assess
