// The checklist's rules (src/governance/checklist/checklist.cpp), each both ways: a baseline organisation whose
// every answer is yes, then one thing taken away at a time.
#include "modelguard/governance/checklist.h"

#include <gtest/gtest.h>

#include <string>

namespace modelguard::governance {
namespace {

int64_t Day(const char* date) { return ParseDate(date).value(); }
const int64_t kNow = Day("2026-12-01");

std::string Summary(const char* verdict, const std::string& findings = "{}") {
  return std::string("{\"verdict\": \"") + verdict + "\", \"findings\": " + findings +
         ", \"rules\": [], \"summary\": \"x\"}";
}

Evidence MakeEvidence(uint64_t id, const std::string& kind, const char* date, const char* verdict,
                      const std::string& findings = "{}", const std::string& model = "chat") {
  Evidence e;
  e.id = id;
  e.model = model;
  e.kind = kind;
  e.time = e.produced = Day(date);
  e.summary_json = Summary(verdict, findings);
  return e;
}

// One LLM in service with everything in order on 2026-12-01.
Snapshot Baseline() {
  Snapshot s;
  s.settings = {{"organisation", "Example"},
                {"incident_plan", "https://wiki.example/ai-ir"},
                {"governance_framework", "NIST AI RMF 1.0"}};
  Model m;
  m.name = "chat";
  m.kind = "llm";
  m.business_owner = "Ann";
  m.security_owner = "Bob";
  m.risk_tier = "limited";
  m.criticality = "high";
  m.data_sources = {"datasets/chat/manifest.json"};
  m.review_months = 6;
  m.last_review = "2026-10-01";
  m.registered = Day("2026-01-10");
  m.identifiers = {{"model-id", "example/chat-7b"}};
  s.models.push_back(m);
  Asset a;
  a.kind = "model-id";
  a.root = "/srv";
  a.file = "/srv/chat/config.yaml";
  a.value = "example/chat-7b";
  a.registered_as = "chat";
  s.assets.push_back(a);
  DiscoveryRun run;
  run.id = 1;
  run.root = "/srv";
  run.started = Day("2026-11-30");
  run.finished = run.started + 60;
  s.runs.push_back(run);
  s.evidence = {MakeEvidence(1, "modelguard.dataset-manifest/v1", "2026-01-05", "info"),
                MakeEvidence(2, "modelguard.data-verify/v1", "2026-01-05", "pass"),
                MakeEvidence(3, "modelguard.data-text-audit/v1", "2026-01-06", "pass", R"({"low": 3})"),
                MakeEvidence(4, "modelguard.redteam/v1", "2026-11-01", "pass"),
                MakeEvidence(5, "modelguard.audit-verify/v1", "2026-11-02", "pass")};
  return s;
}

const ChecklistAnswer& Org(const Checklist& c, const std::string& question) {
  for (const auto& a : c.organisation)
    if (a.question == question) return a;
  ADD_FAILURE() << "no organisation answer for " << question;
  return c.organisation.front();
}
const ChecklistAnswer& Of(const Checklist& c, const std::string& model, const std::string& question) {
  for (const auto& m : c.models)
    if (m.model == model)
      for (const auto& a : m.answers)
        if (a.question == question) return a;
  ADD_FAILURE() << "no answer for " << model << " " << question;
  return c.organisation.front();
}
Answer OrgAnswer(const Snapshot& s, const std::string& question) {
  return Org(EvaluateChecklist(s, kNow), question).answer;
}
Answer ModelAnswer(const Snapshot& s, const std::string& question, const std::string& model = "chat") {
  return Of(EvaluateChecklist(s, kNow), model, question).answer;
}

TEST(ChecklistTest, QuestionsAreTheSevenInOrder) {
  const auto questions = ChecklistQuestions();
  ASSERT_EQ(questions.size(), 7u);
  const char* ids[] = {"inventory",     "training-data", "assessment", "llm-protection",
                       "incident-plan", "framework",     "vendors"};
  for (size_t i = 0; i < 7; ++i) EXPECT_STREQ(questions[i].id, ids[i]);
}

TEST(ChecklistTest, BaselineIsYesEverywhereItApplies) {
  const Checklist c = EvaluateChecklist(Baseline(), kNow);
  ASSERT_EQ(c.organisation.size(), 7u);
  ASSERT_EQ(c.models.size(), 1u);
  for (const auto& a : c.organisation) {
    const Answer want = a.question == "vendors" ? Answer::kNotApplicable : Answer::kYes;
    EXPECT_EQ(a.answer, want) << a.question << ": " << a.reason;
    if (want == Answer::kYes) {
      EXPECT_TRUE(a.missing.empty()) << a.question;
    }
  }
  for (const auto& a : c.models[0].answers) {
    const Answer want = a.question == "vendors" ? Answer::kNotApplicable : Answer::kYes;
    EXPECT_EQ(a.answer, want) << a.question << ": " << a.reason;
  }
  // Answers name the evidence behind them.
  EXPECT_EQ(Of(c, "chat", "training-data").evidence, (std::vector<uint64_t>{2, 3}));
  EXPECT_EQ(Of(c, "chat", "assessment").evidence, (std::vector<uint64_t>{4}));
  EXPECT_EQ(Of(c, "chat", "llm-protection").evidence, (std::vector<uint64_t>{4, 5}));
  EXPECT_EQ(Org(c, "llm-protection").evidence, (std::vector<uint64_t>{4, 5}));
}

TEST(ChecklistTest, InventoryNeedsRunsAndNoShadowAi) {
  Snapshot s = Baseline();
  s.runs.clear();
  EXPECT_EQ(OrgAnswer(s, "inventory"), Answer::kNo);

  s = Baseline();
  s.runs[0].finished = Day("2026-05-01");  // older than the 6 months
  EXPECT_EQ(OrgAnswer(s, "inventory"), Answer::kNo);
  s.settings.emplace_back("assessment_months", "12");
  EXPECT_EQ(OrgAnswer(s, "inventory"), Answer::kYes);

  s = Baseline();
  s.runs[0].finished = 0;  // never finished
  EXPECT_EQ(OrgAnswer(s, "inventory"), Answer::kNo);

  s = Baseline();
  Asset shadow = s.assets[0];
  shadow.kind = "credential";
  shadow.file = "/srv/notebook/.env";
  shadow.value = "sk-…abcd";
  shadow.registered_as.clear();
  s.assets.push_back(shadow);
  const Checklist c = EvaluateChecklist(s, kNow);
  EXPECT_EQ(Org(c, "inventory").answer, Answer::kNo);
  ASSERT_FALSE(Org(c, "inventory").missing.empty());
  EXPECT_NE(Org(c, "inventory").missing[0].find("1 credential"), std::string::npos);
  // A shadow asset no longer found does not count.
  s.assets.back().gone = true;
  EXPECT_EQ(OrgAnswer(s, "inventory"), Answer::kYes);
}

TEST(ChecklistTest, InventoryOfAModelNeedsAPresentAsset) {
  Snapshot s = Baseline();
  s.assets[0].gone = true;
  EXPECT_EQ(ModelAnswer(s, "inventory"), Answer::kNo);
  // Discovery complete, but a registered model is not found: partly.
  EXPECT_EQ(OrgAnswer(s, "inventory"), Answer::kPartial);
  s = Baseline();
  s.models[0].identifiers.clear();
  s.assets[0].registered_as.clear();
  s.assets[0].gone = true;
  EXPECT_EQ(ModelAnswer(s, "inventory"), Answer::kNo);
}

TEST(ChecklistTest, TrainingData) {
  Snapshot s = Baseline();
  s.models[0].data_sources.clear();
  EXPECT_EQ(ModelAnswer(s, "training-data"), Answer::kNo);
  s.models[0].vendor = "Example AI";
  s.models[0].vendor_audited = "2026-06-01";
  EXPECT_EQ(ModelAnswer(s, "training-data"), Answer::kNotApplicable);
  EXPECT_EQ(OrgAnswer(s, "training-data"), Answer::kNotApplicable);

  // A manifest without verification or audit: partial.
  s = Baseline();
  s.evidence.erase(s.evidence.begin() + 1, s.evidence.begin() + 3);
  EXPECT_EQ(ModelAnswer(s, "training-data"), Answer::kPartial);
  EXPECT_EQ(OrgAnswer(s, "training-data"), Answer::kPartial);
  // Nothing at all: no.
  s.evidence.erase(s.evidence.begin());
  EXPECT_EQ(ModelAnswer(s, "training-data"), Answer::kNo);

  // The latest verification failed, no manifest: no.
  s = Baseline();
  s.evidence.erase(s.evidence.begin());
  s.evidence.push_back(MakeEvidence(9, "modelguard.data-verify/v1", "2026-02-01", "fail"));
  EXPECT_EQ(ModelAnswer(s, "training-data"), Answer::kNo);
  EXPECT_EQ(OrgAnswer(s, "training-data"), Answer::kNo);

  // An audit with high findings: partial, and it says so.
  s = Baseline();
  s.evidence.push_back(MakeEvidence(9, "modelguard.data-validation/v1", "2026-02-01", "fail", R"({"high": 2})"));
  const Checklist c = EvaluateChecklist(s, kNow);
  EXPECT_EQ(Of(c, "chat", "training-data").answer, Answer::kPartial);
  ASSERT_EQ(Of(c, "chat", "training-data").missing.size(), 1u);
  EXPECT_NE(Of(c, "chat", "training-data").missing[0].find("has 2"), std::string::npos);
  // A newer clean audit of the same kind supersedes it.
  s.evidence.push_back(MakeEvidence(10, "modelguard.data-validation/v1", "2026-03-01", "pass"));
  EXPECT_EQ(ModelAnswer(s, "training-data"), Answer::kYes);
}

TEST(ChecklistTest, AssessmentWithinThePeriod) {
  Snapshot s = Baseline();
  s.evidence[3].produced = Day("2026-05-31");  // 6 months before 2026-12-01 is 2026-06-01
  EXPECT_EQ(ModelAnswer(s, "assessment"), Answer::kNo);
  EXPECT_EQ(OrgAnswer(s, "assessment"), Answer::kNo);
  s.evidence[3].produced = Day("2026-06-01");
  EXPECT_EQ(ModelAnswer(s, "assessment"), Answer::kYes);
  // The assessment engine's report counts as well.
  s.evidence[3].produced = Day("2026-01-01");
  s.evidence.push_back(MakeEvidence(9, "assess", "2026-11-20", "fail", R"({"high": 1})"));
  EXPECT_EQ(ModelAnswer(s, "assessment"), Answer::kYes);

  // A model reviewed yearly: its own answer uses 12 months, the organisation's the 6 of assessment_months.
  s = Baseline();
  s.models[0].review_months = 12;
  s.evidence[3].produced = Day("2026-03-01");
  EXPECT_EQ(ModelAnswer(s, "assessment"), Answer::kYes);
  EXPECT_EQ(OrgAnswer(s, "assessment"), Answer::kNo);
  s.settings.emplace_back("assessment_months", "12");
  EXPECT_EQ(OrgAnswer(s, "assessment"), Answer::kYes);

  s = Baseline();
  s.evidence.erase(s.evidence.begin() + 3);
  EXPECT_EQ(ModelAnswer(s, "assessment"), Answer::kNo);
}

TEST(ChecklistTest, LlmProtection) {
  Snapshot s = Baseline();
  s.models[0].kind = "ml";
  EXPECT_EQ(ModelAnswer(s, "llm-protection"), Answer::kNotApplicable);
  EXPECT_EQ(OrgAnswer(s, "llm-protection"), Answer::kNotApplicable);
  s.models[0].kind = "agent";
  EXPECT_EQ(ModelAnswer(s, "llm-protection"), Answer::kYes);

  s = Baseline();
  s.evidence.pop_back();  // no check of the gateway's audit trail
  EXPECT_EQ(ModelAnswer(s, "llm-protection"), Answer::kPartial);
  EXPECT_EQ(OrgAnswer(s, "llm-protection"), Answer::kPartial);
  s.evidence.push_back(MakeEvidence(9, "modelguard.redteam/v1", "2026-11-20", "fail", R"({"high": 1})"));
  EXPECT_EQ(ModelAnswer(s, "llm-protection"), Answer::kNo);  // the newest red-team run failed
  EXPECT_EQ(OrgAnswer(s, "llm-protection"), Answer::kNo);
}

TEST(ChecklistTest, IncidentPlan) {
  Snapshot s = Baseline();
  s.settings.erase(s.settings.begin() + 1);
  EXPECT_EQ(OrgAnswer(s, "incident-plan"), Answer::kNo);
  EXPECT_EQ(ModelAnswer(s, "incident-plan"), Answer::kNo);
  s = Baseline();
  s.models[0].security_owner.clear();
  EXPECT_EQ(ModelAnswer(s, "incident-plan"), Answer::kPartial);
  EXPECT_EQ(OrgAnswer(s, "incident-plan"), Answer::kYes);
}

TEST(ChecklistTest, Framework) {
  Snapshot s = Baseline();
  s.settings.pop_back();
  EXPECT_EQ(OrgAnswer(s, "framework"), Answer::kNo);
  EXPECT_EQ(ModelAnswer(s, "framework"), Answer::kNo);

  s = Baseline();
  s.models[0].business_owner.clear();
  EXPECT_EQ(ModelAnswer(s, "framework"), Answer::kPartial);
  EXPECT_EQ(OrgAnswer(s, "framework"), Answer::kPartial);

  s = Baseline();
  s.models[0].last_review = "2026-05-31";  // due 2026-11-30
  EXPECT_EQ(ModelAnswer(s, "framework"), Answer::kPartial);
  s.models[0].last_review = "2026-06-01";  // due 2026-12-01: not yet overdue
  EXPECT_EQ(ModelAnswer(s, "framework"), Answer::kYes);
  // Never reviewed: due review_months after registration.
  s.models[0].last_review.clear();
  s.models[0].registered = Day("2026-08-01");
  EXPECT_EQ(ModelAnswer(s, "framework"), Answer::kYes);
  s.models[0].registered = 0;
  EXPECT_EQ(ModelAnswer(s, "framework"), Answer::kPartial);

  s = Baseline();
  s.models[0].risk_tier = "prohibited";
  EXPECT_EQ(ModelAnswer(s, "framework"), Answer::kNo);
  EXPECT_EQ(OrgAnswer(s, "framework"), Answer::kNo);

  s = Baseline();
  s.models[0].business_owner.clear();
  s.models[0].security_owner.clear();
  s.models[0].risk_tier.clear();
  s.models[0].last_review = "not a date";
  s.models[0].registered = 0;
  EXPECT_EQ(ModelAnswer(s, "framework"), Answer::kNo);
}

TEST(ChecklistTest, Vendors) {
  Snapshot s = Baseline();
  s.models[0].vendor = "Example AI";
  s.models[0].vendor_audited = "2026-01-15";
  EXPECT_EQ(ModelAnswer(s, "vendors"), Answer::kYes);
  EXPECT_EQ(OrgAnswer(s, "vendors"), Answer::kYes);
  s.models[0].vendor_audited = "2025-11-30";  // 12 months before 2026-12-01 is 2025-12-01
  EXPECT_EQ(ModelAnswer(s, "vendors"), Answer::kNo);
  EXPECT_EQ(OrgAnswer(s, "vendors"), Answer::kNo);
  s.settings.emplace_back("vendor_audit_months", "24");
  EXPECT_EQ(ModelAnswer(s, "vendors"), Answer::kYes);
  s.models[0].vendor_audited = "2026-13-01";
  EXPECT_EQ(ModelAnswer(s, "vendors"), Answer::kNo);
  s.models[0].vendor_audited.clear();
  EXPECT_EQ(ModelAnswer(s, "vendors"), Answer::kNo);
}

TEST(ChecklistTest, RetiredModelsAreNotApplicableAndLeftOut) {
  Snapshot s = Baseline();
  Model old = s.models[0];
  old.name = "old";
  old.retired = Day("2026-02-01");
  old.security_owner.clear();
  old.vendor = "Gone AI";
  s.models.push_back(old);
  const Checklist c = EvaluateChecklist(s, kNow);
  for (const auto& a : c.models[1].answers) EXPECT_EQ(a.answer, Answer::kNotApplicable) << a.question;
  EXPECT_EQ(Org(c, "framework").answer, Answer::kYes);
  EXPECT_EQ(Org(c, "vendors").answer, Answer::kNotApplicable);
}

TEST(ChecklistTest, OrganisationIsStrictOverModels) {
  Snapshot s = Baseline();
  Model second = s.models[0];
  second.name = "second";
  second.identifiers = {{"model-id", "example/second"}};
  s.models.push_back(second);
  Asset a = s.assets[0];
  a.value = "example/second";
  a.registered_as = "second";
  s.assets.push_back(a);
  // "second" has no evidence: its assessment is no, so the organisation's is no although "chat" is yes.
  const Checklist c = EvaluateChecklist(s, kNow);
  EXPECT_EQ(Of(c, "chat", "assessment").answer, Answer::kYes);
  EXPECT_EQ(Of(c, "second", "assessment").answer, Answer::kNo);
  EXPECT_EQ(Org(c, "assessment").answer, Answer::kNo);
  ASSERT_EQ(Org(c, "assessment").missing.size(), 1u);
  EXPECT_EQ(Org(c, "assessment").missing[0].rfind("model \"second\": ", 0), 0u);
}

TEST(ChecklistTest, Dates) {
  EXPECT_EQ(ParseDate("1970-01-02"), 86400);
  EXPECT_TRUE(ParseDate("2024-02-29"));
  EXPECT_FALSE(ParseDate("2026-02-29"));
  EXPECT_FALSE(ParseDate("2026-02-30"));
  EXPECT_FALSE(ParseDate("2026-00-10"));
  EXPECT_FALSE(ParseDate("2026-1-10"));
  EXPECT_FALSE(ParseDate("2026-01-10 "));
  EXPECT_FALSE(ParseDate(""));
  EXPECT_FALSE(ParseDate("1969-12-31"));
  EXPECT_EQ(ParseTime("2026-12-01T10:20:30Z"), Day("2026-12-01") + 10 * 3600 + 20 * 60 + 30);
  EXPECT_EQ(ParseTime("2026-12-01"), Day("2026-12-01"));
  EXPECT_FALSE(ParseTime("2026-12-01T24:00:00Z"));
  EXPECT_FALSE(ParseTime("2026-12-01T10:20:30+01:00"));
  EXPECT_EQ(DateText(AddMonths(Day("2026-03-31"), -1)), "2026-02-28");
  EXPECT_EQ(DateText(AddMonths(Day("2024-03-31"), -1)), "2024-02-29");
  EXPECT_EQ(DateText(AddMonths(Day("2026-12-01"), -6)), "2026-06-01");
  EXPECT_EQ(DateText(AddMonths(Day("2026-01-15"), -13)), "2024-12-15");
  EXPECT_EQ(DateText(AddMonths(Day("2026-11-30"), 3)), "2027-02-28");
}

TEST(ChecklistTest, SettingsAndSummariesAreReadLeniently) {
  Snapshot s;
  s.settings = {{"assessment_months", "abc"}, {"vendor_audit_months", "0"}};
  EXPECT_EQ(ReadSettings(s).assessment_months, kDefaultAssessmentMonths);
  EXPECT_EQ(ReadSettings(s).vendor_audit_months, kDefaultVendorAuditMonths);
  s.settings = {{"assessment_months", "3"}, {"vendor_audit_months", "99999999999999999999"}};
  EXPECT_EQ(ReadSettings(s).assessment_months, 3);
  EXPECT_EQ(ReadSettings(s).vendor_audit_months, kDefaultVendorAuditMonths);

  EXPECT_EQ(ReadEvidenceSummary("").verdict, "unknown");
  EXPECT_EQ(ReadEvidenceSummary("[1,2]").verdict, "unknown");
  EXPECT_EQ(ReadEvidenceSummary("{\"verdict\": 1}").verdict, "unknown");
  EXPECT_EQ(ReadEvidenceSummary("{\"verdict\": \"PASS\"}").verdict, "unknown");
  const auto summary = ReadEvidenceSummary(
      R"({"verdict": "fail", "findings": {"critical": 2, "high": -1, "bogus": 3, "low": "4"}, "rules": ["a", 5], "summary": 7})");
  EXPECT_EQ(summary.verdict, "fail");
  EXPECT_EQ(summary.findings[4], 2u);
  EXPECT_EQ(summary.findings[3], 0u);
  EXPECT_EQ(summary.findings[1], 0u);
  EXPECT_EQ(summary.rules, std::vector<std::string>{"a"});
  EXPECT_EQ(summary.summary, "");
  // Unfinished or deeply nested JSON is refused without harm.
  EXPECT_EQ(ReadEvidenceSummary(std::string(100000, '[')).verdict, "unknown");
}

TEST(ChecklistTest, EvidenceSummaryOfAnUnknownVerdictDoesNotPass) {
  Snapshot s = Baseline();
  s.evidence[1].summary_json = "not json";  // the data verification
  EXPECT_EQ(ModelAnswer(s, "training-data"), Answer::kPartial);
}

}  // namespace
}  // namespace modelguard::governance
