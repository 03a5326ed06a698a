// The governance tables and every operation on them, written once for SQLite and PostgreSQL (sql.h).
// A model's register entry is kept as one JSON document beside its name, so adding a field to the register
// never needs a schema migration; everything queried by value (files, assets, evidence, incidents) has
// columns of its own.
#include <algorithm>
#include <nlohmann/json.hpp>
#include <unordered_map>

#include "modelguard/core/bytes.h"
#include "modelguard/governance/store.h"
#include "src/governance/store/sql.h"

namespace modelguard::governance {
namespace {

using json = nlohmann::json;

// BIGINT and TEXT mean the same to both databases; SQLite ignores the lengths PostgreSQL would want.
constexpr std::string_view kSchema = R"sql(
CREATE TABLE IF NOT EXISTS mg_gov_settings(key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mg_gov_files(path TEXT PRIMARY KEY, root TEXT NOT NULL, size BIGINT NOT NULL,
  mtime_ns BIGINT NOT NULL, model BIGINT NOT NULL);
CREATE INDEX IF NOT EXISTS mg_gov_files_root ON mg_gov_files(root);
CREATE TABLE IF NOT EXISTS mg_gov_assets(kind TEXT NOT NULL, root TEXT NOT NULL, file TEXT NOT NULL,
  line BIGINT NOT NULL, value TEXT NOT NULL, detail TEXT NOT NULL, digest TEXT NOT NULL, size BIGINT NOT NULL,
  signature BIGINT NOT NULL, bom BIGINT NOT NULL, first_seen BIGINT NOT NULL, last_seen BIGINT NOT NULL,
  gone BIGINT NOT NULL, PRIMARY KEY(kind, file, value, digest));
CREATE INDEX IF NOT EXISTS mg_gov_assets_file ON mg_gov_assets(file);
CREATE TABLE IF NOT EXISTS mg_gov_runs(root TEXT PRIMARY KEY, id BIGINT NOT NULL, started BIGINT NOT NULL,
  finished BIGINT NOT NULL, files BIGINT NOT NULL, read BIGINT NOT NULL, assets BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS mg_gov_models(name TEXT PRIMARY KEY, doc TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS mg_gov_evidence(id BIGINT PRIMARY KEY, model TEXT NOT NULL, kind TEXT NOT NULL,
  name TEXT NOT NULL, digest TEXT NOT NULL, time BIGINT NOT NULL, produced BIGINT NOT NULL, summary TEXT NOT NULL,
  log_index BIGINT, body TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS mg_gov_evidence_model ON mg_gov_evidence(model);
CREATE TABLE IF NOT EXISTS mg_gov_incidents(id BIGINT PRIMARY KEY, model TEXT NOT NULL, title TEXT NOT NULL,
  severity TEXT NOT NULL, open BIGINT NOT NULL, opened BIGINT NOT NULL, closed BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS mg_gov_incident_events(incident BIGINT NOT NULL, seq BIGINT NOT NULL,
  time BIGINT NOT NULL, kind TEXT NOT NULL, text TEXT NOT NULL, author TEXT NOT NULL, PRIMARY KEY(incident, seq));
)sql";

json ModelToJson(const Model& m) {
  json identifiers = json::array();
  for (const auto& id : m.identifiers) identifiers.push_back({{"kind", id.kind}, {"value", id.value}});
  return {{"name", m.name},
          {"version", m.version},
          {"kind", m.kind},
          {"business_owner", m.business_owner},
          {"security_owner", m.security_owner},
          {"intended_use", m.intended_use},
          {"risk_tier", m.risk_tier},
          {"criticality", m.criticality},
          {"data_sources", m.data_sources},
          {"vendor", m.vendor},
          {"vendor_audited", m.vendor_audited},
          {"review_months", m.review_months},
          {"last_review", m.last_review},
          {"registered", m.registered},
          {"updated", m.updated},
          {"retired", m.retired},
          {"identifiers", identifiers}};
}

// The document was written by ModelToJson; anything else in the table is reported, never guessed at.
Result<Model> ModelFromJson(std::string_view text) {
  const json doc = json::parse(text, nullptr, false);
  if (!doc.is_object()) return MakeError(ErrorCode::kParse, "governance database: a register entry is not JSON");
  Model m;
  const auto text_field = [&doc](const char* key, std::string& out) {
    if (auto it = doc.find(key); it != doc.end() && it->is_string()) out = it->get<std::string>();
  };
  const auto int_field = [&doc](const char* key, auto& out) {
    if (auto it = doc.find(key); it != doc.end() && it->is_number_integer())
      out = it->get<std::remove_reference_t<decltype(out)>>();
  };
  text_field("name", m.name);
  text_field("version", m.version);
  text_field("kind", m.kind);
  text_field("business_owner", m.business_owner);
  text_field("security_owner", m.security_owner);
  text_field("intended_use", m.intended_use);
  text_field("risk_tier", m.risk_tier);
  text_field("criticality", m.criticality);
  text_field("vendor", m.vendor);
  text_field("vendor_audited", m.vendor_audited);
  text_field("last_review", m.last_review);
  int_field("review_months", m.review_months);
  int_field("registered", m.registered);
  int_field("updated", m.updated);
  int_field("retired", m.retired);
  if (auto it = doc.find("data_sources"); it != doc.end() && it->is_array()) {
    for (const auto& source : *it)
      if (source.is_string()) m.data_sources.push_back(source.get<std::string>());
  }
  if (auto it = doc.find("identifiers"); it != doc.end() && it->is_array()) {
    for (const auto& id : *it) {
      if (!id.is_object() || !id.contains("kind") || !id.contains("value") || !id["kind"].is_string() ||
          !id["value"].is_string())
        return MakeError(ErrorCode::kParse,
                         "governance database: register entry '" + m.name + "' has a malformed identifier");
      m.identifiers.push_back({id["kind"].get<std::string>(), id["value"].get<std::string>()});
    }
  }
  if (m.name.empty()) return MakeError(ErrorCode::kParse, "governance database: a register entry has no name");
  return m;
}

constexpr std::string_view kAssetColumns =
    "kind, root, file, line, value, detail, digest, size, signature, bom, first_seen, last_seen, gone";

Result<Asset> AssetFromRow(const SqlRow& row) {
  if (row.size() < 13) return MakeError(ErrorCode::kParse, "governance database: short asset row");
  Asset a;
  a.kind = ToText(row[0]);
  a.root = ToText(row[1]);
  a.file = ToText(row[2]);
  MG_ASSIGN_OR_RETURN(const int64_t line, ToInt(row[3]));
  a.line = static_cast<uint64_t>(line);
  a.value = ToText(row[4]);
  a.detail = ToText(row[5]);
  a.digest = ToText(row[6]);
  MG_ASSIGN_OR_RETURN(const int64_t size, ToInt(row[7]));
  a.size = static_cast<uint64_t>(size);
  MG_ASSIGN_OR_RETURN(const int64_t signature, ToInt(row[8]));
  MG_ASSIGN_OR_RETURN(const int64_t bom, ToInt(row[9]));
  a.signature = signature != 0;
  a.bom = bom != 0;
  MG_ASSIGN_OR_RETURN(a.first_seen, ToInt(row[10]));
  MG_ASSIGN_OR_RETURN(a.last_seen, ToInt(row[11]));
  MG_ASSIGN_OR_RETURN(const int64_t gone, ToInt(row[12]));
  a.gone = gone != 0;
  return a;
}

constexpr std::string_view kEvidenceColumns = "id, model, kind, name, digest, time, produced, summary, log_index";

Result<Evidence> EvidenceFromRow(const SqlRow& row) {
  if (row.size() < 9) return MakeError(ErrorCode::kParse, "governance database: short evidence row");
  Evidence e;
  MG_ASSIGN_OR_RETURN(const int64_t id, ToInt(row[0]));
  e.id = static_cast<uint64_t>(id);
  e.model = ToText(row[1]);
  e.kind = ToText(row[2]);
  e.name = ToText(row[3]);
  e.digest = ToText(row[4]);
  MG_ASSIGN_OR_RETURN(e.time, ToInt(row[5]));
  MG_ASSIGN_OR_RETURN(e.produced, ToInt(row[6]));
  e.summary_json = ToText(row[7]);
  if (row[8]) {
    MG_ASSIGN_OR_RETURN(const int64_t index, ToInt(row[8]));
    e.log_index = static_cast<uint64_t>(index);
  }
  return e;
}

// The next id of a table, read inside the caller's write transaction.
Result<int64_t> NextId(SqlDatabase& db, std::string_view table) {
  MG_ASSIGN_OR_RETURN(auto rows, db.Query("SELECT COALESCE(MAX(id), 0) FROM " + std::string(table)));
  if (rows.empty() || rows[0].empty()) return MakeError(ErrorCode::kIo, "governance database: no maximum id");
  MG_ASSIGN_OR_RETURN(const int64_t max, ToInt(rows[0][0]));
  return max + 1;
}

bool UnderPath(std::string_view file, std::string_view prefix) {
  while (prefix.size() > 1 && prefix.back() == '/') prefix.remove_suffix(1);
  if (prefix.empty()) return false;
  if (!file.starts_with(prefix)) return false;
  return file.size() == prefix.size() || prefix == "/" || file[prefix.size()] == '/';
}

// Which register entry in service claims an asset: the first by name whose identifiers match (as Matches),
// found through an index per identifier kind instead of trying every model on every asset.
class OwnerIndex {
 public:
  explicit OwnerIndex(const std::vector<Model>& models) {
    for (size_t i = 0; i < models.size(); ++i) {
      if (models[i].retired != 0) continue;
      for (const Identifier& id : models[i].identifiers) {
        std::string value = id.value;
        if (id.kind == "path") {
          while (value.size() > 1 && value.back() == '/') value.pop_back();
          if (value.empty()) continue;
        }
        index_.try_emplace(id.kind + '\n' + value, i);  // models come by name: the first keeps the key
      }
    }
    names_.reserve(models.size());
    for (const Model& model : models) names_.push_back(model.name);
  }

  std::string OwnerOf(const Asset& asset) const {
    size_t best = names_.size();
    const auto consider = [&](const std::string& key) {
      if (auto found = index_.find(key); found != index_.end()) best = std::min(best, found->second);
    };
    if (!asset.digest.empty()) consider("digest\n" + asset.digest);
    if (asset.kind == "model-id" || asset.kind == "endpoint") consider(asset.kind + '\n' + asset.value);
    // Every directory above the file, up to the root.
    for (size_t slash = asset.file.rfind('/'); slash != std::string::npos && slash > 0;
         slash = asset.file.rfind('/', slash - 1)) {
      consider("path\n" + asset.file.substr(0, slash));
    }
    if (asset.file.starts_with("/")) consider("path\n/");
    if (!asset.file.empty()) consider("path\n" + asset.file);
    return best < names_.size() ? names_[best] : std::string();
  }

 private:
  std::unordered_map<std::string, size_t> index_;  // "kind\nvalue" -> the first model (by name) with it
  std::vector<std::string> names_;
};

}  // namespace

bool Matches(const Model& model, const Asset& asset) {
  for (const Identifier& id : model.identifiers) {
    if (id.kind == "digest" && !asset.digest.empty() && id.value == asset.digest) return true;
    if (id.kind == "model-id" && asset.kind == "model-id" && id.value == asset.value) return true;
    if (id.kind == "endpoint" && asset.kind == "endpoint" && id.value == asset.value) return true;
    if (id.kind == "path" && UnderPath(asset.file, id.value)) return true;
  }
  return false;
}

std::string ModelToJsonText(const Model& model) {
  return ModelToJson(model).dump(-1, ' ', false, json::error_handler_t::replace);
}

Store::~Store() = default;

Result<std::unique_ptr<Store>> Store::Open(const std::string& location, StoreOpen mode) {
  if (location.empty()) return MakeError(ErrorCode::kInvalidArgument, "no governance database given (--db)");
  std::unique_ptr<Store> store(new Store());
  store->location_ = location;
  if (IsPostgresLocation(location)) {
    MG_ASSIGN_OR_RETURN(store->db_, OpenPostgres(location));
  } else {
    MG_ASSIGN_OR_RETURN(store->db_, OpenSqlite(location, mode == StoreOpen::kCreate));
  }
  if (mode == StoreOpen::kCreate) {
    MG_TRY(store->CreateSchema());
  } else {
    // A database that is not ours is named as such, not read as an empty organisation.
    if (!store->db_->Query("SELECT COUNT(*) FROM mg_gov_models"))
      return MakeError(ErrorCode::kInvalidArgument,
                       "'" + location +
                           "' is not a modelguard governance database (run inventory discover or "
                           "register add first)");
  }
  return store;
}

Status Store::CreateSchema() {
  if (!db_->postgres()) MG_TRY(db_->Script("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"));
  MG_TRY_CONTEXT(db_->Script(kSchema), "'" + location_ + "' cannot hold the governance tables: ");
  return Ok{};
}

Status Store::SetSetting(const std::string& key, const std::string& value) {
  MG_TRY(db_->Query(
      "INSERT INTO mg_gov_settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      {key, value}));
  return Ok{};
}

Result<std::optional<std::string>> Store::Setting(const std::string& key) {
  MG_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT value FROM mg_gov_settings WHERE key = ?", {key}));
  if (rows.empty()) return std::optional<std::string>{};
  return std::optional<std::string>(ToText(rows[0][0]));
}

Status Store::AddModel(const Model& model) {
  return InTransaction(*db_, [&]() -> Status {
    MG_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT name FROM mg_gov_models WHERE name = ?", {model.name}));
    if (!rows.empty())
      return MakeError(ErrorCode::kInvalidArgument,
                       "model '" + model.name + "' is registered already (change it with register set)");
    MG_TRY(db_->Query("INSERT INTO mg_gov_models(name, doc) VALUES (?, ?)", {model.name, ModelToJsonText(model)}));
    return Ok{};
  });
}

Status Store::UpdateModel(const Model& model) {
  return InTransaction(*db_, [&]() -> Status {
    MG_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT name FROM mg_gov_models WHERE name = ?", {model.name}));
    if (rows.empty())
      return MakeError(ErrorCode::kInvalidArgument,
                       "no model '" + model.name + "' in the register (add it with register add)");
    MG_TRY(db_->Query("UPDATE mg_gov_models SET doc = ? WHERE name = ?", {ModelToJsonText(model), model.name}));
    return Ok{};
  });
}

Result<std::optional<Model>> Store::FindModel(const std::string& name) {
  MG_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT doc FROM mg_gov_models WHERE name = ?", {name}));
  if (rows.empty()) return std::optional<Model>{};
  MG_ASSIGN_OR_RETURN(Model model, ModelFromJson(ToText(rows[0][0])));
  return std::optional<Model>(std::move(model));
}

Result<std::vector<Model>> Store::Models() {
  MG_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT doc FROM mg_gov_models ORDER BY name"));
  std::vector<Model> models;
  for (const auto& row : rows) {
    MG_ASSIGN_OR_RETURN(Model model, ModelFromJson(ToText(row[0])));
    models.push_back(std::move(model));
  }
  return models;
}

Result<uint64_t> Store::AddEvidence(const Evidence& evidence, std::string_view body) {
  // Kept as base64 so any bytes survive PostgreSQL's text columns (no NUL, valid UTF-8 only).
  const std::string encoded = Base64Encode(body);
  return InTransaction(*db_, [&]() -> Result<uint64_t> {
    MG_ASSIGN_OR_RETURN(const int64_t id, NextId(*db_, "mg_gov_evidence"));
    std::vector<SqlValue> params{id,
                                 evidence.model,
                                 evidence.kind,
                                 evidence.name,
                                 evidence.digest,
                                 evidence.time,
                                 evidence.produced,
                                 evidence.summary_json};
    if (evidence.log_index) {
      params.emplace_back(static_cast<int64_t>(*evidence.log_index));
    } else {
      params.emplace_back(std::monostate{});
    }
    params.emplace_back(encoded);
    MG_TRY(db_->Query(
        "INSERT INTO mg_gov_evidence(id, model, kind, name, digest, time, produced, summary, log_index, body) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        params));
    return static_cast<uint64_t>(id);
  });
}

Result<std::vector<Evidence>> Store::EvidenceOf(const std::string& model) {
  MG_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT " + std::string(kEvidenceColumns) +
                                                " FROM mg_gov_evidence WHERE model = ? ORDER BY time, id",
                                            {model}));
  std::vector<Evidence> out;
  for (const auto& row : rows) {
    MG_ASSIGN_OR_RETURN(Evidence e, EvidenceFromRow(row));
    out.push_back(std::move(e));
  }
  return out;
}

Result<std::string> Store::EvidenceBody(uint64_t id) {
  MG_ASSIGN_OR_RETURN(auto rows,
                      db_->Query("SELECT body FROM mg_gov_evidence WHERE id = ?", {static_cast<int64_t>(id)}));
  if (rows.empty()) return MakeError(ErrorCode::kInvalidArgument, "no evidence " + std::to_string(id));
  auto decoded = Base64Decode(ToText(rows[0][0]));
  if (!decoded)
    return MakeError(ErrorCode::kParse, "governance database: evidence " + std::to_string(id) + " is damaged");
  return std::move(*decoded);
}

Result<uint64_t> Store::OpenIncident(const Incident& incident) {
  return InTransaction(*db_, [&]() -> Result<uint64_t> {
    MG_ASSIGN_OR_RETURN(const int64_t id, NextId(*db_, "mg_gov_incidents"));
    MG_TRY(db_->Query(
        "INSERT INTO mg_gov_incidents(id, model, title, severity, open, opened, closed) VALUES (?, ?, ?, ?, 1, ?, 0)",
        {id, incident.model, incident.title, incident.severity, incident.opened}));
    const std::string text = incident.timeline.empty() ? incident.title : incident.timeline.front().text;
    const std::string author = incident.timeline.empty() ? "" : incident.timeline.front().author;
    MG_TRY(db_->Query(
        "INSERT INTO mg_gov_incident_events(incident, seq, time, kind, text, author) VALUES (?, 1, ?, 'opened', ?, ?)",
        {id, incident.opened, text, author}));
    return static_cast<uint64_t>(id);
  });
}

Status Store::AddIncidentEvent(uint64_t incident, const IncidentEvent& event, bool close) {
  const auto id = static_cast<int64_t>(incident);
  return InTransaction(*db_, [&]() -> Status {
    MG_ASSIGN_OR_RETURN(auto rows, db_->Query("SELECT open FROM mg_gov_incidents WHERE id = ?", {id}));
    if (rows.empty()) return MakeError(ErrorCode::kInvalidArgument, "no incident " + std::to_string(incident));
    MG_ASSIGN_OR_RETURN(const int64_t open, ToInt(rows[0][0]));
    if (open == 0)
      return MakeError(ErrorCode::kInvalidArgument, "incident " + std::to_string(incident) + " is closed already");
    MG_ASSIGN_OR_RETURN(
        auto seq_rows, db_->Query("SELECT COALESCE(MAX(seq), 0) FROM mg_gov_incident_events WHERE incident = ?", {id}));
    MG_ASSIGN_OR_RETURN(const int64_t seq, ToInt(seq_rows.at(0).at(0)));
    MG_TRY(
        db_->Query("INSERT INTO mg_gov_incident_events(incident, seq, time, kind, text, author) "
                   "VALUES (?, ?, ?, ?, ?, ?)",
                   {id, seq + 1, event.time, std::string(close ? "closed" : "note"), event.text, event.author}));
    if (close) MG_TRY(db_->Query("UPDATE mg_gov_incidents SET open = 0, closed = ? WHERE id = ?", {event.time, id}));
    return Ok{};
  });
}

namespace {

Result<std::vector<Incident>> LoadIncidents(SqlDatabase& db, std::optional<int64_t> only) {
  const std::string where = only ? " WHERE id = ?" : "";
  std::vector<SqlValue> params;
  if (only) params.emplace_back(*only);
  MG_ASSIGN_OR_RETURN(
      auto rows,
      db.Query("SELECT id, model, title, severity, open, opened, closed FROM mg_gov_incidents" + where + " ORDER BY id",
               params));
  MG_ASSIGN_OR_RETURN(auto events,
                      db.Query("SELECT incident, time, kind, text, author FROM mg_gov_incident_events" +
                                   std::string(only ? " WHERE incident = ?" : "") + " ORDER BY incident, seq",
                               params));
  std::vector<Incident> out;
  for (const auto& row : rows) {
    Incident incident;
    MG_ASSIGN_OR_RETURN(const int64_t id, ToInt(row[0]));
    incident.id = static_cast<uint64_t>(id);
    incident.model = ToText(row[1]);
    incident.title = ToText(row[2]);
    incident.severity = ToText(row[3]);
    MG_ASSIGN_OR_RETURN(const int64_t open, ToInt(row[4]));
    incident.open = open != 0;
    MG_ASSIGN_OR_RETURN(incident.opened, ToInt(row[5]));
    MG_ASSIGN_OR_RETURN(incident.closed, ToInt(row[6]));
    for (const auto& event_row : events) {
      MG_ASSIGN_OR_RETURN(const int64_t of, ToInt(event_row[0]));
      if (of != id) continue;
      IncidentEvent event;
      MG_ASSIGN_OR_RETURN(event.time, ToInt(event_row[1]));
      event.kind = ToText(event_row[2]);
      event.text = ToText(event_row[3]);
      event.author = ToText(event_row[4]);
      incident.timeline.push_back(std::move(event));
    }
    out.push_back(std::move(incident));
  }
  return out;
}

}  // namespace

Result<std::optional<Incident>> Store::FindIncident(uint64_t id) {
  MG_ASSIGN_OR_RETURN(auto incidents, LoadIncidents(*db_, static_cast<int64_t>(id)));
  if (incidents.empty()) return std::optional<Incident>{};
  return std::optional<Incident>(std::move(incidents.front()));
}

Result<std::vector<std::pair<std::string, CachedFile>>> Store::FileCache(const std::string& root) {
  MG_ASSIGN_OR_RETURN(auto rows,
                      db_->Query("SELECT path, size, mtime_ns, model FROM mg_gov_files WHERE root = ?", {root}));
  std::vector<std::pair<std::string, CachedFile>> out;
  out.reserve(rows.size());
  for (const auto& row : rows) {
    CachedFile file;
    MG_ASSIGN_OR_RETURN(const int64_t size, ToInt(row[1]));
    file.size = static_cast<uint64_t>(size);
    MG_ASSIGN_OR_RETURN(file.mtime_ns, ToInt(row[2]));
    MG_ASSIGN_OR_RETURN(const int64_t model, ToInt(row[3]));
    file.model = model != 0;
    out.emplace_back(ToText(row[0]), file);
  }
  return out;
}

Status Store::RecordFiles(const std::string& root, const std::vector<FileFindings>& files, int64_t now) {
  if (files.empty()) return Ok{};
  return InTransaction(*db_, [&]() -> Status {
    for (const FileFindings& file : files) {
      const bool model =
          std::any_of(file.assets.begin(), file.assets.end(), [](const Asset& a) { return a.kind == "model-file"; });
      MG_TRY(db_->Query(
          "INSERT INTO mg_gov_files(path, root, size, mtime_ns, model) VALUES (?, ?, ?, ?, ?) "
          "ON CONFLICT(path) DO UPDATE SET root = excluded.root, size = excluded.size, mtime_ns = excluded.mtime_ns, "
          "model = excluded.model",
          {file.path, root, static_cast<int64_t>(file.size), file.mtime_ns, int64_t{model}}));
      // What the file held before and does not hold now is gone; what it holds again comes back. A file the
      // cache did not know held nothing recorded (a new database, a new file): nothing to mark.
      if (file.known) {
        MG_TRY(db_->Query("UPDATE mg_gov_assets SET gone = ? WHERE file = ? AND gone = 0", {now, file.path}));
      }
      for (const Asset& a : file.assets) {
        MG_TRY(db_->Query(
            "INSERT INTO mg_gov_assets(" + std::string(kAssetColumns) +
                ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0) "
                "ON CONFLICT(kind, file, value, digest) DO UPDATE SET root = excluded.root, line = excluded.line, "
                "detail = excluded.detail, size = excluded.size, signature = excluded.signature, bom = excluded.bom, "
                "last_seen = excluded.last_seen, gone = 0",
            {a.kind, root, file.path, static_cast<int64_t>(a.line), a.value, a.detail, a.digest,
             static_cast<int64_t>(a.size), int64_t{a.signature}, int64_t{a.bom}, now, now}));
      }
    }
    return Ok{};
  });
}

Status Store::ForgetFiles(const std::vector<std::string>& paths, int64_t now) {
  if (paths.empty()) return Ok{};
  return InTransaction(*db_, [&]() -> Status {
    for (const std::string& path : paths) {
      MG_TRY(db_->Query("UPDATE mg_gov_assets SET gone = ? WHERE file = ? AND gone = 0", {now, path}));
      MG_TRY(db_->Query("DELETE FROM mg_gov_files WHERE path = ?", {path}));
    }
    return Ok{};
  });
}

Status Store::SetSidecars(const std::string& file, bool signature, bool bom) {
  MG_TRY(db_->Query("UPDATE mg_gov_assets SET signature = ?, bom = ? WHERE file = ? AND kind = 'model-file'",
                    {int64_t{signature}, int64_t{bom}, file}));
  return Ok{};
}

Result<std::vector<std::string>> Store::PresentAssets(const std::string& root) {
  MG_ASSIGN_OR_RETURN(
      auto rows, db_->Query("SELECT kind, file, value, digest FROM mg_gov_assets WHERE root = ? AND gone = 0", {root}));
  std::vector<std::string> keys;
  keys.reserve(rows.size());
  for (const auto& row : rows)
    keys.push_back(ToText(row[0]) + '\n' + ToText(row[1]) + '\n' + ToText(row[2]) + '\n' + ToText(row[3]));
  return keys;
}

Result<DiscoveryRun> Store::FinishRun(const std::string& root, int64_t started, int64_t now, uint64_t files,
                                      uint64_t read) {
  return InTransaction(*db_, [&]() -> Result<DiscoveryRun> {
    // Everything still present under the root was seen by this run.
    MG_TRY(db_->Query("UPDATE mg_gov_assets SET last_seen = ? WHERE root = ? AND gone = 0", {now, root}));
    MG_ASSIGN_OR_RETURN(auto count,
                        db_->Query("SELECT COUNT(*) FROM mg_gov_assets WHERE root = ? AND gone = 0", {root}));
    MG_ASSIGN_OR_RETURN(const int64_t assets, ToInt(count.at(0).at(0)));
    MG_ASSIGN_OR_RETURN(auto previous, db_->Query("SELECT COALESCE(MAX(id), 0) FROM mg_gov_runs"));
    MG_ASSIGN_OR_RETURN(const int64_t last_id, ToInt(previous.at(0).at(0)));
    DiscoveryRun run;
    run.id = static_cast<uint64_t>(last_id + 1);
    run.root = root;
    run.started = started;
    run.finished = now;
    run.files = files;
    run.read = read;
    run.assets = static_cast<uint64_t>(assets);
    MG_TRY(db_->Query(
        "INSERT INTO mg_gov_runs(root, id, started, finished, files, read, assets) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(root) DO UPDATE SET id = excluded.id, started = excluded.started, finished = excluded.finished, "
        "files = excluded.files, read = excluded.read, assets = excluded.assets",
        {root, static_cast<int64_t>(run.id), started, now, static_cast<int64_t>(files), static_cast<int64_t>(read),
         assets}));
    return run;
  });
}

Result<::modelguard::governance::Snapshot> Store::Snapshot() {
  ::modelguard::governance::Snapshot snapshot;
  MG_ASSIGN_OR_RETURN(auto settings, db_->Query("SELECT key, value FROM mg_gov_settings ORDER BY key"));
  for (const auto& row : settings) snapshot.settings.emplace_back(ToText(row[0]), ToText(row[1]));
  MG_ASSIGN_OR_RETURN(snapshot.models, Models());
  MG_ASSIGN_OR_RETURN(auto assets, db_->Query("SELECT " + std::string(kAssetColumns) +
                                              " FROM mg_gov_assets ORDER BY file, line, kind, value"));
  const OwnerIndex owners(snapshot.models);
  for (const auto& row : assets) {
    MG_ASSIGN_OR_RETURN(Asset asset, AssetFromRow(row));
    asset.registered_as = owners.OwnerOf(asset);
    snapshot.assets.push_back(std::move(asset));
  }
  MG_ASSIGN_OR_RETURN(
      auto evidence, db_->Query("SELECT " + std::string(kEvidenceColumns) + " FROM mg_gov_evidence ORDER BY time, id"));
  for (const auto& row : evidence) {
    MG_ASSIGN_OR_RETURN(Evidence e, EvidenceFromRow(row));
    snapshot.evidence.push_back(std::move(e));
  }
  MG_ASSIGN_OR_RETURN(snapshot.incidents, LoadIncidents(*db_, std::nullopt));
  MG_ASSIGN_OR_RETURN(auto runs, db_->Query("SELECT id, root, started, finished, files, read, assets FROM mg_gov_runs "
                                            "ORDER BY root"));
  for (const auto& row : runs) {
    DiscoveryRun run;
    MG_ASSIGN_OR_RETURN(const int64_t id, ToInt(row[0]));
    run.id = static_cast<uint64_t>(id);
    run.root = ToText(row[1]);
    MG_ASSIGN_OR_RETURN(run.started, ToInt(row[2]));
    MG_ASSIGN_OR_RETURN(run.finished, ToInt(row[3]));
    MG_ASSIGN_OR_RETURN(const int64_t files, ToInt(row[4]));
    MG_ASSIGN_OR_RETURN(const int64_t read, ToInt(row[5]));
    MG_ASSIGN_OR_RETURN(const int64_t count, ToInt(row[6]));
    run.files = static_cast<uint64_t>(files);
    run.read = static_cast<uint64_t>(read);
    run.assets = static_cast<uint64_t>(count);
    snapshot.runs.push_back(std::move(run));
  }
  return snapshot;
}

}  // namespace modelguard::governance
