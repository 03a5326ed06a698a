// The checklist's rules, all in this file: one function per question for a model, one per question for the
// organisation. docs/dashboard.md ("The checklist") states the same rules for people; change both together.
//
// Common ground:
// - Only models in service (retired == 0) count for the organisation; a retired model's own answers are all
//   not-applicable.
// - "Latest" evidence of a kind is the newest by EvidenceTime (when it says it was made), then by id; older
//   evidence of the same kind is superseded.
// - Organisation answers over models are strict, because the questions ask about *all* models: yes when every
//   applicable model says yes, no when any says no, partial otherwise (a mix of yes and partial), and
//   not-applicable when no model in service is concerned.
#include "modelguard/governance/checklist.h"

#include <algorithm>
#include <cstdio>
#include <ctime>
#include <map>
#include <nlohmann/json.hpp>
#include <set>

#include "modelguard/core/json_fields.h"
#include "modelguard/core/severity.h"

namespace modelguard::governance {
namespace {

constexpr Question kQuestions[] = {
    {"inventory", "Do we have a complete inventory of all AI models and agents, including shadow AI?"},
    {"training-data", "Is all training data verified for provenance and integrity?"},
    {"assessment", "Have we conducted an AI security assessment in the last 6 months?"},
    {"llm-protection", "Are our LLMs protected against prompt injection and data leakage?"},
    {"incident-plan", "Do we have an incident response plan for AI-related breaches?"},
    {"framework", "Is there a formal AI governance framework?"},
    {"vendors", "Are third-party AI vendors audited?"},
};

// The evidence kinds each rule reads (Evidence::kind is the attached JSON's "schema").
constexpr std::string_view kAssess = "assess";
constexpr std::string_view kRedteam = "modelguard.redteam/v1";
// The gateway's audit trail checked (`modelguard audit verify`): the model is served behind the inference
// firewall, whose guard filters stop prompt injection and redact leaks on the way out.
constexpr std::string_view kGatewayAudit = "modelguard.audit-verify/v1";
constexpr std::string_view kDatasetManifest = "modelguard.dataset-manifest/v1";
constexpr std::string_view kDataVerify = "modelguard.data-verify/v1";
constexpr std::string_view kTextAudit = "modelguard.data-text-audit/v1";
constexpr std::string_view kDataValidation = "modelguard.data-validation/v1";
constexpr std::string_view kPoisoningAudit = "modelguard.data-audit/v1";
constexpr std::string_view kPersonalDataScan = "modelguard.data-scan/v1";

// Summaries longer than this are not read (a register entry's summary is a few hundred bytes).
constexpr size_t kMaxSummaryBytes = size_t{1} << 20;

bool InService(const Model& model) { return model.retired == 0; }
bool IsLlm(const Model& model) { return model.kind == "llm" || model.kind == "agent"; }
bool Passes(const Evidence& e) { return ReadEvidenceSummary(e.summary_json).verdict == "pass"; }
// Passing, or informational (a manifest records; it has nothing to fail).
bool NotFailed(const Evidence& e) {
  const std::string verdict = ReadEvidenceSummary(e.summary_json).verdict;
  return verdict == "pass" || verdict == "info";
}
uint64_t HighOrCritical(const Evidence& e) {
  const auto findings = ReadEvidenceSummary(e.summary_json).findings;
  return findings[static_cast<size_t>(Severity::kHigh)] + findings[static_cast<size_t>(Severity::kCritical)];
}
std::string Quote(std::string_view text) { return "\"" + std::string(text) + "\""; }
std::string Plural(size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}
std::string Described(const Evidence& e) {
  return e.kind + " #" + std::to_string(e.id) + " of " + DateText(EvidenceTime(e));
}

ChecklistAnswer Make(std::string_view question, Answer answer, std::string reason,
                     std::vector<const Evidence*> evidence = {}, std::vector<std::string> missing = {}) {
  ChecklistAnswer a;
  a.question = std::string(question);
  a.answer = answer;
  a.reason = std::move(reason);
  for (const Evidence* e : evidence)
    if (e != nullptr) a.evidence.push_back(e->id);
  std::sort(a.evidence.begin(), a.evidence.end());
  a.evidence.erase(std::unique(a.evidence.begin(), a.evidence.end()), a.evidence.end());
  a.missing = std::move(missing);
  return a;
}

struct Context {
  const Snapshot& snapshot;
  OrganisationSettings settings;
  int64_t now;
  // Each model's evidence, so that a question costs its model's evidence, not the whole register's.
  std::map<std::string_view, std::vector<const Evidence*>> by_model;
};

// LatestEvidence over the model's own evidence.
const Evidence* Latest(const Context& c, std::string_view model, std::initializer_list<std::string_view> kinds) {
  auto it = c.by_model.find(model);
  if (it == c.by_model.end()) return nullptr;
  const Evidence* best = nullptr;
  for (const Evidence* e : it->second) {
    if (std::find(kinds.begin(), kinds.end(), e->kind) == kinds.end()) continue;
    if (best == nullptr || EvidenceTime(*e) > EvidenceTime(*best) ||
        (EvidenceTime(*e) == EvidenceTime(*best) && e->id > best->id))
      best = e;
  }
  return best;
}

// --- inventory: is the model found by discovery? -------------------------------------------------------
// Model: yes when at least one present (not gone) asset belongs to it; no when none does or it has no
// identifiers to be recognised by.
ChecklistAnswer ModelInventory(const Context& c, const Model& m) {
  constexpr std::string_view q = "inventory";
  if (m.identifiers.empty())
    return Make(q, Answer::kNo, "The register gives no identifier (digest, model id, endpoint or path) to find it by.",
                {}, {"an identifier in the register that discovery can match"});
  size_t present = 0, gone = 0;
  for (const auto& a : c.snapshot.assets) {
    if (!BelongsTo(m, a)) continue;
    (a.gone ? gone : present) += 1;
  }
  if (present == 0)
    return Make(q, Answer::kNo,
                "Discovery found none of its identifiers" +
                    (gone ? " any more (" + Plural(gone, "asset", "assets") + " gone)." : std::string(".")),
                {}, {"a discovery run over the roots where it is deployed, or corrected identifiers"});
  return Make(q, Answer::kYes, "Discovery found " + Plural(present, "asset", "assets") + " of it.");
}

// Organisation: no without a discovery run, with a root not walked within assessment_months, or with
// shadow AI (present assets no register entry claims); partial when models in service are not found by
// discovery; yes otherwise.
ChecklistAnswer OrgInventory(const Context& c, const std::vector<ModelChecklist>& models) {
  constexpr std::string_view q = "inventory";
  const int64_t since = AddMonths(c.now, -c.settings.assessment_months);
  std::vector<std::string> missing;
  if (c.snapshot.runs.empty())
    return Make(q, Answer::kNo, "No discovery run is recorded, so nothing shows what AI is in use.", {},
                {"a discovery run (modelguard inventory discover) over every root"});
  size_t stale = 0;
  for (const auto& run : c.snapshot.runs) {
    const int64_t when = run.finished != 0 ? run.finished : run.started;
    if (run.finished == 0 || when < since) {
      ++stale;
      missing.push_back("a finished discovery run of " + run.root + " since " + DateText(since) +
                        (run.finished == 0 ? " (the last one did not finish)" : " (last " + DateText(when) + ")"));
    }
  }
  size_t shadow = 0;
  std::map<std::string, size_t> shadow_kinds;
  for (const auto& a : c.snapshot.assets)
    if (!a.gone && a.registered_as.empty()) {
      ++shadow;
      ++shadow_kinds[a.kind];
    }
  if (shadow != 0) {
    std::string kinds;
    for (const auto& [kind, n] : shadow_kinds) kinds += (kinds.empty() ? "" : ", ") + std::to_string(n) + " " + kind;
    missing.push_back("register or remove " + Plural(shadow, "unregistered asset", "unregistered assets") + " (" +
                      kinds + ")");
  }
  size_t unseen = 0;
  for (size_t i = 0; i < models.size(); ++i) {
    const Model& m = c.snapshot.models[i];
    if (!InService(m) || models[i].answers[0].answer != Answer::kNo) continue;
    ++unseen;
    missing.push_back("model " + Quote(m.name) + ": " + models[i].answers[0].reason);
  }
  const std::string counts = Plural(c.snapshot.runs.size(), "discovery root", "discovery roots") + " (" +
                             std::to_string(stale) + " not walked since " + DateText(since) + "), " +
                             Plural(shadow, "shadow AI asset", "shadow AI assets") + ", " +
                             Plural(unseen, "model in service", "models in service") + " not found by discovery.";
  if (stale != 0 || shadow != 0) return Make(q, Answer::kNo, "Incomplete: " + counts, {}, std::move(missing));
  if (unseen != 0) return Make(q, Answer::kPartial, "Partly: " + counts, {}, std::move(missing));
  return Make(q, Answer::kYes, "Complete: " + counts);
}

// --- training-data ---------------------------------------------------------------------------------------
// A third-party model without registered data sources: not-applicable (its data is the vendor's; see vendors).
// Own model without data sources: no. Otherwise, from the latest evidence of each kind: no without a
// manifest or data verification that did not fail; partial with a manifest but no passing verification, or
// without a data audit (text audit, validation, poisoning audit, personal-data scan), or when the latest
// audit has high or critical findings; yes with a passing verification and clean audits. Evidence is attached
// to the model, not to one data source: the model's evidence stands for all of its sources.
ChecklistAnswer ModelTrainingData(const Context& c, const Model& m) {
  constexpr std::string_view q = "training-data";
  if (m.data_sources.empty()) {
    if (!m.vendor.empty())
      return Make(q, Answer::kNotApplicable,
                  "A third-party model with no data sources of ours: its training data is the vendor's (see "
                  "vendors).");
    return Make(q, Answer::kNo, "No training data sources are registered.", {},
                {"the data sources in the register (dataset manifests or ids)"});
  }
  const Evidence* manifest = Latest(c, m.name, {kDatasetManifest});
  const Evidence* verify = Latest(c, m.name, {kDataVerify});
  std::vector<const Evidence*> audits;
  for (auto kind : {kTextAudit, kDataValidation, kPoisoningAudit, kPersonalDataScan})
    if (const Evidence* e = Latest(c, m.name, {kind})) audits.push_back(e);
  const bool manifest_ok = manifest != nullptr && NotFailed(*manifest);
  const bool verify_ok = verify != nullptr && Passes(*verify);
  const std::string sources = Plural(m.data_sources.size(), "data source", "data sources");
  if (!manifest_ok && !verify_ok) {
    std::string reason = sources + " without provenance evidence";
    if (verify != nullptr) reason += ": the latest data verification (" + Described(*verify) + ") failed";
    return Make(q, Answer::kNo, reason + ".", {verify},
                {"a dataset manifest (modelguard data manifest) and a passing verification (modelguard data "
                 "verify)"});
  }
  std::vector<const Evidence*> support{verify_ok ? verify : manifest};
  std::vector<std::string> missing;
  if (!verify_ok)
    missing.push_back(verify == nullptr
                          ? "a data verification against the manifest (modelguard data verify)"
                          : "a passing data verification (the latest, " + Described(*verify) + ", failed)");
  if (audits.empty()) missing.push_back("a data audit (text audit, validation or poisoning audit)");
  for (const Evidence* a : audits) {
    if (uint64_t n = HighOrCritical(*a); n != 0)
      missing.push_back("an audit without high or critical findings (" + Described(*a) + " has " + std::to_string(n) +
                        ")");
    else
      support.push_back(a);
  }
  if (missing.empty())
    return Make(q, Answer::kYes,
                sources + " verified against the manifest and audited without high or critical findings.", support);
  return Make(q, Answer::kPartial, sources + " with provenance recorded but not fully verified and audited.", support,
              std::move(missing));
}

// --- assessment --------------------------------------------------------------------------------------------
// Model: yes when an assessment (`assess`) or red-team (modelguard.redteam/v1) evidence was made within its
// review period (ReviewMonthsOf); no otherwise. A failing assessment still counts as conducted (its findings
// show as open findings).
ChecklistAnswer ModelAssessment(const Context& c, const Model& m, int months) {
  constexpr std::string_view q = "assessment";
  const int64_t since = AddMonths(c.now, -months);
  const Evidence* latest = Latest(c, m.name, {kAssess, kRedteam});
  const std::string need = "an assessment (modelguard assess) or red-team run (modelguard redteam) made since " +
                           DateText(since) + " (" + std::to_string(months) + " months)";
  if (latest == nullptr) return Make(q, Answer::kNo, "No security assessment is on record.", {}, {need});
  if (EvidenceTime(*latest) < since)
    return Make(
        q, Answer::kNo,
        "The latest assessment (" + Described(*latest) + ") is older than " + std::to_string(months) + " months.",
        {latest}, {need});
  return Make(q, Answer::kYes, "Assessed within " + std::to_string(months) + " months: " + Described(*latest) + ".",
              {latest});
}

// --- llm-protection ----------------------------------------------------------------------------------------
// Only for kind llm or agent (else not-applicable). yes: the latest red-team run passed (injection, jailbreak,
// extraction and leakage probes) and it is served behind the gateway (the latest check of the gateway's audit
// trail passed); partial: one of the two; no: neither.
ChecklistAnswer ModelLlmProtection(const Context& c, const Model& m) {
  constexpr std::string_view q = "llm-protection";
  if (!IsLlm(m)) return Make(q, Answer::kNotApplicable, "Not an LLM or agent (kind " + Quote(m.kind) + ").");
  const Evidence* redteam = Latest(c, m.name, {kRedteam});
  const Evidence* guard = Latest(c, m.name, {kGatewayAudit});
  const bool redteam_ok = redteam != nullptr && Passes(*redteam);
  const bool guard_ok = guard != nullptr && Passes(*guard);
  std::vector<std::string> missing;
  if (!redteam_ok)
    missing.push_back(redteam == nullptr ? "a red-team run against its endpoint (modelguard redteam)"
                                         : "a passing red-team run (the latest, " + Described(*redteam) + ", failed)");
  if (!guard_ok)
    missing.push_back(guard == nullptr ? "the gateway in front of it, shown by a check of its audit trail (modelguard "
                                         "audit verify)"
                                       : "a passing check of the gateway's audit trail (the latest, " +
                                             Described(*guard) + ", failed)");
  std::vector<const Evidence*> support;
  if (redteam_ok) support.push_back(redteam);
  if (guard_ok) support.push_back(guard);
  if (redteam_ok && guard_ok)
    return Make(q, Answer::kYes, "The red-team run passed and it is served behind the gateway.", support);
  if (redteam_ok || guard_ok)
    return Make(q, Answer::kPartial,
                std::string(redteam_ok ? "The red-team run passed" : "It is served behind the gateway") +
                    ", the other protection is not shown.",
                support, std::move(missing));
  return Make(q, Answer::kNo, "Nothing shows it resists prompt injection or leaks no data.", {redteam, guard},
              std::move(missing));
}

// --- incident-plan -----------------------------------------------------------------------------------------
// Organisation: yes when the setting incident_plan names the plan. Model: no without the plan; partial with
// the plan but no security owner to act on it; yes with both.
ChecklistAnswer ModelIncidentPlan(const Context& c, const Model& m) {
  constexpr std::string_view q = "incident-plan";
  if (c.settings.incident_plan.empty())
    return Make(q, Answer::kNo, "The organisation has no incident response plan on record.", {},
                {"the plan's location in the setting incident_plan"});
  if (m.security_owner.empty())
    return Make(q, Answer::kPartial, "The plan exists but nobody is named to act on it for this model.", {},
                {"a security owner"});
  return Make(q, Answer::kYes, "Incident response plan on record; security owner " + m.security_owner + ".");
}
ChecklistAnswer OrgIncidentPlan(const Context& c) {
  constexpr std::string_view q = "incident-plan";
  if (c.settings.incident_plan.empty())
    return Make(q, Answer::kNo, "No incident response plan is on record.", {},
                {"the plan's location in the setting incident_plan"});
  return Make(q, Answer::kYes, "Incident response plan: " + c.settings.incident_plan + ".");
}

// --- framework ---------------------------------------------------------------------------------------------
// Model: no without an adopted framework (setting governance_framework), or when its risk tier is
// "prohibited" (EU AI Act) while in service; otherwise yes when it has a business owner, a security owner, a
// risk tier and a review that is not overdue (ReviewOf), partial when some of these are missing (no when all).
// Organisation: no without the setting or with a prohibited model in service; yes when every model in service
// says yes, partial otherwise.
ChecklistAnswer ModelFramework(const Context& c, const Model& m) {
  constexpr std::string_view q = "framework";
  if (c.settings.governance_framework.empty())
    return Make(q, Answer::kNo, "The organisation has adopted no governance framework.", {},
                {"the framework's name or URL in the setting governance_framework"});
  if (m.risk_tier == "prohibited")
    return Make(q, Answer::kNo, "Its risk tier is \"prohibited\" (EU AI Act) and it is in service.", {},
                {"retire it, or correct its risk tier"});
  std::vector<std::string> missing;
  if (m.business_owner.empty()) missing.push_back("a business owner");
  if (m.security_owner.empty()) missing.push_back("a security owner");
  if (m.risk_tier.empty()) missing.push_back("a risk tier");
  const ReviewState review = ReviewOf(m, c.now);
  if (review.overdue)
    missing.push_back(review.due ? "a review (due " + DateText(*review.due) + ")" : std::string("a review date"));
  if (missing.empty())
    return Make(q, Answer::kYes,
                "Owned, risk-tiered and reviewed under " + c.settings.governance_framework + " (next review " +
                    DateText(*review.due) + ").");
  const Answer answer = missing.size() == 4 ? Answer::kNo : Answer::kPartial;
  std::string list;
  for (const auto& item : missing) list += (list.empty() ? "" : ", ") + item;
  return Make(q, answer, "Under " + c.settings.governance_framework + " but missing " + list + ".", {},
              std::move(missing));
}

// --- vendors -----------------------------------------------------------------------------------------------
// Model with a vendor: yes when vendor_audited is a date within vendor_audit_months; no otherwise. Without a
// vendor: not-applicable.
ChecklistAnswer ModelVendors(const Context& c, const Model& m) {
  constexpr std::string_view q = "vendors";
  if (m.vendor.empty()) return Make(q, Answer::kNotApplicable, "Built in house: no third-party vendor.");
  const int months = c.settings.vendor_audit_months;
  const int64_t since = AddMonths(c.now, -months);
  const std::string need = "an audit of " + m.vendor + " since " + DateText(since) + " (vendor_audited)";
  const auto audited = ParseDate(m.vendor_audited);
  if (m.vendor_audited.empty())
    return Make(q, Answer::kNo, "The vendor " + m.vendor + " has no audit on record.", {}, {need});
  if (!audited)
    return Make(q, Answer::kNo, "The vendor's audit date " + Quote(m.vendor_audited) + " is not a date.", {}, {need});
  if (*audited < since)
    return Make(q, Answer::kNo,
                "The vendor " + m.vendor + " was last audited on " + DateText(*audited) + ", more than " +
                    std::to_string(months) + " months ago.",
                {}, {need});
  return Make(q, Answer::kYes, "The vendor " + m.vendor + " was audited on " + DateText(*audited) + ".");
}

// The strict aggregation over models in service (see the top of the file).
ChecklistAnswer Aggregate(const Context& c, size_t index, std::string_view question,
                          const std::vector<ModelChecklist>& models, std::string_view concerned) {
  size_t yes = 0, no = 0, partial = 0;
  ChecklistAnswer out = Make(question, Answer::kNotApplicable, "");
  for (size_t i = 0; i < models.size(); ++i) {
    if (!InService(c.snapshot.models[i])) continue;
    const ChecklistAnswer& a = models[i].answers[index];
    switch (a.answer) {
      case Answer::kYes:
        ++yes;
        break;
      case Answer::kNo:
        ++no;
        break;
      case Answer::kPartial:
        ++partial;
        break;
      case Answer::kNotApplicable:
        continue;
    }
    out.evidence.insert(out.evidence.end(), a.evidence.begin(), a.evidence.end());
    for (const auto& item : a.missing) out.missing.push_back("model " + Quote(models[i].model) + ": " + item);
  }
  std::sort(out.evidence.begin(), out.evidence.end());
  out.evidence.erase(std::unique(out.evidence.begin(), out.evidence.end()), out.evidence.end());
  const size_t total = yes + no + partial;
  if (total == 0) {
    out.reason = "No model in service" + (concerned.empty() ? "" : " " + std::string(concerned)) + ".";
    return out;
  }
  out.answer = no != 0 ? Answer::kNo : partial != 0 ? Answer::kPartial : Answer::kYes;
  out.reason = "Of " + Plural(total, "model", "models") + " in service" +
               (concerned.empty() ? "" : " " + std::string(concerned)) + ": " + std::to_string(yes) + " yes, " +
               std::to_string(partial) + " partly, " + std::to_string(no) + " no.";
  return out;
}

// Organisation framework: the setting first, then the models' answers.
ChecklistAnswer OrgFramework(const Context& c, const std::vector<ModelChecklist>& models, size_t index) {
  if (c.settings.governance_framework.empty())
    return Make("framework", Answer::kNo, "No governance framework is adopted.", {},
                {"the framework's name or URL in the setting governance_framework"});
  ChecklistAnswer a = Aggregate(c, index, "framework", models, "");
  if (a.answer == Answer::kNotApplicable) {
    a.answer = Answer::kYes;
    a.reason = "Adopted: " + c.settings.governance_framework + "; no model is in service.";
    return a;
  }
  // A model's "no" under an adopted framework (a prohibited one, or nothing filled in) keeps the org at no.
  a.reason = "Adopted: " + c.settings.governance_framework + ". " + a.reason;
  return a;
}

}  // namespace

const char* ToString(Answer answer) {
  switch (answer) {
    case Answer::kYes:
      return "yes";
    case Answer::kNo:
      return "no";
    case Answer::kPartial:
      return "partial";
    case Answer::kNotApplicable:
      return "not-applicable";
  }
  return "no";
}

std::span<const Question> ChecklistQuestions() { return kQuestions; }

OrganisationSettings ReadSettings(const Snapshot& snapshot) {
  OrganisationSettings s;
  auto months = [](const std::string& text, int fallback) {
    if (text.empty() || text.size() > 3 ||
        !std::all_of(text.begin(), text.end(), [](char ch) { return ch >= '0' && ch <= '9'; }))
      return fallback;
    const int n = std::stoi(text);
    return n >= 1 && n <= kMaxMonths ? n : fallback;
  };
  for (const auto& [key, value] : snapshot.settings) {
    if (key == "organisation") s.organisation = value;
    if (key == "incident_plan") s.incident_plan = value;
    if (key == "governance_framework") s.governance_framework = value;
    if (key == "assessment_months") s.assessment_months = months(value, kDefaultAssessmentMonths);
    if (key == "vendor_audit_months") s.vendor_audit_months = months(value, kDefaultVendorAuditMonths);
  }
  return s;
}

EvidenceSummary ReadEvidenceSummary(std::string_view summary_json) {
  EvidenceSummary out;
  if (summary_json.size() > kMaxSummaryBytes) return out;
  auto parsed = ParseJsonWithinLimits(summary_json);
  if (!parsed || !parsed->is_object()) return out;
  const nlohmann::json& doc = *parsed;
  if (auto it = doc.find("verdict"); it != doc.end() && it->is_string()) {
    const auto& v = it->get_ref<const std::string&>();
    if (v == "pass" || v == "fail" || v == "info") out.verdict = v;
  }
  if (auto it = doc.find("findings"); it != doc.end() && it->is_object()) {
    for (const auto& [key, value] : it->items()) {
      auto severity = ParseSeverity(key);
      if (!severity || !value.is_number_unsigned()) continue;
      out.findings[static_cast<size_t>(*severity)] = value.get<uint64_t>();
    }
  }
  if (auto it = doc.find("rules"); it != doc.end() && it->is_array())
    for (const auto& rule : *it)
      if (rule.is_string()) out.rules.push_back(rule.get<std::string>());
  if (auto it = doc.find("summary"); it != doc.end() && it->is_string()) out.summary = it->get<std::string>();
  return out;
}

namespace {
bool Digits(std::string_view text, size_t from, size_t count, int& value) {
  value = 0;
  for (size_t i = from; i < from + count; ++i) {
    if (text[i] < '0' || text[i] > '9') return false;
    value = value * 10 + (text[i] - '0');
  }
  return true;
}
int DaysIn(int year, int month) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  const bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  return month == 2 && leap ? 29 : kDays[month - 1];
}
int64_t FromCivil(int year, int month, int day, int hour = 0, int minute = 0, int second = 0) {
  std::tm tm{};
  tm.tm_year = year - 1900;
  tm.tm_mon = month - 1;
  tm.tm_mday = day;
  tm.tm_hour = hour;
  tm.tm_min = minute;
  tm.tm_sec = second;
  return static_cast<int64_t>(::timegm(&tm));
}
std::tm ToCivil(int64_t time) {
  std::tm tm{};
  const auto t = static_cast<std::time_t>(time);
  ::gmtime_r(&t, &tm);
  return tm;
}
}  // namespace

