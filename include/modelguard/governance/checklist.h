#pragma once
// The AI-security checklist (issue 24's seven questions), answered per registered model and for the whole
// organisation from what a governance Snapshot holds: the register, the evidence attached to it, the
// inventory found by discovery, incidents and organisation settings. The rules live in checklist.cpp, one
// function per question, and are documented in docs/dashboard.md ("The checklist"). Everything read from the
// snapshot is untrusted text: nothing here interprets it beyond comparing and counting.
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "modelguard/governance/store.h"

namespace modelguard::governance {

enum class Answer { kYes, kNo, kPartial, kNotApplicable };
// "yes", "no", "partial", "not-applicable".
const char* ToString(Answer answer);

struct Question {
  const char* id;    // stable: "inventory", "training-data", "assessment", "llm-protection", "incident-plan",
                     // "framework", "vendors"
  const char* text;  // the question as people ask it
};
// The seven questions in the order the dashboard shows them.
std::span<const Question> ChecklistQuestions();

struct ChecklistAnswer {
  std::string question;  // a Question::id
  Answer answer = Answer::kNo;
  std::string reason;                // one sentence: why this answer
  std::vector<uint64_t> evidence;    // ids of the evidence that supports it, ascending
  std::vector<std::string> missing;  // what would make it "yes" (empty when it is)
};

struct ModelChecklist {
  std::string model;
  std::vector<ChecklistAnswer> answers;  // one per question, in ChecklistQuestions() order
};

struct Checklist {
  int64_t now = 0;
  std::vector<ChecklistAnswer> organisation;  // one per question
  std::vector<ModelChecklist> models;         // in the snapshot's model order, retired ones included
};

// The organisation settings the checklist reads, with their defaults. A month count outside 1..kMaxMonths
// (or not a number) keeps the default.
inline constexpr int kDefaultAssessmentMonths = 6;
inline constexpr int kDefaultVendorAuditMonths = 12;
inline constexpr int kMaxMonths = 120;
struct OrganisationSettings {
  std::string organisation;
  std::string incident_plan;
  std::string governance_framework;
  int assessment_months = kDefaultAssessmentMonths;
  int vendor_audit_months = kDefaultVendorAuditMonths;
};
OrganisationSettings ReadSettings(const Snapshot& snapshot);

// Evidence::summary_json read leniently (it is untrusted): a value of the wrong type counts as absent, and
// text that is not a JSON object gives verdict "unknown".
struct EvidenceSummary {
  std::string verdict = "unknown";     // "pass", "fail", "info" or "unknown"
  std::array<uint64_t, 5> findings{};  // by Severity: info, low, medium, high, critical
  std::vector<std::string> rules;
  std::string summary;
};
EvidenceSummary ReadEvidenceSummary(std::string_view summary_json);

// When an evidence item was made: `produced`, else the time it was attached.
inline int64_t EvidenceTime(const Evidence& evidence) {
  return evidence.produced != 0 ? evidence.produced : evidence.time;
}

// Dates. ParseDate reads YYYY-MM-DD (midnight UTC); ParseTime also YYYY-MM-DDTHH:MM:SSZ. Both refuse
// anything else, impossible dates (2026-02-30) included.
std::optional<int64_t> ParseDate(std::string_view text);
std::optional<int64_t> ParseTime(std::string_view text);
// `time` moved by `months` calendar months (negative: back); the day is clamped to the target month's
// length (31 March minus one month is 28 or 29 February).
int64_t AddMonths(int64_t time, int months);
// "2026-12-01".
std::string DateText(int64_t time);

// A model's review: due `review_months` after its last review (or, never reviewed, after it was
// registered); no date at all is overdue.
struct ReviewState {
  std::optional<int64_t> last;  // the last review, when it is a valid date
  std::optional<int64_t> due;
  bool overdue = true;
};
ReviewState ReviewOf(const Model& model, int64_t now);
// The months a model's assessment and review may be apart: its review_months, or the organisation's
// assessment_months when that is not in 1..kMaxMonths.
int ReviewMonthsOf(const Model& model, const OrganisationSettings& settings);

// The newest evidence of `model` whose kind is one of `kinds` (by EvidenceTime, then id); null when none.
const Evidence* LatestEvidence(const Snapshot& snapshot, std::string_view model,
                               std::initializer_list<std::string_view> kinds);
// Whether `asset` belongs to `model`: registered as it, or matched by its identifiers.
bool BelongsTo(const Model& model, const Asset& asset);

Checklist EvaluateChecklist(const Snapshot& snapshot, int64_t now);

}  // namespace modelguard::governance
