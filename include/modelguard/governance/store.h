#pragma once
// The governance database: what `inventory discover` found (assets), what the organisation registered
// (models with owners, tier, identifiers and evidence), incidents, and organisation settings. SQLite is the
// embedded default; a location starting with postgresql:// or postgres:// is a PostgreSQL server shared by
// an organisation. Both hold the same tables (see src/governance/store/schema.cpp); the logic above them
// (matching assets to models, the checklist, the dashboard) never sees which one it is.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "modelguard/core/result.h"

namespace modelguard::governance {

// What discovery records. Kinds: "model-file" (content detected as a model format), "sdk" (an import of an
// AI SDK), "model-id" (a hub model id or hosted model name in code or config), "endpoint" (a hosted AI API
// address), "credential" (an AI API key, redacted), "agent-tool" (a tool/function definition given to a
// model), "mcp-server" (a Model Context Protocol server configuration).
struct Asset {
  std::string kind;
  std::string root;        // the discovery root it was found under (absolute)
  std::string file;        // absolute path of the file
  uint64_t line = 0;       // 1-based line for findings in text; 0 for whole files
  std::string value;       // model-file: format id; sdk: package; model-id/endpoint: the id or host;
                           // credential: redacted value; agent-tool/mcp-server: its name
  std::string detail;      // one line for people: "python import", "OPENAI_KEY", "signature: model.sig"
  std::string digest;      // model-file: "sha256:<hex>"; otherwise empty
  uint64_t size = 0;       // model-file: bytes
  bool signature = false;  // model-file: a model-signing bundle sits next to it
  bool bom = false;        // model-file: a CycloneDX BOM sits next to it
  int64_t first_seen = 0;  // seconds since the epoch
  int64_t last_seen = 0;
  bool gone = false;  // not found again by the latest discovery of its root
  // Filled by Snapshot(): the register entry whose identifiers match it; empty: unregistered (shadow AI).
  std::string registered_as;
};

// How a register entry is recognised in the inventory. kind: "digest" (sha256:<hex> of a model file),
// "model-id" (exact hub id or hosted model name), "endpoint" (host name), "path" (a directory prefix:
// every asset found under it belongs to the model, e.g. the service that calls a hosted API).
struct Identifier {
  std::string kind;
  std::string value;
};

struct Evidence {
  uint64_t id = 0;
  std::string model;
  std::string kind;      // the attached JSON's "schema" ("modelguard.scan/v1"), or "file" for other evidence
  std::string name;      // the file name it was attached from
  std::string digest;    // sha256:<hex> of the attached bytes
  int64_t time = 0;      // when it was attached
  int64_t produced = 0;  // when the evidence says it was made (its own time field), else `time`
  // What the evidence says, reduced to what governance needs: {"verdict": "pass"|"fail"|"info",
  // "findings": {"critical": n, "high": n, ...}, "rules": ["rule.id", ...], "summary": "one line"}.
  std::string summary_json;
  std::optional<uint64_t> log_index;  // its entry in the transparency log, when one was given
};

struct IncidentEvent {
  int64_t time = 0;
  std::string kind;  // "opened", "note", "closed"
  std::string text;
  std::string author;
};

struct Incident {
  uint64_t id = 0;
  std::string model;  // may be empty: an incident not (yet) tied to a model
  std::string title;
  std::string severity;  // critical, high, medium, low
  bool open = true;
  int64_t opened = 0;
  int64_t closed = 0;
  std::vector<IncidentEvent> timeline;
};

struct Model {
  std::string name;
  std::string version;
  std::string kind = "ml";  // "llm", "agent" or "ml": which checklist questions apply
  std::string business_owner;
  std::string security_owner;
  std::string intended_use;
  // EU AI Act category: "prohibited", "high", "limited", "minimal"; internal criticality: "critical",
  // "high", "medium", "low".
  std::string risk_tier;
  std::string criticality;
  std::vector<std::string> data_sources;  // dataset manifest paths or ids
  std::string vendor;                     // third-party model or API; empty for one's own
  std::string vendor_audited;             // date of the vendor's last audit, YYYY-MM-DD
  int review_months = 6;
  std::string last_review;  // YYYY-MM-DD
  int64_t registered = 0;
  int64_t updated = 0;
  int64_t retired = 0;  // 0: in service
  std::vector<Identifier> identifiers;
};

struct DiscoveryRun {
  uint64_t id = 0;
  std::string root;
  int64_t started = 0;
  int64_t finished = 0;
  uint64_t files = 0;   // files walked
  uint64_t read = 0;    // files read (the rest came from the mtime/size cache)
  uint64_t assets = 0;  // assets present after the run
};

// Everything the dashboard and the checklist read, in one consistent read.
struct Snapshot {
  int64_t taken = 0;
  std::vector<std::pair<std::string, std::string>> settings;  // organisation settings (key, value)
  std::vector<Model> models;                                  // by name, retired included
  std::vector<Asset> assets;                                  // gone ones included, by file and line
  std::vector<Evidence> evidence;                             // by time
  std::vector<Incident> incidents;                            // by id
  std::vector<DiscoveryRun> runs;                             // latest run per root, by root
};

enum class StoreOpen { kCreate, kExisting };

// What discovery remembers of a file between runs: unchanged size and modification time mean unchanged
// assets, so the file is not read again.
struct CachedFile {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool model = false;  // it holds a model-file asset (whose neighbours' signature/BOM are re-checked)
};

// One file read by discovery, with everything found in it (possibly nothing).
struct FileFindings {
  std::string path;
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  bool known = true;  // in the cache before this run (its earlier assets may have to be marked gone)
  std::vector<Asset> assets;
};

class SqlDatabase;

class Store {
 public:
  // SQLite file or postgresql:// URI. kExisting: commands that only read never create a database.
  static Result<std::unique_ptr<Store>> Open(const std::string& location, StoreOpen mode = StoreOpen::kCreate);
  ~Store();
  Store(const Store&) = delete;
  Store& operator=(const Store&) = delete;
  // The location as given, for messages and for opening the transparency log beside the data.
  const std::string& location() const { return location_; }