std::optional<int64_t> ParseDate(std::string_view text) {
  int year = 0, month = 0, day = 0;
  if (text.size() != 10 || text[4] != '-' || text[7] != '-' || !Digits(text, 0, 4, year) ||
      !Digits(text, 5, 2, month) || !Digits(text, 8, 2, day))
    return std::nullopt;
  if (year < 1970 || month < 1 || month > 12 || day < 1 || day > DaysIn(year, month)) return std::nullopt;
  return FromCivil(year, month, day);
}

std::optional<int64_t> ParseTime(std::string_view text) {
  if (text.size() == 10) return ParseDate(text);
  int hour = 0, minute = 0, second = 0;
  if (text.size() != 20 || (text[10] != 'T' && text[10] != 't') || text[13] != ':' || text[16] != ':' ||
      (text[19] != 'Z' && text[19] != 'z') || !Digits(text, 11, 2, hour) || !Digits(text, 14, 2, minute) ||
      !Digits(text, 17, 2, second) || hour > 23 || minute > 59 || second > 59)
    return std::nullopt;
  auto date = ParseDate(text.substr(0, 10));
  if (!date) return std::nullopt;
  return *date + hour * 3600 + minute * 60 + second;
}

int64_t AddMonths(int64_t time, int months) {
  const std::tm tm = ToCivil(time);
  int64_t index = int64_t{tm.tm_year + 1900} * 12 + tm.tm_mon + months;
  const int year = static_cast<int>(index / 12);
  const int month = static_cast<int>(index % 12) + 1;
  const int day = std::min(tm.tm_mday, DaysIn(year, month));
  return FromCivil(year, month, day, tm.tm_hour, tm.tm_min, tm.tm_sec);
}

