// The dashboard site (src/governance/report): hostile text is escaped everywhere, model names make safe file
// names, the output is a function of (snapshot, catalog, now), write errors are reported; and the snapshot's
// JSON form reads back what it wrote and refuses malformed documents with the member at fault.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "modelguard/core/io.h"
#include "modelguard/governance/report.h"

namespace modelguard::governance {
namespace {

namespace fs = std::filesystem;

const int64_t kNow = ParseDate("2026-12-01").value();

ControlCatalog Catalog() {
  ControlCatalog c;
  c.frameworks.push_back({"owasp-llm-2025",
                          "OWASP LLM <Top 10>",
                          "https://genai.owasp.org/",
                          {{"LLM01:2025", "Prompt Injection"}, {"LLM03:2025", "Supply Chain"}}});
  c.evidence["modelguard.redteam/v1"] = {{"owasp-llm-2025", "LLM01:2025"}};
  c.rules["pickle.dangerous-import"] = {{"owasp-llm-2025", "LLM03:2025"}};
  return c;
}

// Every piece of text a reader could see comes from an attacker here.
constexpr const char* kHostile = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>&amp;";

Snapshot Hostile() {
  Snapshot s;
  s.settings = {
      {"organisation", kHostile}, {"incident_plan", "javascript:alert(3)"}, {"governance_framework", kHostile}};
  Model m;
  m.name = std::string("../../etc/passwd") + kHostile;
  m.kind = "llm";
  m.business_owner = kHostile;
  m.security_owner = kHostile;
  m.risk_tier = kHostile;
  m.intended_use = kHostile;
  m.data_sources = {kHostile};
  m.vendor = kHostile;
  m.vendor_audited = kHostile;
  m.last_review = kHostile;
  m.identifiers = {{"path", "/srv/x"}, {kHostile, kHostile}};
  s.models.push_back(m);
  Model second;
  second.name = "second";
  s.models.push_back(second);
  Asset a;
  a.kind = kHostile;
  a.root = kHostile;
  a.file = std::string("/srv/x/") + kHostile;
  a.value = kHostile;
  a.detail = kHostile;
  a.digest = kHostile;
  a.registered_as = m.name;
  s.assets.push_back(a);
  a.registered_as.clear();
  a.kind = "model-file";
  s.assets.push_back(a);
  Evidence e;
  e.id = 7;
  e.model = m.name;
  e.kind = "modelguard.redteam/v1";
  e.name = kHostile;
  e.digest = kHostile;
  e.time = e.produced = kNow - 86400;
  e.summary_json = nlohmann::json{
      {"verdict", "pass"},
      {"findings", {{"high", 1}}},
      {"rules", {kHostile, "pickle.dangerous-import"}},
      {"summary",
       kHostile}}.dump();
  s.evidence.push_back(e);
  e.id = 8;
  e.kind = kHostile;
  e.summary_json = kHostile;
  s.evidence.push_back(e);
  e.id = 9;
  e.model = kHostile;  // evidence of a model that is not registered
  s.evidence.push_back(e);
  Incident incident;
  incident.id = 1;
  incident.model = m.name;
  incident.title = kHostile;
  incident.severity = kHostile;
  incident.timeline = {{kNow, kHostile, kHostile, kHostile}};
  s.incidents.push_back(incident);
  DiscoveryRun run;
  run.root = kHostile;
  run.started = run.finished = kNow - 3600;
  s.runs.push_back(run);
  return s;
}

size_t Occurrences(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(SiteTest, HostileTextIsEscapedOnEveryPage) {
  const auto files = RenderSite(Hostile(), Catalog(), SiteOptions{kNow});
  std::set<std::string> names;
  std::vector<std::string> ordered;
  for (const auto& [name, content] : files) {
    names.insert(name);
    ordered.push_back(name);
  }
  EXPECT_EQ(ordered, SiteFileNames(Hostile()));
  for (const char* page : {"index.html", "inventory.html", "shadow.html", "controls.html", "reviews.html",
                           "incidents.html", "checklist.json"})
    EXPECT_EQ(names.count(page), 1u) << page;
  EXPECT_EQ(files.size(), 7u + 2u);  // and one page per model
  for (const auto& [name, content] : files) {
    if (name == "checklist.json") {
      EXPECT_TRUE(nlohmann::json::accept(content));
      continue;
    }
    SCOPED_TRACE(name);
    // The only script is the page's own; nothing from the snapshot became markup.
    EXPECT_EQ(Occurrences(content, "<script"), 1u);
    EXPECT_EQ(content.find("<img"), std::string::npos);
    EXPECT_EQ(content.find("\"'>"), std::string::npos);
    EXPECT_EQ(content.find("href=\"javascript:"), std::string::npos);
    EXPECT_EQ(content.find("<iframe"), std::string::npos);
    EXPECT_EQ(content.find("href=\"http"), std::string::npos);
    // No request can leave the page: everything but the inline style and script is forbidden.
    EXPECT_NE(content.find("Content-Security-Policy\" content=\"default-src 'none'"), std::string::npos);
    EXPECT_NE(content.find("<html lang=\"en\">"), std::string::npos);
    EXPECT_EQ(Occurrences(content, "<h1>"), 1u);
  }
  // The escaped form is what readers see.
  const std::string& index = files[0].second;
  EXPECT_NE(index.find("&lt;script&gt;alert(1)&lt;/script&gt;"), std::string::npos);
}

TEST(SiteTest, AnswersLinkToEvidenceRowsOnTheModelPage) {
  const Snapshot s = Hostile();
  const auto files = RenderSite(s, Catalog(), SiteOptions{kNow});
  const std::string page = ModelPageName(s.models[0].name);
  const auto it = std::find_if(files.begin(), files.end(), [&](const auto& f) { return f.first == page; });
  ASSERT_NE(it, files.end());
  EXPECT_NE(it->second.find("href=\"#evidence-7\""), std::string::npos);
  EXPECT_NE(it->second.find("<tr id=\"evidence-7\""), std::string::npos);
  // The organisation's answers link to the same row on the model's page.
  EXPECT_NE(files[0].second.find("href=\"" + page + "#evidence-7\""), std::string::npos);
  // Evidence of an unregistered model is named, not linked.
  EXPECT_EQ(files[0].second.find("#evidence-9\""), std::string::npos);
  // The control its kind maps to shows it; its rule's control as well.
  const auto controls =
      std::find_if(files.begin(), files.end(), [](const auto& f) { return f.first == "controls.html"; });
  ASSERT_NE(controls, files.end());
  EXPECT_NE(controls->second.find("data-control=\"LLM01:2025\" data-covered=\"yes\""), std::string::npos);
  EXPECT_NE(controls->second.find("data-control=\"LLM03:2025\" data-covered=\"yes\""), std::string::npos);
}

TEST(SiteTest, ModelPageNamesAreSafeAndDistinct) {
  const std::regex safe("models/[a-z0-9_][a-z0-9._-]{0,47}-[0-9a-f]{8}\\.html");
  std::set<std::string> pages;
  for (const std::string& name :
       std::vector<std::string>{"../../etc/passwd", "..", ".", "", "/", "a/b", "A/B", "a-b", "a b", "x\\..\\y",
                                "\n\r\t", "..hidden", std::string(500, 'a'), std::string(500, 'a') + "b", "naïve-模型",
                                std::string("nul\0byte", 8), "CON", "Credit-Risk", "credit-risk"}) {
    const std::string page = ModelPageName(name);
    EXPECT_TRUE(std::regex_match(page, safe)) << page;
    EXPECT_EQ(page.find(".."), std::string::npos) << page;
    EXPECT_TRUE(pages.insert(page).second) << "two names share " << page;
  }
  EXPECT_EQ(ModelPageName("credit-risk"), ModelPageName("credit-risk"));
}

TEST(SiteTest, OutputIsDeterministic) {
  const Snapshot s = Hostile();
  EXPECT_EQ(RenderSite(s, Catalog(), SiteOptions{kNow}), RenderSite(s, Catalog(), SiteOptions{kNow}));
  EXPECT_NE(RenderSite(s, Catalog(), SiteOptions{kNow}), RenderSite(s, Catalog(), SiteOptions{kNow + 86400}));

  const fs::path dir = fs::temp_directory_path() / ("mg_site_test_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  ASSERT_TRUE(WriteSite(s, Catalog(), (dir / "a" / "nested").string(), SiteOptions{kNow}));
  ASSERT_TRUE(WriteSite(s, Catalog(), (dir / "b").string(), SiteOptions{kNow}));
  // Written twice into the same folder: replaced, not appended.
  ASSERT_TRUE(WriteSite(s, Catalog(), (dir / "b").string(), SiteOptions{kNow}));
  size_t files = 0;
  for (const auto& entry : fs::recursive_directory_iterator(dir / "b")) {
    if (!entry.is_regular_file()) continue;
    ++files;
    const auto relative = fs::relative(entry.path(), dir / "b");
    auto a = ReadFile((dir / "a" / "nested" / relative).string());
    auto b = ReadFile(entry.path().string());
    ASSERT_TRUE(a && b) << relative;
    EXPECT_EQ(*a, *b) << relative;
  }
  EXPECT_EQ(files, 9u);
  // Everything stays inside the folder.
  for (const auto& entry : fs::recursive_directory_iterator(dir))
    EXPECT_EQ(entry.path().string().rfind(dir.string(), 0), 0u);
  fs::remove_all(dir);
}

TEST(SiteTest, UnwritableFolderIsAClearError) {
  const fs::path dir = fs::temp_directory_path() / ("mg_site_file_" + std::to_string(::getpid()));
  { std::ofstream(dir) << "a file"; }
  const Snapshot s = Hostile();
  auto written = WriteSite(s, Catalog(), dir.string(), SiteOptions{kNow});
  ASSERT_FALSE(written);
  EXPECT_EQ(written.error().code, ErrorCode::kIo);
  EXPECT_NE(written.error().message.find(dir.string()), std::string::npos) << written.error().message;
  EXPECT_NE(written.error().message.find("not a folder"), std::string::npos) << written.error().message;
  // A folder below a file cannot be made (permissions would not stop root, who runs these tests in CI).
  written = WriteSite(s, Catalog(), (dir / "site").string(), SiteOptions{kNow});
  ASSERT_FALSE(written);
  EXPECT_NE(written.error().message.find("cannot create"), std::string::npos) << written.error().message;
  written = WriteSite(s, Catalog(), "/dev/null/site", SiteOptions{kNow});
  ASSERT_FALSE(written);
  fs::remove(dir);
  EXPECT_FALSE(WriteSite(s, Catalog(), "", SiteOptions{kNow}));
}

TEST(SnapshotJsonTest, RoundTrip) {
  Snapshot s = Hostile();
  s.taken = kNow;
  s.models[1].retired = kNow - 10;
  s.evidence[0].log_index = 42;
  s.incidents[0].open = false;
  s.incidents[0].closed = kNow;
  const std::string text = SnapshotToJson(s);
  auto back = SnapshotFromJson(text);
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(SnapshotToJson(*back), text);
  EXPECT_EQ(back->models.size(), 2u);
  EXPECT_EQ(back->models[0].name, s.models[0].name);
  EXPECT_EQ(back->models[1].retired, kNow - 10);
  EXPECT_EQ(back->evidence[0].log_index, 42u);
  EXPECT_EQ(back->evidence[1].summary_json, kHostile);  // not JSON: kept as text
  EXPECT_EQ(back->assets[0].registered_as, s.models[0].name);
  EXPECT_EQ(back->incidents[0].timeline[0].text, kHostile);
  EXPECT_EQ(back->runs[0].finished, kNow - 3600);
  EXPECT_EQ(RenderSite(*back, Catalog(), SiteOptions{kNow}), RenderSite(s, Catalog(), SiteOptions{kNow}));
}

TEST(SnapshotJsonTest, NonUtf8TextDoesNotThrow) {
  Snapshot s;
  Model m;
  m.name = std::string("bad\xff\xfe", 5);
  s.models.push_back(m);
  const std::string text = SnapshotToJson(s);
  EXPECT_TRUE(SnapshotFromJson(text));
  EXPECT_FALSE(RenderSite(s, Catalog(), SiteOptions{kNow}).empty());
}

TEST(SnapshotJsonTest, TheFixtureReads) {
  auto text = ReadFile(MODELGUARD_SOURCE_DIR "/tests/governance/fixtures/org_snapshot.json");
  ASSERT_TRUE(text) << text.error().message;
  auto s = SnapshotFromJson(*text);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->models.size(), 3u);
  EXPECT_EQ(s->evidence.size(), 15u);
  EXPECT_EQ(s->incidents.size(), 2u);
  const Checklist c = EvaluateChecklist(*s, kNow);
  const char* want[] = {"no", "partial", "no", "partial", "yes", "partial", "no"};
  for (size_t i = 0; i < 7; ++i)
    EXPECT_STREQ(ToString(c.organisation[i].answer), want[i]) << c.organisation[i].question;
}

std::string ErrorOf(const std::string& json) {
  auto s = SnapshotFromJson(json);
  return s ? std::string("(accepted)") : s.error().message;
}

TEST(SnapshotJsonTest, MalformedDocumentsNameTheMemberAtFault) {
  const std::string head = R"({"schema": "modelguard.governance-snapshot/v1", )";
  EXPECT_TRUE(SnapshotFromJson(head + R"("models": []})"));
  EXPECT_NE(ErrorOf("{}").find("schema"), std::string::npos);
  EXPECT_NE(ErrorOf(R"({"schema": "modelguard.governance-snapshot/v2"})").find("expected"), std::string::npos);
  EXPECT_NE(ErrorOf("[]").find("expected object"), std::string::npos);
  EXPECT_NE(ErrorOf("{").find("snapshot: "), std::string::npos);
  EXPECT_NE(ErrorOf(head + R"("models": [{"name": 5}]})").find("models[0].name"), std::string::npos);
  EXPECT_NE(ErrorOf(head + R"("models": [{"name": ""}]})").find("needs a name"), std::string::npos);
  EXPECT_NE(ErrorOf(head + R"("models": [{"name": "a", "busines_owner": "x"}]})").find("busines_owner"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + R"("models": [{"name": "a"}, {"name": "a"}]})").find("twice"), std::string::npos);
  EXPECT_NE(ErrorOf(head + R"("models": [{"name": "a", "review_months": 100000}]})").find("review_months"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + R"("models": [{"name": "a", "registered": "yesterday"}]})").find("models[0].registered"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + R"("models": [{"name": "a", "registered": true}]})").find("models[0].registered"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + R"("evidence": [{"id": -1, "model": "a", "kind": "k"}]})").find("evidence[0].id"),
            std::string::npos);
  EXPECT_NE(
      ErrorOf(head + R"("evidence": [{"id": 1, "model": "a", "kind": "k"}, {"id": 1, "model": "a", "kind": "k"}]})")
          .find("twice"),
      std::string::npos);
  EXPECT_NE(ErrorOf(head + R"("evidence": [{"id": 1, "model": "a", "kind": "k", "summary": 3}]})")
                .find("evidence[0].summary"),
            std::string::npos);
  EXPECT_NE(ErrorOf(head + R"("settings": {"incident_plan": 1}})").find("settings.incident_plan"), std::string::npos);
  EXPECT_NE(ErrorOf(head + R"("assets": [{"kind": "sdk", "gone": "no"}]})").find("assets[0].gone"), std::string::npos);
  EXPECT_NE(ErrorOf(head + R"("incidents": [{"id": 1, "timeline": [{"when": 1}]}]})").find("when"), std::string::npos);
  EXPECT_NE(ErrorOf(head + R"("runs": [{"id": 1}]})").find("runs[0]"), std::string::npos);
  // Nesting past the limit is refused before anything is built.
  const auto deep = SnapshotFromJson(head + R"("models": )" + std::string(200, '[') + std::string(200, ']') + "}");
  ASSERT_FALSE(deep);
  EXPECT_EQ(deep.error().code, ErrorCode::kLimit);
}

TEST(ChecklistJsonTest, Shape) {
  const Checklist c = EvaluateChecklist(Hostile(), kNow);
  const auto doc = nlohmann::json::parse(ChecklistToJson(c));
  EXPECT_EQ(doc["schema"], "modelguard.governance-checklist/v1");
  EXPECT_EQ(doc["now"], "2026-12-01T00:00:00Z");
  ASSERT_EQ(doc["organisation"].size(), 7u);
  EXPECT_EQ(doc["organisation"][0]["question"], "inventory");
  EXPECT_TRUE(doc["organisation"][0]["text"].get<std::string>().starts_with("Do we have a complete inventory"));
  ASSERT_EQ(doc["models"].size(), 2u);
  EXPECT_EQ(doc["models"][0]["model"], Hostile().models[0].name);
  EXPECT_EQ(doc["models"][0]["answers"].size(), 7u);
  EXPECT_TRUE(doc["models"][0]["answers"][3]["evidence"].is_array());
}

}  // namespace
}  // namespace modelguard::governance
