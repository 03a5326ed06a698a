// The snapshot's JSON form (modelguard.governance-snapshot/v1) and the checklist's. Reading is strict: every
// member's type is checked, members the schema does not know are refused (a misspelt "busines_owner" in a
// hand-written file would otherwise vanish), and errors name the member's path. Times are written as UTC ISO
// 8601 text and read from that, from a date (YYYY-MM-DD) or from an integer of Unix seconds; a time of 0
// (unset) is left out.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <set>

#include "modelguard/core/json_fields.h"
#include "modelguard/core/number_text.h"
#include "modelguard/governance/report.h"

namespace modelguard::governance {
namespace {

constexpr std::string_view kSnapshotSchema = "modelguard.governance-snapshot/v1";
constexpr std::string_view kChecklistSchema = "modelguard.governance-checklist/v1";

using ordered_json = nlohmann::ordered_json;

std::string Dump(const ordered_json& doc, int indent) {
  // Strings from the database need not be UTF-8; dump() would throw on them.
  return doc.dump(indent, ' ', false, ordered_json::error_handler_t::replace);
}

void PutTime(ordered_json& object, const char* key, int64_t time) {
  if (time > 0) {
    object[key] = Iso8601Utc(time);
  } else if (time < 0) {
    object[key] = time;
  }
}
void PutString(ordered_json& object, const char* key, const std::string& value) {
  if (!value.empty()) object[key] = value;
}

// --- reading ---------------------------------------------------------------------------------------------

Status OnlyKeys(const JsonField& object, std::initializer_list<std::string_view> keys) {
  for (const auto& [key, value] : object.json().items()) {
    if (std::find(keys.begin(), keys.end(), key) == keys.end()) {
      const std::string where = object.path().empty() ? "" : object.path() + ": ";
      return MakeError(ErrorCode::kParse, where + "unknown member \"" + key + "\" (" + std::string(kSnapshotSchema) +
                                              " does not have it)");
    }
  }
  return Ok{};
}

Result<int64_t> TimeOr(const JsonField& object, std::string_view key) {
  MG_ASSIGN_OR_RETURN(auto field, object.Find(key));
  if (!field) return int64_t{0};
  const nlohmann::json& value = field->json();
  if (value.is_number_integer()) return value.get<int64_t>();
  if (value.is_string()) {
    if (auto time = ParseTime(value.get_ref<const std::string&>())) return *time;
    return MakeError(ErrorCode::kParse, field->path() +
                                            ": expected a time as YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ, got \"" +
                                            value.get<std::string>() + "\"");
  }
  return field->TypeError("time (ISO 8601 string or integer seconds)");
}

Result<std::vector<std::string>> StringsOr(const JsonField& object, std::string_view key) {
  MG_ASSIGN_OR_RETURN(auto elements, object.ElementsOr(key));
  std::vector<std::string> out;
  for (const auto& element : elements) {
    MG_ASSIGN_OR_RETURN(auto text, element.String());
    out.push_back(std::move(text));
  }
  return out;
}

Result<Model> ReadModel(const JsonField& field) {
  MG_ASSIGN_OR_RETURN(auto o, field.Object());
  MG_TRY(OnlyKeys(o, {"name", "version", "kind", "business_owner", "security_owner", "intended_use", "risk_tier",
                      "criticality", "data_sources", "vendor", "vendor_audited", "review_months", "last_review",
                      "registered", "updated", "retired", "identifiers"}));
  Model m;
  MG_ASSIGN_OR_RETURN(auto name, o.At("name"));
  MG_ASSIGN_OR_RETURN(m.name, name.String());
  if (m.name.empty()) return MakeError(ErrorCode::kParse, name.path() + ": a model needs a name");
  MG_ASSIGN_OR_RETURN(m.version, o.StringOr("version", ""));
  MG_ASSIGN_OR_RETURN(m.kind, o.StringOr("kind", "ml"));
  MG_ASSIGN_OR_RETURN(m.business_owner, o.StringOr("business_owner", ""));
  MG_ASSIGN_OR_RETURN(m.security_owner, o.StringOr("security_owner", ""));
  MG_ASSIGN_OR_RETURN(m.intended_use, o.StringOr("intended_use", ""));
  MG_ASSIGN_OR_RETURN(m.risk_tier, o.StringOr("risk_tier", ""));
  MG_ASSIGN_OR_RETURN(m.criticality, o.StringOr("criticality", ""));
  MG_ASSIGN_OR_RETURN(m.data_sources, StringsOr(o, "data_sources"));
  MG_ASSIGN_OR_RETURN(m.vendor, o.StringOr("vendor", ""));
  MG_ASSIGN_OR_RETURN(m.vendor_audited, o.StringOr("vendor_audited", ""));
  MG_ASSIGN_OR_RETURN(const uint64_t months, o.UnsignedOr("review_months", kDefaultAssessmentMonths));
  if (months > kMaxMonths)
    return MakeError(ErrorCode::kParse, o.path() + ".review_months: at most " + std::to_string(kMaxMonths) + ", got " +
                                            std::to_string(months));
  m.review_months = static_cast<int>(months);
  MG_ASSIGN_OR_RETURN(m.last_review, o.StringOr("last_review", ""));
  MG_ASSIGN_OR_RETURN(m.registered, TimeOr(o, "registered"));
  MG_ASSIGN_OR_RETURN(m.updated, TimeOr(o, "updated"));
  MG_ASSIGN_OR_RETURN(m.retired, TimeOr(o, "retired"));
  MG_ASSIGN_OR_RETURN(auto identifiers, o.ElementsOr("identifiers"));
  for (const auto& element : identifiers) {
    MG_ASSIGN_OR_RETURN(auto id, element.Object());
    MG_TRY(OnlyKeys(id, {"kind", "value"}));
    Identifier identifier;
    MG_ASSIGN_OR_RETURN(auto kind, id.At("kind"));
    MG_ASSIGN_OR_RETURN(identifier.kind, kind.String());
    MG_ASSIGN_OR_RETURN(auto value, id.At("value"));
    MG_ASSIGN_OR_RETURN(identifier.value, value.String());
    m.identifiers.push_back(std::move(identifier));
  }
  return m;
}

Result<Asset> ReadAsset(const JsonField& field) {
  MG_ASSIGN_OR_RETURN(auto o, field.Object());
  MG_TRY(OnlyKeys(o, {"kind", "root", "file", "line", "value", "detail", "digest", "size", "signature", "bom",
                      "first_seen", "last_seen", "gone", "registered_as"}));
  Asset a;
  MG_ASSIGN_OR_RETURN(auto kind, o.At("kind"));
  MG_ASSIGN_OR_RETURN(a.kind, kind.String());
  MG_ASSIGN_OR_RETURN(a.root, o.StringOr("root", ""));
  MG_ASSIGN_OR_RETURN(a.file, o.StringOr("file", ""));
  MG_ASSIGN_OR_RETURN(a.line, o.UnsignedOr("line", 0));
  MG_ASSIGN_OR_RETURN(a.value, o.StringOr("value", ""));
  MG_ASSIGN_OR_RETURN(a.detail, o.StringOr("detail", ""));
  MG_ASSIGN_OR_RETURN(a.digest, o.StringOr("digest", ""));
  MG_ASSIGN_OR_RETURN(a.size, o.UnsignedOr("size", 0));
  MG_ASSIGN_OR_RETURN(a.signature, o.BoolOr("signature", false));
  MG_ASSIGN_OR_RETURN(a.bom, o.BoolOr("bom", false));
  MG_ASSIGN_OR_RETURN(a.first_seen, TimeOr(o, "first_seen"));
  MG_ASSIGN_OR_RETURN(a.last_seen, TimeOr(o, "last_seen"));
  MG_ASSIGN_OR_RETURN(a.gone, o.BoolOr("gone", false));
  MG_ASSIGN_OR_RETURN(a.registered_as, o.StringOr("registered_as", ""));
  return a;
}

Result<Evidence> ReadEvidence(const JsonField& field) {
  MG_ASSIGN_OR_RETURN(auto o, field.Object());
  MG_TRY(OnlyKeys(o, {"id", "model", "kind", "name", "digest", "time", "produced", "summary", "log_index"}));
  Evidence e;
  MG_ASSIGN_OR_RETURN(auto id, o.At("id"));
  MG_ASSIGN_OR_RETURN(e.id, id.Unsigned());
  MG_ASSIGN_OR_RETURN(auto model, o.At("model"));
  MG_ASSIGN_OR_RETURN(e.model, model.String());
  MG_ASSIGN_OR_RETURN(auto kind, o.At("kind"));
  MG_ASSIGN_OR_RETURN(e.kind, kind.String());
  MG_ASSIGN_OR_RETURN(e.name, o.StringOr("name", ""));
  MG_ASSIGN_OR_RETURN(e.digest, o.StringOr("digest", ""));
  MG_ASSIGN_OR_RETURN(e.time, TimeOr(o, "time"));
  MG_ASSIGN_OR_RETURN(e.produced, TimeOr(o, "produced"));
  MG_ASSIGN_OR_RETURN(auto summary, o.Find("summary"));
  if (summary) {
    if (summary->json().is_object()) {
      e.summary_json = summary->json().dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    } else {
      MG_ASSIGN_OR_RETURN(e.summary_json, summary->String());
    }
  }
  MG_ASSIGN_OR_RETURN(auto log_index, o.Find("log_index"));
  if (log_index) {
    MG_ASSIGN_OR_RETURN(e.log_index, log_index->Unsigned());
  }
  return e;
}

Result<Incident> ReadIncident(const JsonField& field) {
  MG_ASSIGN_OR_RETURN(auto o, field.Object());
  MG_TRY(OnlyKeys(o, {"id", "model", "title", "severity", "open", "opened", "closed", "timeline"}));
  Incident incident;
  MG_ASSIGN_OR_RETURN(auto id, o.At("id"));
  MG_ASSIGN_OR_RETURN(incident.id, id.Unsigned());
  MG_ASSIGN_OR_RETURN(incident.model, o.StringOr("model", ""));
  MG_ASSIGN_OR_RETURN(incident.title, o.StringOr("title", ""));
  MG_ASSIGN_OR_RETURN(incident.severity, o.StringOr("severity", ""));
  MG_ASSIGN_OR_RETURN(incident.open, o.BoolOr("open", true));
  MG_ASSIGN_OR_RETURN(incident.opened, TimeOr(o, "opened"));
  MG_ASSIGN_OR_RETURN(incident.closed, TimeOr(o, "closed"));
  MG_ASSIGN_OR_RETURN(auto timeline, o.ElementsOr("timeline"));
  for (const auto& element : timeline) {
    MG_ASSIGN_OR_RETURN(auto ev, element.Object());
    MG_TRY(OnlyKeys(ev, {"time", "kind", "text", "author"}));
    IncidentEvent event;
    MG_ASSIGN_OR_RETURN(event.time, TimeOr(ev, "time"));
    MG_ASSIGN_OR_RETURN(event.kind, ev.StringOr("kind", "note"));
    MG_ASSIGN_OR_RETURN(event.text, ev.StringOr("text", ""));
    MG_ASSIGN_OR_RETURN(event.author, ev.StringOr("author", ""));
    incident.timeline.push_back(std::move(event));
  }
  return incident;
}

Result<DiscoveryRun> ReadRun(const JsonField& field) {
  MG_ASSIGN_OR_RETURN(auto o, field.Object());
  MG_TRY(OnlyKeys(o, {"id", "root", "started", "finished", "files", "read", "assets"}));
  DiscoveryRun run;
  MG_ASSIGN_OR_RETURN(run.id, o.UnsignedOr("id", 0));
  MG_ASSIGN_OR_RETURN(auto root, o.At("root"));
  MG_ASSIGN_OR_RETURN(run.root, root.String());
  MG_ASSIGN_OR_RETURN(run.started, TimeOr(o, "started"));
  MG_ASSIGN_OR_RETURN(run.finished, TimeOr(o, "finished"));
  MG_ASSIGN_OR_RETURN(run.files, o.UnsignedOr("files", 0));
  MG_ASSIGN_OR_RETURN(run.read, o.UnsignedOr("read", 0));
  MG_ASSIGN_OR_RETURN(run.assets, o.UnsignedOr("assets", 0));
  return run;
}

template <typename T>
Status ReadList(const JsonField& doc, std::string_view key, Result<T> (*read)(const JsonField&), std::vector<T>& out) {
  MG_ASSIGN_OR_RETURN(auto elements, doc.ElementsOr(key));
  for (const auto& element : elements) {
    MG_ASSIGN_OR_RETURN(auto item, read(element));
    out.push_back(std::move(item));
  }
  return Ok{};
}

ordered_json AnswerJson(const ChecklistAnswer& a) {
  std::string text;
  for (const auto& q : ChecklistQuestions())
    if (a.question == q.id) text = q.text;
  ordered_json missing = ordered_json::array();
  for (const auto& item : a.missing) missing.push_back(item);
  return ordered_json{{"question", a.question}, {"text", text},           {"answer", ToString(a.answer)},
                      {"reason", a.reason},     {"evidence", a.evidence}, {"missing", missing}};
}

}  // namespace

std::string ChecklistToJson(const Checklist& checklist) {
  ordered_json organisation = ordered_json::array(), models = ordered_json::array();
  for (const auto& a : checklist.organisation) organisation.push_back(AnswerJson(a));
  for (const auto& m : checklist.models) {
    ordered_json answers = ordered_json::array();
    for (const auto& a : m.answers) answers.push_back(AnswerJson(a));
    models.push_back(ordered_json{{"model", m.model}, {"answers", answers}});
  }
  ordered_json doc{{"schema", kChecklistSchema},
                   {"now", Iso8601Utc(checklist.now)},
                   {"organisation", organisation},
                   {"models", models}};
  return Dump(doc, -1);
}

std::string SnapshotToJson(const Snapshot& snapshot) {
  ordered_json doc{{"schema", kSnapshotSchema}};
  PutTime(doc, "taken", snapshot.taken);
  ordered_json settings = ordered_json::object();
  // By key, as they read back (JSON objects have no order; the parser sorts them).
  auto sorted = snapshot.settings;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
  for (const auto& [key, value] : sorted) settings[key] = value;
  doc["settings"] = settings;
  ordered_json models = ordered_json::array();
  for (const auto& m : snapshot.models) {
    ordered_json j{{"name", m.name}};
    PutString(j, "version", m.version);
    j["kind"] = m.kind;
    PutString(j, "business_owner", m.business_owner);
    PutString(j, "security_owner", m.security_owner);
    PutString(j, "intended_use", m.intended_use);
    PutString(j, "risk_tier", m.risk_tier);
    PutString(j, "criticality", m.criticality);
    if (!m.data_sources.empty()) j["data_sources"] = m.data_sources;
    PutString(j, "vendor", m.vendor);
    PutString(j, "vendor_audited", m.vendor_audited);
    j["review_months"] = std::max(0, m.review_months);
    PutString(j, "last_review", m.last_review);
    PutTime(j, "registered", m.registered);
    PutTime(j, "updated", m.updated);
    PutTime(j, "retired", m.retired);
    ordered_json identifiers = ordered_json::array();
    for (const auto& id : m.identifiers) identifiers.push_back(ordered_json{{"kind", id.kind}, {"value", id.value}});
    j["identifiers"] = identifiers;
    models.push_back(std::move(j));
  }
  doc["models"] = models;
  ordered_json assets = ordered_json::array();
  for (const auto& a : snapshot.assets) {
    ordered_json j{{"kind", a.kind}, {"root", a.root}, {"file", a.file}};
    if (a.line != 0) j["line"] = a.line;
    j["value"] = a.value;
    PutString(j, "detail", a.detail);
    PutString(j, "digest", a.digest);
    if (a.size != 0) j["size"] = a.size;
    if (a.signature) j["signature"] = true;
    if (a.bom) j["bom"] = true;
    PutTime(j, "first_seen", a.first_seen);
    PutTime(j, "last_seen", a.last_seen);
    if (a.gone) j["gone"] = true;
    PutString(j, "registered_as", a.registered_as);
    assets.push_back(std::move(j));
  }
  doc["assets"] = assets;
  ordered_json evidence = ordered_json::array();
  for (const auto& e : snapshot.evidence) {
    ordered_json j{{"id", e.id}, {"model", e.model}, {"kind", e.kind}};
    PutString(j, "name", e.name);
    PutString(j, "digest", e.digest);
    PutTime(j, "time", e.time);
    PutTime(j, "produced", e.produced);
    if (!e.summary_json.empty()) {
      auto parsed = ParseJsonWithinLimits(e.summary_json);
      if (parsed && parsed->is_object()) {
        j["summary"] =
            ordered_json::parse(parsed->dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), nullptr, false);
      } else {
        j["summary"] = e.summary_json;
      }
    }
    if (e.log_index) j["log_index"] = *e.log_index;
    evidence.push_back(std::move(j));
  }
  doc["evidence"] = evidence;
  ordered_json incidents = ordered_json::array();
  for (const auto& incident : snapshot.incidents) {
    ordered_json j{{"id", incident.id}};
    PutString(j, "model", incident.model);
    j["title"] = incident.title;
    j["severity"] = incident.severity;
    j["open"] = incident.open;
    PutTime(j, "opened", incident.opened);
    PutTime(j, "closed", incident.closed);
    ordered_json timeline = ordered_json::array();
    for (const auto& event : incident.timeline) {
      ordered_json ev = ordered_json::object();
      PutTime(ev, "time", event.time);
      ev["kind"] = event.kind;
      ev["text"] = event.text;
      PutString(ev, "author", event.author);
      timeline.push_back(std::move(ev));
    }
    j["timeline"] = timeline;
    incidents.push_back(std::move(j));
  }
  doc["incidents"] = incidents;
  ordered_json runs = ordered_json::array();
  for (const auto& run : snapshot.runs) {
    ordered_json j{{"id", run.id}, {"root", run.root}};
    PutTime(j, "started", run.started);
    PutTime(j, "finished", run.finished);
    j["files"] = run.files;
    j["read"] = run.read;
    j["assets"] = run.assets;
    runs.push_back(std::move(j));
  }
  doc["runs"] = runs;
  return Dump(doc, 2) + "\n";
}