std::string DateText(int64_t time) {
  const std::tm tm = ToCivil(time);
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%04d-%02d-%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
  return buffer;
}

int ReviewMonthsOf(const Model& model, const OrganisationSettings& settings) {
  return model.review_months >= 1 && model.review_months <= kMaxMonths ? model.review_months
                                                                       : settings.assessment_months;
}

ReviewState ReviewOf(const Model& model, int64_t now) {
  ReviewState state;
  state.last = ParseDate(model.last_review);
  const int months =
      model.review_months >= 1 && model.review_months <= kMaxMonths ? model.review_months : kDefaultAssessmentMonths;
  const std::optional<int64_t> from = state.last             ? state.last
                                      : model.registered > 0 ? std::optional(model.registered)
                                                             : std::nullopt;
  if (from) state.due = AddMonths(*from, months);
  state.overdue = !state.due || *state.due < now;
  return state;
}

const Evidence* LatestEvidence(const Snapshot& snapshot, std::string_view model,
                               std::initializer_list<std::string_view> kinds) {
  const Evidence* best = nullptr;
  for (const auto& e : snapshot.evidence) {
    if (e.model != model || std::find(kinds.begin(), kinds.end(), e.kind) == kinds.end()) continue;
    if (best == nullptr || EvidenceTime(e) > EvidenceTime(*best) ||
        (EvidenceTime(e) == EvidenceTime(*best) && e.id > best->id))
      best = &e;
  }
  return best;
}