  // Organisation settings ("incident_plan", "governance_framework", "assessment_months", ...).
  Status SetSetting(const std::string& key, const std::string& value);
  Result<std::optional<std::string>> Setting(const std::string& key);

  // Register. AddModel fails when the name exists; UpdateModel when it does not.
  Status AddModel(const Model& model);
  Status UpdateModel(const Model& model);
  Result<std::optional<Model>> FindModel(const std::string& name);
  Result<std::vector<Model>> Models();

  // Stores the evidence (its bytes kept whole) and returns its id.
  Result<uint64_t> AddEvidence(const Evidence& evidence, std::string_view body);
  Result<std::vector<Evidence>> EvidenceOf(const std::string& model);
  Result<std::string> EvidenceBody(uint64_t id);

  Result<uint64_t> OpenIncident(const Incident& incident);
  // Appends to the timeline; `close` also closes the incident (an error when it is closed already).
  Status AddIncidentEvent(uint64_t incident, const IncidentEvent& event, bool close);
  Result<std::optional<Incident>> FindIncident(uint64_t id);

  // Discovery. A run of one root: the cache of its files, the files read (their old assets not found again
  // are marked gone, found ones revived or added), the files that disappeared, then the run's totals.
  Result<std::vector<std::pair<std::string, CachedFile>>> FileCache(const std::string& root);
  Status RecordFiles(const std::string& root, const std::vector<FileFindings>& files, int64_t now);
  Status ForgetFiles(const std::vector<std::string>& paths, int64_t now);
  // Signature/BOM flags of model files whose neighbours changed while the file itself did not.
  Status SetSidecars(const std::string& file, bool signature, bool bom);
  // Keys (kind, file, value, digest) of the assets under `root` not gone, to count what a run changed.
  Result<std::vector<std::string>> PresentAssets(const std::string& root);
  Result<DiscoveryRun> FinishRun(const std::string& root, int64_t started, int64_t now, uint64_t files, uint64_t read);

  // Everything, with each asset's registered_as filled in.
  Result<::modelguard::governance::Snapshot> Snapshot();

 private:
  Store() = default;
  Status CreateSchema();
  std::string location_;
  std::unique_ptr<SqlDatabase> db_;
};

// A register entry as JSON text: the form the database keeps and `register show|list` print.
std::string ModelToJsonText(const Model& model);

// Whether `asset` is one of `model`'s: a digest, model id or endpoint equal to the asset's, or the asset's
// file under a registered path.
bool Matches(const Model& model, const Asset& asset);

}  // namespace modelguard::governance