Result<Snapshot> SnapshotFromJson(std::string_view json_text) {
  if (json_text.size() > kMaxSnapshotBytes)
    return MakeError(ErrorCode::kLimit, "snapshot: " + std::to_string(json_text.size()) + " bytes, more than the " +
                                            std::to_string(kMaxSnapshotBytes) + " a snapshot may have");
  MG_ASSIGN_OR_RETURN_CONTEXT(const nlohmann::json parsed, ParseJsonWithinLimits(json_text), "snapshot: ");
  const JsonField root(parsed);
  auto read = [&]() -> Result<Snapshot> {
    MG_ASSIGN_OR_RETURN(auto doc, root.Object());
    MG_TRY(OnlyKeys(doc, {"schema", "taken", "settings", "models", "assets", "evidence", "incidents", "runs"}));
    MG_ASSIGN_OR_RETURN(auto schema_field, doc.At("schema"));
    MG_ASSIGN_OR_RETURN(const std::string schema, schema_field.String());
    if (schema != kSnapshotSchema)
      return MakeError(ErrorCode::kParse,
                       "schema: expected \"" + std::string(kSnapshotSchema) + "\", got \"" + schema + "\"");
    Snapshot s;
    MG_ASSIGN_OR_RETURN(s.taken, TimeOr(doc, "taken"));
    MG_ASSIGN_OR_RETURN(auto settings, doc.ObjectOr("settings"));
    for (const auto& [key, value] : settings.json().items()) {
      if (!value.is_string()) return JsonField(value, settings.path() + "." + key).TypeError("string");
      s.settings.emplace_back(key, value.get<std::string>());
    }
    MG_TRY(ReadList<Model>(doc, "models", &ReadModel, s.models));
    MG_TRY(ReadList<Asset>(doc, "assets", &ReadAsset, s.assets));
    MG_TRY(ReadList<Evidence>(doc, "evidence", &ReadEvidence, s.evidence));
    MG_TRY(ReadList<Incident>(doc, "incidents", &ReadIncident, s.incidents));
    MG_TRY(ReadList<DiscoveryRun>(doc, "runs", &ReadRun, s.runs));
    // Names and ids are keys: pages and links are made from them.
    std::set<std::string_view> names;
    for (size_t i = 0; i < s.models.size(); ++i)
      if (!names.insert(s.models[i].name).second)
        return MakeError(ErrorCode::kParse,
                         "models[" + std::to_string(i) + "].name: \"" + s.models[i].name + "\" is registered twice");
    std::set<uint64_t> ids;
    for (size_t i = 0; i < s.evidence.size(); ++i)
      if (!ids.insert(s.evidence[i].id).second)
        return MakeError(ErrorCode::kParse, "evidence[" + std::to_string(i) +
                                                "].id: " + std::to_string(s.evidence[i].id) + " appears twice");
    ids.clear();
    for (size_t i = 0; i < s.incidents.size(); ++i)
      if (!ids.insert(s.incidents[i].id).second)
        return MakeError(ErrorCode::kParse, "incidents[" + std::to_string(i) +
                                                "].id: " + std::to_string(s.incidents[i].id) + " appears twice");
    return s;
  };
  MG_ASSIGN_OR_RETURN_CONTEXT(Snapshot snapshot, read(), "snapshot: ");
  return snapshot;
}

}  // namespace modelguard::governance