bool BelongsTo(const Model& model, const Asset& asset) {
  return asset.registered_as == model.name || Matches(model, asset);
}

Checklist EvaluateChecklist(const Snapshot& snapshot, int64_t now) {
  Context c{snapshot, ReadSettings(snapshot), now, {}};
  for (const auto& e : snapshot.evidence) c.by_model[e.model].push_back(&e);
  Checklist out;
  out.now = now;
  for (const auto& m : snapshot.models) {
    ModelChecklist mc;
    mc.model = m.name;
    if (!InService(m)) {
      for (const auto& question : kQuestions)
        mc.answers.push_back(
            Make(question.id, Answer::kNotApplicable, "Retired on " + DateText(m.retired) + ": no longer in service."));
    } else {
      mc.answers = {
          ModelInventory(c, m),     ModelTrainingData(c, m), ModelAssessment(c, m, ReviewMonthsOf(m, c.settings)),
          ModelLlmProtection(c, m), ModelIncidentPlan(c, m), ModelFramework(c, m),
          ModelVendors(c, m)};
    }
    out.models.push_back(std::move(mc));
  }
  // Organisation: assessment uses the organisation's period for every model (the question's "6 months").
  std::vector<ModelChecklist> org_assessment;
  for (size_t i = 0; i < snapshot.models.size(); ++i) {
    ModelChecklist mc = out.models[i];
    if (InService(snapshot.models[i]))
      mc.answers[2] = ModelAssessment(c, snapshot.models[i], c.settings.assessment_months);
    org_assessment.push_back(std::move(mc));
  }
  out.organisation = {OrgInventory(c, out.models),
                      Aggregate(c, 1, "training-data", out.models, "with training data of our own"),
                      Aggregate(c, 2, "assessment", org_assessment, ""),
                      Aggregate(c, 3, "llm-protection", out.models, "of kind llm or agent"),
                      OrgIncidentPlan(c),
                      OrgFramework(c, out.models, 5),
                      Aggregate(c, 6, "vendors", out.models, "from a third-party vendor")};
  return out;
}

}  // namespace modelguard::governance
