// The control mapping: the built-in policies/controls.json maps every evidence kind and every rule id the
// product reports (each enumerated from its real source, so a new rule without a mapping fails here), and
// ParseControls rejects what a broken file holds.
#include "modelguard/governance/controls.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "modelguard/guard/guard.h"
#include "src/guard/entities/entity_scanner.h"

namespace modelguard::governance {
namespace {

namespace fs = std::filesystem;

const std::string kSource = MODELGUARD_SOURCE_DIR;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

nlohmann::json ReadJson(const fs::path& path) { return nlohmann::json::parse(ReadFile(path)); }

// Every string between `before` and the next `after` in `text`.
std::vector<std::string> Between(const std::string& text, std::string_view before, std::string_view after) {
  std::vector<std::string> out;
  for (size_t at = text.find(before); at != std::string::npos; at = text.find(before, at + 1)) {
    const size_t begin = at + before.size();
    const size_t end = text.find(after, begin);
    if (end == std::string::npos) break;
    out.push_back(text.substr(begin, end - begin));
  }
  return out;
}

std::string List(const std::set<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += "\n  " + item;
  return out;
}

// The ids among `ids` that the default catalog does not map.
std::set<std::string> Unmapped(const std::set<std::string>& ids) {
  std::set<std::string> out;
  for (const auto& id : ids) {
    if (DefaultControls().ForRule(id).empty()) out.insert(id);
  }
  return out;
}

bool HasFramework(const std::vector<ControlRef>& controls, std::string_view prefix) {
  return std::any_of(controls.begin(), controls.end(),
                     [&](const ControlRef& c) { return c.framework.starts_with(prefix); });
}

TEST(ControlsDefault, ParsesAndMatchesTheFile) {
  const std::string text = ReadFile(fs::path(kSource) / "policies/controls.json");
  auto parsed = ParseControls(text);
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const ControlCatalog& catalog = DefaultControls();
  ASSERT_FALSE(catalog.frameworks.empty()) << "the embedded policies/controls.json did not parse";
  EXPECT_EQ(catalog.frameworks.size(), parsed->frameworks.size());
  EXPECT_EQ(catalog.rules.size(), parsed->rules.size());
  EXPECT_EQ(catalog.evidence.size(), parsed->evidence.size());
  for (const char* id :
       {"owasp-llm-2025", "owasp-ml-2023", "mitre-atlas", "nist-ai-rmf-1.0", "eu-ai-act", "iso-42001"}) {
    const Framework* framework = catalog.FindFramework(id);
    ASSERT_NE(framework, nullptr) << id;
    EXPECT_FALSE(framework->source.empty()) << id;
  }
}

TEST(ControlsDefault, EveryReferenceExistsOnceInItsFramework) {
  const ControlCatalog& catalog = DefaultControls();
  auto check = [&](const std::map<std::string, std::vector<ControlRef>>& map, const char* what) {
    for (const auto& [key, controls] : map) {
      EXPECT_FALSE(controls.empty()) << what << " " << key;
      std::set<std::pair<std::string, std::string>> seen;
      for (const ControlRef& ref : controls) {
        EXPECT_TRUE(seen.insert({ref.framework, ref.control}).second)
            << what << " " << key << ": " << ref.framework << " " << ref.control << " twice";
        const Framework* framework = catalog.FindFramework(ref.framework);
        ASSERT_NE(framework, nullptr) << what << " " << key << ": " << ref.framework;
        EXPECT_TRUE(std::any_of(framework->controls.begin(), framework->controls.end(),
                                [&](const auto& control) { return control.first == ref.control; }))
            << what << " " << key << ": " << ref.framework << " has no " << ref.control;
      }
    }
  };
  check(catalog.rules, "rule");
  check(catalog.evidence, "evidence");
  check(catalog.categories, "category");
}

// Rules name an OWASP risk and an ATLAS technique or NIST subcategory; evidence names a NIST subcategory.
// The exceptions are the ones docs/governance.md explains.
TEST(ControlsDefault, MappingsNameTheFrameworksTheyShould) {
  const std::set<std::string> no_owasp_rules = {"model.harmful_request"};  // content safety, not an OWASP risk
  for (const auto& [rule, controls] : DefaultControls().rules) {
    if (!no_owasp_rules.contains(rule)) {
      EXPECT_TRUE(HasFramework(controls, "owasp-")) << rule;
    }
    EXPECT_TRUE(HasFramework(controls, "mitre-atlas") || HasFramework(controls, "nist-")) << rule;
  }
  for (const auto& [kind, controls] : DefaultControls().evidence) {
    EXPECT_TRUE(HasFramework(controls, "nist-")) << kind;
  }
}

TEST(ControlsCoverage, EveryScannerRule) {
  const auto policy = ReadJson(fs::path(kSource) / "policies/default.json");
  std::set<std::string> ids;
  for (const auto& [id, rule] : policy.at("rules").items()) ids.insert(id);
  ASSERT_GT(ids.size(), 50u);
  EXPECT_EQ(Unmapped(ids), std::set<std::string>{}) << "scanner rules without controls:" << List(Unmapped(ids));
}

TEST(ControlsCoverage, EveryGuardSignature) {
  const auto signatures = ReadJson(fs::path(kSource) / "policies/guard-signatures.json");
  std::set<std::string> ids;
  for (const auto& rule : signatures.at("rules")) ids.insert(rule.at("id").get<std::string>());
  ASSERT_FALSE(ids.empty());
  EXPECT_EQ(Unmapped(ids), std::set<std::string>{}) << "guard signatures without controls:" << List(Unmapped(ids));
}

// The rule ids detections carry: a detector's labels are its rule ids, except for the entity detectors,
// whose labels are placeholders ("EMAIL") and whose rule ids are those of their rule tables; and the ids the
// engine sets itself (guard.oversize, guard.second_stage), read from the guard's sources.
TEST(ControlsCoverage, EveryGuardDetectorRuleAndCategory) {
  std::set<std::string> ids;
  for (const auto& info : guard::ListDetectors()) {
    if (!info.entities) {
      ids.insert(info.labels.begin(), info.labels.end());
      continue;
    }
    std::vector<guard::EntityRule> table;
    if (info.name == "pii")
      table = guard::PiiRules();
    else if (info.name == "secret")
      table = guard::SecretRules();
    else
      ADD_FAILURE() << "entity detector " << info.name << ": add its rule table to this test";
    for (const auto& rule : table) ids.insert(rule.id);
  }
  for (const auto& entry : fs::recursive_directory_iterator(fs::path(kSource) / "src/guard")) {
    if (entry.path().extension() != ".cpp") continue;
    for (auto& id : Between(ReadFile(entry.path()), "rule_id = \"", "\"")) ids.insert(id);
  }
  EXPECT_TRUE(ids.contains("guard.oversize"));
  EXPECT_EQ(Unmapped(ids), std::set<std::string>{}) << "guard rule ids without controls:" << List(Unmapped(ids));

  std::set<std::string> categories;
  for (const auto& category : guard::KnownCategories()) {
    if (DefaultControls().ForCategory(category).empty()) categories.insert(category);
  }
  EXPECT_EQ(categories, std::set<std::string>{}) << "guard categories without controls:" << List(categories);
}

// Red-team findings are reported as "redteam.<family>" (SARIF ruleId) with the probe beside it; both the
// family and every "redteam.<family>.<probe>" must resolve, the family by an entry of its own.
TEST(ControlsCoverage, EveryRedteamFamilyAndProbe) {
  ASSERT_NE(ReadFile(fs::path(kSource) / "src/redteam/report.cpp").find("\"redteam.\" + o.family"), std::string::npos)
      << "the red-team report no longer names rules redteam.<family>: update controls.json and this test";
  std::set<std::string> ids, families_without_entry;
  for (const auto& entry : fs::directory_iterator(fs::path(kSource) / "policies/redteam")) {
    if (entry.path().extension() != ".json") continue;
    const auto family = ReadJson(entry.path());
    const std::string name = "redteam." + family.at("family").get<std::string>();
    if (!DefaultControls().rules.contains(name)) families_without_entry.insert(name);
    ids.insert(name);
    for (const auto& probe : family.at("probes")) ids.insert(name + "." + probe.at("id").get<std::string>());
  }
  ASSERT_GT(ids.size(), 8u);
  EXPECT_EQ(families_without_entry, std::set<std::string>{})
      << "families without an entry of their own:" << List(families_without_entry);
  EXPECT_EQ(Unmapped(ids), std::set<std::string>{}) << "red-team ids without controls:" << List(Unmapped(ids));
}

// The assessment engine links libtorch and is not in this binary, so its attack table is read from source:
// "assess.<risk>" for each verdict and "assess.<risk>.<attack>" for each attack, each with an exact entry.
TEST(ControlsCoverage, EveryAssessAttack) {
  const std::string table = ReadFile(fs::path(kSource) / "src/assess/attack_table.cpp");
  const auto names = Between(table, ".name = \"", "\"");
  const auto risks = Between(table, ".risk = Risk::k", ",");
  ASSERT_FALSE(names.empty());
  ASSERT_EQ(names.size(), risks.size()) << "src/assess/attack_table.cpp changed shape: update this test";
  std::set<std::string> ids;
  for (size_t i = 0; i < names.size(); ++i) {
    std::string risk = risks[i];
    std::transform(risk.begin(), risk.end(), risk.begin(), [](unsigned char c) { return std::tolower(c); });
    ids.insert("assess." + risk);
    ids.insert("assess." + risk + "." + names[i]);
  }
  std::set<std::string> missing;
  for (const auto& id : ids) {
    if (!DefaultControls().rules.contains(id)) missing.insert(id);
  }
  EXPECT_EQ(missing, std::set<std::string>{}) << "assessment attacks without an entry:" << List(missing);
}

// The tools filter's rule ids, as it writes them to the audit: literals, and "tools.<tool>.<check>".
TEST(ControlsCoverage, EveryGatewayToolsRule) {
  const fs::path dir = fs::path(kSource) / "src/gateway/filters/tools";
  std::set<std::string> ids;
  for (const char* file : {"tool_calls.cpp", "tools_filter.cpp"}) {
    const std::string text = ReadFile(dir / file);
    for (auto& id : Between(text, "Deny(\"", "\"")) ids.insert(id);
    for (auto& id : Between(text, "{false, \"", "\"")) ids.insert(id);
    for (auto& id : Between(text, "\"tools.", "\"")) {
      if (!id.empty()) ids.insert("tools." + id);
    }
    for (auto& check : Between(text, "prefix + \".", "\"")) ids.insert("tools.example." + check);
  }
  // Not a decision about the call: the limit store was down and the filter failed closed.
  ids.erase("limits_unavailable");
  ASSERT_TRUE(ids.contains("tools.unlisted"));
  ASSERT_TRUE(ids.contains("tools.example.keys"));
  EXPECT_EQ(Unmapped(ids), std::set<std::string>{}) << "gateway tool rules without controls:" << List(Unmapped(ids));
}

// Every "schema" the sources emit is an evidence kind, except documents that are not evidence.
TEST(ControlsCoverage, EveryEvidenceSchema) {
  const std::set<std::string> not_evidence = {
      "modelguard.policy/v1",               // scan policy (input)
      "modelguard.controls/v1",             // this mapping (input)
      "modelguard.redteam-family/v1",       // probe family definition (input)
      "modelguard.data-schema/v1",          // dataset schema (input to data validate)
      "modelguard.guard-model/v2",          // classifier weights
      "modelguard.guard-stage2/v1",         // second-stage weights
      "modelguard.sealed/v1",               // the sealed model file itself
      "modelguard.monitor-label/v1",        // acknowledgement of appended labels
      "modelguard.monitor-state/v1",        // resumable state
      "modelguard.monitor-serve-state/v1",  // resumable state
      "modelguard.redteam-state/v1",        // resumable state
      "modelguard.ai-assets/v1",            // what discovery recognises (input)
      "modelguard.evidence-attachment/v1",  // the transparency-log leaf of an attachment
      "modelguard.register/v1",             // governance's own records: the register,
      "modelguard.register-entry/v1",       //   one entry,
      "modelguard.incident/v1",             //   incidents
      "modelguard.incidents/v1",
      "modelguard.governance-snapshot/v1",   //   the dashboard's input,
      "modelguard.governance-checklist/v1",  //   the checklist's answers,
      "modelguard.governance-report/v1",     //   report's summary
  };
  std::set<std::string> kinds;
  for (const char* root : {"src", "tools", "include"}) {
    for (const auto& entry : fs::recursive_directory_iterator(fs::path(kSource) / root)) {
      const auto ext = entry.path().extension();
      if (ext != ".cpp" && ext != ".h") continue;
      const std::string text = ReadFile(entry.path());
      for (size_t at = text.find("modelguard."); at != std::string::npos; at = text.find("modelguard.", at + 1)) {
        size_t end = at + 11;
        while (end < text.size() &&
               (std::islower(static_cast<unsigned char>(text[end])) ||
                std::isdigit(static_cast<unsigned char>(text[end])) || text[end] == '-' || text[end] == '_'))
          ++end;
        if (end == at + 11 || text.compare(end, 2, "/v") != 0) continue;
        size_t version = end + 2;
        while (version < text.size() && std::isdigit(static_cast<unsigned char>(text[version]))) ++version;
        if (version == end + 2) continue;
        kinds.insert(text.substr(at, version - at));
      }
    }
  }
  ASSERT_TRUE(kinds.contains("modelguard.scan/v1"));
  kinds.insert("modelguard.inventory/v1");  // governance's discovery run
  kinds.insert("assess");                   // modelguard assess writes JSON without a "schema"
  std::set<std::string> missing;
  for (const auto& kind : kinds) {
    if (!not_evidence.contains(kind) && DefaultControls().ForEvidence(kind).empty()) missing.insert(kind);
  }
  EXPECT_EQ(missing, std::set<std::string>{}) << "evidence kinds without controls:" << List(missing);
}

// A small valid file that the rejection tests break one way at a time.
nlohmann::ordered_json Minimal() {
  return nlohmann::ordered_json::parse(R"({
    "schema": "modelguard.controls/v1",
    "frameworks": [
      {"id": "fw", "name": "Framework", "source": "doc", "controls": [{"id": "C1", "title": "one"}, {"id": "C2", "title": "two"}]},
      {"id": "other", "name": "Other", "source": "doc", "controls": [{"id": "X", "title": "x"}]}
    ],
    "sets": {"both": {"fw": ["C1"], "other": ["X"]}},
    "evidence": {"modelguard.scan/v1": {"fw": ["C2"]}},
    "rules": {"a.b": {"use": ["both"], "fw": ["C2"]}},
    "categories": {"injection": {"fw": ["C1"]}}
  })");
}

std::string ErrorOfText(const std::string& text) {
  auto parsed = ParseControls(text);
  return parsed.ok() ? std::string("(accepted)") : parsed.error().message;
}
std::string ErrorOf(const nlohmann::ordered_json& doc) { return ErrorOfText(doc.dump()); }

TEST(ControlsParse, AcceptsTheMinimalFileInCatalogOrder) {
  auto parsed = ParseControls(Minimal().dump());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const auto controls = parsed->ForRule("a.b");
  ASSERT_EQ(controls.size(), 3u);
  EXPECT_EQ(controls[0].control, "C1");  // framework order, then each framework's control order
  EXPECT_EQ(controls[1].control, "C2");
  EXPECT_EQ(controls[2].framework, "other");
  EXPECT_EQ(parsed->ForEvidence("modelguard.scan/v1").size(), 1u);
  EXPECT_EQ(parsed->ForCategory("injection").size(), 1u);
  EXPECT_TRUE(parsed->ForEvidence("modelguard.nothing/v1").empty());
}

TEST(ControlsParse, RejectsUnknownFrameworksAndControls) {
  auto doc = Minimal();
  doc["rules"]["a.b"] = {{"nope", {"C1"}}};
  EXPECT_NE(ErrorOf(doc).find("unknown framework \"nope\""), std::string::npos) << ErrorOf(doc);
  doc = Minimal();
  doc["evidence"]["modelguard.scan/v1"] = {{"fw", {"C9"}}};
  EXPECT_NE(ErrorOf(doc).find("has no control \"C9\""), std::string::npos) << ErrorOf(doc);
  doc = Minimal();
  doc["rules"]["a.b"] = {{"use", {"missing"}}};
  EXPECT_NE(ErrorOf(doc).find("unknown set \"missing\""), std::string::npos) << ErrorOf(doc);
  doc = Minimal();
  doc["sets"]["loop"] = {{"use", {"loop"}}};
  EXPECT_NE(ErrorOf(doc).find("a cycle?"), std::string::npos) << ErrorOf(doc);
}

TEST(ControlsParse, RejectsEmptyLists) {
  auto doc = Minimal();
  doc["rules"]["a.b"] = {{"fw", nlohmann::ordered_json::array()}};
  EXPECT_NE(ErrorOf(doc).find("empty list"), std::string::npos) << ErrorOf(doc);
  doc = Minimal();
  doc["rules"]["a.b"] = nlohmann::ordered_json::object();
  EXPECT_NE(ErrorOf(doc).find("rules \"a.b\": no controls"), std::string::npos) << ErrorOf(doc);
  doc = Minimal();
  doc["frameworks"][0]["controls"] = nlohmann::ordered_json::array();
  EXPECT_NE(ErrorOf(doc).find("no controls"), std::string::npos) << ErrorOf(doc);
  doc = Minimal();
  doc["frameworks"] = nlohmann::ordered_json::array();
  EXPECT_NE(ErrorOf(doc).find("frameworks: empty"), std::string::npos) << ErrorOf(doc);
}

TEST(ControlsParse, RejectsWrongTypes) {
  const std::vector<std::pair<std::string, nlohmann::ordered_json>> cases = {
      {"/rules", nlohmann::ordered_json::array()},
      {"/rules/a.b", "fw"},
      {"/rules/a.b/fw", "C1"},
      {"/rules/a.b/fw/0", 1},
      {"/evidence", 3},
      {"/frameworks", nlohmann::ordered_json::object()},
      {"/frameworks/0", "fw"},
      {"/frameworks/0/id", 5},
      {"/frameworks/0/name", nullptr},
      {"/frameworks/0/controls", "C1"},
      {"/frameworks/0/controls/0", "C1"},
      {"/frameworks/0/controls/0/title", false},
      {"/sets/both", nlohmann::ordered_json::array()},
      {"/schema", 1},
      {"/description", 1},
  };
  for (const auto& [pointer, value] : cases) {
    auto doc = Minimal();
    doc[nlohmann::ordered_json::json_pointer(pointer)] = value;
    const std::string error = ErrorOf(doc);
    EXPECT_NE(error, "(accepted)") << pointer;
    EXPECT_EQ(error.rfind("controls: ", 0), 0u) << pointer << ": " << error;
  }
  EXPECT_NE(ErrorOfText("[1, 2]").find("expected an object"), std::string::npos);
  EXPECT_NE(ErrorOfText("{\"schema\": \"modelguard.controls/v1\",").find("controls: "), std::string::npos);
}

TEST(ControlsParse, RejectsUnknownMembersAndBadSchema) {
  auto doc = Minimal();
  doc["rulez"] = nlohmann::ordered_json::object();
  EXPECT_NE(ErrorOf(doc).find("unknown member \"rulez\""), std::string::npos) << ErrorOf(doc);
  doc = Minimal();
  doc["schema"] = "modelguard.controls/v2";
  EXPECT_NE(ErrorOf(doc).find("\"schema\" must be"), std::string::npos) << ErrorOf(doc);
  doc = Minimal();
  doc["frameworks"][0]["controls"][0]["note"] = "x";
  EXPECT_NE(ErrorOf(doc).find("unknown member \"note\""), std::string::npos) << ErrorOf(doc);
}

TEST(ControlsParse, RejectsDuplicates) {
  // Duplicate keys: nlohmann's document keeps the last, so they are found in the text.
  std::string text = Minimal().dump();
  const std::string rules = "\"rules\":{";
  text.insert(text.find(rules) + rules.size(), "\"a.b\":{\"fw\":[\"C1\"]},");
  EXPECT_NE(ErrorOfText(text).find("duplicate key \"a.b\" in \"rules\""), std::string::npos) << ErrorOfText(text);

  auto doc = Minimal();
  doc["frameworks"].push_back(doc["frameworks"][0]);
  EXPECT_NE(ErrorOf(doc).find("framework \"fw\" listed twice"), std::string::npos) << ErrorOf(doc);
  doc = Minimal();
  doc["frameworks"][0]["controls"].push_back({{"id", "C1"}, {"title", "again"}});
  EXPECT_NE(ErrorOf(doc).find("control \"C1\" listed twice"), std::string::npos) << ErrorOf(doc);
  doc = Minimal();
  doc["rules"]["a.b"] = {{"fw", {"C1", "C1"}}};
  EXPECT_NE(ErrorOf(doc).find("\"C1\" listed twice"), std::string::npos) << ErrorOf(doc);
}

TEST(ControlsParse, RejectsMisplacedWildcardsAndTooLargeInput) {
  auto doc = Minimal();
  doc["rules"]["a.*.b"] = {{"fw", {"C1"}}};
  EXPECT_NE(ErrorOf(doc).find("'*' may only end a rule id"), std::string::npos) << ErrorOf(doc);
  doc = Minimal();
  doc["evidence"]["modelguard.*"] = {{"fw", {"C1"}}};
  EXPECT_NE(ErrorOf(doc).find("'*'"), std::string::npos) << ErrorOf(doc);

  std::string big = Minimal().dump();
  big.append(kMaxControlsBytes, ' ');
  auto parsed = ParseControls(big);
  ASSERT_FALSE(parsed.ok());
  EXPECT_EQ(parsed.error().code, ErrorCode::kLimit);
  std::string deep(100, '[');
  EXPECT_NE(ErrorOfText(deep + std::string(100, ']')), "(accepted)");
}

TEST(ControlsForRule, ExactBeatsPrefixAndLongestPrefixWins) {
  auto doc = Minimal();
  doc["rules"] = {{"pickle.*", {{"fw", {"C1"}}}},
                  {"pickle.dangerous*", {{"fw", {"C2"}}}},
                  {"pickle.dangerous-import", {{"other", {"X"}}}},
                  {"*", {{"fw", {"C1", "C2"}}}}};
  auto parsed = ParseControls(doc.dump());
  ASSERT_TRUE(parsed.ok()) << parsed.error().message;
  const ControlCatalog& catalog = *parsed;
  auto only = [&](std::string_view rule) {
    const auto controls = catalog.ForRule(rule);
    std::string out;
    for (const auto& c : controls) out += (out.empty() ? "" : ",") + c.control;
    return out;
  };
  EXPECT_EQ(only("pickle.dangerous-import"), "X");  // exact
  EXPECT_EQ(only("pickle.dangerous-call"), "C2");   // the longer prefix
  EXPECT_EQ(only("pickle.unknown-import"), "C1");   // the shorter one
  EXPECT_EQ(only("zip.crc-mismatch"), "C1,C2");     // the catch-all
  doc["rules"].erase("*");
  auto narrower = ParseControls(doc.dump());
  ASSERT_TRUE(narrower.ok());
  EXPECT_TRUE(narrower->ForRule("zip.crc-mismatch").empty());
  EXPECT_TRUE(narrower->ForRule("pickle").empty());  // "pickle.*" needs the dot
}

}  // namespace
}  // namespace modelguard::governance
