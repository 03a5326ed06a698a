// The dashboard's pages. Each page is a function of the snapshot, the catalog and `now`; the checklist's
// answers come from EvaluateChecklist (checklist.cpp) and are only shown here. Every string from the snapshot
// goes through Esc; ids in attributes are numbers or the checklist's own question ids.
#include <algorithm>
#include <cctype>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

#include "modelguard/core/hash.h"
#include "modelguard/core/io.h"
#include "modelguard/core/number_text.h"
#include "modelguard/governance/report.h"
#include "src/governance/report/html_page.h"

namespace modelguard::governance {
namespace {

using site::AnswerBadge;
using site::Esc;
using site::FindingsChart;
using site::SeverityBadge;

constexpr size_t kMaxSlug = 48;
constexpr int64_t kDay = 86400;

constexpr std::string_view kSignKind = "modelguard.sign/v1";
constexpr std::string_view kVerifyKind = "modelguard.verify/v1";
constexpr std::string_view kCycloneDxKind = "cyclonedx";
constexpr std::string_view kAssessKind = "assess";
constexpr std::string_view kRedteamKind = "modelguard.redteam/v1";

// Which page tells more about a question's organisation-wide answer.
const char* DetailPage(std::string_view question) {
  if (question == "inventory") return "inventory.html";
  if (question == "assessment" || question == "framework" || question == "vendors") return "reviews.html";
  if (question == "incident-plan") return "incidents.html";
  if (question == "llm-protection" || question == "training-data") return "controls.html";
  return "index.html";
}

std::string TimeCell(int64_t time) {
  if (time == 0) return "<td data-sort=\"\">\xE2\x80\x94</td>";
  return "<td data-sort=\"" + std::to_string(time) + "\"><time datetime=\"" + Iso8601Utc(time) + "\">" +
         DateText(time) + "</time></td>";
}
std::string Text(std::string_view text) { return text.empty() ? "\xE2\x80\x94" : Esc(text); }
std::string Cell(std::string_view text) { return "<td>" + Text(text) + "</td>"; }
std::string NumCell(uint64_t n) { return "<td class=\"num\">" + std::to_string(n) + "</td>"; }
std::string Many(size_t n, std::string_view one, std::string_view many) {
  return std::to_string(n) + " " + std::string(n == 1 ? one : many);
}
std::string Lower(std::string_view text) {
  std::string out(text);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

struct Site {
  const Snapshot& snapshot;
  const ControlCatalog& catalog;
  int64_t now;
  OrganisationSettings settings;
  Checklist checklist;
  std::map<std::string, size_t> model_index;  // name -> index in snapshot.models
  std::map<uint64_t, const Evidence*> evidence_by_id;

  std::string ModelLink(std::string_view root, std::string_view name) const {
    if (model_index.count(std::string(name)) == 0) return Text(name);
    return "<a href=\"" + std::string(root) + Esc(ModelPageName(name)) + "\">" + Esc(name) + "</a>";
  }
  // A link to an evidence row: on the same page (`same_model`), else on its model's page.
  std::string EvidenceLink(std::string_view root, uint64_t id, std::string_view same_model) const {
    auto it = evidence_by_id.find(id);
    const std::string label = "#" + std::to_string(id);
    if (it == evidence_by_id.end()) return label;
    const Evidence& e = *it->second;
    const std::string text = label + " " + Esc(e.kind) + " (" + DateText(EvidenceTime(e)) + ")";
    if (e.model == same_model) return "<a href=\"#evidence-" + std::to_string(id) + "\">" + text + "</a>";
    if (model_index.count(e.model) == 0) return text;
    return "<a href=\"" + std::string(root) + Esc(ModelPageName(e.model)) + "#evidence-" + std::to_string(id) + "\">" +
           text + "</a>";
  }
  bool InService(const Model& m) const { return m.retired == 0; }
};

// The newest evidence of each kind of a model: what is still open.
std::vector<const Evidence*> LatestPerKind(const Snapshot& snapshot, std::string_view model) {
  std::map<std::string, const Evidence*> latest;
  for (const auto& e : snapshot.evidence) {
    if (e.model != model) continue;
    const Evidence*& best = latest[e.kind];
    if (best == nullptr || EvidenceTime(e) > EvidenceTime(*best) ||
        (EvidenceTime(e) == EvidenceTime(*best) && e.id > best->id))
      best = &e;
  }
  std::vector<const Evidence*> out;
  for (const auto& [kind, e] : latest) out.push_back(e);
  return out;
}
std::array<uint64_t, 5> OpenFindings(const Snapshot& snapshot, std::string_view model) {
  std::array<uint64_t, 5> total{};
  for (const Evidence* e : LatestPerKind(snapshot, model)) {
    const auto findings = ReadEvidenceSummary(e->summary_json).findings;
    for (size_t i = 0; i < total.size(); ++i) total[i] += findings[i];
  }
  return total;
}

std::string ChecklistTable(const Site& s, const std::vector<ChecklistAnswer>& answers, std::string_view id,
                           std::string_view caption, std::string_view root, std::string_view model, bool detail_links) {
  std::ostringstream out;
  out << "<table id=\"" << id << "\" class=\"checklist\"><caption>" << Esc(caption) << "</caption>\n"
      << "<thead><tr><th scope=\"col\">Question</th><th scope=\"col\">Answer</th><th scope=\"col\">Why</th>"
      << "<th scope=\"col\">Evidence</th><th scope=\"col\">Missing</th></tr></thead>\n<tbody>\n";
  const auto questions = ChecklistQuestions();
  for (size_t i = 0; i < answers.size(); ++i) {
    const ChecklistAnswer& a = answers[i];
    out << "<tr data-question=\"" << Esc(a.question) << "\" data-answer=\"" << ToString(a.answer)
        << "\"><th scope=\"row\">" << Esc(i < questions.size() ? questions[i].text : a.question);
    if (detail_links) out << " <a href=\"" << root << DetailPage(a.question) << "\">details</a>";
    out << "</th><td>" << AnswerBadge(a.answer) << "</td><td>" << Esc(a.reason) << "</td><td>";
    if (a.evidence.empty()) {
      out << "none";
    } else {
      out << "<ul class=\"missing\">";
      for (uint64_t e : a.evidence) out << "<li>" << s.EvidenceLink(root, e, model) << "</li>";
      out << "</ul>";
    }
    out << "</td><td>";
    if (a.missing.empty()) {
      out << "nothing";
    } else {
      out << "<ul class=\"missing\">";
      for (const auto& m : a.missing) out << "<li>" << Esc(m) << "</li>";
      out << "</ul>";
    }
    out << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
  return out.str();
}

std::string AssetStatus(const Asset& a) {
  if (a.gone) return "gone";
  return a.registered_as.empty() ? "shadow" : "registered";
}

std::string AssetsTable(const Site& s, const std::vector<const Asset*>& assets, std::string_view id,
                        std::string_view caption, std::string_view root) {
  std::ostringstream out;
  out << "<table id=\"" << id << "\" class=\"sortable\"><caption>" << Esc(caption) << "</caption>\n<thead><tr>"
      << "<th scope=\"col\">Kind</th><th scope=\"col\">Value</th><th scope=\"col\">Detail</th>"
      << "<th scope=\"col\">File</th><th scope=\"col\">Status</th><th scope=\"col\">Registered as</th>"
      << "<th scope=\"col\">Signature</th><th scope=\"col\">BOM</th><th scope=\"col\">First seen</th>"
      << "<th scope=\"col\">Last seen</th></tr></thead>\n<tbody>\n";
  for (const Asset* a : assets) {
    const std::string status = AssetStatus(*a);
    const bool file = a->kind == "model-file";
    out << "<tr data-kind=\"" << Esc(Lower(a->kind)) << "\" data-status=\"" << status << "\">" << Cell(a->kind)
        << "<td><code>" << Text(a->value) << "</code>"
        << (a->digest.empty() ? "" : "<br><code>" + Esc(a->digest) + "</code>") << "</td>" << Cell(a->detail)
        << "<td><code>" << Text(a->file) << (a->line ? ":" + std::to_string(a->line) : "") << "</code></td><td>"
        << status << "</td><td>" << (a->registered_as.empty() ? "\xE2\x80\x94" : s.ModelLink(root, a->registered_as))
        << "</td><td>" << (file ? (a->signature ? "yes" : "no") : "\xE2\x80\x94") << "</td><td>"
        << (file ? (a->bom ? "yes" : "no") : "\xE2\x80\x94") << "</td>" << TimeCell(a->first_seen)
        << TimeCell(a->last_seen) << "</tr>\n";
  }
  out << "</tbody></table>\n";
  return out.str();
}

std::string FilterForm(std::string_view table, const std::set<std::string>& kinds, bool status) {
  std::ostringstream out;
  out << "<form class=\"filter\" data-table=\"" << table << "\" hidden aria-label=\"Filter the table\">"
      << "<label>Search<input type=\"search\" data-key=\"\"></label>"
      << "<label>Kind<select data-key=\"kind\"><option value=\"\">all</option>";
  for (const auto& kind : kinds) out << "<option value=\"" << Esc(kind) << "\">" << Esc(kind) << "</option>";
  out << "</select></label>";
  if (status)
    out << "<label>Status<select data-key=\"status\"><option value=\"\">all</option><option>registered</option>"
        << "<option>shadow</option><option>gone</option></select></label>";
  out << "<output aria-live=\"polite\"></output></form>\n";
  return out.str();
}

// --- index.html --------------------------------------------------------------------------------------------

struct Counts {
  size_t in_service = 0, retired = 0, present = 0, shadow = 0, gone = 0, open_incidents = 0, overdue_reviews = 0,
         overdue_assessments = 0, overdue_vendors = 0, no_business_owner = 0, no_security_owner = 0;
};
Counts Count(const Site& s) {
  Counts c;
  for (size_t i = 0; i < s.snapshot.models.size(); ++i) {
    const Model& m = s.snapshot.models[i];
    if (!s.InService(m)) {
      ++c.retired;
      continue;
    }
    ++c.in_service;
    c.no_business_owner += m.business_owner.empty();
    c.no_security_owner += m.security_owner.empty();
    if (ReviewOf(m, s.now).overdue) ++c.overdue_reviews;
    const auto& answers = s.checklist.models[i].answers;
    if (answers[2].answer == Answer::kNo) ++c.overdue_assessments;
    if (answers[6].answer == Answer::kNo) ++c.overdue_vendors;
  }
  for (const auto& a : s.snapshot.assets) {
    if (a.gone) {
      ++c.gone;
    } else {
      ++c.present;
      if (a.registered_as.empty()) ++c.shadow;
    }
  }
  for (const auto& i : s.snapshot.incidents) c.open_incidents += i.open ? 1 : 0;
  return c;
}

// Models in service by EU AI Act risk tier (rows) and internal criticality (columns); values outside the
// known scales are counted under "other", missing ones under "not set".
std::string RiskMatrix(const Site& s) {
  static constexpr const char* kTiers[] = {"prohibited", "high", "limited", "minimal"};
  static constexpr const char* kCriticality[] = {"critical", "high", "medium", "low"};
  auto slot = [](const std::string& value, const auto& scale) -> size_t {
    if (value.empty()) return std::size(scale) + 1;
    for (size_t i = 0; i < std::size(scale); ++i)
      if (value == scale[i]) return i;
    return std::size(scale);
  };
  size_t counts[6][6] = {};
  for (const auto& m : s.snapshot.models)
    if (s.InService(m)) ++counts[slot(m.risk_tier, kTiers)][slot(m.criticality, kCriticality)];
  std::ostringstream out;
  out << "<table id=\"risk-matrix\"><caption>Models in service by risk tier (EU AI Act) and criticality</caption>\n"
      << "<thead><tr><th scope=\"col\">Risk tier</th>";
  for (const char* c : kCriticality) out << "<th scope=\"col\" class=\"num\">" << c << "</th>";
  out << "<th scope=\"col\" class=\"num\">other</th><th scope=\"col\" class=\"num\">not set</th></tr></thead>\n"
      << "<tbody>\n";
  for (size_t t = 0; t < 6; ++t) {
    out << "<tr><th scope=\"row\">" << (t < 4 ? kTiers[t] : t == 4 ? "other" : "not set") << "</th>";
    for (size_t c = 0; c < 6; ++c) out << NumCell(counts[t][c]);
    out << "</tr>\n";
  }
  out << "</tbody></table>\n";
  return out.str();
}

std::string IndexPage(const Site& s) {
  const Counts c = Count(s);
  std::ostringstream out;
  auto count = [&](const char* key, size_t n, const char* label, const char* page) {
    out << "<li data-count=\"" << key << "\"><strong>" << n << "</strong> <a href=\"" << page << "\">" << label
        << "</a></li>";
  };
  out << "<h2 id=\"summary\">Summary</h2>\n<ul class=\"counts\">";
  count("models", c.in_service, "models in service", "#models");
  count("retired", c.retired, "retired models", "#models");
  count("assets", c.present, "assets found", "inventory.html");
  count("shadow", c.shadow, "shadow AI assets", "shadow.html");
  count("evidence", s.snapshot.evidence.size(), "evidence items", "#models");
  count("open-incidents", c.open_incidents, "open incidents", "incidents.html");
  count("overdue-reviews", c.overdue_reviews, "overdue reviews", "reviews.html");
  count("overdue-assessments", c.overdue_assessments, "models without a recent assessment", "reviews.html#assessments");
  count("no-business-owner", c.no_business_owner, "models without a business owner", "#models");
  count("no-security-owner", c.no_security_owner, "models without a security owner", "#models");
  out << "</ul>\n<h2 id=\"checklist\">AI-security checklist</h2>\n"
      << "<p>Answered from the evidence on record for every model in service; a question is <q>yes</q> only when "
         "every model it concerns says yes. Each model's page shows its own answers.</p>\n"
      << ChecklistTable(s, s.checklist.organisation, "org-checklist", "The organisation's answers", "", "", true);
  out << "<h2 id=\"settings\">Policy settings</h2>\n<dl class=\"facts\">"
      << "<dt>Organisation</dt><dd>" << Text(s.settings.organisation) << "</dd>"
      << "<dt>Incident response plan</dt><dd>" << Text(s.settings.incident_plan) << "</dd>"
      << "<dt>Governance framework</dt><dd>" << Text(s.settings.governance_framework) << "</dd>"
      << "<dt>Assessment period</dt><dd>" << s.settings.assessment_months << " months</dd>"
      << "<dt>Vendor audit period</dt><dd>" << s.settings.vendor_audit_months << " months</dd></dl>\n";
  out << "<h2 id=\"models\">Models</h2>\n<table id=\"models-table\" class=\"sortable\"><caption>The register: "
      << Many(s.snapshot.models.size(), "model", "models") << "</caption>\n<thead><tr><th scope=\"col\">Model</th>"
      << "<th scope=\"col\">Kind</th><th scope=\"col\">Business owner</th><th scope=\"col\">Security owner</th>"
      << "<th scope=\"col\">Risk tier</th><th scope=\"col\">Criticality</th><th scope=\"col\">Status</th>"
      << "<th scope=\"col\" class=\"num\">Checklist: yes</th><th scope=\"col\" class=\"num\">no</th>"
      << "<th scope=\"col\" class=\"num\">Open critical and high findings</th></tr></thead>\n<tbody>\n";
  std::array<uint64_t, 5> total{};
  for (size_t i = 0; i < s.snapshot.models.size(); ++i) {
    const Model& m = s.snapshot.models[i];
    size_t yes = 0, no = 0;
    for (const auto& a : s.checklist.models[i].answers) {
      yes += a.answer == Answer::kYes;
      no += a.answer == Answer::kNo;
    }
    const auto findings = OpenFindings(s.snapshot, m.name);
    if (s.InService(m))
      for (size_t k = 0; k < total.size(); ++k) total[k] += findings[k];
    out << "<tr data-model=\"" << Esc(m.name) << "\"><th scope=\"row\">" << s.ModelLink("", m.name) << "</th>"
        << Cell(m.kind) << Cell(m.business_owner) << Cell(m.security_owner) << Cell(m.risk_tier) << Cell(m.criticality)
        << "<td>" << (s.InService(m) ? "in service" : "retired " + DateText(m.retired)) << "</td>" << NumCell(yes)
        << NumCell(no) << NumCell(findings[3] + findings[4]) << "</tr>\n";
  }
  out << "</tbody></table>\n" << RiskMatrix(s);
  out << "<h2 id=\"findings\">Open findings</h2>\n"
      << "<p>From the newest evidence of each kind of every model in service (older evidence of a kind is "
         "superseded).</p>\n"
      << FindingsChart(total, "Open findings by severity, all models in service", "org-findings");
  return out.str();
}

// --- inventory.html and shadow.html ------------------------------------------------------------------------

std::string InventoryPage(const Site& s) {
  std::ostringstream out;
  out << "<p>What discovery found under each root, and the register entries that claim it. Assets no register "
         "entry claims are <a href=\"shadow.html\">shadow AI</a>.</p>\n";
  out << "<h2 id=\"runs\">Discovery runs</h2>\n<table id=\"runs-table\"><caption>The latest run per root ("
      << s.snapshot.runs.size() << ")</caption>\n<thead><tr><th scope=\"col\">Root</th><th scope=\"col\">Started"
      << "</th><th scope=\"col\">Finished</th><th scope=\"col\" class=\"num\">Files walked</th>"
      << "<th scope=\"col\" class=\"num\">Files read</th><th scope=\"col\" class=\"num\">Assets</th></tr></thead>\n"
      << "<tbody>\n";
  for (const auto& run : s.snapshot.runs)
    out << "<tr><th scope=\"row\"><code>" << Text(run.root) << "</code></th>" << TimeCell(run.started)
        << TimeCell(run.finished) << NumCell(run.files) << NumCell(run.read) << NumCell(run.assets) << "</tr>\n";
  out << "</tbody></table>\n";
  out << "<h2 id=\"register\">Register</h2>\n<table id=\"register-table\" class=\"sortable\"><caption>Registered "
         "models and how many present assets match them</caption>\n<thead><tr><th scope=\"col\">Model</th>"
      << "<th scope=\"col\">Version</th><th scope=\"col\">Kind</th><th scope=\"col\">Identifiers</th>"
      << "<th scope=\"col\" class=\"num\">Assets found</th><th scope=\"col\">Vendor</th></tr></thead>\n<tbody>\n";
  for (const auto& m : s.snapshot.models) {
    size_t found = 0;
    for (const auto& a : s.snapshot.assets) found += !a.gone && BelongsTo(m, a);
    out << "<tr><th scope=\"row\">" << s.ModelLink("", m.name) << "</th>" << Cell(m.version) << Cell(m.kind) << "<td>";
    for (const auto& id : m.identifiers) out << Esc(id.kind) << ": <code>" << Esc(id.value) << "</code><br>";
    out << "</td>" << NumCell(found) << Cell(m.vendor) << "</tr>\n";
  }
  out << "</tbody></table>\n";
  std::vector<const Asset*> assets;
  std::set<std::string> kinds;
  for (const auto& a : s.snapshot.assets) {
    assets.push_back(&a);
    kinds.insert(Lower(a.kind));
  }
  out << "<h2 id=\"asset-list\">Assets</h2>\n"
      << FilterForm("assets", kinds, true)
      << AssetsTable(s, assets, "assets", "Every asset discovery recorded (" + std::to_string(assets.size()) + ")", "");
  return out.str();
}

std::string ShadowPage(const Site& s) {
  std::vector<const Asset*> shadow;
  std::map<std::string, size_t> by_kind;
  std::set<std::string> kinds;
  for (const auto& a : s.snapshot.assets)
    if (!a.gone && a.registered_as.empty()) {
      shadow.push_back(&a);
      ++by_kind[a.kind];
      kinds.insert(Lower(a.kind));
    }
  std::ostringstream out;
  out << "<p>AI found in use that no register entry claims: models, SDK imports, hosted endpoints, keys, agent "
         "tools and MCP servers. Register each (with its owners) or remove it.</p>\n";
  out << "<table id=\"shadow-kinds\"><caption>Shadow AI by kind (" << Many(shadow.size(), "asset", "assets")
      << ")</caption>\n<thead><tr><th scope=\"col\">Kind</th><th scope=\"col\" class=\"num\">Assets</th>"
      << "</tr></thead>\n<tbody>\n";
  for (const auto& [kind, n] : by_kind)
    out << "<tr data-kind=\"" << Esc(Lower(kind)) << "\"><th scope=\"row\">" << Esc(kind) << "</th>" << NumCell(n)
        << "</tr>\n";
  out << "</tbody></table>\n";
  if (shadow.empty()) {
    out << "<p>No shadow AI: every present asset belongs to a registered model.</p>\n";
  } else {
    out << FilterForm("shadow", kinds, false)
        << AssetsTable(s, shadow, "shadow", "Unregistered assets (" + std::to_string(shadow.size()) + ")", "");
  }
  return out.str();
}

// --- models/<page>.html ------------------------------------------------------------------------------------

std::string SignatureSection(const Site& s, const Model& m) {
  size_t files = 0, signed_files = 0, bom_files = 0;
  for (const auto& a : s.snapshot.assets)
    if (!a.gone && a.kind == "model-file" && BelongsTo(m, a)) {
      ++files;
      signed_files += a.signature;
      bom_files += a.bom;
    }
  const Evidence* sign = LatestEvidence(s.snapshot, m.name, {kSignKind});
  const Evidence* verify = LatestEvidence(s.snapshot, m.name, {kVerifyKind});
  const Evidence* bom = LatestEvidence(s.snapshot, m.name, {kCycloneDxKind});
  auto link = [&](const Evidence* e) { return e ? " (" + s.EvidenceLink("../", e->id, m.name) + ")" : std::string(); };
  std::string signature_status, signature_text;
  if (verify != nullptr && ReadEvidenceSummary(verify->summary_json).verdict == "fail") {
    signature_status = "failed";
    signature_text = "the latest verification failed" + link(verify);
  } else if (verify != nullptr && ReadEvidenceSummary(verify->summary_json).verdict == "pass") {
    signature_status = "verified";
    signature_text = "signed and verified" + link(verify);
  } else if (sign != nullptr || signed_files != 0) {
    signature_status = "signed";
    signature_text = "signed, no verification on record" + link(sign);
  } else {
    signature_status = "unsigned";
    signature_text = "no signature on record";
  }
  std::string bom_status = bom != nullptr ? "recorded" : bom_files != 0 ? "beside-files" : "missing";
  std::string bom_text = bom != nullptr   ? "a BOM is attached" + link(bom)
                         : bom_files != 0 ? "a BOM sits beside the model file, none attached as evidence"
                                          : "no BOM on record";
  std::ostringstream out;
  out << "<h2 id=\"supply-chain\">Signature and BOM</h2>\n<dl class=\"facts\">"
      << "<dt>Signature</dt><dd id=\"signature-status\" data-status=\"" << signature_status << "\">" << signature_text
      << "</dd><dt>BOM</dt><dd id=\"bom-status\" data-status=\"" << bom_status << "\">" << bom_text
      << "</dd><dt>Model files found</dt><dd>" << files << " (" << signed_files << " with a signature bundle beside, "
      << bom_files << " with a BOM beside)</dd></dl>\n";
  return out.str();
}

std::string ModelPage(const Site& s, size_t index) {
  const Model& m = s.snapshot.models[index];
  const ReviewState review = ReviewOf(m, s.now);
  std::ostringstream out;
  out << "<dl class=\"facts\" id=\"facts\">"
      << "<dt>Status</dt><dd>" << (s.InService(m) ? "in service" : "retired on " + DateText(m.retired)) << "</dd>"
      << "<dt>Version</dt><dd>" << Text(m.version) << "</dd><dt>Kind</dt><dd>" << Text(m.kind) << "</dd>"
      << "<dt>Business owner</dt><dd id=\"business-owner\">" << Text(m.business_owner) << "</dd>"
      << "<dt>Security owner</dt><dd id=\"security-owner\">" << Text(m.security_owner) << "</dd>"
      << "<dt>Risk tier (EU AI Act)</dt><dd id=\"risk-tier\">" << Text(m.risk_tier) << "</dd>"
      << "<dt>Criticality</dt><dd id=\"criticality\">" << Text(m.criticality) << "</dd>"
      << "<dt>Intended use</dt><dd>" << Text(m.intended_use) << "</dd>"
      << "<dt>Vendor</dt><dd>" << Text(m.vendor) << (m.vendor.empty() ? "" : "; audited " + Text(m.vendor_audited))
      << "</dd>"
      << "<dt>Last review</dt><dd>" << Text(m.last_review) << " (every " << m.review_months << " months; "
      << (review.due ? std::string(review.overdue ? "overdue since " : "next by ") + DateText(*review.due)
                     : std::string("overdue: no review date"))
      << ")</dd><dt>Registered</dt><dd>" << (m.registered ? DateText(m.registered) : "\xE2\x80\x94") << "</dd>"
      << "<dt>Data sources</dt><dd>";
  if (m.data_sources.empty()) out << "\xE2\x80\x94";
  for (const auto& d : m.data_sources) out << "<code>" << Esc(d) << "</code><br>";
  out << "</dd><dt>Identifiers</dt><dd>";
  if (m.identifiers.empty()) out << "\xE2\x80\x94";
  for (const auto& id : m.identifiers) out << Esc(id.kind) << ": <code>" << Esc(id.value) << "</code><br>";
  out << "</dd></dl>\n";
  out << "<h2 id=\"checklist\">Checklist</h2>\n"
      << ChecklistTable(s, s.checklist.models[index].answers, "model-checklist",
                        "The checklist for " + m.name + ", from its evidence", "../", m.name, false);
  out << SignatureSection(s, m);
  const auto latest = LatestPerKind(s.snapshot, m.name);
  out << "<h2 id=\"findings\">Open findings</h2>\n<p>From the newest evidence of each kind (" << latest.size()
      << " kinds): ";
  for (size_t i = 0; i < latest.size(); ++i) out << (i ? ", " : "") << s.EvidenceLink("../", latest[i]->id, m.name);
  out << (latest.empty() ? "none" : "") << ".</p>\n"
      << FindingsChart(OpenFindings(s.snapshot, m.name), "Open findings by severity", "model-findings");
  // The timeline, newest first.
  std::vector<const Evidence*> evidence;
  for (const auto& e : s.snapshot.evidence)
    if (e.model == m.name) evidence.push_back(&e);
  std::stable_sort(evidence.begin(), evidence.end(), [](const Evidence* a, const Evidence* b) {
    return EvidenceTime(*a) != EvidenceTime(*b) ? EvidenceTime(*a) > EvidenceTime(*b) : a->id > b->id;
  });
  std::set<uint64_t> current;
  for (const Evidence* e : latest) current.insert(e->id);
  out << "<h2 id=\"evidence\">Evidence timeline</h2>\n<table id=\"evidence-table\" class=\"sortable\"><caption>"
      << Many(evidence.size(), "evidence item", "evidence items")
      << ", newest first</caption>\n<thead><tr><th scope=\"col\">Id</th>"
      << "<th scope=\"col\">Made</th><th scope=\"col\">Attached</th><th scope=\"col\">Kind</th>"
      << "<th scope=\"col\">File</th><th scope=\"col\">Verdict</th><th scope=\"col\">Findings (critical, high, "
         "medium, low, info)</th><th scope=\"col\">Summary</th><th scope=\"col\">Digest</th>"
      << "<th scope=\"col\">Log entry</th></tr></thead>\n<tbody>\n";
  for (const Evidence* e : evidence) {
    const EvidenceSummary summary = ReadEvidenceSummary(e->summary_json);
    out << "<tr id=\"evidence-" << e->id << "\" data-kind=\"" << Esc(Lower(e->kind)) << "\" data-verdict=\""
        << summary.verdict << "\"><th scope=\"row\" data-sort=\"" << e->id << "\">#" << e->id << "</th>"
        << TimeCell(EvidenceTime(*e)) << TimeCell(e->time) << "<td>" << Esc(e->kind)
        << (current.count(e->id) ? "" : " <span class=\"note\">(superseded)</span>") << "</td>" << Cell(e->name)
        << "<td>" << summary.verdict << "</td><td class=\"num\">" << summary.findings[4] << ", " << summary.findings[3]
        << ", " << summary.findings[2] << ", " << summary.findings[1] << ", " << summary.findings[0] << "</td><td>"
        << Text(summary.summary);
    if (!summary.rules.empty()) {
      out << "<br>rules:";
      for (const auto& r : summary.rules) out << " <code>" << Esc(r) << "</code>";
    }
    out << "</td><td><code>" << Text(e->digest) << "</code></td><td>"
        << (e->log_index ? std::to_string(*e->log_index) : "\xE2\x80\x94") << "</td></tr>\n";
  }
  out << "</tbody></table>\n";
  out << "<h2 id=\"incidents\">Incidents</h2>\n";
  size_t incidents = 0;
  for (const auto& i : s.snapshot.incidents) {
    if (i.model != m.name) continue;
    if (incidents++ == 0) out << "<ul>";
    out << "<li><a href=\"../incidents.html#incident-" << i.id << "\">#" << i.id << " " << Esc(i.title) << "</a> "
        << SeverityBadge(i.severity) << " " << (i.open ? "open" : "closed") << "</li>";
  }
  out << (incidents ? "</ul>\n" : "<p>None.</p>\n");
  return out.str();
}

// --- controls.html -----------------------------------------------------------------------------------------

bool Has(const std::vector<ControlRef>& refs, std::string_view framework, std::string_view control) {
  return std::any_of(refs.begin(), refs.end(),
                     [&](const ControlRef& r) { return r.framework == framework && r.control == control; });
}

std::string ControlsPage(const Site& s) {
  // What each evidence item gives evidence for: its kind's controls and its rules' controls.
  std::vector<std::vector<ControlRef>> covers(s.snapshot.evidence.size());
  for (size_t i = 0; i < s.snapshot.evidence.size(); ++i) {
    const Evidence& e = s.snapshot.evidence[i];
    covers[i] = s.catalog.ForEvidence(e.kind);
    for (const auto& rule : ReadEvidenceSummary(e.summary_json).rules) {
      auto refs = s.catalog.ForRule(rule);
      covers[i].insert(covers[i].end(), refs.begin(), refs.end());
    }
  }
  std::ostringstream out;
  out << "<p>For each framework's controls: the evidence kinds and finding rules modelguard maps to it (the "
         "control mapping), and the evidence on record for models in service. A control with evidence is "
         "covered by at least one check; whether the check passed is on the model's page.</p>\n";
  if (s.catalog.frameworks.empty()) out << "<p>The control mapping lists no framework.</p>\n";
  for (size_t f = 0; f < s.catalog.frameworks.size(); ++f) {
    const Framework& fw = s.catalog.frameworks[f];
    std::ostringstream rows;
    size_t covered = 0;
    for (const auto& [control, title] : fw.controls) {
      std::vector<std::string> kinds, rules;
      for (const auto& [kind, refs] : s.catalog.evidence)
        if (Has(refs, fw.id, control)) kinds.push_back(kind);
      for (const auto& [rule, refs] : s.catalog.rules)
        if (Has(refs, fw.id, control)) rules.push_back(rule);
      size_t items = 0;
      std::set<std::string> models;
      const Evidence* newest = nullptr;
      for (size_t i = 0; i < s.snapshot.evidence.size(); ++i) {
        const Evidence& e = s.snapshot.evidence[i];
        auto it = s.model_index.find(e.model);
        if (it == s.model_index.end() || !s.InService(s.snapshot.models[it->second])) continue;
        if (!Has(covers[i], fw.id, control)) continue;
        ++items;
        models.insert(e.model);
        if (newest == nullptr || EvidenceTime(e) > EvidenceTime(*newest)) newest = &e;
      }
      covered += items != 0;
      rows << "<tr data-control=\"" << Esc(control) << "\" data-covered=\"" << (items ? "yes" : "no")
           << "\"><th scope=\"row\"><code>" << Esc(control) << "</code></th>" << Cell(title) << "<td>";
      for (const auto& k : kinds) rows << "<code>" << Esc(k) << "</code><br>";
      rows << (kinds.empty() ? "\xE2\x80\x94" : "") << "</td><td>";
      for (const auto& r : rules) rows << "<code>" << Esc(r) << "</code><br>";
      rows << (rules.empty() ? "\xE2\x80\x94" : "") << "</td><td>" << (items ? "covered" : "not covered") << "</td>"
           << NumCell(items) << "<td>";
      size_t shown = 0;
      for (const auto& model : models) rows << (shown++ ? ", " : "") << s.ModelLink("", model);
      rows << (models.empty() ? "\xE2\x80\x94" : "") << "</td><td>"
           << (newest ? s.EvidenceLink("", newest->id, "") : "\xE2\x80\x94") << "</td></tr>\n";
    }
    out << "<h2 id=\"framework-" << f << "\">" << Esc(fw.name.empty() ? fw.id : fw.name)
        << "</h2>\n<p>Source: " << Text(fw.source) << ". " << covered << " of " << fw.controls.size()
        << " controls have evidence on record.</p>\n<table class=\"sortable controls\" id=\"controls-" << f
        << "\" data-framework=\"" << Esc(fw.id) << "\"><caption>" << Esc(fw.id) << ": coverage of "
        << fw.controls.size() << " controls</caption>\n<thead><tr><th scope=\"col\">Control</th>"
        << "<th scope=\"col\">Title</th><th scope=\"col\">Evidence kinds</th><th scope=\"col\">Rules</th>"
        << "<th scope=\"col\">Coverage</th><th scope=\"col\" class=\"num\">Evidence items</th>"
        << "<th scope=\"col\">Models</th><th scope=\"col\">Newest</th></tr></thead>\n<tbody>\n"
        << rows.str() << "</tbody></table>\n";
  }
  return out.str();
}

// --- reviews.html ------------------------------------------------------------------------------------------

std::string DaysText(int64_t from, int64_t to) {
  const int64_t days = (to - from) / kDay;
  return std::to_string(days) + (days == 1 ? " day" : " days");
}

std::string ReviewsPage(const Site& s) {
  std::ostringstream reviews, assessments, vendors;
  size_t overdue_reviews = 0, overdue_assessments = 0, overdue_vendors = 0;
  for (size_t i = 0; i < s.snapshot.models.size(); ++i) {
    const Model& m = s.snapshot.models[i];
    if (!s.InService(m)) continue;
    const ReviewState r = ReviewOf(m, s.now);
    overdue_reviews += r.overdue;
    reviews << "<tr data-model=\"" << Esc(m.name) << "\" data-overdue=\"" << (r.overdue ? "yes" : "no")
            << "\"><th scope=\"row\">" << s.ModelLink("", m.name) << "</th>" << Cell(m.last_review)
            << NumCell(static_cast<uint64_t>(std::max(0, m.review_months))) << TimeCell(r.due ? *r.due : 0) << "<td>"
            << (!r.due      ? "overdue: never reviewed"
                : r.overdue ? "overdue by " + DaysText(*r.due, s.now)
                            : "due in " + DaysText(s.now, *r.due))
            << "</td></tr>\n";
    const ChecklistAnswer& a = s.checklist.models[i].answers[2];
    const Evidence* latest = LatestEvidence(s.snapshot, m.name, {kAssessKind, kRedteamKind});
    overdue_assessments += a.answer == Answer::kNo;
    assessments << "<tr data-model=\"" << Esc(m.name) << "\" data-overdue=\""
                << (a.answer == Answer::kNo ? "yes" : "no") << "\"><th scope=\"row\">" << s.ModelLink("", m.name)
                << "</th><td>" << (latest ? s.EvidenceLink("", latest->id, "") : "none") << "</td>"
                << NumCell(static_cast<uint64_t>(ReviewMonthsOf(m, s.settings))) << "<td>" << AnswerBadge(a.answer)
                << " " << Esc(a.reason) << "</td></tr>\n";
    const ChecklistAnswer& v = s.checklist.models[i].answers[6];
    if (v.answer == Answer::kNotApplicable) continue;
    overdue_vendors += v.answer == Answer::kNo;
    vendors << "<tr data-model=\"" << Esc(m.name) << "\" data-overdue=\"" << (v.answer == Answer::kNo ? "yes" : "no")
            << "\"><th scope=\"row\">" << s.ModelLink("", m.name) << "</th>" << Cell(m.vendor) << Cell(m.vendor_audited)
            << "<td>" << AnswerBadge(v.answer) << " " << Esc(v.reason) << "</td></tr>\n";
  }
  std::ostringstream out;
  out << "<p>Models in service only. Periods: reviews every model's own <q>review months</q>; assessments the "
         "same; vendor audits every "
      << s.settings.vendor_audit_months << " months.</p>\n";
  out << "<h2 id=\"reviews\">Reviews</h2>\n<table id=\"reviews-table\" class=\"sortable\"><caption>"
      << Many(overdue_reviews, "overdue review", "overdue reviews")
      << "</caption>\n<thead><tr><th scope=\"col\">Model</th>"
      << "<th scope=\"col\">Last review</th><th scope=\"col\" class=\"num\">Every (months)</th>"
      << "<th scope=\"col\">Due</th><th scope=\"col\">Status</th></tr></thead>\n<tbody>\n"
      << reviews.str() << "</tbody></table>\n";
  out << "<h2 id=\"assessments\">Security assessments</h2>\n<table id=\"assessments-table\" class=\"sortable\">"
      << "<caption>" << Many(overdue_assessments, "model", "models")
      << " without an assessment in the period</caption>\n<thead><tr>"
      << "<th scope=\"col\">Model</th><th scope=\"col\">Latest assessment or red-team run</th>"
      << "<th scope=\"col\" class=\"num\">Period (months)</th><th scope=\"col\">Answer</th></tr></thead>\n<tbody>\n"
      << assessments.str() << "</tbody></table>\n";
  out << "<h2 id=\"vendors\">Vendor audits</h2>\n<table id=\"vendors-table\" class=\"sortable\"><caption>"
      << Many(overdue_vendors, "vendor", "vendors")
      << " without a recent audit</caption>\n<thead><tr><th scope=\"col\">Model</th>"
      << "<th scope=\"col\">Vendor</th><th scope=\"col\">Audited</th><th scope=\"col\">Answer</th></tr></thead>\n"
      << "<tbody>\n"
      << vendors.str() << "</tbody></table>\n";
  return out.str();
}

// --- incidents.html ----------------------------------------------------------------------------------------

std::string IncidentsPage(const Site& s) {
  std::ostringstream out;
  out << "<p>Incident response plan: " << Text(s.settings.incident_plan) << ".</p>\n";
  out << "<table id=\"incidents-table\" class=\"sortable\"><caption>"
      << Many(s.snapshot.incidents.size(), "incident", "incidents")
      << "</caption>\n<thead><tr><th scope=\"col\">Id</th><th scope=\"col\">Title</th>"
      << "<th scope=\"col\">Severity</th><th scope=\"col\">Model</th><th scope=\"col\">Status</th>"
      << "<th scope=\"col\">Opened</th><th scope=\"col\">Closed</th></tr></thead>\n<tbody>\n";
  for (const auto& i : s.snapshot.incidents)
    out << "<tr data-status=\"" << (i.open ? "open" : "closed") << "\"><th scope=\"row\" data-sort=\"" << i.id
        << "\"><a href=\"#incident-" << i.id << "\">#" << i.id << "</a></th>" << Cell(i.title) << "<td>"
        << SeverityBadge(i.severity) << "</td><td>" << (i.model.empty() ? "\xE2\x80\x94" : s.ModelLink("", i.model))
        << "</td><td>" << (i.open ? "open" : "closed") << "</td>" << TimeCell(i.opened) << TimeCell(i.closed)
        << "</tr>\n";
  out << "</tbody></table>\n";
  for (const auto& i : s.snapshot.incidents) {
    out << "<section aria-labelledby=\"incident-" << i.id << "\"><h2 id=\"incident-" << i.id << "\">#" << i.id << " "
        << Esc(i.title) << "</h2>\n<p>" << SeverityBadge(i.severity) << " " << (i.open ? "open" : "closed")
        << (i.model.empty() ? std::string() : "; model " + s.ModelLink("", i.model)) << ".</p>\n"
        << "<table class=\"timeline\"><caption>Timeline of incident #" << i.id << "</caption>\n<thead><tr>"
        << "<th scope=\"col\">Time</th><th scope=\"col\">Event</th><th scope=\"col\">Text</th>"
        << "<th scope=\"col\">Author</th></tr></thead>\n<tbody>\n";
    for (const auto& ev : i.timeline)
      out << "<tr><td>" << (ev.time ? Iso8601Utc(ev.time) : "\xE2\x80\x94") << "</td>" << Cell(ev.kind) << Cell(ev.text)
          << Cell(ev.author) << "</tr>\n";
    out << "</tbody></table>\n</section>\n";
  }
  return out.str();
}

std::string Frame(const Site& s, std::string_view root, std::string_view file, std::string_view title,
                  const std::string& body) {
  return site::Page({root, file, title, s.settings.organisation, s.now}, body);
}

}  // namespace

std::string ModelPageName(std::string_view model) {
  std::string slug;
  for (char ch : model) {
    if (slug.size() == kMaxSlug) break;
    const auto c = static_cast<unsigned char>(ch);
    const bool keep = c < 0x80 && (std::isalnum(c) || ch == '_' || ch == '-' || ch == '.');
    // Nothing may start with '.' or '-' (hidden files, options), so leading ones are dropped; ".." cannot
    // form either, since a '.' never follows a '.'.
    if (keep && (ch == '.' || ch == '-') && (slug.empty() || slug.back() == '.' || slug.back() == '-')) continue;
    if (keep) {
      slug += static_cast<char>(std::tolower(c));
    } else if (!slug.empty() && slug.back() != '-' && slug.back() != '.') {
      slug += '-';
    }
  }
  if (slug.empty()) slug = "model";
  return "models/" + slug + "-" + Sha256Hex(model).substr(0, 8) + ".html";
}

std::vector<std::string> SiteFileNames(const Snapshot& snapshot) {
  std::vector<std::string> names = {"index.html",   "inventory.html", "shadow.html",   "controls.html",
                                    "reviews.html", "incidents.html", "checklist.json"};
  std::set<std::string> pages;
  for (const auto& m : snapshot.models)
    if (std::string page = ModelPageName(m.name); pages.insert(page).second) names.push_back(std::move(page));
  return names;
}

std::vector<std::pair<std::string, std::string>> RenderSite(const Snapshot& snapshot, const ControlCatalog& catalog,
                                                            const SiteOptions& options) {
  Site s{snapshot, catalog, options.now, ReadSettings(snapshot), EvaluateChecklist(snapshot, options.now), {}, {}};
  for (size_t i = 0; i < snapshot.models.size(); ++i) s.model_index.emplace(snapshot.models[i].name, i);
  for (const auto& e : snapshot.evidence) s.evidence_by_id.emplace(e.id, &e);
  std::vector<std::pair<std::string, std::string>> files;
  files.emplace_back("index.html", Frame(s, "", "index.html", "AI governance overview", IndexPage(s)));
  files.emplace_back("inventory.html", Frame(s, "", "inventory.html", "Inventory", InventoryPage(s)));
  files.emplace_back("shadow.html", Frame(s, "", "shadow.html", "Shadow AI", ShadowPage(s)));
  files.emplace_back("controls.html", Frame(s, "", "controls.html", "Control coverage", ControlsPage(s)));
  files.emplace_back("reviews.html",
                     Frame(s, "", "reviews.html", "Overdue reviews, assessments and vendor audits", ReviewsPage(s)));
  files.emplace_back("incidents.html", Frame(s, "", "incidents.html", "Incidents", IncidentsPage(s)));
  files.emplace_back("checklist.json", ChecklistToJson(s.checklist) + "\n");
  std::set<std::string> pages;
  for (size_t i = 0; i < snapshot.models.size(); ++i) {
    std::string page = ModelPageName(snapshot.models[i].name);
    if (!pages.insert(page).second) continue;  // the same name twice (a store would refuse it)
    files.emplace_back(std::move(page), Frame(s, "../", "", "Model " + snapshot.models[i].name, ModelPage(s, i)));
  }
  return files;
}

Status WriteSite(const Snapshot& snapshot, const ControlCatalog& catalog, const std::string& out_dir,
                 const SiteOptions& options) {
  namespace fs = std::filesystem;
  if (out_dir.empty()) return MakeError(ErrorCode::kInvalidArgument, "the site needs an output folder");
  for (const std::string& dir : {out_dir, out_dir + "/models"}) {
    std::error_code ec;
    const auto status = fs::status(dir, ec);
    if (fs::exists(status)) {
      if (!fs::is_directory(status))
        return MakeError(ErrorCode::kIo, dir + ": exists and is not a folder; give a folder for the site");
      continue;
    }
    fs::create_directories(dir, ec);
    if (ec) return MakeError(ErrorCode::kIo, dir + ": cannot create the site's folder: " + ec.message());
  }
  for (const auto& [name, content] : RenderSite(snapshot, catalog, options))
    MG_TRY(WriteFileAtomic(out_dir + "/" + name, content));
  return Ok{};
}

}  // namespace modelguard::governance
